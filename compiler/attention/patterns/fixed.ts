import { blocksCovering, canonicalRow, layoutOfRows, type BlockGrid } from "../grid.js";
import type { HeadLayout } from "../layout.js";

export interface FixedArguments {
  /** The chunk length S in tokens, a multiple of the block size. */
  readonly stride: number;
  /** The summary: the last c tokens of every chunk (default: one block). */
  readonly summary?: number;
}

/**
 * `fixed S [summary c]`, the Sparse Transformer's fixed pattern (Child et al. 2019, §4.2): the context
 * is cut into chunks of S tokens; a query attends to its own chunk and to the summary of every chunk,
 * the blocks holding each chunk's last c tokens (⌈c / b⌉ blocks). Decoders keep blocks up to the query's.
 * When S does not divide the context the last chunk is short and has no summary.
 */
export function fixedLayout(grid: BlockGrid, { stride, summary = grid.blockSize }: FixedArguments): HeadLayout {
  const s = Math.max(1, Math.round(stride / grid.blockSize));
  const m = Math.min(s, Math.max(1, blocksCovering(grid, summary)));
  const n = grid.blocks;
  const summaries: number[] = [];
  for (let end = s; end <= n; end += s) for (let j = end - m; j < end; j++) summaries.push(j);
  return layoutOfRows(grid, (i) => {
    const start = Math.floor(i / s) * s;
    const candidates = [...summaries];
    for (let j = start; j < Math.min(start + s, n); j++) candidates.push(j);
    return canonicalRow(grid, i, candidates);
  });
}
