import { canonicalRow, layoutOfRows, visibleBlocks, type BlockGrid } from "../grid.js";
import type { HeadLayout } from "../layout.js";
import { sampleBlocks, seededRandom } from "../rng.js";

export interface RandomArguments {
  /** Key blocks per query block. */
  readonly count: number;
  /** A whole number, 0 to 2^53 − 1. */
  readonly seed: number;
  /** Where the head sits: each (layer, head) draws its own blocks from the one seed. */
  readonly layer: number;
  readonly head: number;
}

/**
 * `random R [seed s]`: each query block attends to R distinct key blocks drawn uniformly from those
 * it may see (all blocks in an encoder, blocks up to its own in a decoder; all of them when there
 * are fewer than R). The draws are a pure function of (seed, layer, head): deterministic, and
 * different for each head.
 */
export function randomLayout(grid: BlockGrid, { count, seed, layer, head }: RandomArguments): HeadLayout {
  const random = seededRandom(seed, layer, head);
  return layoutOfRows(grid, (i) => canonicalRow(grid, i, sampleBlocks(random, visibleBlocks(grid, i), count)));
}
