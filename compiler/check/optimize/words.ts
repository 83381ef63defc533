import type { Directive, Expression, Value } from "../../../grammar/ast.js";
import { Codes, error } from "../../../grammar/diagnostics.js";
import type { Span } from "../../../grammar/span.js";
import { listOf, printExpression, quote } from "../format.js";
import { didYouMean } from "../suggest.js";
import type { DirectiveContext } from "./context.js";

/** A word read from a directive, with where it was written. */
export interface Word<W extends string = string> {
  readonly word: W;
  readonly span: Span;
}

/**
 * Reads a directive's values left to right (`prune heads 25% by l2 global`): words from a closed
 * set, percents, whole numbers and index lists. Each mistake is reported once at the value's span,
 * with the words that fit there and a did-you-mean; after a mistake the reader stops (`failed`), so
 * one slip does not cascade.
 */
export class DirectiveWords {
  private index = 0;
  failed = false;

  constructor(
    readonly directive: Directive,
    private readonly context: DirectiveContext,
    /** How messages name the directive: "`prune heads`". */
    private usage: string,
  ) {}

  /** Narrows how messages name the directive once its first word is known (`prune` → `prune heads`). */
  setUsage(usage: string): void {
    this.usage = usage;
  }

  get done(): boolean {
    return this.failed || this.index >= this.directive.values.length;
  }

  peek(): Value | undefined {
    return this.failed ? undefined : this.directive.values[this.index];
  }

  /** Consumes the value peek() returned (one the caller has read itself, such as a string). */
  skip(): void {
    this.index++;
  }

  /** The next value as a bare name, if it is one of `choices` (consumed); otherwise nothing is consumed. */
  optionalWord<W extends string>(choices: readonly W[]): Word<W> | undefined {
    const next = this.peek();
    if (next?.kind === "Name" && (choices as readonly string[]).includes(next.name)) {
      this.index++;
      return { word: next.name as W, span: next.span };
    }
    return undefined;
  }

  /** The next value must be one of `choices`; `what` names the slot ("what to share"). `example` completes the help. */
  word<W extends string>(choices: readonly W[], what: string, example: string): Word<W> | undefined {
    if (this.failed) return undefined;
    const next = this.directive.values[this.index];
    const expected = listOf(choices.map(quote), "or");
    if (!next) return this.missing(`${this.usage} needs ${what}: ${expected}`, `for example \`${example}\``);
    if (next.kind === "Name" && (choices as readonly string[]).includes(next.name)) {
      this.index++;
      return { word: next.name as W, span: next.span };
    }
    const written = next.kind === "Name" ? next.name : undefined;
    const suggestion = written !== undefined ? didYouMean(written, choices) : undefined;
    this.failed = true;
    this.context.report(
      error(Codes.UnknownKeyword, `${written !== undefined ? `unknown word ${quote(written)}` : `unexpected ${describe(next)}`} in ${this.usage}`, next.span, {
        label: `expected ${what}`,
        help: suggestion ? `did you mean ${quote(suggestion)}?` : `${this.usage} takes ${what} here: ${expected}; for example \`${example}\``,
        fix: suggestion ? { span: next.span, replacement: suggestion } : undefined,
      }),
    );
    return undefined;
  }

  /** `25%`: a share strictly between 0% and 100%, returned as a fraction (0.25). */
  percent(what: string, example: string): { readonly fraction: number; readonly span: Span } | undefined {
    if (this.failed) return undefined;
    const next = this.directive.values[this.index];
    if (!next) return this.missing(`${this.usage} needs ${what} as a percentage`, `for example \`${example}\``);
    if (next.kind !== "Percent") {
      const isNumber = next.kind === "NumberLiteral" || next.kind === "Binary" || next.kind === "Paren";
      this.failed = true;
      this.context.report(
        error(Codes.BadValue, `${what} must be a percentage, got ${describe(next)}`, next.span, {
          label: "not a percentage",
          help: isNumber ? `write it with \`%\`: \`${printExpression(next as Expression)}%\`` : `for example \`${example}\``,
          fix: isNumber ? { span: next.span, replacement: `${printExpression(next as Expression)}%` } : undefined,
        }),
      );
      return undefined;
    }
    this.index++;
    const value = this.context.number(next.value, { what, integer: false, sign: "positive" });
    if (value === undefined) return this.fail();
    if (value >= 100) {
      this.failed = true;
      this.context.report(
        error(Codes.OutOfRange, `${what} must be below 100%, got ${printExpression(next.value)}%`, next.span, {
          label: "100% or more",
          help: `a share of at least 100% would remove everything; write a percentage between 0% and 100%, such as \`${example}\``,
        }),
      );
      return undefined;
    }
    return { fraction: value / 100, span: next.span };
  }

  /** A whole number ≥ `min` (`groups of 2`, `factorized 128`). */
  integer(what: string, min: number, example: string): { readonly value: number; readonly span: Span } | undefined {
    if (this.failed) return undefined;
    const next = this.directive.values[this.index];
    if (!next) return this.missing(`${this.usage} needs ${what}`, `for example \`${example}\``);
    if (next.kind === "Percent" || next.kind === "List" || next.kind === "Range" || next.kind === "StringLiteral") {
      this.failed = true;
      this.context.report(
        error(Codes.BadValue, `${what} must be a whole number, got ${describe(next)}`, next.span, {
          label: "not a number",
          help: `for example \`${example}\``,
        }),
      );
      return undefined;
    }
    this.index++;
    const value = this.context.number(next, { what, integer: true, sign: "positive" });
    if (value === undefined) return this.fail();
    if (value < min) {
      this.failed = true;
      this.context.report(
        error(Codes.OutOfRange, `${what} must be at least ${min}, got ${value}`, next.span, { label: `below ${min}`, help: `for example \`${example}\`` }),
      );
      return undefined;
    }
    return { value, span: next.span };
  }

  /** The next value as written (a selector: `3`, `[0, 5]`, `0..2`, `all`), consumed; the caller resolves it. */
  selector(what: string, example: string): Value | undefined {
    if (this.failed) return undefined;
    const next = this.directive.values[this.index];
    if (!next) return this.missing(`${this.usage} needs ${what}`, `for example \`${example}\``);
    if (next.kind === "Percent" || next.kind === "StringLiteral") {
      this.failed = true;
      this.context.report(
        error(Codes.BadValue, `${what} must be a number, a list or a range, got ${describe(next)}`, next.span, {
          label: "not an index",
          help: `for example \`${example}\``,
        }),
      );
      return undefined;
    }
    this.index++;
    return next;
  }

  /** Reports values left over after a complete directive. */
  end(example: string): boolean {
    if (this.failed) return false;
    const rest = this.directive.values.slice(this.index);
    if (rest.length === 0) return true;
    const span: Span = { file: rest[0].span.file, start: rest[0].span.start, end: rest[rest.length - 1].span.end };
    this.failed = true;
    this.context.report(
      error(Codes.ExtraValue, `unexpected ${rest.length === 1 ? describe(rest[0]) : `${rest.length} values`} after ${this.usage}`, span, {
        label: "not understood",
        help: `${this.usage} is complete before this; for example \`${example}\``,
      }),
    );
    return false;
  }

  private missing(message: string, help: string): undefined {
    this.failed = true;
    const { span } = this.directive;
    this.context.report(error(Codes.MissingValue, message, span, { label: "incomplete", help }));
    return undefined;
  }

  private fail(): undefined {
    this.failed = true;
    return undefined;
  }
}

/** How a message names a value that does not fit: "`12`", "the list `[0, 1]`", "a string". */
export function describe(value: Value): string {
  switch (value.kind) {
    case "StringLiteral":
      return "a string";
    case "Percent":
      return `the percentage \`${printExpression(value.value)}%\``;
    case "List":
      return "a list";
    case "Range":
      return `the range \`${printExpression(value.from)}..${printExpression(value.to)}\``;
    default:
      return quote(printExpression(value));
  }
}
