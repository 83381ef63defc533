import { describe, expect, it } from "vitest";
import { GraphBuilder, PassManager, printGraph, verifyGraph, type Graph } from "../compiler/ir/index.js";
import { blockLayoutAttrs } from "../compiler/ir/ops/block-layout.js";
import { global, layerLayout, union, window, type Pattern } from "../test/layouts.js";
import { DEFAULT_SPARSE_ATTENTION_OPTIONS, sparseAttention, type SparseAttentionOptions } from "./sparse-attention.js";

const context = { bindings: { batch: 1, seq: 64 } };

/** Two layers of bare attention over 16 blocks of 4: layer 0 with `sparse` as its layout, layer 1 with `dense`. */
function graph(layer0: Pattern, layer1: Pattern | undefined): Graph {
  const b = new GraphBuilder("attn", { model: "attn", dimBounds: { seq: 64 } });
  const q = b.input("q", "float32", ["batch", "seq", 8]);
  const k = b.input("k", "float32", ["batch", "seq", 8]);
  const v = b.input("v", "float32", ["batch", "seq", 8]);
  const base = { heads: 2, kvHeads: 2, headDim: 4, causal: false };
  const layout = (p: Pattern) => blockLayoutAttrs(layerLayout({ blockSize: 4, blocks: 16, causal: false, heads: 2, patterns: [p] }));
  const first = b.withScope("layers.0.attn", () => b.op("attention", [q, k, v], { ...base, ...layout(layer0) }));
  const second = b.withScope("layers.1.attn", () => b.op("attention", [first, k, v], layer1 ? { ...base, ...layout(layer1) } : base));
  b.output("y", second);
  return b.build();
}

const run = (g: Graph, options: Partial<SparseAttentionOptions> = {}) =>
  new PassManager({ verify: true }).add(sparseAttention, { ...DEFAULT_SPARSE_ATTENTION_OPTIONS, ...options }).run(g, context);

describe("sparse-attention pass", () => {
  it("rewrites a sparse layout and keeps a dense-ish one as a mask (Before / Expected)", () => {
    const before = graph(union(window(1), global([0])), window(6));
    expect(printGraph(before)).toBe(
      [
        "graph attn {",
        "  input %q: float32[batch,seq,8]",
        "  input %k: float32[batch,seq,8]",
        "  input %v: float32[batch,seq,8]",
        "  // layers.0.attn",
        "  %0: float32[batch,seq,8] = attention(%q, %k, %v) {blockHeads=[0,0], blockKeys=[…74 values, fnv 691e3bf4], blockOffsets=[…17 values, fnv 461f3617], blockSize=4, causal=false, headDim=4, heads=2, kvHeads=2}",
        "  // layers.1.attn",
        "  %1: float32[batch,seq,8] = attention(%0, %k, %v) {blockHeads=[0,0], blockKeys=[…166 values, fnv a3a74077], blockOffsets=[…17 values, fnv 0f6079e5], blockSize=4, causal=false, headDim=4, heads=2, kvHeads=2}",
        "  output y = %1",
        "}",
        "",
      ].join("\n"),
    );
    const { graph: after, reports } = run(before);
    expect(printGraph(after)).toBe(printGraph(before).replace("%0: float32[batch,seq,8] = attention(", "%0: float32[batch,seq,8] = block_sparse_attention("));
    expect(reports[0].changed).toBe(true);
    expect(reports[0].statistics).toMatchObject({ rewritten: 1, keptDense: 1 });
    expect(reports[0].notes[0]).toBe("layers.0.attn: block-sparse, computes 30% of dense (threshold 50%); all heads: gather, rows×keys 1×16 + 15×4");
    expect(reports[0].notes[1]).toMatch(/^layers\.1\.attn: dense with the layout as a mask: block-sparse would compute 7\d% of dense, not below the threshold 50%$/);
    expect(reports[0].after!.flops).toBeLessThan(reports[0].before!.flops);
  });

  it("follows the threshold", () => {
    const g = graph(union(window(1), global([0])), window(6));
    expect(run(g, { threshold: 0.2 }).reports[0].statistics).toMatchObject({ rewritten: 0, keptDense: 2 });
    expect(run(g, { threshold: 1 }).reports[0].statistics).toMatchObject({ rewritten: 2, keptDense: 0 });
  });

  it("asks for the window path when told to", () => {
    const { graph: after } = run(graph(window(1), undefined), { path: "window" });
    expect(after.nodes[0].attrs.path).toBe("window");
    expect(verifyGraph(after)).toEqual([]);
  });

  it("chunks the gather path when given a chunk budget, and says so", () => {
    const { graph: after, reports } = run(graph(union(window(1), global([0])), undefined), { chunkBytes: 1 });
    expect(after.nodes[0].attrs.chunkBytes).toBe(1);
    expect(reports[0].notes[0]).toMatch(/rows×keys 1×16 \+ 15×4, in \d+ chunks$/);
    expect(verifyGraph(after)).toEqual([]);
    expect(run(graph(window(1), undefined)).graph.nodes[0].attrs.chunkBytes).toBeUndefined();
  });

  it("leaves attention without a layout alone, and says so", () => {
    const b = new GraphBuilder("plain", { model: "plain", dimBounds: { seq: 8 } });
    const x = b.input("x", "float32", ["batch", "seq", 8]);
    b.output("y", b.withScope("layers.0.attn", () => b.op("attention", [x, x, x], { heads: 2, kvHeads: 2, headDim: 4, causal: true })));
    const plain = b.build();
    const { graph: after, reports } = run(plain);
    expect(reports[0]).toMatchObject({ changed: false, notes: ["no attention with a block layout"] });
    expect(printGraph(after)).toBe(printGraph(plain));
  });

  it("refuses bad options", () => {
    const g = graph(window(1), undefined);
    expect(() => run(g, { threshold: 0 })).toThrow(/threshold` must be a fraction in \(0, 1\], got 0/);
    expect(() => run(g, { threshold: Number.NaN })).toThrow(/threshold/);
    expect(() => run(g, { path: "banded" as never })).toThrow(/`path` must be "gather" or "window", got "banded"/);
    expect(() => run(g, { chunkBytes: 0 })).toThrow(/`chunkBytes` must be a positive whole number of bytes, got 0/);
  });
});
