import type { Position, Span } from "./span.js";

/**
 * Offsets to line/column positions for one source text. Line breaks are `\r\n`, `\r`, `\n`, U+2028 and
 * U+2029: the same set @babel/code-frame splits on, so a span's line is the line the renderer draws.
 */
export class LineIndex {
  private readonly lineStarts: number[] = [0];

  constructor(
    readonly text: string,
    readonly file: string,
  ) {
    for (let i = 0; i < text.length; i++) {
      const c = text.charCodeAt(i);
      if (c === 0x0d) {
        if (text.charCodeAt(i + 1) === 0x0a) i++;
        this.lineStarts.push(i + 1);
      } else if (c === 0x0a || c === 0x2028 || c === 0x2029) {
        this.lineStarts.push(i + 1);
      }
    }
  }

  /** The position of `offset`, clamped into [0, text.length]. */
  positionAt(offset: number): Position {
    const at = Math.max(0, Math.min(Number.isFinite(offset) ? Math.floor(offset) : 0, this.text.length));
    let low = 0;
    let high = this.lineStarts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if (this.lineStarts[mid] <= at) low = mid;
      else high = mid - 1;
    }
    return { offset: at, line: low + 1, column: at - this.lineStarts[low] + 1 };
  }

  /** The span [start, end) of this file. */
  span(start: number, end: number): Span {
    const from = this.positionAt(start);
    const to = this.positionAt(Math.max(start, end));
    return { file: this.file, start: from, end: to };
  }

  /** The text of a span (empty when it lies outside). */
  textOf(span: Span): string {
    return this.text.slice(span.start.offset, span.end.offset);
  }
}
