import { blockRange, canonicalRow, layoutOfRows, type BlockGrid } from "../grid.js";
import type { HeadLayout } from "../layout.js";

/** Which tokens are global: explicit token positions, or the first N blocks. */
export type GlobalTokens = { readonly positions: readonly number[] } | { readonly leadingBlocks: number };

/** The blocks that hold the global tokens, ascending. */
export function globalBlocks(grid: BlockGrid, tokens: GlobalTokens): number[] {
  const blocks =
    "positions" in tokens
      ? tokens.positions.map((p) => Math.floor(p / grid.blockSize))
      : blockRange(0, Math.min(tokens.leadingBlocks, grid.blocks));
  return canonicalRow({ ...grid, causal: false }, 0, blocks);
}

/**
 * `global [p, …]` / `global N`: the blocks holding the global tokens become global columns (every
 * query attends to them) and global rows (they attend to every key). A whole block is global: the
 * other tokens of a global token's block are global too. Decoders keep only the past: a global
 * column serves the queries at or after it, and a global row attends to the blocks up to its own.
 */
export function globalLayout(grid: BlockGrid, tokens: GlobalTokens): HeadLayout {
  const columns = globalBlocks(grid, tokens);
  const rows = new Set(columns);
  const all = blockRange(0, grid.blocks);
  return layoutOfRows(grid, (i) => (rows.has(i) ? canonicalRow(grid, i, all) : canonicalRow(grid, i, columns)));
}
