/**
 * Specs of billions of parameters go through check, explain (the IR printer) and plan without
 * allocating their weights: parameters stay lazy initializers until a writer materializes them.
 */
import { describe, expect, it } from "vitest";
import { printGraph } from "../compiler/ir/index.js";
import { checkFile, compileSpec } from "../compiler/pipeline.js";

const MiB = 1 << 20;

describe.each([
  ["examples/llama-7b.tfx", 6_738_415_616],
  ["examples/gpt2-xl.tfx", 1_557_611_200],
])("%s", (file, parameters) => {
  it("checks, explains and plans with memory far below its weights", () => {
    global.gc?.();
    const before = process.memoryUsage();
    const checked = checkFile(file);
    expect(checked.diagnostics).toEqual([]);
    const { graph, plan } = compileSpec(checked.spec!);
    const text = printGraph(graph);
    const after = process.memoryUsage();
    expect(plan.graphs[0].parameters).toBe(parameters);
    expect(text.length).toBeGreaterThan(1000);
    // 4 bytes a parameter would be 6.2 GB and 27 GB; the whole pipeline stays under 256 MiB.
    const grown = Math.max(after.rss - before.rss, after.heapUsed - before.heapUsed) + (after.arrayBuffers - before.arrayBuffers);
    expect(grown).toBeLessThan(256 * MiB);
    expect(after.arrayBuffers - before.arrayBuffers).toBeLessThan(64 * MiB);
  });
});
