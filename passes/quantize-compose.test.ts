/**
 * Composition: quantize directives after prune, share and sparse attention, in the order written,
 * through compileSpec (the PassManager verifies the IR after every step); the result runs in ONNX
 * Runtime and stays close to the unoptimized model.
 */
import { describe, expect, test } from "vitest";
import { checkSource } from "../compiler/pipeline.js";
import { compileSpec } from "../compiler/pipeline.js";
import { emitOnnx } from "../compiler/onnx/index.js";
import { measureDeviation } from "../runtime/deviation.js";

const GPT = "kind decoder vocab 97 context 64 width 64 layers 2 heads 4\n  ffn 4 * width gelu_tanh\n  output lm tied";
const BERT = "kind encoder vocab 97 context 64 width 64 layers 2 heads 4 token_types 2\n  ffn 128 gelu  norm layernorm post\n  output pooler";
const SPARSE = "attention {\n    layers all : window 16 + global [0]\n  }";

function compile(body: string, directives: string) {
  const text = `model m {\n  ${body}\n  optimize {\n    ${directives.split("; ").join("\n    ")}\n  }\n}\n`;
  const checked = checkSource(text, "m.tfx");
  expect(checked.diagnostics.map((d) => d.message)).toEqual([]);
  return compileSpec(checked.spec!);
}

const pairs: [string, string, string, number][] = [
  ["prune heads then int8 dynamic", GPT, "prune heads 25% by l2; quantize matmul int8 dynamic", 0.99],
  ["prune ffn then int4", GPT, "prune ffn 50% by l2; quantize matmul int4 block 32", 0.95],
  ["share layers then int8 weight-only", BERT, "share layers all; quantize matmul int8 weight_only per_tensor", 0.99],
  ["share then quantize embeddings and fp16", BERT, "share layers groups of 2; quantize embeddings int8; quantize fp16", 0.99],
  ["sparse attention then int8 dynamic, tied head and lookup", `${GPT}\n  ${SPARSE}`, "quantize matmul int8 dynamic; quantize embeddings int4 block 32", 0.95],
];

describe("quantize composes with the passes before it", () => {
  for (const [name, body, directives, minCosine] of pairs) {
    test(name, async () => {
      const compiled = compile(body, directives);
      const steps = compiled.optimizations;
      expect(steps.map((s) => s.directive)).toHaveLength(directives.split("; ").length);
      for (const step of steps.filter((s) => s.directive.startsWith("quantize"))) {
        expect(step.report.changed, step.directive).toBe(true);
        expect(step.report.after!.weightBytes, step.directive).toBeLessThan(step.report.before!.weightBytes);
      }
      // Against the graph just before the first quantize step: pruning and sharing change the model themselves.
      const first = steps.findIndex((s) => s.directive.startsWith("quantize"));
      const before = first === 0 ? compiled.baseline : steps[first - 1].graph;
      const deviation = await measureDeviation(emitOnnx(before), emitOnnx(compiled.graph), { batch: 2, seq: 32 });
      const primary = deviation.outputs[deviation.primary];
      expect(primary.cosine, JSON.stringify(primary)).toBeGreaterThanOrEqual(minCosine);
    });
  }
});
