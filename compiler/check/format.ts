import type { Expression } from "../../grammar/ast.js";

/** `name` in backticks, as diagnostics quote source words. */
export function quote(text: string): string {
  return `\`${text}\``;
}

/** "a", "a and b", "a, b and c" (or "or"). */
export function listOf(items: readonly string[], conjunction: "and" | "or" = "and"): string {
  if (items.length <= 1) return items.join("");
  return `${items.slice(0, -1).join(", ")} ${conjunction} ${items[items.length - 1]}`;
}

/** 109482240 → "109,482,240"; non-integers are printed as JavaScript prints them. */
export function formatCount(n: number): string {
  if (!Number.isInteger(n) || Math.abs(n) >= 1e21) return String(n);
  const digits = String(Math.abs(n));
  const grouped = digits.replace(/\B(?=(\d{3})+(?!\d))/g, ",");
  return n < 0 ? `-${grouped}` : grouped;
}

/** "a" or "an" before a noun, by its first letter. */
export function article(noun: string): string {
  return /^[aeiou]/i.test(noun) ? `an ${noun}` : `a ${noun}`;
}

/** An expression as it would be written, for quoting it in a message. */
export function printExpression(expr: Expression): string {
  switch (expr.kind) {
    case "NumberLiteral":
      return expr.text;
    case "Name":
      return expr.name;
    case "Paren":
      return `(${printExpression(expr.inner)})`;
    case "Unary":
      return `-${printExpression(expr.operand)}`;
    case "Binary":
      return `${printExpression(expr.left)} ${expr.operator} ${printExpression(expr.right)}`;
  }
}
