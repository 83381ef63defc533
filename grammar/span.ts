/** A position in a source file. `line` and `column` are 1-based; `offset` is a 0-based UTF-16 index. */
export interface Position {
  readonly offset: number;
  readonly line: number;
  readonly column: number;
}

/** A half-open source range [start, end) in one file. Every AST node and diagnostic carries one. */
export interface Span {
  readonly file: string;
  readonly start: Position;
  readonly end: Position;
}

/** The smallest span covering both `a` and `b` (which must be in the same file). */
export function joinSpans(a: Span, b: Span): Span {
  const start = a.start.offset <= b.start.offset ? a.start : b.start;
  const end = a.end.offset >= b.end.offset ? a.end : b.end;
  return { file: a.file, start, end };
}

/** A span for things that have no source text (defaults, API-built specs). */
export function syntheticSpan(file = "<builtin>"): Span {
  const origin = { offset: 0, line: 1, column: 1 };
  return { file, start: origin, end: origin };
}
