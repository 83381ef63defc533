import { blockRange, canonicalRow, layoutOfRows, type BlockGrid } from "../grid.js";
import type { HeadLayout } from "../layout.js";

export interface BlockedArguments {
  /** The chunk length in tokens, a multiple of the block size (default: one block). */
  readonly size?: number;
}

/**
 * `blocked [S]`, BlockBERT's block-diagonal attention (Qiu et al. 2020) with the identity
 * permutation: the context is cut into chunks of S tokens and a query attends to its own chunk
 * (in a decoder, the part of it up to the query). BlockBERT's shifted permutations are not offered:
 * a query that attends only to another chunk has nothing to attend to at run-time lengths that end
 * before that chunk.
 */
export function blockedLayout(grid: BlockGrid, { size = grid.blockSize }: BlockedArguments = {}): HeadLayout {
  const q = Math.max(1, Math.round(size / grid.blockSize));
  const chunks = new Map<number, number[]>();
  return layoutOfRows(grid, (i) => {
    const start = Math.floor(i / q) * q;
    if (grid.causal) return canonicalRow(grid, i, blockRange(start, Math.min(start + q, grid.blocks)));
    let chunk = chunks.get(start);
    if (!chunk) chunks.set(start, (chunk = blockRange(start, Math.min(start + q, grid.blocks))));
    return chunk;
  });
}
