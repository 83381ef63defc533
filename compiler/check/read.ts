import type { Expression, Field, Identifier, Value } from "../../grammar/ast.js";
import { Codes, error } from "../../grammar/diagnostics.js";
import { joinSpans, type Span } from "../../grammar/span.js";
import { article, listOf, printExpression, quote } from "./format.js";
import type { Report } from "./report.js";
import { didYouMean } from "./suggest.js";

/**
 * The value grammar of fields, as data, and one reader for all of them.
 *
 * The parser records a field as a name and the values written after it; this reader matches those
 * values against the field's parts (a size, a keyword from a set, `eps X`, a flag such as `tied`) in
 * any order, and reports each value it cannot place, with a suggestion where one is close. Numbers are
 * kept as expressions: their value depends on the model they end up in (`4 * width` in a child model).
 */

/** Help text for something the language accepts but tfc cannot compile yet (E0501). */
export interface Planned {
  readonly message: string;
  readonly help: string;
}

export type Part =
  /** A number written as an expression: `3072`, `4 * width`. */
  | { readonly kind: "number"; readonly key: string; readonly what: string }
  /** One keyword from a set: `gelu`, `pre`. `planned` keywords are recognised but not supported yet. */
  | {
      readonly kind: "word";
      readonly key: string;
      readonly what: string;
      readonly words: readonly string[];
      readonly planned?: Readonly<Record<string, Planned>>;
    }
  /** One or more keywords from a set: `device cuda, cpu`. */
  | {
      readonly kind: "words";
      readonly key: string;
      readonly what: string;
      readonly words: readonly string[];
      readonly planned?: Readonly<Record<string, Planned>>;
    }
  /** A keyword followed by a number (`eps 1e-6`) or by any value (`layout hf-gpt2`). */
  | { readonly kind: "option"; readonly key: string; readonly keyword: string; readonly takes: "number" | "value" }
  /** A bare keyword: `tied`. */
  | { readonly kind: "flag"; readonly key: string; readonly keyword: string };

/** A form chosen by its first keyword (`rotary theta 10000`) or, with `string`, by a string (`"model.safetensors"`). */
export interface Variant {
  readonly head: string;
  readonly string?: boolean;
  readonly parts: readonly Part[];
  readonly required?: readonly string[];
  readonly planned?: Planned & { readonly at: "head" | "field" };
}

export type ValueGrammar =
  | { readonly kind: "set"; readonly parts: readonly Part[]; readonly required?: readonly string[] }
  | { readonly kind: "variants"; readonly what: string; readonly variants: readonly Variant[] };

export type Slot =
  | { readonly kind: "number"; readonly expr: Expression; readonly span: Span }
  | { readonly kind: "word"; readonly word: string; readonly span: Span }
  | { readonly kind: "words"; readonly items: readonly { readonly word: string; readonly span: Span }[]; readonly span: Span }
  | { readonly kind: "flag"; readonly span: Span }
  | { readonly kind: "value"; readonly value: Value; readonly span: Span };

/** What was read from one field. `valid` is false once any problem in it was reported. */
export interface ReadField {
  readonly name: Identifier;
  readonly span: Span;
  readonly variant?: { readonly head: string; readonly span: Span };
  readonly slots: ReadonlyMap<string, Slot>;
  readonly valid: boolean;
}

export interface ReadContext {
  /** Field names of the block the field sits in, to recognise a misspelled field among stray values. */
  readonly fieldNames: readonly string[];
  /** Names an expression may use (`let`s and numeric fields). */
  readonly referenceNames: ReadonlySet<string>;
  /** For a word that belongs in another block (`opset` among model fields), help saying where. */
  readonly elsewhere?: (word: string) => string | undefined;
  readonly report: Report;
}

export interface FieldGrammar {
  readonly name: string;
  /** How the field is written, for help texts: "ffn SIZE ACTIVATION". */
  readonly syntax: string;
  readonly grammar: ValueGrammar;
}

type FieldSyntax = Pick<Field, "name" | "values" | "span">;

export function readField(field: FieldSyntax, schema: FieldGrammar, context: ReadContext): ReadField {
  const { report } = context;
  const name = field.name.name;
  if (field.values.length === 0) {
    report(
      error(Codes.MissingValue, `${quote(name)} needs a value`, field.span, {
        label: "no value",
        help: `write \`${schema.syntax}\``,
      }),
    );
    return { name: field.name, span: field.span, slots: new Map(), valid: false };
  }
  const grammar = schema.grammar;
  if (grammar.kind === "set") {
    const matcher = new Matcher(grammar.parts, context, { name, syntax: schema.syntax, span: field.span });
    matcher.run(field.values, grammar.required ?? []);
    return { name: field.name, span: field.span, slots: matcher.slots, valid: matcher.valid };
  }

  const headIndex = field.values.findIndex((value) => variantOf(grammar.variants, value) !== undefined);
  if (headIndex < 0) {
    reportUnknownHead(field, schema, grammar, context);
    return { name: field.name, span: field.span, slots: new Map(), valid: false };
  }
  const headValue = field.values[headIndex];
  const variant = variantOf(grammar.variants, headValue)!;
  let valid = true;
  if (variant.planned) {
    const at = variant.planned.at === "head" ? headValue.span : field.span;
    report(error(Codes.NotSupportedYet, variant.planned.message, at, { label: "not supported yet", help: variant.planned.help }));
    valid = false;
  }
  const rest = field.values.filter((_, index) => index !== headIndex);
  const shown = variant.string ? name : `${name} ${variant.head}`;
  const matcher = new Matcher(variant.parts, context, { name: shown, syntax: schema.syntax, span: field.span });
  // A string head is itself the value (`weights "model.safetensors"`): kept under the variant's head.
  if (variant.string) matcher.slots.set(variant.head, { kind: "value", value: headValue, span: headValue.span });
  matcher.run(rest, variant.required ?? []);
  return {
    name: field.name,
    span: field.span,
    variant: { head: variant.head, span: headValue.span },
    slots: matcher.slots,
    valid: valid && matcher.valid,
  };
}

function variantOf(variants: readonly Variant[], value: Value): Variant | undefined {
  if (value.kind === "StringLiteral") return variants.find((variant) => variant.string);
  if (value.kind === "Name") return variants.find((variant) => !variant.string && variant.head === value.name);
  return undefined;
}

function reportUnknownHead(
  field: FieldSyntax,
  schema: FieldGrammar,
  grammar: Extract<ValueGrammar, { kind: "variants" }>,
  context: ReadContext,
): void {
  const first = field.values[0];
  const heads = grammar.variants.filter((variant) => !variant.string).map((variant) => variant.head);
  const expected = `\`${field.name.name}\` is written \`${schema.syntax}\``;
  if (first.kind === "Name") {
    const suggestion = didYouMean(first.name, heads);
    context.report(
      error(Codes.UnknownKeyword, `unknown ${grammar.what} ${quote(first.name)}`, first.span, {
        label: `not ${article(grammar.what)}`,
        help: suggestion ? `did you mean ${quote(suggestion)}?` : expected,
        fix: suggestion ? { span: first.span, replacement: suggestion } : undefined,
      }),
    );
  } else {
    context.report(
      error(Codes.BadValue, `${quote(field.name.name)} expects ${article(grammar.what)}, not ${describe(first)}`, first.span, {
        label: `not ${article(grammar.what)}`,
        help: expected,
      }),
    );
  }
  // The rest is not interpreted, but a misspelled field hiding in it is still worth naming.
  for (const value of field.values.slice(1)) {
    if (value.kind === "Name" && !context.fieldNames.includes(value.name)) {
      const suggestion = didYouMean(value.name, context.fieldNames);
      if (suggestion) reportUnknownField(value.name, value.span, suggestion, context);
    }
  }
}

function reportUnknownField(word: string, span: Span, suggestion: string, context: ReadContext): void {
  context.report(
    error(Codes.UnknownField, `unknown field ${quote(word)}`, span, {
      label: "not a field",
      help: `did you mean ${quote(suggestion)}?`,
      fix: { span, replacement: suggestion },
    }),
  );
}

function isExpression(value: Value): value is Expression {
  return (
    value.kind === "NumberLiteral" ||
    value.kind === "Name" ||
    value.kind === "Binary" ||
    value.kind === "Unary" ||
    value.kind === "Paren"
  );
}

/** How a checker message names a value it did not expect ("a list", "the string \"x\"", "`gleu`"). */
export function describe(value: Value): string {
  switch (value.kind) {
    case "StringLiteral":
      return `the string ${JSON.stringify(value.value)}`;
    case "List":
      return "a list";
    case "Range":
      return "a range";
    case "Percent":
      return "a percentage";
    default:
      return quote(printExpression(value));
  }
}

/** A value as written, quoted, for "unexpected value `…`". */
function written(value: Value): string {
  switch (value.kind) {
    case "StringLiteral":
      return quote(JSON.stringify(value.value));
    case "List":
      return quote("[…]");
    case "Range":
      return quote(`${printExpression(value.from)}..${printExpression(value.to)}`);
    case "Percent":
      return quote(`${printExpression(value.value)}%`);
    default:
      return quote(printExpression(value));
  }
}

function plural(noun: string): string {
  return noun.endsWith("s") ? noun : `${noun}s`;
}

interface FieldDescription {
  /** "norm", or "output classifier" inside a variant. */
  readonly name: string;
  readonly syntax: string;
  readonly span: Span;
}

/** Places the values of one field (or one variant of it) into the parts of its grammar. */
class Matcher {
  readonly slots = new Map<string, Slot>();
  valid = true;
  /** Parts already reported as wrong, so one mistake is not also reported as a missing part. */
  private readonly failed = new Set<string>();

  constructor(
    private readonly parts: readonly Part[],
    private readonly context: ReadContext,
    private readonly field: FieldDescription,
  ) {}

  run(values: readonly Value[], required: readonly string[]): void {
    let index = 0;
    while (index < values.length) index = this.step(values, index);
    for (const key of required) {
      if (this.slots.has(key) || this.failed.has(key)) continue;
      const part = this.parts.find((candidate) => candidate.key === key)!;
      const what = part.kind === "number" || part.kind === "word" || part.kind === "words" ? part.what : quote(key);
      this.fail(
        error(Codes.MissingValue, `${quote(this.field.name)} needs ${what}`, this.field.span, {
          label: `missing ${what}`,
          help: `write \`${this.field.syntax}\``,
        }),
      );
    }
  }

  private fail(diagnostic: Parameters<Report>[0]): void {
    this.valid = false;
    this.context.report(diagnostic);
  }

  private isOpen(part: Part): boolean {
    return !this.slots.has(part.key) && !this.failed.has(part.key);
  }

  private openNumber(): Part | undefined {
    return this.parts.find((part) => part.kind === "number" && this.isOpen(part));
  }

  private keywordPart(word: string): Part | undefined {
    return this.parts.find((part) => {
      switch (part.kind) {
        case "word":
        case "words":
          return part.words.includes(word) || (part.planned !== undefined && word in part.planned);
        case "option":
        case "flag":
          return part.keyword === word;
        case "number":
          return false;
      }
    });
  }

  private isFieldLike(value: Value): boolean {
    if (value.kind !== "Name" || this.keywordPart(value.name)) return false;
    const names = this.context.fieldNames;
    return (
      names.includes(value.name) ||
      didYouMean(value.name, names) !== undefined ||
      this.context.elsewhere?.(value.name) !== undefined
    );
  }

  private step(values: readonly Value[], index: number): number {
    const value = values[index];
    if (value.kind === "Name") {
      const part = this.keywordPart(value.name);
      if (part) return this.take(part, values, index);
      const number = this.openNumber();
      if (number && this.context.referenceNames.has(value.name)) return this.fillNumber(number, value, index);
      const near = this.nearKeyword(value.name);
      if (near) {
        this.reportUnknownKeyword(value.name, value.span, near.part, near.word);
        // `esp 1e-6`: the number belongs to the misspelled option.
        const next = values[index + 1];
        if (near.part.kind === "option" && next && isExpression(next) && next.kind !== "Name") return index + 2;
        return index + 1;
      }
      if (number && didYouMean(value.name, this.context.referenceNames)) return this.fillNumber(number, value, index);
      return this.stray(values, index);
    }
    if (isExpression(value)) {
      const number = this.openNumber();
      return number ? this.fillNumber(number, value, index) : this.stray(values, index);
    }
    if (value.kind === "List") {
      const part = this.parts.find((candidate) => candidate.kind === "words");
      if (part) {
        // `device [cuda, cpu]` reads like `device cuda, cpu`.
        let item = 0;
        while (item < value.items.length) item = this.step(value.items, item);
        return index + 1;
      }
    }
    const number = this.openNumber();
    if (number && number.kind === "number") {
      this.failed.add(number.key);
      this.fail(
        error(Codes.BadValue, `${quote(this.field.name)} takes ${number.what}, not ${describe(value)}`, value.span, {
          label: "expected a number",
          help: `write \`${this.field.syntax}\``,
        }),
      );
      return index + 1;
    }
    return this.stray(values, index);
  }

  /** Puts `expr` in a number part; returns the index of the next value. */
  private fillNumber(part: Part, expr: Expression, index: number): number {
    this.slots.set(part.key, { kind: "number", expr, span: expr.span });
    return index + 1;
  }

  private take(part: Part, values: readonly Value[], index: number): number {
    const value = values[index] as Extract<Value, { kind: "Name" }>;
    const word = value.name;
    const previous = this.slots.get(part.key);
    switch (part.kind) {
      case "word":
      case "words": {
        const planned = part.planned?.[word];
        if (planned) {
          this.failed.add(part.key);
          this.fail(error(Codes.NotSupportedYet, planned.message, value.span, { label: "not supported yet", help: planned.help }));
          return index + 1;
        }
        if (part.kind === "words") {
          const items = previous?.kind === "words" ? previous.items : [];
          const first = items.find((item) => item.word === word);
          if (first) {
            this.fail(
              error(Codes.BadValue, `${quote(word)} is listed twice in ${quote(this.field.name)}`, value.span, {
                label: "listed again",
                labels: [{ span: first.span, message: "first listed here" }],
                help: `remove the second ${quote(word)}`,
              }),
            );
            return index + 1;
          }
          const all = [...items, { word, span: value.span }];
          this.slots.set(part.key, { kind: "words", items: all, span: joinSpans(all[0].span, value.span) });
          return index + 1;
        }
        if (previous?.kind === "word") {
          this.fail(
            error(
              Codes.ExtraValue,
              `${quote(this.field.name)} is given two ${plural(part.what)}, ${quote(previous.word)} and ${quote(word)}`,
              value.span,
              { label: `second ${part.what}`, labels: [{ span: previous.span, message: `first ${part.what}` }], help: `keep one of them` },
            ),
          );
          return index + 1;
        }
        if (this.failed.has(part.key)) return index + 1;
        this.slots.set(part.key, { kind: "word", word, span: value.span });
        return index + 1;
      }
      case "flag":
      case "option": {
        if (previous) {
          this.fail(
            error(Codes.ExtraValue, `${quote(word)} is written twice in ${quote(this.field.name)}`, value.span, {
              label: "written again",
              labels: [{ span: previous.span, message: "first here" }],
              help: `remove the second ${quote(word)}`,
            }),
          );
          return part.kind === "option" && values[index + 1] && !this.isKeyword(values[index + 1]) ? index + 2 : index + 1;
        }
        if (part.kind === "flag") {
          this.slots.set(part.key, { kind: "flag", span: value.span });
          return index + 1;
        }
        const next = values[index + 1];
        // `eps eps` with `let eps = 1e-6`: after an option, a name with a value is that value.
        const accepts =
          next !== undefined &&
          ((next.kind === "Name" && this.context.referenceNames.has(next.name)) ||
            (!this.isKeyword(next) && !this.isFieldLike(next) && (part.takes === "value" || isExpression(next))));
        if (!accepts) {
          this.failed.add(part.key);
          this.fail(
            error(Codes.MissingValue, `${quote(word)} needs ${part.takes === "number" ? "a number" : "a value"}`, value.span, {
              label: "no value after this",
              help: `write \`${this.field.syntax}\``,
            }),
          );
          return index + 1;
        }
        this.slots.set(
          part.key,
          part.takes === "number" && isExpression(next)
            ? { kind: "number", expr: next, span: next.span }
            : { kind: "value", value: next, span: next.span },
        );
        return index + 2;
      }
      case "number":
        return index + 1; // unreachable: numbers are not keywords
    }
  }

  private isKeyword(value: Value): boolean {
    return value.kind === "Name" && this.keywordPart(value.name) !== undefined;
  }

  /** A near miss of a keyword this field still expects. */
  private nearKeyword(word: string): { part: Part; word: string } | undefined {
    const candidates = new Map<string, Part>();
    for (const part of this.parts) {
      if (part.kind === "word" && this.isOpen(part)) {
        for (const keyword of [...part.words, ...Object.keys(part.planned ?? {})]) candidates.set(keyword, part);
      } else if (part.kind === "words") {
        for (const keyword of part.words) candidates.set(keyword, part);
      } else if ((part.kind === "option" || part.kind === "flag") && this.isOpen(part)) {
        candidates.set(part.keyword, part);
      }
    }
    const suggestion = didYouMean(word, candidates.keys());
    return suggestion === undefined ? undefined : { part: candidates.get(suggestion)!, word: suggestion };
  }

  private reportUnknownKeyword(word: string, span: Span, part: Part, suggestion: string | undefined): void {
    if ((part.kind === "word" || part.kind === "words") && !this.slots.has(part.key)) this.failed.add(part.key);
    const isChoice = part.kind === "word" || part.kind === "words";
    const what = isChoice ? part.what : `keyword of ${quote(this.field.name)}`;
    const choices = isChoice ? listOf(part.words.map(quote), "or") : "";
    this.fail(
      error(Codes.UnknownKeyword, isChoice ? `unknown ${what} ${quote(word)}` : `unknown keyword ${quote(word)} in ${quote(this.field.name)}`, span, {
        label: `not ${article(what)}`,
        help: suggestion ? `did you mean ${quote(suggestion)}?` : `expected ${choices}`,
        fix: suggestion ? { span, replacement: suggestion } : undefined,
      }),
    );
  }

  /** A value no part wants: a misspelled field, a wrong keyword, or simply one value too many. */
  private stray(values: readonly Value[], index: number): number {
    const value = values[index];
    const fieldNames = this.context.fieldNames;
    if (value.kind === "Name" && this.isFieldLike(value)) {
      if (fieldNames.includes(value.name)) {
        this.fail(
          error(Codes.ExtraValue, `unexpected field name ${quote(value.name)} in ${quote(this.field.name)}`, value.span, {
            label: "a field name",
            help: `write \`${this.field.syntax}\` first, then ${quote(value.name)} and its value`,
          }),
        );
      } else {
        this.valid = false;
        const suggestion = didYouMean(value.name, fieldNames);
        if (suggestion) reportUnknownField(value.name, value.span, suggestion, this.context);
        else {
          this.context.report(
            error(Codes.UnknownField, `unknown field ${quote(value.name)}`, value.span, {
              label: "not a field here",
              help: this.context.elsewhere?.(value.name),
            }),
          );
        }
      }
      // The values after a misspelled field are that field's, not this one's.
      let next = index + 1;
      while (next < values.length && !this.isFieldLike(values[next])) next++;
      return next;
    }
    if (value.kind === "Name") {
      const openWord = this.parts.find((part) => part.kind === "word" && this.isOpen(part));
      if (openWord) {
        this.reportUnknownKeyword(value.name, value.span, openWord, undefined);
        return index + 1;
      }
      const number = this.openNumber();
      // Evaluation reports the unknown name, with its own suggestions.
      if (number) return this.fillNumber(number, value, index);
    }
    let end = index + 1;
    while (end < values.length && !this.isFieldLike(values[end])) end++;
    const span = joinSpans(value.span, values[end - 1].span);
    const what = end - index === 1 ? `value ${written(value)}` : "values";
    this.fail(
      error(Codes.ExtraValue, `unexpected ${what} in ${quote(this.field.name)}`, span, {
        label: `not part of ${quote(this.field.name)}`,
        help: `${quote(this.field.name.split(" ")[0])} is written \`${this.field.syntax}\``,
      }),
    );
    return end;
  }
}
