import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { blockLayoutAttrs, readBlockLayout, type BlockLayout } from "./block-layout.js";
import { blockSparseChunkPeakBytes } from "./block-sparse-attention.js";
import { bucketRows, computedFraction, DEFAULT_SCHEDULE_OPTIONS, describeSchedule, RECOMMENDED_CHUNK_BYTES, scheduleBlockSparse, scheduleCost, windowOffsets } from "./block-sparse-schedule.js";

/** A random layout: each row a non-empty ascending subset (before or at the row when causal). */
const layouts = fc
  .record({ blocks: fc.integer({ min: 1, max: 9 }), heads: fc.constantFrom(1, 2, 4), kvDivisor: fc.constantFrom(1, 2), causal: fc.boolean(), seed: fc.integer() })
  .chain(({ blocks, heads, kvDivisor, causal }) =>
    fc.record({
      layout: fc
        .array(
          fc.array(
            fc.array(fc.boolean(), { minLength: blocks, maxLength: blocks }).map((bits) => bits),
            { minLength: blocks, maxLength: blocks },
          ),
          { minLength: heads > 1 ? 1 : 1, maxLength: heads },
        )
        .map((distinct): BlockLayout => ({
          blockSize: 2,
          blocks,
          causal,
          heads: Array.from({ length: heads }, (_, h) => ({
            keys: distinct[h % distinct.length].map((bits, i) => {
              const row = bits.flatMap((on, j) => (on && (!causal || j <= i) ? [j] : []));
              return row.length > 0 ? row : [i];
            }),
          })),
        })),
      kvHeads: fc.constant(heads % kvDivisor === 0 ? heads / kvDivisor : heads),
    }),
  );

const attrsOf = (layout: BlockLayout, kvHeads: number) => ({
  heads: layout.heads.length,
  kvHeads,
  headDim: 4,
  causal: layout.causal,
  ...blockLayoutAttrs(layout),
});

describe("block layout attributes", () => {
  it("round-trip, sharing equal heads", () => {
    fc.assert(
      fc.property(layouts, ({ layout, kvHeads }) => {
        const read = readBlockLayout("attention", attrsOf(layout, kvHeads))!;
        expect(read.heads.map((h) => h.keys)).toEqual(layout.heads.map((h) => h.keys));
        expect(read.distinct.length).toBe(new Set(layout.heads.map((h) => JSON.stringify(h.keys))).size);
      }),
    );
  });

  it("name what is wrong", () => {
    const base = { heads: 1, kvHeads: 1, headDim: 4, causal: true, blockSize: 2, blockHeads: [0] };
    const read = (extra: object) => () => readBlockLayout("attention", { ...base, ...extra });
    expect(read({ blockOffsets: [0, 1, 1], blockKeys: [0] })).toThrow(/layout 0, query block 1 attends to no key block/);
    expect(read({ blockOffsets: [0, 1, 3], blockKeys: [0, 1, 0] })).toThrow(/key blocks must be ascending/);
    expect(read({ blockOffsets: [0, 2, 3], blockKeys: [0, 1, 1] })).toThrow(/query block 0 reaches key block 1, after it, in a causal layout/);
    expect(read({ blockOffsets: [0, 1, 2], blockKeys: [0, 5] })).toThrow(/key block 5 is outside 0..1/);
    expect(read({ blockOffsets: [0, 1, 2] })).toThrow(/attribute `blockKeys` is missing/);
    expect(read({ blockHeads: [0, 0], blockOffsets: [0, 1, 2], blockKeys: [0, 1] })).toThrow(/blockHeads has 2 entries for 1 heads/);
  });
});

describe("the block-sparse schedule", () => {
  it("computes every listed block exactly once, for every head and row, and nothing else", () => {
    fc.assert(
      fc.property(layouts, fc.boolean(), ({ layout, kvHeads }, windowPath) => {
        const shared = readBlockLayout("attention", attrsOf(layout, kvHeads))!;
        const s = scheduleBlockSparse(shared, { heads: layout.heads.length, kvHeads, headDim: 4 }, { ...DEFAULT_SCHEDULE_OPTIONS, windowPath });
        expect([...s.headOrder].sort((a, b) => a - b)).toEqual(layout.heads.map((_, h) => h));
        for (const c of s.classes) {
          expect(c.kvHeads.length * c.groupSize).toBe(c.heads.length);
          c.heads.forEach((h, k) => expect(c.kvHeads[Math.floor(k / c.groupSize)]).toBe(Math.floor(h / (layout.heads.length / kvHeads))));
          expect(c.buckets.flatMap((b) => b.rows).sort((a, b) => a - b)).toEqual(layout.heads[0].keys.map((_, i) => i));
          for (const bucket of c.buckets) {
            bucket.rows.forEach((i, r) =>
              c.heads.forEach((h, k) => {
                const slots = bucket.keys[c.perHead ? k : 0][r];
                expect(slots).toHaveLength(bucket.width);
                const real = slots.filter((j) => j !== s.blocks).sort((a, b) => a - b);
                expect(real).toEqual(layout.heads[h].keys[i]);
                const diagonal = bucket.diagonal[c.perHead ? k : 0][r];
                expect(diagonal).toBe(layout.causal && layout.heads[h].keys[i].includes(i));
                if (diagonal) expect(slots[c.diagonalSlot]).toBe(i);
              }),
            );
          }
        }
        const fraction = computedFraction(s);
        const listed = layout.heads.reduce((sum, h) => sum + h.keys.reduce((a, row) => a + row.length, 0), 0);
        expect(fraction).toBeGreaterThanOrEqual(listed / (layout.heads.length * s.blocks * s.blocks) - 1e-12);
      }),
    );
  });

  it("splits a few long rows (global tokens) into their own bucket", () => {
    const lengths = [16, ...new Array<number>(15).fill(4)];
    expect(bucketRows(lengths, 4)).toEqual([[0], Array.from({ length: 15 }, (_, i) => i + 1)]);
    expect(bucketRows([9, 9, 10, 9], 4)).toEqual([[0, 1, 2, 3]]); // 7.5% less padding: not worth a bucket
    expect(bucketRows([3, 3, 4, 3], 4)).toEqual([[0, 1, 3], [2]]);
    expect(bucketRows([5], 4)).toEqual([[0]]);
  });

  it("recognizes windows", () => {
    const window = (blocks: number, before: number, after: number) =>
      Array.from({ length: blocks }, (_, i) => Array.from({ length: before + after + 1 }, (_, t) => i - before + t).filter((j) => j >= 0 && j < blocks));
    expect(windowOffsets(window(8, 2, 1), 8)).toEqual([-2, -1, 0, 1]);
    expect(windowOffsets([[0], [1], [2]], 3)).toEqual([0]);
    expect(windowOffsets([[0, 1], [1], [2]], 3)).toBeUndefined();
    // Wider than any row: gathering pads less.
    expect(windowOffsets(window(3, 3, 3), 3)).toBeUndefined();
  });

  it("counts only the rows a shorter sequence has", () => {
    const layout: BlockLayout = { blockSize: 2, blocks: 4, causal: false, heads: [{ keys: [[0, 1, 2, 3], [0, 1], [0, 2], [0, 3]] }] };
    const s = scheduleBlockSparse(readBlockLayout("attention", attrsOf(layout, 1))!, { heads: 1, kvHeads: 1, headDim: 4 });
    expect(s.classes[0].buckets.map((b) => [b.rows, b.width])).toEqual([[[0], 4], [[1, 2, 3], 2]]);
    // Row 0 reads every block: it scores the head-major keys as they are, the (masked) sink block included.
    expect(s.classes[0].buckets.map((b) => b.allKeys)).toEqual([true, false]);
    expect(scheduleCost(s).pairs).toEqual([4 + 1 + 3 * 2]);
    expect(scheduleCost(s, 2).pairs).toEqual([2 + 1 + 2]);
    expect(scheduleCost(s).gatheredBlocks).toEqual([3 * 2]);
    expect(computedFraction(s)).toBe(11 / 16);
  });

  it("chunks the gather path within the byte budget, and never into more than maxChunks chunks", () => {
    // bert-base shape at 4096: a 5-block window and global block 0, 12 heads of 64.
    const blocks = 64;
    const keys = Array.from({ length: blocks }, (_, i) =>
      i === 0 ? Array.from({ length: blocks }, (_, j) => j) : [...new Set([0, ...[-2, -1, 0, 1, 2].map((o) => i + o)])].filter((j) => j >= 0 && j < blocks).sort((a, b) => a - b),
    );
    const layout: BlockLayout = { blockSize: 64, blocks, causal: false, heads: Array.from({ length: 12 }, () => ({ keys })) };
    const shared = readBlockLayout("attention", { ...attrsOf(layout, 12), headDim: 64 })!;
    const chunks = (maxChunks: number, chunkBytes = 2 ** 21) => {
      const [c] = scheduleBlockSparse(shared, { heads: 12, kvHeads: 12, headDim: 64 }, { ...DEFAULT_SCHEDULE_OPTIONS, chunkBytes, maxChunks }).classes;
      return { stacks: c.stacksPerChunk, rows: c.buckets.map((b) => b.rowsPerChunk), count: (12 / c.stacksPerChunk) * c.buckets.reduce((n, b) => n + Math.ceil(b.rows.length / b.rowsPerChunk), 0) };
    };
    // A row of the window bucket holds ~400 KB (6 key and value blocks, scores and probabilities): 2 MiB takes 5 of them.
    expect(chunks(1000)).toEqual({ stacks: 1, rows: [1, 5], count: 12 * (1 + 13) });
    expect(chunks(48)).toEqual({ stacks: 1, rows: [1, 21], count: 48 });
    expect(chunks(24).count).toBeLessThanOrEqual(24);
    // Chunks that would have to exceed 8× the budget stay in cache no better than the whole class: not chunked.
    expect(chunks(12)).toEqual({ stacks: 12, rows: [1, 63], count: 2 });
    expect(chunks(1, 2 ** 40)).toEqual({ stacks: 12, rows: [1, 63], count: 2 });
    const describe = (chunkBytes: number) => describeSchedule(scheduleBlockSparse(shared, { heads: 12, kvHeads: 12, headDim: 64 }, { ...DEFAULT_SCHEDULE_OPTIONS, chunkBytes }));
    // The recommended budget: one head per chunk, its window rows in three or so chunks.
    expect(chunks(48, RECOMMENDED_CHUNK_BYTES).stacks).toBe(1);
    expect(describe(RECOMMENDED_CHUNK_BYTES)).toBe("all heads: gather, rows×keys 1×64 + 63×6, in 48 chunks");
    expect(describe(DEFAULT_SCHEDULE_OPTIONS.chunkBytes)).toBe("all heads: gather, rows×keys 1×64 + 63×6"); // off by default
  });
});

describe("the block-sparse node's peak memory", () => {
  it("is its largest chunk: one head's rows when chunked, the whole bucket when not", () => {
    const blocks = 64;
    const keys = Array.from({ length: blocks }, (_, i) =>
      i === 0 ? Array.from({ length: blocks }, (_, j) => j) : [...new Set([0, ...[-2, -1, 0, 1, 2].map((o) => i + o)])].filter((j) => j >= 0 && j < blocks).sort((a, b) => a - b),
    );
    const layout: BlockLayout = { blockSize: 64, blocks, causal: false, heads: Array.from({ length: 12 }, () => ({ keys })) };
    const attrs = (chunkBytes: number) => ({ ...attrsOf(layout, 12), headDim: 64, chunkBytes });
    // Unchunked: the 63 window rows of all 12 heads, each row 6 blocks of scores, keys and values, and its queries.
    const row = 4 * (64 * 6 * 64 + 6 * 64 * 129 + 64 * 65);
    expect(blockSparseChunkPeakBytes(attrs(2 ** 40), 4096)).toBe(12 * 63 * row);
    // Chunked: at most the budget (grown to fit 48 chunks), far below the whole node.
    const chunked = blockSparseChunkPeakBytes(attrs(RECOMMENDED_CHUNK_BYTES), 4096);
    expect(chunked).toBeLessThanOrEqual(2 * RECOMMENDED_CHUNK_BYTES);
    expect(chunked).toBeLessThan((12 * 63 * row) / 20);
    // A shorter sequence has fewer rows.
    expect(blockSparseChunkPeakBytes(attrs(2 ** 40), 1024)).toBe(12 * 15 * row);
  });
});
