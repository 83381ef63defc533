import type { Directive } from "../../../grammar/ast.js";
import { Codes, error } from "../../../grammar/diagnostics.js";
import type { Span } from "../../../grammar/span.js";
import { selectIndices } from "../attention/resolve.js";
import { listOf, quote } from "../format.js";
import type { DirectiveContext } from "./context.js";
import { DirectiveWords } from "./words.js";

/**
 * `prune …`: what the prune passes do (passes/prune-*.ts).
 *
 *   prune heads P% by l1|l2 [per_layer|global]   structured: drop the heads with the smallest norm
 *   prune heads layers L [h, …] (layers L [h, …])*  structured: drop these heads of these layers
 *   prune ffn P% by l1|l2 [per_layer|global]     structured: drop FFN neurons
 *   prune layers [l, …]                          structured: drop whole layers
 *   prune weights P% magnitude [per_layer|global] unstructured: zero the smallest weights
 */
export type ImportanceNorm = "l1" | "l2";
export type PruneScope = "per_layer" | "global";

export type PruneDirective =
  | {
      readonly kind: "prune";
      readonly part: "heads" | "ffn";
      readonly fraction: number;
      readonly norm: ImportanceNorm;
      readonly scope: PruneScope;
      readonly span: Span;
    }
  | {
      readonly kind: "prune";
      readonly part: "heads";
      /** layer → query heads to remove, ascending. */
      readonly explicit: ReadonlyMap<number, readonly number[]>;
      readonly span: Span;
    }
  | { readonly kind: "prune"; readonly part: "layers"; readonly layers: readonly number[]; readonly span: Span }
  | { readonly kind: "prune"; readonly part: "weights"; readonly fraction: number; readonly scope: PruneScope; readonly span: Span };

export const PRUNE_PARTS = ["heads", "ffn", "layers", "weights"] as const;
const NORMS = ["l1", "l2"] as const;
const SCOPES = ["per_layer", "global"] as const;

const EXAMPLES = {
  heads: "prune heads 25% by l2",
  explicitHeads: "prune heads layers 3 [0, 5]",
  ffn: "prune ffn 50% by l2",
  layers: "prune layers [10, 11]",
  weights: "prune weights 80% magnitude",
} as const;

export function readPrune(directive: Directive, context: DirectiveContext): PruneDirective | undefined {
  const words = new DirectiveWords(directive, context, "`prune`");
  const part = words.word(PRUNE_PARTS, "what to prune", EXAMPLES.heads);
  if (!part) return undefined;
  words.setUsage(`\`prune ${part.word}\``);
  const { model } = context;
  const span = directive.span;
  const selector = (noun: "layer" | "head", count: number, value: NonNullable<ReturnType<typeof words.selector>>) =>
    selectIndices(value, count, noun, { model: model.name, number: context.number, report: context.report });

  switch (part.word) {
    case "heads": {
      if (words.peek()?.kind === "Name" && words.optionalWord(["layers"] as const)) return readExplicitHeads(words, context, span, selector);
      const fraction = words.percent("the share of heads to prune", EXAMPLES.heads);
      const norm = readNorm(words, EXAMPLES.heads);
      const scope = words.optionalWord(SCOPES)?.word ?? "per_layer";
      if (fraction === undefined || !norm || !words.end(EXAMPLES.heads)) return undefined;
      if (!checkHeadShare(fraction.fraction, scope, fraction.span, context)) return undefined;
      return { kind: "prune", part: "heads", fraction: fraction.fraction, norm, scope, span };
    }
    case "ffn": {
      const fraction = words.percent("the share of FFN neurons to prune", EXAMPLES.ffn);
      const norm = readNorm(words, EXAMPLES.ffn);
      const scope = words.optionalWord(SCOPES)?.word ?? "per_layer";
      if (fraction === undefined || !norm || !words.end(EXAMPLES.ffn)) return undefined;
      const removed = Math.round(fraction.fraction * model.ffnSize);
      if (scope === "per_layer" && removed < 1) {
        context.report(
          error(Codes.OutOfRange, `${percentText(fraction.fraction)} of ${model.ffnSize} FFN neurons rounds to none`, fraction.span, {
            label: "prunes nothing",
            help: `each layer has ${model.ffnSize} neurons; pick at least ${Math.ceil((50 / model.ffnSize) * 100) / 100}%`,
          }),
        );
        return undefined;
      }
      return { kind: "prune", part: "ffn", fraction: fraction.fraction, norm, scope, span };
    }
    case "layers": {
      const value = words.selector("the layers to remove", EXAMPLES.layers);
      if (!value || !words.end(EXAMPLES.layers)) return undefined;
      const layers = selector("layer", model.layers, value);
      if (!layers) return undefined;
      if (layers.length >= model.layers) {
        context.report(
          error(Codes.OutOfRange, `this removes all ${model.layers} layers of ${quote(model.name)}`, value.span, {
            label: "every layer",
            help: "keep at least one layer",
          }),
        );
        return undefined;
      }
      return { kind: "prune", part: "layers", layers, span };
    }
    case "weights": {
      const fraction = words.percent("the sparsity", EXAMPLES.weights);
      words.word(["magnitude"] as const, "how weights are chosen", EXAMPLES.weights);
      const scope = words.optionalWord(SCOPES)?.word ?? "per_layer";
      if (fraction === undefined || !words.end(EXAMPLES.weights)) return undefined;
      return { kind: "prune", part: "weights", fraction: fraction.fraction, scope, span };
    }
  }
}

function readNorm(words: DirectiveWords, example: string): ImportanceNorm | undefined {
  if (!words.word(["by"] as const, "`by` and a norm", example)) return undefined;
  return words.word(NORMS, "the norm that ranks importance", example)?.word;
}

/** With grouped-query attention, every kv group must lose the same number of query heads (docs/optimize.md). */
function checkHeadShare(fraction: number, scope: "per_layer" | "global", span: Span, context: DirectiveContext): boolean {
  const { heads, kvHeads, layers } = context.model;
  // Multi-head attention: one selection group of all heads; GQA: the kv groups (passes/prune-heads.ts).
  const group = heads === kvHeads ? heads : heads / kvHeads;
  const perGroup = Math.round(fraction * group);
  const total = scope === "global" ? Math.round(fraction * heads * layers) : perGroup * (heads / group);
  const problem =
    total < 1
      ? `${percentText(fraction)} of ${scope === "global" ? `${heads * layers} heads` : group === heads ? `${heads} heads` : `the ${group} query heads of each kv group`} rounds to none`
      : scope === "per_layer" && perGroup >= group
        ? `${percentText(fraction)} removes every head of ${group === heads ? "a layer" : "a kv group"}`
        : undefined;
  if (!problem) return true;
  context.report(
    error(Codes.OutOfRange, problem, span, {
      label: total < 1 ? "prunes nothing" : "prunes everything",
      help:
        group < heads
          ? `with kv_heads ${kvHeads}, query heads are pruned evenly within each kv group of ${group}; pick a share that leaves between 1 and ${group - 1} of ${group}`
          : `each layer has ${heads} heads; pick a share that removes between 1 and ${heads - 1}`,
    }),
  );
  return false;
}

function readExplicitHeads(
  words: DirectiveWords,
  context: DirectiveContext,
  span: Span,
  selector: (noun: "layer" | "head", count: number, value: NonNullable<ReturnType<DirectiveWords["selector"]>>) => number[] | undefined,
): PruneDirective | undefined {
  const { model } = context;
  const explicit = new Map<number, number[]>();
  do {
    const layersValue = words.selector("the layers", EXAMPLES.explicitHeads);
    const headsValue = words.selector("the heads to remove", EXAMPLES.explicitHeads);
    if (!layersValue || !headsValue) return undefined;
    const layers = selector("layer", model.layers, layersValue);
    const heads = selector("head", model.heads, headsValue);
    if (!layers || !heads) return undefined;
    for (const layer of layers) {
      const merged = [...new Set([...(explicit.get(layer) ?? []), ...heads])].sort((a, b) => a - b);
      explicit.set(layer, merged);
      if (!checkExplicitGroups(layer, merged, headsValue.span, context)) return undefined;
    }
  } while (words.optionalWord(["layers"] as const));
  if (!words.end(EXAMPLES.explicitHeads)) return undefined;
  return { kind: "prune", part: "heads", explicit: new Map([...explicit].sort(([a], [b]) => a - b)), span };
}

function checkExplicitGroups(layer: number, removed: readonly number[], span: Span, context: DirectiveContext): boolean {
  const { heads, kvHeads } = context.model;
  const group = heads / kvHeads;
  if (removed.length >= heads) {
    context.report(error(Codes.OutOfRange, `this removes every head of layer ${layer}`, span, { label: "every head", help: "keep at least one head per layer, or remove the layer: `prune layers [L]`" }));
    return false;
  }
  if (group === 1) return true;
  const perGroup = Array.from({ length: kvHeads }, (_, g) => removed.filter((h) => Math.floor(h / group) === g).length);
  if (perGroup.every((n) => n === perGroup[0])) return true;
  context.report(
    error(Codes.IncompatibleOption, `layer ${layer} would lose ${listOf(perGroup.map((n, g) => `${n} from kv group ${g}`))}`, span, {
      label: "uneven across kv groups",
      help: `with kv_heads ${kvHeads}, query heads ${group}·g … ${group}·g+${group - 1} share kv head g; remove the same number of heads from every group so the layer stays grouped-query attention`,
    }),
  );
  return false;
}

function percentText(fraction: number): string {
  return `${Number((fraction * 100).toPrecision(6))}%`;
}
