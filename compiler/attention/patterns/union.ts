import { layoutOfRows, mergeRows, type BlockGrid } from "../grid.js";
import type { HeadLayout } from "../layout.js";

/** `a + b`: each query block attends to the union of the key blocks of every term. */
export function unionLayouts(grid: BlockGrid, layouts: readonly HeadLayout[]): HeadLayout {
  if (layouts.length === 1) return layouts[0];
  return layoutOfRows(grid, (i) => layouts.reduce<readonly number[]>((row, layout) => mergeRows(row, layout.keys[i]), []));
}
