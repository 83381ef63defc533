import type { Expression, Value } from "../../../grammar/ast.js";
import { Codes, error } from "../../../grammar/diagnostics.js";
import type { Span } from "../../../grammar/span.js";
import { PatternArguments, type ArgumentValue } from "../../attention/arguments.js";
import { buildAttention } from "../../attention/build.js";
import { patternText, type PatternInstance, type TermInstance } from "../../attention/instance.js";
import type { AttentionLayouts } from "../../attention/layout.js";
import type { LayoutFile } from "../../attention/layout-file.js";
import type { Parameter } from "../../attention/terms.js";
import { printExpression, quote } from "../format.js";
import type { NumberRule } from "../numbers.js";
import type { Report } from "../report.js";
import type { ReadAssignment, ReadAttention, ReadTerm } from "./read.js";

/** What resolving an attention block needs from the model it is resolved in. */
export interface AttentionEnv {
  readonly model: string;
  readonly causal: boolean;
  readonly context: number;
  readonly layers: number;
  readonly heads: number;
  readonly contextSpan?: Span;
  /** Evaluates an expression with the model's fields and the `let`s, and checks it (reports and returns undefined on a problem). */
  readonly number: (expr: Expression, rule: NumberRule) => number | undefined;
  /** Reads a layout file named in the spec (reports and returns undefined on a problem). */
  readonly layoutFile: (path: string, span: Span) => LayoutFile | undefined;
  readonly report: Report;
}

export interface ResolvedAttention {
  /** False once any problem was reported. */
  readonly ok: boolean;
  /** Undefined when every layer is dense. */
  readonly layouts?: AttentionLayouts;
}

/**
 * Resolves an attention block in one model: selectors to (layer, head) sets, arguments to numbers,
 * then every (layer, head) to the pattern of the last rule that selects it — `default` rules first,
 * whatever their place — and the layouts from compiler/attention.
 */
export function resolveAttention(read: ReadAttention, env: AttentionEnv): ResolvedAttention {
  let ok = true;
  const patterns: (PatternInstance | undefined)[][] = [];
  const apply = (assignment: ReadAssignment, pattern: PatternInstance | undefined): void => {
    if (!assignment.selectorValid) {
      ok = false;
      return;
    }
    const layers = assignment.isDefault ? allOf(env.layers) : selectIndices(assignment.layers, env.layers, "layer", env);
    const heads = selectIndices(assignment.heads, env.heads, "head", env);
    if (!layers || !heads || !pattern) {
      ok = false;
      return;
    }
    for (const layer of layers) {
      const row = (patterns[layer] ??= new Array<PatternInstance | undefined>(env.heads).fill(undefined));
      for (const head of heads) row[head] = pattern;
    }
  };
  const instances = new Map<ReadAssignment, PatternInstance | undefined>();
  for (const assignment of read.assignments) instances.set(assignment, instantiate(assignment, env));
  for (const assignment of read.assignments) if (assignment.isDefault) apply(assignment, instances.get(assignment));
  for (const assignment of read.assignments) if (!assignment.isDefault) apply(assignment, instances.get(assignment));
  if (!ok) return { ok };

  const built = buildAttention(
    {
      model: env.model,
      causal: env.causal,
      context: env.context,
      layers: env.layers,
      heads: env.heads,
      patterns,
      contextSpan: env.contextSpan,
      blockSpan: read.block.span,
    },
    env.report,
  );
  return built ? { ok: true, layouts: built.layouts } : { ok: false };
}

function allOf(count: number): number[] {
  return Array.from({ length: count }, (_, i) => i);
}

const INDEX_RULE = (noun: string): NumberRule => ({ what: `a ${noun} number`, integer: true, sign: "nonNegative" });

/** The layers or heads a selector value picks, ascending; undefined after reporting a problem. Also reads `prune` directives' indices. */
export function selectIndices(
  value: Value | undefined,
  count: number,
  noun: "layer" | "head",
  env: Pick<AttentionEnv, "model" | "number" | "report">,
): number[] | undefined {
  if (!value) return allOf(count);
  const picked = new Set<number>();
  const numbered = count === 1 ? `the only ${noun} is 0` : `${noun}s are numbered 0 to ${count - 1}`;
  const has = `${quote(env.model)} has ${count} ${count === 1 ? noun : `${noun}s`}`;
  const visit = (item: Value): boolean => {
    switch (item.kind) {
      case "Name":
        if (item.name === "all" || item.name === "odd" || item.name === "even") {
          const before = picked.size;
          for (let i = 0; i < count; i++) if (item.name === "all" || (i % 2 === 1) === (item.name === "odd")) picked.add(i);
          if (picked.size === before && count > 0 && item.name !== "all") {
            env.report(
              error(Codes.BadValue, `${quote(item.name)} selects no ${noun}: ${has}`, item.span, {
                label: `no ${item.name} ${noun}`,
                help: numbered,
              }),
            );
            return false;
          }
          return true;
        }
        return single(item);
      case "Range": {
        const from = env.number(item.from, INDEX_RULE(noun));
        const to = env.number(item.to, INDEX_RULE(noun));
        if (from === undefined || to === undefined) return false;
        const text = `${printExpression(item.from)}..${printExpression(item.to)}`;
        if (from > to) {
          env.report(
            error(Codes.BadValue, `the range ${quote(text)} is empty`, item.span, {
              label: `${from} is after ${to}`,
              help: `ranges run upward and include both ends: write \`${printExpression(item.to)}..${printExpression(item.from)}\``,
              fix: { span: item.span, replacement: `${printExpression(item.to)}..${printExpression(item.from)}` },
            }),
          );
          return false;
        }
        if (to >= count) {
          env.report(
            error(Codes.OutOfRange, `${quote(text)} reaches ${noun} ${to}, but ${has}`, item.span, {
              label: "out of range",
              help: count > 0 ? `${numbered}: write \`${printExpression(item.from)}..${count - 1}\`` : numbered,
              fix: count > from ? { span: item.to.span, replacement: String(count - 1) } : undefined,
            }),
          );
          return false;
        }
        for (let i = from; i <= to; i++) picked.add(i);
        return true;
      }
      case "List":
        return item.items.map(visit).every(Boolean);
      default:
        return single(item as Expression);
    }
  };
  const single = (expr: Expression): boolean => {
    const index = env.number(expr, INDEX_RULE(noun));
    if (index === undefined) return false;
    if (index >= count) {
      env.report(
        error(Codes.OutOfRange, `${noun} ${index} is out of range: ${has}`, expr.span, {
          label: "out of range",
          help: numbered,
        }),
      );
      return false;
    }
    picked.add(index);
    return true;
  };
  return visit(value) ? [...picked].sort((a, b) => a - b) : undefined;
}

function instantiate(assignment: ReadAssignment, env: AttentionEnv): PatternInstance | undefined {
  if (!assignment.terms) return undefined;
  const terms = assignment.terms.map((term) => instantiateTerm(term, env));
  if (!terms.every((term): term is TermInstance => term !== undefined)) return undefined;
  const { pattern, selector } = assignment.assignment;
  return { terms, span: pattern.span, selectorSpan: selector.span, text: patternText(terms) };
}

function numberRule(parameter: Parameter): NumberRule {
  switch (parameter.kind) {
    case "seed":
      return { what: parameter.what, integer: true, sign: "nonNegative", limit: "seed" };
    case "count":
      return { what: parameter.what, integer: true, sign: parameter.min === 0 ? "nonNegative" : "positive", limit: "blocks" };
    default:
      return { what: parameter.what, integer: true, sign: "positive", limit: "context" };
  }
}

const POSITION_RULE: NumberRule = { what: "a token position", integer: true, sign: "nonNegative", limit: "context" };
const LEADING_RULE: NumberRule = { what: "the number of leading global blocks", integer: true, sign: "positive", limit: "blocks" };

function instantiateTerm(term: ReadTerm, env: AttentionEnv): TermInstance | undefined {
  const values = new Map<string, ArgumentValue>();
  const spans = new Map<string, Span>();
  const itemSpans = new Map<string, Span[]>();
  let ok = true;
  for (const [name, arg] of term.args) {
    const { parameter, value } = arg;
    spans.set(name, value.span);
    let resolved: ArgumentValue | undefined;
    if (parameter.kind === "file") {
      if (value.kind === "StringLiteral") {
        const file = env.layoutFile(value.value, value.span);
        resolved = file && { path: value.value, file };
      }
    } else if (parameter.kind === "global" && value.kind === "List") {
      const positions: number[] = [];
      const where: Span[] = [];
      let listOk = true;
      for (const item of value.items) {
        if (item.kind === "Range") {
          const from = env.number(item.from, POSITION_RULE);
          const to = env.number(item.to, POSITION_RULE);
          if (from === undefined || to === undefined) {
            listOk = false;
          } else if (from > to) {
            listOk = false;
            const text = `${printExpression(item.from)}..${printExpression(item.to)}`;
            env.report(
              error(Codes.BadValue, `the range ${quote(text)} is empty`, item.span, {
                label: `${from} is after ${to}`,
                help: `ranges run upward and include both ends: write \`${printExpression(item.to)}..${printExpression(item.from)}\``,
                fix: { span: item.span, replacement: `${printExpression(item.to)}..${printExpression(item.from)}` },
              }),
            );
          } else {
            for (let p = from; p <= to; p++) {
              positions.push(p);
              where.push(item.span);
            }
          }
        } else if (item.kind === "StringLiteral" || item.kind === "List" || item.kind === "Percent") {
          listOk = false;
          env.report(
            error(Codes.BadValue, "a global position must be a number or a range", item.span, {
              label: "not a position",
              help: "write token positions and ranges of them: `global [0, 100..103]`",
            }),
          );
        } else {
          const position = env.number(item, POSITION_RULE);
          if (position === undefined) listOk = false;
          else {
            positions.push(position);
            where.push(item.span);
          }
        }
      }
      if (positions.length === 0 && listOk) {
        listOk = false;
        env.report(error(Codes.MissingValue, "an empty list has no global position", value.span, { label: "empty", help: "list token positions: `global [0]`" }));
      }
      if (listOk) {
        resolved = { positions };
        itemSpans.set(name, where);
      }
    } else if (parameter.kind === "global") {
      const leading = env.number(value as Expression, LEADING_RULE);
      resolved = leading === undefined ? undefined : { leadingBlocks: leading };
    } else {
      resolved = env.number(value as Expression, numberRule(parameter));
    }
    if (resolved === undefined) ok = false;
    else values.set(name, resolved);
  }
  return ok ? { definition: term.definition, args: new PatternArguments(values, spans, itemSpans), span: term.term.span } : undefined;
}
