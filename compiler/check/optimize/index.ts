import { DIRECTIVE_NAMES, type Directive, type OptimizeBlock } from "../../../grammar/ast.js";
import { Codes, error } from "../../../grammar/diagnostics.js";
import type { Span } from "../../../grammar/span.js";
import { listOf, quote } from "../format.js";
import type { Report } from "../report.js";
import { didYouMean } from "../suggest.js";
import type { DirectiveContext, DirectiveReader } from "./context.js";
import { readPrune, type PruneDirective } from "./prune.js";
import { readQuantize, type QuantizeDirective } from "./quantize.js";
import { readShare, type ShareDirective } from "./share.js";

export type { DirectiveContext, ModelShape } from "./context.js";
export type { PruneDirective } from "./prune.js";
export type { QuantizeDirective } from "./quantize.js";
export type { ShareDirective } from "./share.js";

/** One checked directive of an `optimize` block; the block's directives run in the order written. */
export type OptimizeDirective = ShareDirective | PruneDirective | QuantizeDirective;

type DirectiveName = (typeof DIRECTIVE_NAMES)[number];

const READERS: Readonly<Record<Exclude<DirectiveName, "recompute">, DirectiveReader<OptimizeDirective>>> = {
  share: readShare,
  prune: readPrune,
  quantize: readQuantize,
};

/**
 * Checks an `optimize` block against its model: each directive by its reader, then the rules
 * between directives. Returns the directives in the order written, or undefined after reporting.
 * Without a model (its fields did not resolve) only the directive names are checked.
 */
export function readOptimizeBlock(
  block: OptimizeBlock,
  context: Omit<DirectiveContext, "model"> & { readonly model?: DirectiveContext["model"] },
): readonly OptimizeDirective[] | undefined {
  const directives: OptimizeDirective[] = [];
  let ok = true;
  for (const written of block.directives) {
    const directive = cutAtMisspelledDirective(written, context.report);
    if (directive !== written) ok = false;
    const name = directive.name.name;
    if (name === "recompute") {
      context.report(
        error(Codes.NotSupportedYet, "`recompute` is not supported yet", directive.span, {
          label: "not supported yet",
          help: "tfc compiles inference graphs today; recomputation schedules come with training, which is planned",
        }),
      );
      ok = false;
      continue;
    }
    if (!(name in READERS)) {
      reportUnknownDirective(name, directive.name.span, context.report);
      ok = false;
      continue;
    }
    // Without a resolved model (its fields have errors) only the directive names are checked.
    const { model } = context;
    if (!model) {
      ok = false;
      continue;
    }
    const read = READERS[name as keyof typeof READERS](directive, { ...context, model });
    if (read) directives.push(read);
    else ok = false;
  }
  if (!ok || !checkCombinations(directives, context.report) || !checkRemovedLayers(directives, context.model?.layers ?? 0, context.report)) return undefined;
  return directives;
}

/**
 * The parser starts a new directive only at a known name, so a misspelled one (`prnue ffn 30%`)
 * arrives as values of the directive before it: report it, and read the directive without them.
 */
function cutAtMisspelledDirective(directive: Directive, report: Report): Directive {
  const at = directive.values.findIndex((value) => value.kind === "Name" && didYouMean(value.name, DIRECTIVE_NAMES) !== undefined);
  if (at < 0) return directive;
  const value = directive.values[at];
  if (value.kind === "Name") reportUnknownDirective(value.name, value.span, report);
  const values = directive.values.slice(0, at);
  const end = values.length > 0 ? values[values.length - 1].span.end : directive.name.span.end;
  return { ...directive, values, span: { ...directive.span, end } };
}

function reportUnknownDirective(name: string, span: Span, report: Report): void {
  const suggestion = didYouMean(name, DIRECTIVE_NAMES);
  report(
    error(Codes.UnknownKeyword, `unknown optimization ${quote(name)}`, span, {
      label: "not an optimization",
      help: suggestion ? `did you mean ${quote(suggestion)}?` : `an \`optimize\` block holds ${listOf(DIRECTIVE_NAMES.map(quote), "or")} directives`,
      fix: suggestion ? { span, replacement: suggestion } : undefined,
    }),
  );
}

/** What one directive touches, for the rules between directives. */
function touches(directive: OptimizeDirective): string[] {
  if (directive.kind === "share") {
    if (directive.part === "embeddings") return [`embeddings.${directive.mode}`];
    return directive.part === "layers" ? ["attention", "ffn"] : [directive.part === "attn" ? "attention" : "ffn"];
  }
  if (directive.kind === "prune") {
    if (directive.part === "heads") return ["attention"];
    if (directive.part === "ffn") return ["ffn"];
  }
  return [];
}

/**
 * Rules between directives: a part is shared once; structured pruning and cross-layer sharing of the
 * same part do not mix (pruned layers differ in shape or in which rows survive, so there is no one
 * tensor to share); `tied` comes before `factorized`, which then ties through the projection.
 */
function checkCombinations(directives: readonly OptimizeDirective[], report: Report): boolean {
  let ok = true;
  const shared = new Map<string, OptimizeDirective>();
  const pruned = new Map<string, OptimizeDirective>();
  for (const directive of directives) {
    for (const part of touches(directive)) {
      if (directive.kind === "share") {
        const first = shared.get(part) ?? pruned.get(part);
        if (first) {
          ok = false;
          const again = first.kind === "share";
          report(
            error(Codes.IncompatibleOption, again ? `the ${partName(part)} are already shared` : `the ${partName(part)} are pruned above; pruned layers cannot share one tensor`, directive.span, {
              label: again ? "shared twice" : "shares pruned weights",
              labels: [{ span: first.span, message: again ? "first shared here" : "pruned here" }],
              help: again ? "keep one `share` directive per part (`share layers` covers attention and ffn)" : "sharing and structured pruning of the same part do not combine; keep one of them",
            }),
          );
          break;
        }
        shared.set(part, directive);
      } else {
        const first = shared.get(part);
        if (first && part !== "embeddings.tied" && part !== "embeddings.factorized") {
          ok = false;
          report(
            error(Codes.IncompatibleOption, `the ${partName(part)} are shared above; structured pruning of shared weights is not supported`, directive.span, {
              label: "prunes shared weights",
              labels: [{ span: first.span, message: "shared here" }],
              help: "sharing and structured pruning of the same part do not combine; keep one of them",
            }),
          );
          break;
        }
        pruned.set(part, directive);
      }
    }
    if (directive.kind === "share" && directive.part === "embeddings" && directive.mode === "tied" && shared.has("embeddings.factorized")) {
      ok = false;
      report(
        error(Codes.IncompatibleOption, "`share embeddings tied` must come before `share embeddings factorized`", directive.span, {
          label: "after factorizing",
          labels: [{ span: shared.get("embeddings.factorized")!.span, message: "factorized here" }],
          help: "write `share embeddings tied` first: the factorized table then ties through its projection",
        }),
      );
    }
  }
  return ok;
}

/** Layers removed by `prune layers` are gone for the directives after it, and one layer must stay. */
function checkRemovedLayers(directives: readonly OptimizeDirective[], layers: number, report: Report): boolean {
  const removed = new Map<number, OptimizeDirective>();
  for (const directive of directives) {
    if (directive.kind !== "prune") continue;
    if (directive.part === "layers") {
      for (const layer of directive.layers) if (!removed.has(layer)) removed.set(layer, directive);
      if (removed.size >= layers) {
        report(
          error(Codes.OutOfRange, `together the \`prune layers\` directives remove all ${layers} layers`, directive.span, {
            label: "no layer left",
            help: "keep at least one layer",
          }),
        );
        return false;
      }
    } else if (directive.part === "heads" && "explicit" in directive) {
      const gone = [...directive.explicit.keys()].filter((layer) => removed.has(layer));
      if (gone.length > 0) {
        report(
          error(Codes.IncompatibleOption, `layer ${gone[0]} is removed above, so its heads cannot be pruned`, directive.span, {
            label: `layer ${gone[0]} is gone`,
            labels: [{ span: removed.get(gone[0])!.span, message: "removed here" }],
            help: "drop the layer from this directive, or prune its heads before removing other layers",
          }),
        );
        return false;
      }
    }
  }
  return true;
}

function partName(part: string): string {
  return part === "attention" ? "attention weights" : part === "ffn" ? "FFN weights" : part === "embeddings.tied" ? "embeddings (tied)" : "embeddings (factorized)";
}
