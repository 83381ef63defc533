import type { AttentionAssignment, AttentionBlock, Identifier, NameExpression, PatternTerm, Value } from "../../../grammar/ast.js";
import { Codes, error } from "../../../grammar/diagnostics.js";
import { joinSpans, type Span } from "../../../grammar/span.js";
import { PATTERN_NAMES, patternDefinition, type Parameter, type PatternDefinition } from "../../attention/terms.js";
import { listOf, printExpression, quote } from "../format.js";
import type { Report } from "../report.js";
import { describe } from "../read.js";
import { didYouMean } from "../suggest.js";

/**
 * Reads an `attention` block once per declaration, before any model values are known: selector
 * forms, pattern names, argument names and value kinds. Numbers stay expressions; they are evaluated
 * per model (resolve.ts), so `window context / 16` follows a child's context.
 */

export const RANGE_WORDS = ["all", "odd", "even"] as const;

export interface ReadArgument {
  readonly parameter: Parameter;
  readonly value: Value;
  /** The argument as written: `dilation 2`, or `256`. */
  readonly span: Span;
}

export interface ReadTerm {
  readonly term: PatternTerm;
  readonly definition: PatternDefinition;
  readonly args: ReadonlyMap<string, ReadArgument>;
}

export interface ReadAssignment {
  readonly assignment: AttentionAssignment;
  readonly isDefault: boolean;
  /** The layers, or for a later `heads` part the rule's; undefined: every layer. */
  readonly layers?: Value;
  /** Undefined: every head. */
  readonly heads?: Value;
  /** False when the selector could not be read (already reported). */
  readonly selectorValid: boolean;
  /** Undefined when a term could not be read (already reported). */
  readonly terms?: readonly ReadTerm[];
}

export interface ReadAttention {
  readonly block: AttentionBlock;
  readonly assignments: readonly ReadAssignment[];
}

export function readAttentionBlock(block: AttentionBlock, referenceNames: ReadonlySet<string>, report: Report): ReadAttention {
  const assignments: ReadAssignment[] = [];
  for (const rule of block.rules) {
    let ruleLayers: Value | undefined;
    for (const assignment of rule.assignments) {
      const { selector } = assignment;
      if (selector.layers) ruleLayers = selector.layers;
      const layers = selector.isDefault ? undefined : (selector.layers ?? ruleLayers);
      let valid = true;
      for (const value of [selector.layers, selector.heads]) {
        if (value && !checkRangeSyntax(value, referenceNames, report)) valid = false;
      }
      const terms = assignment.pattern.terms.map((term) => readTerm(term, referenceNames, report));
      const complete = terms.every((term): term is ReadTerm => term !== undefined);
      assignments.push({
        assignment,
        isDefault: selector.isDefault,
        layers,
        heads: selector.heads,
        selectorValid: valid,
        terms: complete ? terms : undefined,
      });
    }
  }
  return { block, assignments };
}

/** `0..5`, `[0, 2..4]`, `all`, `odd`, `even`, or one number. */
function checkRangeSyntax(value: Value, referenceNames: ReadonlySet<string>, report: Report, inList = false): boolean {
  switch (value.kind) {
    case "Range":
    case "NumberLiteral":
    case "Binary":
    case "Unary":
    case "Paren":
      return true;
    case "Name": {
      if ((RANGE_WORDS as readonly string[]).includes(value.name)) {
        if (!inList) return true;
        report(
          error(Codes.BadValue, `${quote(value.name)} cannot be an item of a list`, value.span, {
            label: "not a number or range",
            help: `write \`${value.name}\` on its own, or list numbers and ranges: \`[0, 2..4]\``,
          }),
        );
        return false;
      }
      if (referenceNames.has(value.name)) return true;
      const suggestion = didYouMean(value.name, [...RANGE_WORDS, ...referenceNames]);
      report(
        error(Codes.UnknownKeyword, `unknown range ${quote(value.name)}`, value.span, {
          label: "not a range",
          help: suggestion ? `did you mean ${quote(suggestion)}?` : "a range is `A..B` (both included), `[A, B, …]`, `all`, `odd`, `even` or one number",
          fix: suggestion ? { span: value.span, replacement: suggestion } : undefined,
        }),
      );
      return false;
    }
    case "List":
      if (inList) break;
      if (value.items.length === 0) {
        report(error(Codes.MissingValue, "an empty list selects nothing", value.span, { label: "empty", help: "list the numbers to select: `[0, 2..4]`" }));
        return false;
      }
      return value.items.map((item) => checkRangeSyntax(item, referenceNames, report, true)).every(Boolean);
    case "StringLiteral":
    case "Percent":
      break;
  }
  report(
    error(Codes.BadValue, `expected a range, not ${describe(value)}`, value.span, {
      label: "not a range",
      help: "a range is `A..B` (both included), `[A, B, …]`, `all`, `odd`, `even` or one number",
    }),
  );
  return false;
}

/** What one argument position holds after the parser's named/positional split is undone. */
type Item = { readonly kind: "name"; readonly id: Identifier } | { readonly kind: "value"; readonly value: Value };

function readTerm(term: PatternTerm, referenceNames: ReadonlySet<string>, report: Report): ReadTerm | undefined {
  const name = term.name.name;
  const definition = patternDefinition(name);
  if (!definition) {
    const suggestion = didYouMean(name, PATTERN_NAMES);
    report(
      error(Codes.UnknownKeyword, `unknown attention pattern ${quote(name)}`, term.name.span, {
        label: "not a pattern",
        help: suggestion ? `did you mean ${quote(suggestion)}?` : `the patterns are ${listOf(PATTERN_NAMES.map(quote))}`,
        fix: suggestion ? { span: term.name.span, replacement: suggestion } : undefined,
      }),
    );
    return undefined;
  }
  const parameterNamed = (word: string) => definition.parameters.find((parameter) => parameter.name === word);
  const positional = definition.parameters.filter((parameter) => parameter.positional);
  const args = new Map<string, ReadArgument>();
  /** Parameters already reported as wrong, so they are not also reported as missing. */
  const failed = new Set<string>();
  let valid = true;
  const fail = (diagnostic: Parameters<Report>[0]): void => {
    valid = false;
    report(diagnostic);
  };
  const syntaxHelp = `${quote(name)} is written \`${definition.syntax}\``;

  const assign = (parameter: Parameter, value: Value, span: Span): void => {
    const first = args.get(parameter.name);
    if (first) {
      fail(
        error(Codes.DuplicateField, `${quote(parameter.name)} is given twice in ${quote(name)}`, span, {
          label: "given again",
          labels: [{ span: first.span, message: "first given here" }],
          help: `remove one of them; ${syntaxHelp}`,
        }),
      );
      return;
    }
    if (!valueFits(parameter, value)) {
      failed.add(parameter.name);
      fail(
        error(Codes.BadValue, `${quote(name)} takes ${parameter.what} as ${expected(parameter)}, not ${describe(value)}`, value.span, {
          label: `expected ${expected(parameter)}`,
          help: syntaxHelp,
        }),
      );
      return;
    }
    args.set(parameter.name, { parameter, value, span });
  };

  // The parser reads `NAME value` as a named argument whenever a value follows a name, so
  // `window w dilation 2` arrives as `w dilation`, `2`. Undo that split and pair names again here,
  // where the parameter names are known.
  const items: Item[] = term.args.flatMap((arg): Item[] =>
    arg.name ? [{ kind: "name", id: arg.name }, { kind: "value", value: arg.value! }] : [{ kind: "value", value: arg.value! }],
  );
  let nextPositional = 0;
  const takePositional = (value: Value): void => {
    while (nextPositional < positional.length && args.has(positional[nextPositional].name)) nextPositional++;
    const parameter = positional[nextPositional];
    if (!parameter) {
      fail(
        error(Codes.ExtraValue, `unexpected argument ${quote(written(value))} in ${quote(name)}`, value.span, {
          label: `not an argument of ${quote(name)}`,
          help: syntaxHelp,
        }),
      );
      return;
    }
    nextPositional++;
    assign(parameter, value, value.span);
  };

  for (let i = 0; i < items.length; i++) {
    const item = items[i];
    const next = items[i + 1];
    if (item.kind === "name") {
      const parameter = parameterNamed(item.id.name);
      const value = (next as Extract<Item, { kind: "value" }>).value;
      if (parameter) {
        assign(parameter, value, joinSpans(item.id.span, value.span));
        i++;
      } else if (referenceNames.has(item.id.name)) {
        const reference: NameExpression = { kind: "Name", name: item.id.name, span: item.id.span };
        takePositional(reference);
      } else {
        reportUnknownArgument(item.id, definition, syntaxHelp, report);
        valid = false;
        i++;
      }
      continue;
    }
    const { value } = item;
    const parameter = value.kind === "Name" ? parameterNamed(value.name) : undefined;
    if (parameter && next?.kind === "value") {
      assign(parameter, next.value, joinSpans(value.span, next.value.span));
      i++;
    } else if (parameter && !referenceNames.has(value.kind === "Name" ? value.name : "")) {
      failed.add(parameter.name);
      fail(
        error(Codes.MissingValue, `${quote(parameter.name)} needs a value`, value.span, {
          label: "no value",
          help: syntaxHelp,
        }),
      );
    } else {
      takePositional(value);
    }
  }

  for (const parameter of definition.parameters) {
    if (!parameter.required || args.has(parameter.name) || failed.has(parameter.name)) continue;
    fail(
      error(Codes.MissingValue, `${quote(name)} needs ${parameter.what}`, term.span, {
        label: `missing ${parameter.what}`,
        help: `write \`${definition.syntax}\``,
      }),
    );
  }
  return valid ? { term, definition, args } : undefined;
}

function reportUnknownArgument(id: Identifier, definition: PatternDefinition, syntaxHelp: string, report: Report): void {
  const names = definition.parameters.map((parameter) => parameter.name);
  const suggestion = didYouMean(id.name, names);
  const isPattern = patternDefinition(id.name) !== undefined;
  report(
    error(Codes.UnknownKeyword, `unknown argument ${quote(id.name)} of ${quote(definition.name)}`, id.span, {
      label: "not an argument",
      help: suggestion
        ? `did you mean ${quote(suggestion)}?`
        : isPattern
          ? `${quote(id.name)} is a pattern of its own: join patterns with \`+\`, as in \`${definition.name} … + ${id.name} …\``
          : `${syntaxHelp}${names.length > 0 ? `; its arguments are ${listOf(names.map(quote))}` : ""}`,
      fix: suggestion ? { span: id.span, replacement: suggestion } : undefined,
    }),
  );
}

function isExpression(value: Value): boolean {
  return value.kind === "NumberLiteral" || value.kind === "Name" || value.kind === "Binary" || value.kind === "Unary" || value.kind === "Paren";
}

function valueFits(parameter: Parameter, value: Value): boolean {
  switch (parameter.kind) {
    case "file":
      return value.kind === "StringLiteral";
    case "global":
      return value.kind === "List" || isExpression(value);
    default:
      return isExpression(value);
  }
}

function expected(parameter: Parameter): string {
  switch (parameter.kind) {
    case "file":
      return 'a string (`"FILE.json"`)';
    case "global":
      return "a list of positions or a number of blocks";
    default:
      return "a number";
  }
}

function written(value: Value): string {
  switch (value.kind) {
    case "StringLiteral":
      return JSON.stringify(value.value);
    case "List":
      return "[…]";
    case "Range":
      return `${printExpression(value.from)}..${printExpression(value.to)}`;
    case "Percent":
      return `${printExpression(value.value)}%`;
    default:
      return printExpression(value);
  }
}
