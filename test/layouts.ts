import type { HeadLayout, LayerLayout } from "../compiler/attention/layout.js";

/**
 * Hand-made block layouts for tests of the lowering, written straight from the papers' definitions
 * so these tests do not depend on the pattern generators. A pattern maps (blocks, causal) to each
 * query block's key blocks; `+` is a union.
 */
export type Pattern = (blocks: number, causal: boolean) => Set<number>[];

const rowsOf = (blocks: number, f: (i: number, add: (j: number) => void) => void): Set<number>[] =>
  Array.from({ length: blocks }, (_, i) => {
    const row = new Set<number>();
    f(i, (j) => {
      if (j >= 0 && j < blocks) row.add(j);
    });
    return row;
  });

/** Sliding window of `w` blocks each side (before only, when causal), every `dilation`-th block. */
export const window = (w: number, dilation = 1): Pattern => (blocks, causal) =>
  rowsOf(blocks, (i, add) => {
    for (let t = -w; t <= (causal ? 0 : w); t++) add(i + t * dilation);
  });

/** Sparse Transformer "strided": the previous `stride` blocks, and every block a multiple of `stride` back. */
export const strided = (stride: number): Pattern => (blocks, causal) =>
  rowsOf(blocks, (i, add) => {
    for (let j = 0; j < blocks; j++) {
      const d = i - j;
      if ((Math.abs(d) < stride || d % stride === 0) && (!causal || d >= 0)) add(j);
    }
  });

/** Sparse Transformer "fixed": the query's chunk of `stride` blocks, and the last `summary` blocks of every chunk. */
export const fixed = (stride: number, summary: number): Pattern => (blocks, causal) =>
  rowsOf(blocks, (i, add) => {
    for (let j = 0; j < blocks; j++) {
      if (causal && j > i) continue;
      if (Math.floor(j / stride) === Math.floor(i / stride) || j % stride >= stride - summary) add(j);
    }
  });

/** Global blocks: they attend everywhere (up to themselves when causal) and every block attends them. */
export const global = (list: readonly number[]): Pattern => (blocks, causal) =>
  rowsOf(blocks, (i, add) => {
    for (let j = 0; j < blocks; j++) {
      if (causal && j > i) continue;
      if (list.includes(i) || list.includes(j)) add(j);
    }
  });

/** `count` distinct random key blocks per query block other than its own (seeded; before it when causal). */
export const random = (count: number, seed: number): Pattern => (blocks, causal) => {
  let state = seed >>> 0 || 1;
  const next = () => {
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state;
  };
  return rowsOf(blocks, (i, add) => {
    const candidates = Array.from({ length: causal ? i : blocks }, (_, j) => j).filter((j) => j !== i);
    for (let k = 0; k < count && candidates.length > 0; k++) add(candidates.splice(next() % candidates.length, 1)[0]);
  });
};

/** BlockBERT: each block attends to itself. */
export const blocked: Pattern = (blocks) => rowsOf(blocks, (i, add) => add(i));

export const union = (...patterns: Pattern[]): Pattern => (blocks, causal) => {
  const rows = rowsOf(blocks, () => {});
  for (const p of patterns) p(blocks, causal).forEach((row, i) => row.forEach((j) => rows[i].add(j)));
  return rows;
};

/** BigBird: a window, global blocks at the start, random blocks. */
export const bigbird = (w: number, globals: number, randoms: number, seed: number): Pattern =>
  union(window(w), global(Array.from({ length: globals }, (_, i) => i)), random(randoms, seed));

/** A layer's layout with one pattern per head (`patterns.length` must be 1 or the head count). */
export function layerLayout(options: { blockSize: number; blocks: number; causal: boolean; heads: number; patterns: readonly Pattern[]; names?: readonly string[] }): LayerLayout {
  const { blockSize, blocks, causal, heads, patterns } = options;
  const headLayouts: HeadLayout[] = Array.from({ length: heads }, (_, h) => {
    const rows = patterns[patterns.length === 1 ? 0 : h](blocks, causal);
    return { keys: rows.map((row) => [...row].sort((a, b) => a - b)) };
  });
  return {
    blockSize,
    blocks,
    causal,
    heads: headLayouts,
    patterns: Array.from({ length: heads }, (_, h) => options.names?.[options.names.length === 1 ? 0 : h] ?? "hand-made"),
  };
}
