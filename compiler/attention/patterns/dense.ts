import { blockRange, type BlockGrid } from "../grid.js";
import type { HeadLayout, LayerLayout } from "../layout.js";

/**
 * `dense`: every query block attends to every key block it may see — all of them in an encoder,
 * those up to its own in a decoder (the diagonal block causal inside). Encoder rows share one array.
 */
export function denseLayout(grid: BlockGrid): HeadLayout {
  if (!grid.causal) {
    const all = blockRange(0, grid.blocks);
    return { keys: new Array<readonly number[]>(grid.blocks).fill(all) };
  }
  return { keys: Array.from({ length: grid.blocks }, (_, i) => blockRange(0, i + 1)) };
}

/**
 * A whole layer of dense heads, for pictures and reports of a layer the spec leaves dense (the
 * spec itself has no layout for such a layer). Block size by the default rule; heads share rows.
 */
export function denseLayerLayout(context: number, heads: number, causal: boolean, blockSize: number): LayerLayout {
  const grid = { blocks: context / blockSize, blockSize, causal };
  const layout = denseLayout(grid);
  return { ...grid, heads: new Array<HeadLayout>(heads).fill(layout), patterns: new Array<string>(heads).fill("dense") };
}
