import type { BlockGrid } from "../grid.js";
import type { HeadLayout } from "../layout.js";
import { globalLayout, type GlobalTokens } from "./global.js";
import { unionLayouts } from "./union.js";
import { windowLayout } from "./window.js";

export interface LongformerArguments {
  /** The sliding window in tokens, as `window W`. */
  readonly window: number;
  /** The global tokens, as `global`; none by default. */
  readonly global?: GlobalTokens;
}

/** `longformer(window W, global [p, …])` (Beltagy et al. 2020): `window W + global [p, …]`. */
export function longformerLayout(grid: BlockGrid, args: LongformerArguments): HeadLayout {
  const window = windowLayout(grid, { size: args.window });
  return args.global ? unionLayouts(grid, [window, globalLayout(grid, args.global)]) : window;
}
