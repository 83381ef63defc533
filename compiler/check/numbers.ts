import type { Expression } from "../../grammar/ast.js";
import { Codes, error } from "../../grammar/diagnostics.js";
import type { Evaluated } from "./evaluate.js";
import { formatCount, printExpression, quote } from "./format.js";
import { LIMITS, type LimitName } from "./limits.js";
import type { Report } from "./report.js";

/** What a number written in a field must be. */
export interface NumberRule {
  /** How messages name the number: "`width`", "the `ffn` size". */
  readonly what: string;
  readonly integer: boolean;
  readonly sign: "positive" | "nonNegative";
  /** An entry of the limits table (E0401 above it). */
  readonly limit?: LimitName;
}

/** Checks an evaluated number against its rule; returns it when it passes, else reports and returns undefined. */
export function checkNumber(expr: Expression, evaluated: Evaluated, rule: NumberRule, report: Report): number | undefined {
  const { value } = evaluated;
  const written = printExpression(expr);
  const literal = expr.kind === "NumberLiteral" || (expr.kind === "Unary" && expr.operand.kind === "NumberLiteral");
  const shown = literal ? `got ${written}` : `but ${quote(written)} is ${formatCount(value)}`;

  if (rule.integer && !Number.isInteger(value)) {
    const division = evaluated.inexactDivision;
    report(
      error(Codes.NotAnInteger, `${rule.what} must be a whole number, ${shown}`, expr.span, {
        label: "not a whole number",
        labels: division && division.span !== expr.span
          ? [{ span: division.span, message: `${division.dividend} / ${division.divisor} leaves a remainder` }]
          : [],
        help: division
          ? `division must be exact where a whole number is needed: ${division.dividend} / ${division.divisor} = ${division.dividend / division.divisor}`
          : `write a whole number, such as ${Math.round(value) || 1}`,
      }),
    );
    return undefined;
  }
  if (rule.sign === "positive" ? value <= 0 : value < 0) {
    const must = rule.sign === "positive" ? "must be positive" : "must not be negative";
    report(error(Codes.NotPositive, `${rule.what} ${must}, ${shown}`, expr.span, { label: must }));
    return undefined;
  }
  if (rule.limit !== undefined) {
    const limit = LIMITS[rule.limit];
    if (value > limit.max) {
      report(
        error(Codes.TooLarge, `${rule.what} is ${formatCount(value)}, above the limit of ${formatCount(limit.max)}`, expr.span, {
          label: "too large",
          help: `tfc rejects a ${limit.noun} above ${formatCount(limit.max)} before allocating anything`,
        }),
      );
      return undefined;
    }
  }
  return value;
}
