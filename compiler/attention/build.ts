import { Codes, error } from "../../grammar/diagnostics.js";
import type { Span } from "../../grammar/span.js";
import { defaultBlockSize } from "./block-size.js";
import type { BlockGrid } from "./grid.js";
import type { PatternInstance } from "./instance.js";
import type { AttentionLayouts, HeadLayout, LayerLayout } from "./layout.js";
import { ATTENTION_LIMITS } from "./limits.js";
import { denseLayout } from "./patterns/dense.js";
import { unionLayouts } from "./patterns/union.js";
import { RowChecker, checkBlockSize, checkTerm, isDenseLayout, type LayerFrame, type ReportDiagnostic } from "./validate.js";

/** What the checker hands over: the model's shape and the pattern chosen for each (layer, head). */
export interface AttentionRequest {
  readonly model: string;
  readonly causal: boolean;
  readonly context: number;
  readonly layers: number;
  readonly heads: number;
  /**
   * patterns[layer][head]. A layer that is undefined has no rule and stays dense (no layout); in a
   * layer with some rule, an undefined head is dense.
   */
  readonly patterns: readonly (readonly (PatternInstance | undefined)[] | undefined)[];
  readonly contextSpan?: Span;
  /** Where the whole attention block is, for problems of the whole (the entry limit). */
  readonly blockSpan: Span;
}

interface LayerPlan {
  readonly frame: LayerFrame;
  readonly patterns: readonly (PatternInstance | undefined)[];
}

/** A pattern that is dense whatever the layout: no pattern, or a union with `dense` in it. */
function isPlainDense(pattern: PatternInstance | undefined): boolean {
  return !pattern || pattern.terms.some((term) => term.definition.name === "dense");
}

/**
 * Turns per-(layer, head) patterns into the canonical layouts: decides each layer's block size,
 * validates every term, checks the size limit before generating, generates (heads with the same
 * pattern share one layout object), then validates the rows. Returns undefined after reporting a
 * problem; `layouts` is undefined when every layer is dense.
 */
export function buildAttention(request: AttentionRequest, report: ReportDiagnostic): { readonly layouts?: AttentionLayouts } | undefined {
  let ok = true;
  const plans: (LayerPlan | undefined)[] = [];
  const conflicts = new Map<string, { first: { size: number; span: Span }; second: { size: number; span: Span }; layers: number[] }>();

  for (let layer = 0; layer < request.layers; layer++) {
    const patterns = request.patterns[layer];
    if (!patterns) {
      plans.push(undefined);
      continue;
    }
    const distinct = [...new Set(patterns.filter((p): p is PatternInstance => p !== undefined))];
    const terms = distinct.flatMap((pattern) => pattern.terms);

    // Block sizes the terms fix, in the order written.
    const fixed: { size: number; span: Span }[] = [];
    for (const term of terms) {
      const block = term.args.number("block");
      if (block !== undefined) fixed.push({ size: block, span: term.args.span("block") ?? term.span });
      const file = term.args.file("file");
      if (file) fixed.push({ size: file.file.blockSize, span: term.args.span("file") ?? term.span });
    }
    const other = fixed.find((entry) => entry.size !== fixed[0]?.size);
    if (other) {
      const key = `${fixed[0].span.start.offset}:${other.span.start.offset}:${fixed[0].size}:${other.size}`;
      const conflict = conflicts.get(key) ?? { first: fixed[0], second: other, layers: [] };
      conflict.layers.push(layer);
      conflicts.set(key, conflict);
      ok = false;
    }
    let blockSize: number;
    let blockSpan: Span | undefined;
    if (fixed.length > 0) {
      blockSize = fixed[0].size;
      blockSpan = fixed[0].span;
      const valid = fixed.every((entry) => checkBlockSize(entry.size, entry.span, request, report));
      if (!valid) {
        ok = false;
        plans.push(undefined);
        continue;
      }
    } else {
      const lengths = terms.flatMap((term) =>
        term.definition.parameters.flatMap((parameter) => {
          const value = parameter.kind === "tokens" ? term.args.number(parameter.name) : undefined;
          return value === undefined ? [] : [value];
        }),
      );
      blockSize = defaultBlockSize(request.context, lengths);
      if (!checkBlockSize(blockSize, distinct[0]?.span ?? request.blockSpan, request, report)) {
        ok = false;
        plans.push(undefined);
        continue;
      }
    }
    const grid: BlockGrid = { blocks: request.context / blockSize, blockSize, causal: request.causal };
    const frame: LayerFrame = { grid, context: request.context, contextSpan: request.contextSpan, blockSpan, model: request.model };
    for (const term of terms) if (!checkTerm(term, frame, report)) ok = false;
    // A layer of dense heads is plain dense attention: no layout to generate, whatever its size.
    plans.push(patterns.every(isPlainDense) ? undefined : { frame, patterns });
  }

  for (const { first, second, layers } of conflicts.values()) {
    report(
      error(
        Codes.ConflictingBlockSizes,
        `${layers.length === 1 ? `layer ${layers[0]} has` : `layers ${describeNumbers(layers)} have`} two block sizes: ${first.size} and ${second.size}`,
        second.span,
        {
          label: `block size ${second.size}`,
          labels: [{ span: first.span, message: `block size ${first.size}` }],
          help: "all heads of a layer share one block size; give every pattern of the layer the same `block`",
        },
      ),
    );
  }

  // Layout files must hold every (layer, head) they are chosen for.
  const missing = new Map<PatternInstance, { layer: number; head: number; count: number; span: Span; path: string }>();
  plans.forEach((plan, layer) =>
    plan?.patterns.forEach((pattern, head) => {
      for (const term of pattern?.terms ?? []) {
        const file = term.args.file("file");
        if (!file || file.file.keysOf(layer, head)) continue;
        const entry = missing.get(pattern!) ?? { layer, head, count: 0, span: term.args.span("file") ?? term.span, path: file.path };
        entry.count++;
        missing.set(pattern!, entry);
      }
    }),
  );
  for (const [pattern, entry] of missing) {
    ok = false;
    report(
      error(Codes.LayoutFileMismatch, `${JSON.stringify(entry.path)} has no layout for layer ${entry.layer}, head ${entry.head}`, entry.span, {
        label: entry.count > 1 ? `missing for ${entry.count} heads` : "no such entry",
        labels: [{ span: pattern.selectorSpan, message: "chosen for the layers and heads selected here" }],
        help: "list every layer and head the rule selects in the file, or narrow the selector to those the file has",
      }),
    );
  }
  if (!ok) return undefined;

  // The size limit, on the bound each pattern gives, before generating anything.
  let entries = 0;
  let largest: { entries: number; span: Span } | undefined;
  const counted = new Set<string>();
  plans.forEach((plan, layer) =>
    plan?.patterns.forEach((pattern, head) => {
      const { grid } = plan.frame;
      const perHead = pattern?.terms.some((term) => term.definition.perHead) ?? false;
      const key = `${pattern ? patternId(pattern) : "dense"}|${grid.blockSize}|${perHead ? `${layer}/${head}` : ""}`;
      if (counted.has(key)) return;
      counted.add(key);
      const bound = pattern
        ? Math.min(grid.blocks * grid.blocks, pattern.terms.reduce((sum, term) => sum + term.definition.maxEntries(grid, term.args), 0))
        : grid.blocks * grid.blocks;
      entries += bound;
      if (pattern && (!largest || bound > largest.entries)) largest = { entries: bound, span: pattern.span };
    }),
  );
  if (entries > ATTENTION_LIMITS.entries) {
    report(
      error(
        Codes.TooLarge,
        `the attention layouts would hold up to ${entries.toLocaleString("en-US")} key-block entries, above the limit of ${ATTENTION_LIMITS.entries.toLocaleString("en-US")}`,
        largest?.span ?? request.blockSpan,
        {
          label: "the largest layout",
          help: "use larger blocks (`block N`), or fewer dense heads, in long contexts",
        },
      ),
    );
    return undefined;
  }

  // Generate. Heads (and layers) with the same pattern and block size share one layout object.
  const shared = new Map<string, HeadLayout>();
  const rows = new RowChecker();
  const layers: (LayerLayout | undefined)[] = plans.map((plan, layer) => {
    if (!plan) return undefined;
    const { grid } = plan.frame;
    const heads: HeadLayout[] = [];
    const texts: string[] = [];
    for (let head = 0; head < request.heads; head++) {
      const pattern = plan.patterns[head];
      const perHead = pattern?.terms.some((term) => term.definition.perHead) ?? false;
      const key = `${pattern ? patternId(pattern) : "dense"}|${grid.blockSize}`;
      let layout = perHead ? undefined : shared.get(key);
      if (!layout) {
        layout = pattern
          ? unionLayouts(grid, pattern.terms.map((term) => term.definition.generate(grid, term.args, { layer, head })))
          : denseLayout(grid);
        if (!perHead) shared.set(key, layout);
      }
      if (pattern) rows.check(layout, grid, { layer, head, pattern });
      heads.push(layout);
      texts.push(pattern?.text ?? "dense");
    }
    if (heads.every((layout) => isDenseLayout(layout, grid))) return undefined;
    return { blockSize: grid.blockSize, blocks: grid.blocks, causal: grid.causal, heads, patterns: texts };
  });
  if (!rows.report((layer) => plans[layer]!.frame.grid, report)) return undefined;
  return layers.some((layout) => layout !== undefined) ? { layouts: { layers } } : {};
}

const ids = new WeakMap<PatternInstance, number>();
function patternId(pattern: PatternInstance): number {
  let id = ids.get(pattern);
  if (id === undefined) ids.set(pattern, (id = nextId++));
  return id;
}
let nextId = 0;

/** [0, 1, 2, 5] → "0..2 and 5". */
function describeNumbers(numbers: readonly number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < numbers.length; ) {
    let j = i;
    while (j + 1 < numbers.length && numbers[j + 1] === numbers[j] + 1) j++;
    parts.push(j > i ? `${numbers[i]}..${numbers[j]}` : String(numbers[i]));
    i = j + 1;
  }
  return parts.length <= 1 ? parts.join("") : `${parts.slice(0, -1).join(", ")} and ${parts[parts.length - 1]}`;
}
