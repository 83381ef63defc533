import type { ModelDeclaration } from "../../grammar/ast.js";
import { Codes, error } from "../../grammar/diagnostics.js";
import type { Span } from "../../grammar/span.js";
import type { FieldName, FieldValues } from "./fields.js";
import { listOf } from "./format.js";
import type { Report } from "./report.js";

/**
 * Checks between fields, once each field has a valid value of its own. Each check runs only when
 * the values it needs are known, so one bad field does not cascade into others.
 */
export interface ModelView {
  readonly model: ModelDeclaration;
  value<K extends FieldName>(name: K): FieldValues[K] | undefined;
  /** The span of the field as written (in this model or an ancestor); undefined for defaults. */
  written(name: FieldName): Span | undefined;
  /** The span of the keyword that chose a field's form (`rotary` in `position rotary`). */
  variantSpan(name: FieldName): Span | undefined;
}

export function checkConsistency(view: ModelView, report: Report): void {
  checkWidthDividesHeads(view, report);
  checkKvHeads(view, report);
  checkRotary(view, report);
}

/** Without an explicit `head_dim`, each head gets `width / heads` features, so the division must be exact. */
function checkWidthDividesHeads(view: ModelView, report: Report): void {
  const width = view.value("width");
  const heads = view.value("heads");
  const widthSpan = view.written("width");
  const headsSpan = view.written("heads");
  if (width === undefined || heads === undefined || !widthSpan || !headsSpan) return;
  if (view.written("head_dim") || width % heads === 0) return;
  const below = Math.floor(width / heads) * heads;
  const above = below + heads;
  report(
    error(Codes.WidthNotDivisibleByHeads, `\`width\` (${width}) is not divisible by \`heads\` (${heads})`, widthSpan, {
      labels: [{ span: headsSpan, message: "heads declared here" }],
      help:
        below > 0
          ? `the nearest widths that divide evenly are ${below} and ${above}`
          : `the smallest width that divides evenly is ${above}`,
    }),
  );
}

/** Grouped-query attention shares each key/value head among `heads / kv_heads` query heads. */
function checkKvHeads(view: ModelView, report: Report): void {
  const heads = view.value("heads");
  const kvHeads = view.value("kv_heads");
  const kvSpan = view.written("kv_heads");
  const headsSpan = view.written("heads");
  if (heads === undefined || kvHeads === undefined || !kvSpan || !headsSpan || heads % kvHeads === 0) return;
  const divisors = divisorsOf(heads);
  report(
    error(Codes.HeadsNotDivisibleByKvHeads, `\`heads\` (${heads}) is not divisible by \`kv_heads\` (${kvHeads})`, kvSpan, {
      labels: [{ span: headsSpan, message: "heads declared here" }],
      help:
        divisors.length <= 12
          ? `each key/value head serves the same number of query heads, so \`kv_heads\` must divide ${heads}: ${listOf(divisors.map(String), "or")}`
          : `each key/value head serves the same number of query heads, so \`kv_heads\` must divide ${heads}`,
    }),
  );
}

/** Rotary embeddings rotate pairs of features, so a head needs an even number of them. */
function checkRotary(view: ModelView, report: Report): void {
  const position = view.value("position");
  const headDim = view.value("head_dim");
  const rotarySpan = view.variantSpan("position");
  if (position?.kind !== "rotary" || headDim === undefined || headDim % 2 === 0 || !rotarySpan) return;
  const headDimSpan = view.written("head_dim");
  const widthSpan = view.written("width");
  const label = headDimSpan
    ? { span: headDimSpan, message: "head_dim declared here" }
    : widthSpan
      ? { span: widthSpan, message: `head_dim is width / heads = ${view.value("width")} / ${view.value("heads")} = ${headDim}` }
      : undefined;
  report(
    error(Codes.RotaryHeadDimOdd, `rotary positions need an even \`head_dim\`, but it is ${headDim}`, rotarySpan, {
      label: "rotates pairs of features",
      labels: label ? [label] : [],
      help: headDimSpan
        ? `use an even head_dim, such as ${headDim - 1} or ${headDim + 1}`
        : "choose width and heads so that width / heads is even, or set an even `head_dim`",
    }),
  );
}

function divisorsOf(n: number): number[] {
  const divisors: number[] = [];
  for (let d = 1; d <= n; d++) if (n % d === 0) divisors.push(d);
  return divisors;
}
