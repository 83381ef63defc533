import { canonicalRow, layoutOfRows, type BlockGrid } from "../grid.js";
import type { HeadLayout } from "../layout.js";
import { windowLayout } from "./window.js";

export interface StridedArguments {
  /** The stride S in tokens, a multiple of the block size. */
  readonly stride: number;
}

/**
 * `strided S`, the Sparse Transformer's strided pattern (Child et al. 2019, §4.2): the local band of
 * `window S`, plus every key block a whole number of strides away — query block i attends to j when
 * (i − j) is a multiple of s = S / b. At token level that is "j with (i − j) mod S = 0", exactly:
 * with b dividing S, the tokens S apart lie in blocks s apart. Decoders keep j ≤ i.
 */
export function stridedLayout(grid: BlockGrid, { stride }: StridedArguments): HeadLayout {
  const s = Math.max(1, Math.round(stride / grid.blockSize));
  const local = windowLayout(grid, { size: stride });
  return layoutOfRows(grid, (i) => {
    const candidates = [...local.keys[i]];
    for (let j = i % s; j < grid.blocks; j += s) candidates.push(j);
    return canonicalRow(grid, i, candidates);
  });
}
