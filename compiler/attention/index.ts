/**
 * Attention patterns: the canonical block layout, its generators, the validator, the layout file and
 * reports. See docs/attention.md for what each pattern means.
 */
export { headDensity, maxKeysPerRow, type AttentionLayouts, type HeadLayout, type LayerLayout } from "./layout.js";
export { type BlockGrid, visibleBlocks } from "./grid.js";
export { denseLayout, denseLayerLayout } from "./patterns/dense.js";
export { windowLayout, windowReach, type WindowArguments } from "./patterns/window.js";
export { stridedLayout, type StridedArguments } from "./patterns/strided.js";
export { fixedLayout, type FixedArguments } from "./patterns/fixed.js";
export { globalLayout, globalBlocks, type GlobalTokens } from "./patterns/global.js";
export { randomLayout, type RandomArguments } from "./patterns/random.js";
export { bigbirdLayout, type BigBirdArguments } from "./patterns/bigbird.js";
export { longformerLayout, type LongformerArguments } from "./patterns/longformer.js";
export { blockedLayout, type BlockedArguments } from "./patterns/blocked.js";
export { explicitLayout } from "./patterns/explicit.js";
export { unionLayouts } from "./patterns/union.js";
export { seededRandom, sampleBlocks } from "./rng.js";
export { PatternArguments, type ArgumentValue, type LayoutFileArgument } from "./arguments.js";
export { PATTERNS, PATTERN_NAMES, patternDefinition, type PatternDefinition, type Parameter, type ParameterKind } from "./terms.js";
export { DEFAULT_BLOCK_SIZE, defaultBlockSize } from "./block-size.js";
export { ATTENTION_LIMITS } from "./limits.js";
export type { PatternInstance, TermInstance } from "./instance.js";
export { buildAttention, type AttentionRequest } from "./build.js";
export { RowChecker, checkTerm, checkBlockSize, isDenseLayout, type LayerFrame } from "./validate.js";
export {
  LayoutFile,
  readLayoutFile,
  writeLayoutFile,
  layoutFileData,
  LAYOUT_FILE_FORMAT,
  LAYOUT_FILE_VERSION,
  type LayoutFileData,
  type LayoutFileProblem,
  type LayoutFileResult,
} from "./layout-file.js";
export { describeLayer, describeHeads, formatDensity, asciiLayout, type HeadDescription } from "./describe.js";
export { pictureOf, cellOrigin, renderPng, renderSvg, svgRectCount, type Picture, type PictureOptions } from "./picture/index.js";
