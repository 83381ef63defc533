import type { PatternArguments } from "./arguments.js";
import type { BlockGrid } from "./grid.js";
import type { HeadLayout } from "./layout.js";
import { bigbirdLayout } from "./patterns/bigbird.js";
import { blockedLayout } from "./patterns/blocked.js";
import { denseLayout } from "./patterns/dense.js";
import { explicitLayout } from "./patterns/explicit.js";
import { fixedLayout } from "./patterns/fixed.js";
import { globalBlocks, globalLayout, type GlobalTokens } from "./patterns/global.js";
import { longformerLayout } from "./patterns/longformer.js";
import { randomLayout } from "./patterns/random.js";
import { stridedLayout } from "./patterns/strided.js";
import { windowLayout, windowReach } from "./patterns/window.js";

/**
 * The attention patterns of the language, as data: each name with its parameters, how it is written,
 * the text reports show, a bound on its size (checked before anything is allocated) and its generator.
 * The checker reads terms against this table; the validator and `tfc layout` use it too.
 */

export type ParameterKind =
  /** A length in tokens that must be a multiple of the block size (`window 256`). */
  | "tokens"
  /** The block size of the layer (`block 64`). */
  | "blockSize"
  /** A whole number ≥ `min` (`dilation 2`, `random 3`). */
  | "count"
  /** A whole number from 0 to 2^53 − 1. */
  | "seed"
  /** `[p, …]` token positions (ranges allowed), or a number of leading blocks. */
  | "global"
  /** A string: a layout file, relative to the spec. */
  | "file";

export interface Parameter {
  readonly name: string;
  readonly kind: ParameterKind;
  /** For messages: "the window size in tokens". */
  readonly what: string;
  /** May be written without its name, in this order among the positional parameters. */
  readonly positional?: boolean;
  readonly required?: boolean;
  readonly default?: number;
  /** Counts: the smallest value allowed (1 unless given). */
  readonly min?: number;
}

/** Where a head sits, for the patterns whose layout depends on it (random draws, layout files). */
export interface HeadPosition {
  readonly layer: number;
  readonly head: number;
}

export interface PatternDefinition {
  readonly name: string;
  /** How it is written, for help texts. */
  readonly syntax: string;
  readonly summary: string;
  readonly parameters: readonly Parameter[];
  /** True when heads with the same arguments still differ (random draws, per-head files). */
  readonly perHead: boolean;
  /** The text reports show, with evaluated numbers: `window 256 dilation 2`. */
  text(args: PatternArguments): string;
  /** An upper bound on the key blocks of one head (before allocating). */
  maxEntries(grid: BlockGrid, args: PatternArguments): number;
  generate(grid: BlockGrid, args: PatternArguments, where: HeadPosition): HeadLayout;
}

const block: Parameter = { name: "block", kind: "blockSize", what: "the block size" };
const seed: Parameter = { name: "seed", kind: "seed", what: "the random seed", default: 0 };

/** Reads a number argument that the checker guarantees (required, or with a default). */
function num(args: PatternArguments, name: string, fallback?: number): number {
  const value = args.number(name) ?? fallback;
  if (value === undefined) throw new Error(`pattern argument \`${name}\` is missing`);
  return value;
}

function withBlock(text: string, args: PatternArguments): string {
  const b = args.number("block");
  return b === undefined ? text : `${text} block ${b}`;
}

/** `[0, 1, 2, 3, 9]` → `[0..3, 9]`. */
export function printPositions(positions: readonly number[]): string {
  const sorted = [...new Set(positions)].sort((a, b) => a - b);
  const parts: string[] = [];
  for (let i = 0; i < sorted.length; ) {
    let j = i;
    while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++;
    parts.push(j - i >= 2 ? `${sorted[i]}..${sorted[j]}` : sorted.slice(i, j + 1).join(", "));
    i = j + 1;
  }
  return `[${parts.join(", ")}]`;
}

function printGlobal(tokens: GlobalTokens): string {
  return "positions" in tokens ? printPositions(tokens.positions) : String(tokens.leadingBlocks);
}

function globalOf(args: PatternArguments, name: string): GlobalTokens {
  const value = args.global(name);
  if (!value) throw new Error(`pattern argument \`${name}\` is missing`);
  return value;
}

const n2 = (grid: BlockGrid) => grid.blocks * grid.blocks;

const definitions: readonly PatternDefinition[] = [
  {
    name: "dense",
    syntax: "dense",
    summary: "every key block (in a decoder, every one up to the query's)",
    parameters: [block],
    perHead: false,
    text: (args) => withBlock("dense", args),
    maxEntries: n2,
    generate: (grid) => denseLayout(grid),
  },
  {
    name: "window",
    syntax: "window SIZE [dilation D] [block B]",
    summary: "a sliding window of SIZE tokens: SIZE/2 on each side in an encoder, the SIZE before the query in a decoder",
    parameters: [
      { name: "size", kind: "tokens", what: "the window size", positional: true, required: true },
      { name: "dilation", kind: "count", what: "the dilation", default: 1 },
      block,
    ],
    perHead: false,
    text: (args) => {
      const d = num(args, "dilation", 1);
      return withBlock(`window ${num(args, "size")}${d !== 1 ? ` dilation ${d}` : ""}`, args);
    },
    maxEntries: (grid, args) => grid.blocks * Math.min(grid.blocks, 2 * windowReach(grid, num(args, "size")) + 1),
    generate: (grid, args) => windowLayout(grid, { size: num(args, "size"), dilation: num(args, "dilation", 1) }),
  },
  {
    name: "strided",
    syntax: "strided STRIDE [block B]",
    summary: "Sparse Transformer strided: a local window of STRIDE tokens plus every key a multiple of STRIDE away",
    parameters: [{ name: "stride", kind: "tokens", what: "the stride", positional: true, required: true }, block],
    perHead: false,
    text: (args) => withBlock(`strided ${num(args, "stride")}`, args),
    maxEntries: (grid, args) => {
      const stride = num(args, "stride");
      const s = Math.max(1, Math.round(stride / grid.blockSize));
      return grid.blocks * Math.min(grid.blocks, 2 * windowReach(grid, stride) + 1 + 2 * Math.ceil(grid.blocks / s));
    },
    generate: (grid, args) => stridedLayout(grid, { stride: num(args, "stride") }),
  },
  {
    name: "fixed",
    syntax: "fixed STRIDE [summary C] [block B]",
    summary: "Sparse Transformer fixed: the query's chunk of STRIDE tokens plus the last C tokens of every chunk",
    parameters: [
      { name: "stride", kind: "tokens", what: "the chunk length", positional: true, required: true },
      { name: "summary", kind: "count", what: "the summary length in tokens" },
      block,
    ],
    perHead: false,
    text: (args) => {
      const c = args.number("summary");
      return withBlock(`fixed ${num(args, "stride")}${c !== undefined ? ` summary ${c}` : ""}`, args);
    },
    maxEntries: (grid, args) => {
      const s = Math.max(1, Math.round(num(args, "stride") / grid.blockSize));
      const m = Math.ceil((args.number("summary") ?? grid.blockSize) / grid.blockSize);
      return grid.blocks * Math.min(grid.blocks, s + m * Math.ceil(grid.blocks / s));
    },
    generate: (grid, args) => fixedLayout(grid, { stride: num(args, "stride"), summary: args.number("summary") }),
  },
  {
    name: "global",
    syntax: "global [P, …] | global N",
    summary: "global tokens: the blocks holding positions P (or the N leading blocks) attend to, and are attended by, every block",
    parameters: [
      { name: "positions", kind: "global", what: "the global token positions `[P, …]` or a number of leading blocks", positional: true, required: true },
      block,
    ],
    perHead: false,
    text: (args) => withBlock(`global ${printGlobal(globalOf(args, "positions"))}`, args),
    maxEntries: (grid, args) => Math.min(n2(grid), 2 * grid.blocks * globalBlocks(grid, globalOf(args, "positions")).length),
    generate: (grid, args) => globalLayout(grid, globalOf(args, "positions")),
  },
  {
    name: "random",
    syntax: "random COUNT [seed S] [block B]",
    summary: "COUNT random key blocks per query block, drawn per (seed, layer, head)",
    parameters: [{ name: "count", kind: "count", what: "the number of random blocks", positional: true, required: true }, seed, block],
    perHead: true,
    text: (args) => withBlock(`random ${num(args, "count")} seed ${num(args, "seed", 0)}`, args),
    maxEntries: (grid, args) => grid.blocks * Math.min(grid.blocks, num(args, "count")),
    generate: (grid, args, where) => randomLayout(grid, { count: num(args, "count"), seed: num(args, "seed", 0), ...where }),
  },
  {
    name: "bigbird",
    syntax: "bigbird(block B, window W, global G, random R, seed S)",
    summary: "BigBird ITC: W window blocks, G leading global blocks and R random blocks per query block",
    parameters: [
      block,
      { name: "window", kind: "count", what: "the number of window blocks", default: 3 },
      { name: "global", kind: "count", what: "the number of leading global blocks", default: 2, min: 0 },
      { name: "random", kind: "count", what: "the number of random blocks", default: 3, min: 0 },
      seed,
    ],
    perHead: true,
    text: (args) => {
      const parts = [
        ...(args.has("block") ? [`block ${num(args, "block")}`] : []),
        `window ${num(args, "window", 3)}`,
        `global ${num(args, "global", 2)}`,
        `random ${num(args, "random", 3)}`,
        `seed ${num(args, "seed", 0)}`,
      ];
      return `bigbird(${parts.join(", ")})`;
    },
    maxEntries: (grid, args) => {
      const g = Math.min(grid.blocks, num(args, "global", 2));
      const perRow = Math.min(grid.blocks, g + num(args, "window", 3) + num(args, "random", 3));
      return Math.min(n2(grid), g * grid.blocks + grid.blocks * perRow);
    },
    generate: (grid, args, where) =>
      bigbirdLayout(grid, {
        window: num(args, "window", 3),
        global: num(args, "global", 2),
        random: num(args, "random", 3),
        seed: num(args, "seed", 0),
        ...where,
      }),
  },
  {
    name: "longformer",
    syntax: "longformer(window W, global [P, …])",
    summary: "Longformer: `window W + global [P, …]`",
    parameters: [
      { name: "window", kind: "tokens", what: "the window size", positional: true, required: true },
      { name: "global", kind: "global", what: "the global token positions `[P, …]` or a number of leading blocks" },
      block,
    ],
    perHead: false,
    text: (args) => {
      const global = args.global("global");
      return withBlock(`longformer(window ${num(args, "window")}${global ? `, global ${printGlobal(global)}` : ""})`, args);
    },
    maxEntries: (grid, args) => {
      const global = args.global("global");
      const g = global ? globalBlocks(grid, global).length : 0;
      return Math.min(n2(grid), grid.blocks * (2 * windowReach(grid, num(args, "window")) + 1) + 2 * grid.blocks * g);
    },
    generate: (grid, args) => longformerLayout(grid, { window: num(args, "window"), global: args.global("global") }),
  },
  {
    name: "blocked",
    syntax: "blocked [SIZE] [block B]",
    summary: "BlockBERT's block-diagonal attention: each query attends to its own chunk of SIZE tokens (default: its block)",
    parameters: [{ name: "size", kind: "tokens", what: "the chunk length", positional: true }, block],
    perHead: false,
    text: (args) => withBlock(args.has("size") ? `blocked ${num(args, "size")}` : "blocked", args),
    maxEntries: (grid, args) => grid.blocks * Math.min(grid.blocks, Math.ceil((args.number("size") ?? grid.blockSize) / grid.blockSize)),
    generate: (grid, args) => blockedLayout(grid, { size: args.number("size") }),
  },
  {
    name: "layout",
    syntax: 'layout "FILE.json"',
    summary: "an explicit block layout per layer and head, from a tfc-attention-layout JSON file",
    parameters: [{ name: "file", kind: "file", what: "the layout file", positional: true, required: true }],
    perHead: true,
    text: (args) => `layout ${JSON.stringify(args.file("file")?.path ?? "")}`,
    maxEntries: (grid, args) => Math.min(n2(grid), args.file("file")?.file.entries ?? n2(grid)),
    generate: (grid, args, where) => {
      const file = args.file("file");
      const keys = file?.file.keysOf(where.layer, where.head);
      if (!keys) throw new Error(`the layout file has no layer ${where.layer}, head ${where.head}`);
      return explicitLayout(grid, keys);
    },
  },
];

export const PATTERNS: ReadonlyMap<string, PatternDefinition> = new Map(definitions.map((definition) => [definition.name, definition]));

export const PATTERN_NAMES: readonly string[] = definitions.map((definition) => definition.name);

export function patternDefinition(name: string): PatternDefinition | undefined {
  return PATTERNS.get(name);
}
