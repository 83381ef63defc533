/**
 * Whole models with sparse attention layers through `compileSpec`: the block-sparse lowering the
 * sparse-attention pass chooses against the same spec compiled with every layout left as a dense
 * −∞ mask, both run by ONNX Runtime at the full context and at shorter lengths (whole blocks or not);
 * and the plan's figures.
 */
import * as ort from "onnxruntime-node";
import { describe, expect, it } from "vitest";
import type { AttentionLayouts } from "../compiler/attention/layout.js";
import { emitOnnx } from "../compiler/onnx/index.js";
import { checkSource, compileSpec } from "../compiler/pipeline.js";
import type { ModelSpec } from "../compiler/spec.js";
import { bigbird, blocked, global, layerLayout, random, strided, union, window } from "./layouts.js";
import { tinyBert, tinyLlama } from "./specs.js";

const BLOCK = 4;
const BLOCKS = 8; // tiny specs have context 32

function withLayouts(spec: ModelSpec, layers: AttentionLayouts["layers"]): ModelSpec {
  return { ...spec, attention: { layers } };
}

const decoder = withLayouts(tinyLlama, [
  layerLayout({ blockSize: BLOCK, blocks: BLOCKS, causal: true, heads: 4, patterns: [0, 1, 2, 3].map((h) => bigbird(1, 1, 1, 3 + h)), names: ["bigbird"] }),
  layerLayout({ blockSize: BLOCK, blocks: BLOCKS, causal: true, heads: 4, patterns: [strided(2), strided(2), window(1), window(1)], names: ["strided 2", "strided 2", "window 1", "window 1"] }),
]);

const encoder = withLayouts(tinyBert, [
  layerLayout({ blockSize: BLOCK, blocks: BLOCKS, causal: false, heads: 4, patterns: [union(window(1), global([0]))], names: ["window 1 + global [0]"] }),
  undefined,
]);

describe("a model with sparse attention layers", () => {
  for (const [name, spec] of [["decoder (GQA, rotary)", decoder], ["encoder (post-norm, token types)", encoder]] as const) {
    it(`${name}: block-sparse equals the dense-masked model at full and shorter lengths`, async () => {
      const sparse = compileSpec(spec, { sparseAttention: { threshold: 1 } });
      const masked = compileSpec(spec, { sparseAttention: false });
      const layouts = spec.attention!.layers.filter(Boolean).length;
      expect(sparse.graph.nodes.filter((n) => n.op === "block_sparse_attention")).toHaveLength(layouts);
      expect(masked.graph.nodes.filter((n) => n.op === "block_sparse_attention")).toHaveLength(0);
      const [a, b] = await Promise.all([sparse, masked].map((c) => ort.InferenceSession.create(emitOnnx(c.graph))));
      try {
        for (const seq of [1, 3, 4, 7, 8, 13, 21, 28, 31, 32]) {
          const feeds = inputs(a.inputNames, 2, seq, spec.vocab);
          const [x, y] = await Promise.all([a.run(feeds), b.run(feeds)]);
          for (const output of a.outputNames) {
            const got = x[output].data as Float32Array;
            const want = y[output].data as Float32Array;
            expect(want.every(Number.isFinite), `${output} at seq ${seq}`).toBe(true);
            let worst = 0;
            for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]));
            expect(worst, `${output} at seq ${seq}`).toBeLessThanOrEqual(1e-5);
          }
        }
      } finally {
        await Promise.all([a.release(), b.release()]);
      }
    });
  }

  it("records the pass's choices and the attention figures in the plan", () => {
    const { plan } = compileSpec(encoder, { sparseAttention: { threshold: 0.6 } });
    const graph = plan.graphs[0];
    const [sparseLayer, denseLayer] = graph.layers;
    expect(sparseLayer.attention).toMatchObject({ lowering: "block-sparse", blockSize: BLOCK, patterns: new Array(4).fill("window 1 + global [0]") });
    expect(sparseLayer.attention.reason).toMatch(/^block-sparse, computes 58% of dense \(threshold 60%\)/);
    // Row 0 reads every block and the (masked) sink with them; rows 1..7 padded to 4 key blocks.
    expect(sparseLayer.attention.computedFraction).toBeCloseTo((8 + 1 + 7 * 4) / 64);
    expect(sparseLayer.attentionDensity).toEqual([0, 1, 2, 3].map(() => (8 + 2 * 3 + 5 * 4) / 64));
    for (const head of sparseLayer.attention.heads) {
      expect(head.flops).toBeLessThan(head.denseFlops);
      expect(head.denseMemoryBytes).toBe(32 * 32 * 4);
    }
    expect(sparseLayer.attention.flops).toBe(sparseLayer.attention.heads.reduce((s, h) => s + h.flops, 0));
    expect(sparseLayer.attentionMemoryBytes).toBe(sparseLayer.attention.memoryBytes);
    expect(denseLayer.attention).toMatchObject({ lowering: "dense", computedFraction: 1 });
    expect(denseLayer.attention.flops).toBe(denseLayer.attention.denseFlops);
    expect(sparseLayer.attentionFlops).toBeLessThan(denseLayer.attentionFlops);
    expect(graph.passes).toHaveLength(1);
    expect(graph.passes[0]).toMatchObject({ pass: "sparse-attention", changed: true, statistics: { rewritten: 1, keptDense: 0 } });
  });

  it("keeps a layout that would not pay dense, with the reason", () => {
    const dense = withLayouts(tinyBert, [layerLayout({ blockSize: BLOCK, blocks: BLOCKS, causal: false, heads: 4, patterns: [union(window(3), blocked, random(1, 1))] }), undefined]);
    const layer = compileSpec(dense).plan.graphs[0].layers[0];
    expect(layer.attention.lowering).toBe("dense-masked");
    expect(layer.attention.reason).toMatch(/^dense with the layout as a mask: block-sparse would compute \d+% of dense, not below the threshold 50%$/);
  });

  it("from the language: the checker's layouts through compileSpec, exact at every length", async () => {
    const text = `
      model long_gqa {
        kind decoder  vocab 61  context 1024  width 32  layers 2  heads 4  kv_heads 2
        ffn 64 swiglu  norm rmsnorm pre eps 1e-6  position rotary theta 10000  bias false  output lm
        attention {
          layers 0 : window 64 + global [0]
          layers 1 heads 0..1 : strided 64, heads 2..3 : bigbird(block 32, window 3, global 1, random 1, seed 5)
        }
      }`;
    const front = checkSource(text, "long.tfx");
    expect(front.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
    const spec = front.spec!;
    const sparse = compileSpec(spec);
    expect(sparse.plan.graphs[0].layers.map((l) => l.attention.lowering)).toEqual(["block-sparse", "block-sparse"]);
    const masked = compileSpec(spec, { sparseAttention: false });
    const [a, b] = await Promise.all([sparse, masked].map((c) => ort.InferenceSession.create(emitOnnx(c.graph))));
    try {
      const block = sparse.plan.graphs[0].layers[0].attention.blockSize!;
      for (const seq of [1, 45, block, 2 * block + 5, spec.context]) {
        const feeds = inputs(a.inputNames, 1, seq, spec.vocab);
        const [x, y] = await Promise.all([a.run(feeds), b.run(feeds)]);
        const got = x.logits.data as Float32Array;
        const want = y.logits.data as Float32Array;
        let worst = 0;
        for (let i = 0; i < got.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]));
        expect(worst, `logits at seq ${seq}`).toBeLessThanOrEqual(1e-5);
      }
    } finally {
      await Promise.all([a.release(), b.release()]);
    }
  });

  it("compiles a spec without layouts with no passes", () => {
    expect(compileSpec(tinyBert).plan.graphs[0].passes).toEqual([]);
  });
});

function inputs(names: readonly string[], batch: number, seq: number, vocab: number): Record<string, ort.Tensor> {
  const feeds: Record<string, ort.Tensor> = {};
  for (const name of names) {
    const data = BigInt64Array.from({ length: batch * seq }, (_, i) => BigInt(name === "input_ids" ? (i * 31 + 7) % vocab : i % 2));
    feeds[name] = new ort.Tensor("int64", data, [batch, seq]);
  }
  return feeds;
}
