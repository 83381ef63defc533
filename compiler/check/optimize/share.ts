import type { Directive } from "../../../grammar/ast.js";
import { Codes, error } from "../../../grammar/diagnostics.js";
import type { Span } from "../../../grammar/span.js";
import { quote } from "../format.js";
import type { DirectiveContext } from "./context.js";
import { DirectiveWords } from "./words.js";

/**
 * `share …`: what the share passes do (passes/share-*.ts).
 *
 *   share layers|attn|ffn all                every layer uses layer 0's weights (of that part)
 *   share layers|attn|ffn groups of K  layers 0..K-1 use layer 0's, K..2K-1 layer K's, …
 *   share embeddings tied                   the LM head reads the token embedding, transposed
 *   share embeddings factorized E           ALBERT: tokens [vocab, E] and a projection [E, width]
 */
export type SharedPart = "layers" | "attn" | "ffn";

export type ShareDirective =
  | {
      readonly kind: "share";
      readonly part: SharedPart;
      /** Layers per group; `all` is the model's layer count. */
      readonly groupSize: number;
      readonly all: boolean;
      readonly span: Span;
    }
  | { readonly kind: "share"; readonly part: "embeddings"; readonly mode: "tied"; readonly span: Span }
  | { readonly kind: "share"; readonly part: "embeddings"; readonly mode: "factorized"; readonly size: number; readonly span: Span };

// `attention` is a keyword (it opens an attention block), so the attention part is `attn`.
export const SHARE_PARTS = ["layers", "attn", "ffn", "embeddings"] as const;
const GROUPINGS = ["all", "groups"] as const;
const EMBEDDING_MODES = ["tied", "factorized"] as const;

export function readShare(directive: Directive, context: DirectiveContext): ShareDirective | undefined {
  const words = new DirectiveWords(directive, context, "`share`");
  if (directive.values.length === 0) {
    context.report(
      error(Codes.MissingValue, "`share` needs what to share: `layers`, `attn`, `ffn` or `embeddings`", directive.span, {
        label: "incomplete",
        help: "for example `share layers groups of 2`; the attention weights are `attn` (`attention` opens an attention block): `share attn all`",
      }),
    );
    return undefined;
  }
  const part = words.word(SHARE_PARTS, "what to share", "share layers groups of 2");
  if (!part) return undefined;
  words.setUsage(`\`share ${part.word}\``);
  const { model, report } = context;
  const span = directive.span;

  if (part.word === "embeddings") {
    const mode = words.word(EMBEDDING_MODES, "how to share the embeddings", "share embeddings tied");
    if (!mode) return undefined;
    if (mode.word === "tied") {
      if (!words.end("share embeddings tied")) return undefined;
      if (model.output.kind !== "lm") {
        report(
          error(Codes.IncompatibleOption, `\`share embeddings tied\` needs an LM head, but ${quote(model.name)} has \`output ${model.output.kind}\``, directive.span, {
            label: "no output embedding to tie",
            help: "tying shares the token embedding with the LM head's weight; it applies to `output lm`",
          }),
        );
        return undefined;
      }
      if (model.output.tied) {
        report(
          error(Codes.IncompatibleOption, `the embeddings of ${quote(model.name)} are already tied (\`output lm tied\`)`, directive.span, {
            label: "nothing to tie",
            help: "remove this directive: `output lm tied` already stores the table once",
          }),
        );
        return undefined;
      }
      return { kind: "share", part: "embeddings", mode: "tied", span };
    }
    const size = words.integer("the factorized embedding width", 1, "share embeddings factorized 128");
    if (!size || !words.end("share embeddings factorized 128")) return undefined;
    if (size.value >= model.width) {
      report(
        error(Codes.OutOfRange, `the factorized embedding width must be below the model width (${model.width}), got ${size.value}`, size.span, {
          label: `not below ${model.width}`,
          help: `factorizing stores tokens as [vocab, E] plus an [E, width] projection; pick E < ${model.width}, such as ${Math.max(1, Math.floor(model.width / 6))}`,
        }),
      );
      return undefined;
    }
    return { kind: "share", part: "embeddings", mode: "factorized", size: size.value, span };
  }

  const example = `share ${part.word} groups of 2`;
  const grouping = words.word(GROUPINGS, "which layers share", example);
  if (!grouping) return undefined;
  let groupSize = model.layers;
  if (grouping.word === "groups") {
    words.word(["of"] as const, "`of`", example);
    const size = words.integer("the group size", 2, example);
    if (!size) return undefined;
    if (size.value > model.layers) {
      report(
        error(Codes.OutOfRange, `a group of ${size.value} layers is larger than the model's ${model.layers} layers`, size.span, {
          label: "larger than the model",
          help: `write \`share ${part.word} all\` to share across every layer, or a group size up to ${model.layers}`,
        }),
      );
      return undefined;
    }
    groupSize = size.value;
  }
  if (!words.end(example)) return undefined;
  if (model.layers < 2) {
    report(
      error(Codes.IncompatibleOption, `${quote(model.name)} has one layer: there is nothing to share across layers`, directive.span, {
        label: "one layer",
        help: "remove this directive, or give the model more layers",
      }),
    );
    return undefined;
  }
  return { kind: "share", part: part.word, groupSize, all: grouping.word === "all", span };
}
