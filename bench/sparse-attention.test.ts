import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { headDensity } from "../compiler/attention/index.js";
import { checkSource } from "../compiler/pipeline.js";
import { attentionGraph, CONFIGS, specText } from "./sparse-attention.js";

const SPEC = join(process.cwd(), "bench/specs/sparse-bert.tfx");

function layer0(seq: number, suffix: string) {
  const front = checkSource(specText(SPEC, seq), SPEC, { model: `bert_${seq}${suffix}` });
  expect(front.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
  return front.spec!;
}

describe("the sparse-attention bench's specs", () => {
  it("define bert-base-shaped encoders with the issue's patterns at 1024, 4096 and 16384", () => {
    for (const seq of [1024, 4096, 16384]) {
      for (const { config, suffix } of CONFIGS) {
        const spec = layer0(seq, suffix);
        expect([spec.context, spec.layers, spec.width, spec.heads, spec.ffn.size, spec.norm.placement]).toEqual([seq, 12, 768, 12, 3072, "post"]);
        const layout = spec.attention?.layers[0];
        if (config === "dense") expect(spec.attention).toBeUndefined();
        else expect(spec.attention?.layers.every((l) => l?.patterns.every((p) => p === layout!.patterns[0]))).toBe(true);
      }
    }
  });

  it("derives models for lengths the file does not list", () => {
    const spec = layer0(2048, "_window");
    expect(spec.context).toBe(2048);
    expect(spec.attention?.layers[0]?.patterns[0]).toBe("window 256 + global [0]");
  });

  it("puts the window layout under 1/8 density at 4096 and BigBird above (which target applies)", () => {
    const window = layer0(4096, "_window").attention!.layers[0]!;
    const bigbird = layer0(4096, "_bigbird").attention!.layers[0]!;
    expect(headDensity(window, 0)).toBeLessThanOrEqual(1 / 8);
    expect(headDensity(bigbird, 0)).toBeGreaterThan(1 / 8);
  });

  it("builds attention alone through the sparse-attention pass", () => {
    const op = (seq: number, suffix: string) => attentionGraph(seq, layer0(seq, suffix).attention?.layers[0]).nodes.map((n) => n.op);
    expect(op(4096, "")).toEqual(["attention"]);
    expect(op(4096, "_window")).toEqual(["block_sparse_attention"]);
    // BigBird at 1024 is 55% dense: the pass keeps it dense with the layout as a mask.
    expect(op(1024, "_bigbird")).toEqual(["attention"]);
  });
});
