import type { Span } from "../../grammar/span.js";
import type { PatternArguments } from "./arguments.js";
import type { PatternDefinition } from "./terms.js";

/** One term of a checked pattern: `window 256` with its arguments evaluated. */
export interface TermInstance {
  readonly definition: PatternDefinition;
  readonly args: PatternArguments;
  /** The term as written. */
  readonly span: Span;
}

/** A checked pattern (`window 256 + global [0]`) and where the spec chose it. */
export interface PatternInstance {
  readonly terms: readonly TermInstance[];
  /** The pattern as written. */
  readonly span: Span;
  /** The selector that assigned it (`layers 0..5`, `heads 6..11`, `default`). */
  readonly selectorSpan: Span;
  /** The text reports show: the terms with evaluated numbers, joined by ` + `. */
  readonly text: string;
}

export function patternText(terms: readonly TermInstance[]): string {
  return terms.map((term) => term.definition.text(term.args)).join(" + ");
}
