import type { BlockGrid } from "../grid.js";
import type { HeadLayout } from "../layout.js";

/**
 * `layout "FILE.json"`: the key blocks of one (layer, head) exactly as the file lists them (see
 * ../layout-file.ts). Nothing is added or clipped; the validator reports rows that break the rules.
 */
export function explicitLayout(grid: BlockGrid, keys: readonly (readonly number[])[]): HeadLayout {
  if (keys.length !== grid.blocks) throw new RangeError(`an explicit layout needs ${grid.blocks} rows, got ${keys.length}`);
  return { keys };
}
