import { layoutOfRows, type BlockGrid } from "../grid.js";
import type { HeadLayout } from "../layout.js";

export interface WindowArguments {
  /** The window in tokens: W in total, ⌊W/2⌋ on each side in an encoder, the W before the query in a decoder. */
  readonly size: number;
  /** Keep every d-th block of a window d times as wide (1: no gaps). */
  readonly dilation?: number;
}

/**
 * Key blocks on each side of the query block (encoder), or before it (decoder): the smallest band
 * of blocks that holds the token-level window of every query in the block.
 *
 * A query at token t sees t − ⌊W/2⌋ … t + ⌊W/2⌋ in an encoder; over a block of b queries that touches
 * ⌈⌊W/2⌋ / b⌉ blocks on each side. In a decoder it sees t − W … t: ⌈W / b⌉ blocks back.
 */
export function windowReach(grid: BlockGrid, size: number): number {
  return grid.causal ? Math.ceil(size / grid.blockSize) : Math.ceil(Math.floor(size / 2) / grid.blockSize);
}

/**
 * `window W [dilation d]`, Longformer's sliding window at block granularity: query block i attends
 * to i + k·d for k in −h…h (encoder) or to i − k·d for k in 0…h (decoder), h = windowReach(W).
 */
export function windowLayout(grid: BlockGrid, { size, dilation = 1 }: WindowArguments): HeadLayout {
  const h = windowReach(grid, size);
  const d = Math.max(1, dilation);
  const n = grid.blocks;
  return layoutOfRows(grid, (i) => {
    const row: number[] = [];
    const lowest = Math.max(-h, -Math.floor(i / d));
    const highest = grid.causal ? 0 : Math.min(h, Math.floor((n - 1 - i) / d));
    for (let k = lowest; k <= highest; k++) row.push(i + k * d);
    return row;
  });
}
