import { blockRange, canonicalRow, layoutOfRows, visibleBlocks, type BlockGrid } from "../grid.js";
import type { HeadLayout } from "../layout.js";
import { sampleBlocks, seededRandom } from "../rng.js";

export interface BigBirdArguments {
  /** Window blocks in total: the query block and (w − 1)/2 on each side (encoder), or it and the w − 1 before it (decoder). */
  readonly window: number;
  /** Leading global blocks: blocks 0 … g − 1 are global rows and columns. */
  readonly global: number;
  /** Random key blocks per query block, drawn outside the window and the global blocks. */
  readonly random: number;
  readonly seed: number;
  readonly layer: number;
  readonly head: number;
}

/**
 * `bigbird(block b, window w, global g, random r, seed s)`: BigBird's ITC layout (Zaheer et al.
 * 2020) in blocks. Global blocks attend everywhere; every other query block attends to the global
 * blocks, its window, and r random blocks not already among them, drawn per (seed, layer, head).
 * Decoders keep blocks up to the query's, and draw random blocks from the past only.
 */
export function bigbirdLayout(grid: BlockGrid, args: BigBirdArguments): HeadLayout {
  const n = grid.blocks;
  const globals = blockRange(0, Math.min(args.global, n));
  const all = blockRange(0, n);
  const before = grid.causal ? args.window - 1 : Math.floor((args.window - 1) / 2);
  const after = grid.causal ? 0 : Math.floor((args.window - 1) / 2);
  const random = seededRandom(args.seed, args.layer, args.head);
  return layoutOfRows(grid, (i) => {
    if (i < globals.length) return canonicalRow(grid, i, all);
    const fixed = [...globals, ...blockRange(i - before, Math.min(i + after + 1, n))];
    const drawn = sampleBlocks(random, visibleBlocks(grid, i), args.random, new Set(fixed));
    return canonicalRow(grid, i, [...fixed, ...drawn]);
  });
}
