export { printExpression } from "../../grammar/format.js";

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
