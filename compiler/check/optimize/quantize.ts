import type { Directive } from "../../../grammar/ast.js";
import { Codes, error } from "../../../grammar/diagnostics.js";
import type { Span } from "../../../grammar/span.js";
import type { DirectiveContext } from "./context.js";

/**
 * `quantize …`. Placeholder until the quantize passes land (issue4-quant replaces this file): the
 * directive is reported as not supported yet and never reaches a ModelSpec.
 */
export interface QuantizeDirective {
  readonly kind: "quantize";
  readonly span: Span;
}

export function readQuantize(directive: Directive, context: DirectiveContext): QuantizeDirective | undefined {
  context.report(
    error(Codes.NotSupportedYet, "`quantize` is not supported yet", directive.span, {
      label: "not supported yet",
      help: "today tfc emits fp32 weights; int8, int4, fp16 and bf16 come with the quantize pass, which is planned",
    }),
  );
  return undefined;
}
