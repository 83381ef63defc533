import type { Diagnostic } from "../../grammar/diagnostics.js";
import type { Span } from "../../grammar/span.js";

export type Report = (diagnostic: Diagnostic) => void;

/**
 * Collects diagnostics, dropping exact repeats. A field inherited through `extends` is checked once
 * per model that inherits it; when the problem does not depend on the model, the copies are identical
 * and only the first is kept.
 */
export class Reporter {
  readonly diagnostics: Diagnostic[] = [];
  private readonly seen = new Set<string>();

  readonly report: Report = (diagnostic) => {
    const { span } = diagnostic;
    const key = `${diagnostic.code}|${span.file}|${span.start.offset}|${span.end.offset}|${diagnostic.message}`;
    if (this.seen.has(key)) return;
    this.seen.add(key);
    this.diagnostics.push(diagnostic);
  };
}

export function contains(outer: Span, inner: Span): boolean {
  return (
    outer.file === inner.file &&
    outer.start.offset <= inner.start.offset &&
    inner.end.offset <= outer.end.offset
  );
}
