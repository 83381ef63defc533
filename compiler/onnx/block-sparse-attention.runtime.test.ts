/**
 * Runtime tier: `block_sparse_attention` against `attention` with the same layout as a −∞ mask, both
 * run by ONNX Runtime, for every pattern shape, encoder and decoder, at every length from 1 to the full
 * context (lengths the block size does not divide are padded to whole blocks inside).
 */
import fc from "fast-check";
import * as ort from "onnxruntime-node";
import { describe, expect, test } from "vitest";
import type { LayerLayout } from "../attention/layout.js";
import { GraphBuilder, type Graph } from "../ir/index.js";
import { blockLayoutAttrs } from "../ir/ops/block-layout.js";
import { scheduleOf } from "../ir/ops/block-sparse-attention.js";
import type { SparseSchedule } from "../ir/ops/block-sparse-schedule.js";
import { bigbird, blocked, fixed, global, layerLayout, random, strided, union, window, type Pattern } from "../../test/layouts.js";
import { emitOnnx } from "./emit.js";

interface Case {
  readonly name: string;
  readonly patterns: readonly Pattern[];
  readonly heads?: number;
  readonly kvHeads?: number;
  readonly blockSize?: number;
  readonly blocks?: number;
  readonly path?: "gather" | "window";
  /** Chunk budget of the gather path (tiny: one stack and one row per chunk). */
  readonly chunkBytes?: number;
  /** What the schedule must have chosen, so each case exercises the path it is named for. */
  readonly expect?: (s: SparseSchedule) => void;
}

const HEAD_DIM = 4;
const BATCH = 2;

const usesPath = (path: "window" | "gather") => (s: SparseSchedule) => expect(s.classes.every((c) => c.path === path)).toBe(true);

const cases: Case[] = [
  { name: "window", patterns: [window(1)], expect: usesPath("gather") },
  { name: "window, shifted slices", patterns: [window(1)], path: "window", expect: usesPath("window") },
  { name: "dilated window", patterns: [window(1, 2)] },
  { name: "dilated window, shifted slices", patterns: [window(1, 2)], path: "window", expect: usesPath("window") },
  { name: "strided", patterns: [strided(3)] },
  { name: "fixed with summary columns", patterns: [fixed(4, 1)] },
  { name: "global first block", patterns: [union(window(1), global([0]))], expect: (s) => expect(s.classes[0].buckets.length).toBeGreaterThan(1) },
  { name: "global last block (rows out of order)", patterns: [union(window(1), global([7]))], expect: (s) => expect(s.classes[0].buckets.length).toBeGreaterThan(1) },
  { name: "random", patterns: [union(blocked, random(2, 11))] },
  { name: "bigbird, random blocks per head", patterns: [0, 1, 2, 3].map((h) => bigbird(1, 1, 1, 5 + h)), expect: (s) => expect(s.classes.some((c) => c.buckets.length > 1)).toBe(true) },
  { name: "blocked", patterns: [blocked] },
  { name: "blocked, shifted slices", patterns: [blocked], path: "window", expect: usesPath("window") },
  { name: "a single block", patterns: [window(1)], blocks: 1, blockSize: 8 },
  { name: "heads with different patterns", patterns: [strided(2), strided(2), window(1), union(window(1), global([0]))] },
  {
    name: "heads with different patterns, windows sliced",
    patterns: [strided(2), strided(2), window(1), union(window(1), global([0]))],
    path: "window",
    expect: (s) => expect(new Set(s.classes.map((c) => c.path))).toEqual(new Set(["window", "gather"])),
  },
  {
    name: "heads in non-contiguous classes",
    patterns: [window(1), blocked, window(1), blocked],
    path: "window",
    expect: (s) => expect(s.headOrder).toEqual([0, 2, 1, 3]),
  },
  { name: "GQA, one layout", patterns: [bigbird(1, 1, 1, 3)], kvHeads: 2, expect: (s) => expect(s.classes[0].groupSize).toBe(2) },
  { name: "GQA, window sliced", patterns: [window(2)], kvHeads: 2, path: "window", expect: (s) => expect(s.classes[0].groupSize).toBe(2) },
  {
    name: "GQA, a kv group split between layouts",
    patterns: [window(1), blocked, window(1), blocked],
    kvHeads: 2,
    path: "window",
    expect: (s) => expect(s.classes[0].groupSize).toBe(1),
  },
  {
    name: "GQA, per-head tables",
    patterns: [0, 1, 2, 3].map((h) => union(blocked, random(2, 20 + h))),
    kvHeads: 2,
    expect: (s) => expect(s.classes.map((c) => [c.perHead, c.groupSize])).toEqual([[true, 1]]),
  },
  { name: "larger blocks", patterns: [union(window(1), global([0]), random(1, 4))], blockSize: 8, blocks: 4 },
  { name: "chunks of one stack and one row", patterns: [union(window(1), global([7]))], chunkBytes: 1, expect: (s) => expect(s.classes[0].stacksPerChunk).toBe(1) },
  { name: "chunks of two rows, per-head tables", patterns: [0, 1, 2, 3].map((h) => bigbird(1, 1, 1, 5 + h)), chunkBytes: 2000, expect: (s) => expect(s.classes[0].buckets.some((b) => b.rowsPerChunk < b.rows.length)).toBe(true) },
  {
    name: "a row reading every block, chunks of one head",
    patterns: [union(window(1), global([0]))],
    chunkBytes: 1,
    // Decoders list the diagonal block first, so only the encoder's row 0 reads the keys as they are.
    expect: (s) => expect(s.classes[0].buckets.map((b) => [b.allKeys, s.classes[0].stacksPerChunk])).toContainEqual([!s.causal, 1]),
  },
  {
    name: "two classes chunked head by head, heads interleaved",
    patterns: [window(1), blocked, window(1), blocked],
    chunkBytes: 1,
    expect: (s) => expect(s.classes.map((c) => [c.heads, c.stacksPerChunk])).toEqual([[[0, 2], 1], [[1, 3], 1]]),
  },
  { name: "GQA, chunks of one stack", patterns: [bigbird(1, 1, 1, 3)], kvHeads: 2, chunkBytes: 1, expect: (s) => expect([s.classes[0].groupSize, s.classes[0].stacksPerChunk]).toEqual([2, 1]) },
];

describe("block_sparse_attention equals attention with the layout as a mask", () => {
  for (const c of cases) {
    for (const causal of [false, true]) {
      test(`${c.name} (${causal ? "decoder" : "encoder"})`, async () => {
        const heads = c.heads ?? 4;
        const kvHeads = c.kvHeads ?? heads;
        const blockSize = c.blockSize ?? 4;
        const blocks = c.blocks ?? 8;
        const layout = layerLayout({ blockSize, blocks, causal, heads, patterns: c.patterns });
        const graph = pairGraph(layout, heads, kvHeads, c.path, c.chunkBytes);
        if (c.expect) c.expect(scheduleOf(graph.nodes.find((n) => n.op === "block_sparse_attention")!.attrs));
        const session = await ort.InferenceSession.create(emitOnnx(graph));
        try {
          for (let seq = 1; seq <= blocks * blockSize; seq++) {
            const feeds = {
              q: tensor([BATCH, seq, heads * HEAD_DIM], 1 + seq),
              k: tensor([BATCH, seq, kvHeads * HEAD_DIM], 2 + seq),
              v: tensor([BATCH, seq, kvHeads * HEAD_DIM], 3 + seq),
            };
            const out = await session.run(feeds);
            const dense = out.dense.data as Float32Array;
            const sparse = out.sparse.data as Float32Array;
            expect(out.sparse.dims, `seq ${seq}`).toEqual([BATCH, seq, heads * HEAD_DIM]);
            expect(dense.every(Number.isFinite), `dense finite at seq ${seq}`).toBe(true);
            expect(maxAbsDiff(dense, sparse), `seq ${seq}`).toBeLessThanOrEqual(1e-5);
          }
        } finally {
          await session.release();
        }
      });
    }
  }
});

describe("on random layouts", () => {
  test("block_sparse_attention equals the masked dense attention (property, through ONNX Runtime)", async () => {
    const layouts = fc
      .record({ blocks: fc.integer({ min: 1, max: 6 }), blockSize: fc.constantFrom(1, 2, 3), kv: fc.constantFrom(1, 2, 4), causal: fc.boolean(), path: fc.constantFrom("gather", "window"), chunkBytes: fc.constantFrom(undefined, 1, 300) })
      .chain((p) =>
        fc.record({
          p: fc.constant(p),
          rows: fc.array(fc.array(fc.array(fc.boolean(), { minLength: p.blocks, maxLength: p.blocks }), { minLength: p.blocks, maxLength: p.blocks }), { minLength: 1, maxLength: 4 }),
          seq: fc.integer({ min: 1, max: p.blocks * p.blockSize }),
        }),
      );
    await fc.assert(
      fc.asyncProperty(layouts, async ({ p, rows, seq }) => {
        const heads = 4;
        const layout: LayerLayout = {
          blockSize: p.blockSize,
          blocks: p.blocks,
          causal: p.causal,
          heads: Array.from({ length: heads }, (_, h) => ({
            // The diagonal is always kept, so every row of every shorter sequence attends to something.
            keys: rows[h % rows.length].map((bits, i) => bits.flatMap((on, j) => ((on && (!p.causal || j < i)) || j === i ? [j] : []))),
          })),
          patterns: [],
        };
        const session = await ort.InferenceSession.create(emitOnnx(pairGraph(layout, heads, p.kv, p.path as "gather" | "window", p.chunkBytes)));
        try {
          const out = await session.run({
            q: tensor([BATCH, seq, heads * HEAD_DIM], 5),
            k: tensor([BATCH, seq, p.kv * HEAD_DIM], 6),
            v: tensor([BATCH, seq, p.kv * HEAD_DIM], 7),
          });
          expect(maxAbsDiff(out.dense.data as Float32Array, out.sparse.data as Float32Array)).toBeLessThanOrEqual(1e-5);
        } finally {
          await session.release();
        }
      }),
      { numRuns: 60 },
    );
  });
});

/** q, k, v in; `dense` (attention with the layout) and `sparse` (block_sparse_attention) out. */
export function pairGraph(layout: LayerLayout, heads: number, kvHeads: number, path?: "gather" | "window", chunkBytes?: number): Graph {
  const b = new GraphBuilder("pair", { model: "pair", dimBounds: { seq: layout.blocks * layout.blockSize } });
  const q = b.input("q", "float32", ["batch", "seq", heads * HEAD_DIM]);
  const k = b.input("k", "float32", ["batch", "seq", kvHeads * HEAD_DIM]);
  const v = b.input("v", "float32", ["batch", "seq", kvHeads * HEAD_DIM]);
  const attrs = { heads, kvHeads, headDim: HEAD_DIM, causal: layout.causal, ...blockLayoutAttrs(layout) };
  b.withScope("layers.0.attn", () => {
    b.output("dense", b.op("attention", [q, k, v], attrs));
    b.output("sparse", b.op("block_sparse_attention", [q, k, v], { ...attrs, ...(path ? { path } : {}), ...(chunkBytes ? { chunkBytes } : {}) }));
  });
  return b.build();
}

function tensor(shape: number[], seed: number): ort.Tensor {
  let state = seed * 2654435761 >>> 0 || 1;
  const data = new Float32Array(shape.reduce((a, d) => a * d, 1));
  for (let i = 0; i < data.length; i++) {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    data[i] = (state / 2 ** 32) * 4 - 2;
  }
  return new ort.Tensor("float32", data, shape);
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) {
    const d = Math.abs(a[i] - b[i]);
    worst = Number.isNaN(d) ? Infinity : Math.max(worst, d);
  }
  return worst;
}
