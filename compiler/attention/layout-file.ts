import { didYouMean } from "../../grammar/suggest.js";
import type { AttentionLayouts, LayerLayout } from "./layout.js";
import { ATTENTION_LIMITS } from "./limits.js";

/**
 * The layout file: an explicit block layout per layer and head, as JSON. `layout "FILE.json"` in a
 * spec reads it, learned patterns will write it, and `tfc layout … -o FILE.json` exports a spec's.
 *
 * ```json
 * {
 *   "format": "tfc-attention-layout",
 *   "version": 1,
 *   "blockSize": 64,
 *   "context": 4096,
 *   "source": "optional: what produced the file",
 *   "layers": [
 *     { "layer": 0, "heads": [
 *       { "head": 0, "keys": [[0, 1], [0, 1, 2], …] }
 *     ] }
 *   ]
 * }
 * ```
 *
 * `keys` has one row per query block (context / blockSize of them); row i lists the key blocks query
 * block i attends to, ascending, without repeats. Layers and heads are numbered as in the model; a
 * file may list only some of them. Every problem is reported with a path into the JSON
 * (`layers[0].heads[2].keys[5][3]`), up to MAX_PROBLEMS of them.
 */

export const LAYOUT_FILE_FORMAT = "tfc-attention-layout";
export const LAYOUT_FILE_VERSION = 1;
const MAX_PROBLEMS = 20;
const TOP_KEYS = ["format", "version", "blockSize", "context", "source", "layers"] as const;
const LAYER_KEYS = ["layer", "heads"] as const;
const HEAD_KEYS = ["head", "keys"] as const;

export interface LayoutFileProblem {
  /** Where in the JSON: `blockSize`, `layers[0].heads[2].keys[5][3]`; empty for the whole file. */
  readonly path: string;
  readonly message: string;
}

/** What a layout file holds, for writing. */
export interface LayoutFileData {
  readonly blockSize: number;
  readonly context: number;
  readonly source?: string;
  readonly layers: readonly {
    readonly layer: number;
    readonly heads: readonly { readonly head: number; readonly keys: readonly (readonly number[])[] }[];
  }[];
}

/** A layout file that passed every check. */
export class LayoutFile {
  constructor(
    readonly blockSize: number,
    readonly context: number,
    private readonly table: ReadonlyMap<number, ReadonlyMap<number, readonly (readonly number[])[]>>,
    /** Key-block entries over all layers and heads. */
    readonly entries: number,
    readonly source?: string,
  ) {}

  get blocks(): number {
    return this.context / this.blockSize;
  }

  keysOf(layer: number, head: number): readonly (readonly number[])[] | undefined {
    return this.table.get(layer)?.get(head);
  }

  layerNumbers(): number[] {
    return [...this.table.keys()].sort((a, b) => a - b);
  }

  headNumbers(layer: number): number[] {
    return [...(this.table.get(layer)?.keys() ?? [])].sort((a, b) => a - b);
  }

  toData(): LayoutFileData {
    return {
      blockSize: this.blockSize,
      context: this.context,
      ...(this.source !== undefined ? { source: this.source } : {}),
      layers: this.layerNumbers().map((layer) => ({
        layer,
        heads: this.headNumbers(layer).map((head) => ({ head, keys: this.keysOf(layer, head)! })),
      })),
    };
  }
}

export type LayoutFileResult = { readonly file: LayoutFile } | { readonly problems: readonly LayoutFileProblem[] };

class TooManyProblems extends Error {}

/** Parses and checks a layout file's text. Never throws on bad input. */
export function readLayoutFile(text: string): LayoutFileResult {
  const problems: LayoutFileProblem[] = [];
  const problem = (path: string, message: string): void => {
    problems.push({ path, message });
    if (problems.length >= MAX_PROBLEMS) throw new TooManyProblems();
  };
  try {
    if (text.length > ATTENTION_LIMITS.fileBytes) {
      return { problems: [{ path: "", message: `the file is ${text.length} characters long, above the limit of ${ATTENTION_LIMITS.fileBytes}` }] };
    }
    let json: unknown;
    try {
      json = JSON.parse(text);
    } catch (e) {
      return { problems: [{ path: "", message: `not valid JSON: ${(e as Error).message}` }] };
    }
    const file = readRoot(json, problem);
    return problems.length === 0 && file ? { file } : { problems };
  } catch (e) {
    if (e instanceof TooManyProblems) {
      return { problems: [...problems, { path: "", message: `stopped after ${MAX_PROBLEMS} problems` }] };
    }
    throw e;
  }
}

type Problem = (path: string, message: string) => void;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (Array.isArray(value)) return "an array";
  if (typeof value === "object") return "an object";
  if (typeof value === "string") return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  return String(value);
}

function join(path: string, key: string): string {
  return path === "" ? key : `${path}.${key}`;
}

function checkKeys(value: Record<string, unknown>, known: readonly string[], path: string, problem: Problem): void {
  for (const key of Object.keys(value)) {
    if (known.includes(key)) continue;
    const suggestion = didYouMean(key, known);
    problem(join(path, key), `unknown key ${JSON.stringify(key)}${suggestion ? `; did you mean ${JSON.stringify(suggestion)}?` : ` (expected ${known.map((k) => JSON.stringify(k)).join(", ")})`}`);
  }
}

function wholeNumber(value: unknown, path: string, min: number, max: number, what: string, problem: Problem): number | undefined {
  if (value === undefined) {
    problem(path, `missing ${what}`);
    return undefined;
  }
  if (typeof value !== "number" || !Number.isInteger(value)) {
    problem(path, `${what} must be a whole number, not ${describe(value)}`);
    return undefined;
  }
  if (value < min || value > max) {
    problem(path, `${what} ${value} is outside ${min}..${max}`);
    return undefined;
  }
  return value;
}

function readRoot(json: unknown, problem: Problem): LayoutFile | undefined {
  if (!isObject(json)) {
    problem("", `expected an object with "format": "${LAYOUT_FILE_FORMAT}", not ${describe(json)}`);
    return undefined;
  }
  checkKeys(json, TOP_KEYS, "", problem);
  if (json.format !== LAYOUT_FILE_FORMAT) {
    problem("format", json.format === undefined ? `missing "format": "${LAYOUT_FILE_FORMAT}"` : `expected "${LAYOUT_FILE_FORMAT}", not ${describe(json.format)}`);
  }
  if (json.version !== LAYOUT_FILE_VERSION) {
    problem(
      "version",
      json.version === undefined
        ? `missing "version": ${LAYOUT_FILE_VERSION}`
        : `version ${describe(json.version)} is not supported; this tfc reads version ${LAYOUT_FILE_VERSION}`,
    );
  }
  if (json.source !== undefined && typeof json.source !== "string") problem("source", `"source" must be a string, not ${describe(json.source)}`);
  const context = wholeNumber(json.context, "context", 1, ATTENTION_LIMITS.context, "the context", problem);
  const blockSize = wholeNumber(json.blockSize, "blockSize", 1, context ?? ATTENTION_LIMITS.context, "the block size", problem);
  if (context === undefined || blockSize === undefined) return undefined;
  if (context % blockSize !== 0) {
    problem("blockSize", `the block size ${blockSize} does not divide the context ${context}`);
    return undefined;
  }
  const blocks = context / blockSize;
  if (blocks > ATTENTION_LIMITS.blocks) {
    problem("blockSize", `context / blockSize is ${blocks} blocks, above the limit of ${ATTENTION_LIMITS.blocks}`);
    return undefined;
  }
  if (!Array.isArray(json.layers)) {
    problem("layers", json.layers === undefined ? 'missing "layers"' : `"layers" must be an array, not ${describe(json.layers)}`);
    return undefined;
  }
  if (json.layers.length > ATTENTION_LIMITS.layers) {
    problem("layers", `${json.layers.length} layers, above the limit of ${ATTENTION_LIMITS.layers}`);
    return undefined;
  }
  const table = new Map<number, Map<number, readonly (readonly number[])[]>>();
  const budget = { entries: 0 };
  json.layers.forEach((entry: unknown, index: number) => {
    const path = `layers[${index}]`;
    if (!isObject(entry)) return problem(path, `expected an object with "layer" and "heads", not ${describe(entry)}`);
    checkKeys(entry, LAYER_KEYS, path, problem);
    const layer = wholeNumber(entry.layer, `${path}.layer`, 0, ATTENTION_LIMITS.layers - 1, "the layer number", problem);
    if (layer !== undefined && table.has(layer)) problem(`${path}.layer`, `layer ${layer} is listed twice`);
    const heads = new Map<number, readonly (readonly number[])[]>();
    if (layer !== undefined && !table.has(layer)) table.set(layer, heads);
    if (!Array.isArray(entry.heads)) {
      return problem(`${path}.heads`, entry.heads === undefined ? 'missing "heads"' : `"heads" must be an array, not ${describe(entry.heads)}`);
    }
    if (entry.heads.length > ATTENTION_LIMITS.heads) {
      return problem(`${path}.heads`, `${entry.heads.length} heads, above the limit of ${ATTENTION_LIMITS.heads}`);
    }
    entry.heads.forEach((headEntry: unknown, headIndex: number) => {
      const headPath = `${path}.heads[${headIndex}]`;
      if (!isObject(headEntry)) return problem(headPath, `expected an object with "head" and "keys", not ${describe(headEntry)}`);
      checkKeys(headEntry, HEAD_KEYS, headPath, problem);
      const head = wholeNumber(headEntry.head, `${headPath}.head`, 0, ATTENTION_LIMITS.heads - 1, "the head number", problem);
      if (head !== undefined && heads.has(head)) problem(`${headPath}.head`, `head ${head} of layer ${layer} is listed twice`);
      const keys = readKeys(headEntry.keys, `${headPath}.keys`, blocks, budget, problem);
      if (head !== undefined && keys && !heads.has(head)) heads.set(head, keys);
    });
  });
  return new LayoutFile(blockSize, context, table, budget.entries, json.source as string | undefined);
}

function readKeys(
  value: unknown,
  path: string,
  blocks: number,
  budget: { entries: number },
  problem: Problem,
): readonly (readonly number[])[] | undefined {
  if (!Array.isArray(value)) {
    problem(path, value === undefined ? 'missing "keys"' : `"keys" must be an array of rows, not ${describe(value)}`);
    return undefined;
  }
  if (value.length !== blocks) {
    problem(path, `expected ${blocks} rows (one per query block: context / blockSize), found ${value.length}`);
    return undefined;
  }
  let ok = true;
  value.forEach((row: unknown, i: number) => {
    const rowPath = `${path}[${i}]`;
    if (!Array.isArray(row)) {
      ok = false;
      return problem(rowPath, `a row must be an array of key blocks, not ${describe(row)}`);
    }
    if (row.length > blocks) {
      ok = false;
      return problem(rowPath, `${row.length} key blocks in a row, but there are only ${blocks} blocks`);
    }
    budget.entries += row.length;
    if (budget.entries > ATTENTION_LIMITS.entries) {
      ok = false;
      problem(rowPath, `more than ${ATTENTION_LIMITS.entries} key-block entries in the file, above the limit`);
      throw new TooManyProblems();
    }
    for (let k = 0; k < row.length; k++) {
      const j: unknown = row[k];
      if (typeof j !== "number" || !Number.isInteger(j)) {
        ok = false;
        problem(`${rowPath}[${k}]`, `a key block must be a whole number, not ${describe(j)}`);
      } else if (j < 0 || j >= blocks) {
        ok = false;
        problem(`${rowPath}[${k}]`, `key block ${j} is outside 0..${blocks - 1}`);
      } else if (k > 0 && typeof row[k - 1] === "number" && j <= row[k - 1]) {
        ok = false;
        problem(`${rowPath}[${k}]`, j === row[k - 1] ? `key block ${j} is listed twice` : `key blocks must be ascending: ${j} after ${row[k - 1]}`);
      }
    }
  });
  return ok ? (value as number[][]) : undefined;
}

/** The text of a layout file: valid JSON, one row of key blocks per line. */
export function writeLayoutFile(data: LayoutFileData): string {
  const lines = [
    "{",
    `  "format": "${LAYOUT_FILE_FORMAT}",`,
    `  "version": ${LAYOUT_FILE_VERSION},`,
    `  "blockSize": ${data.blockSize},`,
    `  "context": ${data.context},`,
    ...(data.source !== undefined ? [`  "source": ${JSON.stringify(data.source)},`] : []),
    '  "layers": [',
  ];
  data.layers.forEach((layer, li) => {
    lines.push(`    { "layer": ${layer.layer}, "heads": [`);
    layer.heads.forEach((head, hi) => {
      lines.push(`      { "head": ${head.head}, "keys": [`);
      head.keys.forEach((row, ri) => lines.push(`        [${row.join(", ")}]${ri < head.keys.length - 1 ? "," : ""}`));
      lines.push(`      ] }${hi < layer.heads.length - 1 ? "," : ""}`);
    });
    lines.push(`    ] }${li < data.layers.length - 1 ? "," : ""}`);
  });
  lines.push("  ]", "}", "");
  return lines.join("\n");
}

/**
 * The layout file of some layers of a model (all sparse ones by default). A file has one block
 * size, so the layers chosen must share it; a dense layer is written as dense rows.
 */
export function layoutFileData(
  layers: readonly (LayerLayout | undefined)[] | AttentionLayouts,
  options: { readonly context: number; readonly layers?: readonly number[]; readonly source?: string },
): LayoutFileData | { readonly problem: string } {
  const all = "layers" in layers ? layers.layers : layers;
  const chosen = options.layers ?? all.flatMap((layout, layer) => (layout ? [layer] : []));
  const sizes = new Set(chosen.flatMap((layer) => (all[layer] ? [all[layer]!.blockSize] : [])));
  if (sizes.size > 1) return { problem: `the layers use different block sizes (${[...sizes].join(", ")}); a layout file has one` };
  const missing = chosen.filter((layer) => !all[layer]);
  if (missing.length > 0) return { problem: `layer ${missing[0]} has dense attention and no block layout` };
  const blockSize = [...sizes][0] ?? options.context;
  return {
    blockSize,
    context: options.context,
    ...(options.source !== undefined ? { source: options.source } : {}),
    layers: chosen.map((layer) => ({ layer, heads: all[layer]!.heads.map((head, index) => ({ head: index, keys: head.keys })) })),
  };
}
