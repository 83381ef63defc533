import type { HeadLayout } from "./layout.js";

/**
 * The block grid a pattern is drawn on: `blocks` query blocks by `blocks` key blocks of `blockSize`
 * tokens each. In a causal grid (decoders) no query block may see a later key block.
 */
export interface BlockGrid {
  /** context / blockSize. */
  readonly blocks: number;
  readonly blockSize: number;
  readonly causal: boolean;
}

/** The number of key blocks query block `row` may see at all: every block, or in a causal grid those up to it. */
export function visibleBlocks(grid: BlockGrid, row: number): number {
  return grid.causal ? row + 1 : grid.blocks;
}

/** [from, to) as an array. */
export function blockRange(from: number, to: number): number[] {
  const row: number[] = [];
  for (let j = Math.max(0, from); j < to; j++) row.push(j);
  return row;
}

/**
 * A row in canonical form: the candidates the grid allows (in range, and not after `row` in a causal
 * grid), ascending, without repeats. Generators collect candidates freely and finish with this.
 */
export function canonicalRow(grid: BlockGrid, row: number, candidates: readonly number[]): number[] {
  const limit = visibleBlocks(grid, row);
  const kept = candidates.filter((j) => j >= 0 && j < limit);
  kept.sort((a, b) => a - b);
  const out: number[] = [];
  for (const j of kept) if (out.length === 0 || out[out.length - 1] !== j) out.push(j);
  return out;
}

/** A head layout with row i given by `rowOf(i)` (already canonical). */
export function layoutOfRows(grid: BlockGrid, rowOf: (row: number) => readonly number[]): HeadLayout {
  const keys: (readonly number[])[] = new Array(grid.blocks);
  for (let i = 0; i < grid.blocks; i++) keys[i] = rowOf(i);
  return { keys };
}

/** The union of two canonical rows, canonical. */
export function mergeRows(a: readonly number[], b: readonly number[]): readonly number[] {
  if (a.length === 0) return b;
  if (b.length === 0) return a;
  const out: number[] = [];
  let i = 0;
  let j = 0;
  while (i < a.length || j < b.length) {
    const next = j >= b.length || (i < a.length && a[i] <= b[j]) ? a[i++] : b[j++];
    if (out.length === 0 || out[out.length - 1] !== next) out.push(next);
  }
  return out;
}

/** Whole blocks needed to cover `tokens` tokens: ⌈tokens / blockSize⌉. */
export function blocksCovering(grid: BlockGrid, tokens: number): number {
  return Math.ceil(tokens / grid.blockSize);
}
