import type { Expression, NameExpression } from "../../grammar/ast.js";
import { Codes, error } from "../../grammar/diagnostics.js";
import type { Span } from "../../grammar/span.js";
import { printExpression, quote } from "./format.js";
import type { Report } from "./report.js";

/** A computed number. Arithmetic is plain double arithmetic: integers stay exact up to 2^53. */
export interface Evaluated {
  readonly value: number;
  /** The first `/` whose whole operands did not divide evenly, to explain a "must be a whole number". */
  readonly inexactDivision?: { readonly span: Span; readonly dividend: number; readonly divisor: number };
}

/**
 * Looks a name up (a field of the model being checked, or a `let`). Returns undefined when the name
 * has no usable value; the resolver reports why, unless that was already reported elsewhere.
 */
export type ResolveName = (name: NameExpression) => number | undefined;

/** Evaluates `+ - * /` and unary minus. Returns undefined after reporting (or when a name has no value). */
export function evaluate(expr: Expression, resolveName: ResolveName, report: Report): Evaluated | undefined {
  switch (expr.kind) {
    case "NumberLiteral":
      return finite(expr, { value: expr.value }, report);
    case "Name": {
      const value = resolveName(expr);
      return value === undefined ? undefined : { value };
    }
    case "Paren":
      return evaluate(expr.inner, resolveName, report);
    case "Unary": {
      const operand = evaluate(expr.operand, resolveName, report);
      return operand && { ...operand, value: -operand.value };
    }
    case "Binary": {
      // Both sides are evaluated so that errors on each are reported in the same run.
      const left = evaluate(expr.left, resolveName, report);
      const right = evaluate(expr.right, resolveName, report);
      if (!left || !right) return undefined;
      const inexact = left.inexactDivision ?? right.inexactDivision;
      switch (expr.operator) {
        case "+":
          return finite(expr, { value: left.value + right.value, inexactDivision: inexact }, report);
        case "-":
          return finite(expr, { value: left.value - right.value, inexactDivision: inexact }, report);
        case "*":
          return finite(expr, { value: left.value * right.value, inexactDivision: inexact }, report);
        case "/": {
          if (right.value === 0) {
            const isLiteral = expr.right.kind === "NumberLiteral";
            report(
              error(Codes.DivisionByZero, `division by zero in ${quote(printExpression(expr))}`, expr.span, {
                label: "divides by zero",
                labels: isLiteral
                  ? []
                  : [{ span: expr.right.span, message: `${quote(printExpression(expr.right))} is 0` }],
              }),
            );
            return undefined;
          }
          const value = left.value / right.value;
          const wholeOperands = Number.isInteger(left.value) && Number.isInteger(right.value);
          const ownInexact =
            wholeOperands && !Number.isInteger(value)
              ? { span: expr.span, dividend: left.value, divisor: right.value }
              : undefined;
          return finite(expr, { value, inexactDivision: inexact ?? ownInexact }, report);
        }
      }
    }
  }
}

function finite(expr: Expression, result: Evaluated, report: Report): Evaluated | undefined {
  if (Number.isFinite(result.value)) return result;
  report(
    error(Codes.TooLarge, `${quote(printExpression(expr))} is too large to represent`, expr.span, {
      label: "overflows a 64-bit float",
    }),
  );
  return undefined;
}
