import { DIRECTIVE_NAMES, type OptimizeBlock } from "../../grammar/ast.js";
import { Codes, error } from "../../grammar/diagnostics.js";
import type { Span } from "../../grammar/span.js";
import { listOf, quote } from "./format.js";
import type { Report } from "./report.js";
import { didYouMean } from "./suggest.js";

/**
 * Blocks the language accepts but tfc does not compile yet. Each directive is reported where it is
 * written (E0501), so nothing in a file is silently ignored; the help says what works today.
 */

type DirectiveName = (typeof DIRECTIVE_NAMES)[number];

const DIRECTIVE_HELP: Readonly<Record<DirectiveName, string>> = {
  share:
    "today every layer has its own weights (input and output embeddings can be tied with `output lm tied`); cross-layer sharing comes with the share pass, which is planned",
  prune: "today tfc compiles the dense model; structured and magnitude pruning come with the prune pass, which is planned",
  quantize: "today tfc emits fp32 weights; int8, int4, fp16 and bf16 come with the quantize pass, which is planned",
  recompute: "tfc compiles inference graphs today; recomputation schedules come with training, which is planned",
};

export function reportOptimizeBlock(block: OptimizeBlock, report: Report): void {
  for (const directive of block.directives) {
    const name = directive.name.name;
    if ((DIRECTIVE_NAMES as readonly string[]).includes(name)) {
      report(
        error(Codes.NotSupportedYet, `\`${name}\` is not supported yet`, directive.span, {
          label: "not supported yet",
          help: DIRECTIVE_HELP[name as DirectiveName],
        }),
      );
    } else {
      reportUnknownDirective(name, directive.name.span, report, false);
    }
    // The parser starts a new directive only at a known name, so a misspelled one arrives as
    // values of the directive before it.
    for (const value of directive.values) {
      if (value.kind === "Name" && didYouMean(value.name, DIRECTIVE_NAMES)) reportUnknownDirective(value.name, value.span, report, true);
    }
  }
}

function reportUnknownDirective(name: string, span: Span, report: Report, onlyIfClose: boolean): void {
  const suggestion = didYouMean(name, DIRECTIVE_NAMES);
  if (onlyIfClose && !suggestion) return;
  report(
    error(Codes.UnknownKeyword, `unknown optimization ${quote(name)}`, span, {
      label: "not an optimization",
      help: suggestion
        ? `did you mean ${quote(suggestion)}?`
        : `an \`optimize\` block holds ${listOf(DIRECTIVE_NAMES.map(quote), "or")} directives`,
      fix: suggestion ? { span, replacement: suggestion } : undefined,
    }),
  );
}
