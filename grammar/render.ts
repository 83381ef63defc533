import { codeFrameColumns } from "@babel/code-frame";
import type { Diagnostic, Severity } from "./diagnostics.js";
import type { Span } from "./span.js";

/**
 * Draws diagnostics the way rustc does:
 *
 *   error[E0204]: unknown activation `gleu`
 *     --> models/gpt.tfx:7:19
 *     6 |   width 768
 *   > 7 |   ffn 4 * width gleu
 *       |                 ^^^^ not an activation
 *   note: ffn declared here          (one per secondary label, with its own location and frame)
 *     --> …
 *   help: did you mean `gelu`?
 */
export interface RenderOptions {
  /** ANSI colours. Off unless asked for. */
  readonly color?: boolean;
  /** Texts of other files, for labels that point outside the diagnostic's own file. */
  readonly sources?: ReadonlyMap<string, string>;
}

/** Spans over more lines than this are drawn as their first line only. */
const MAX_FRAME_LINES = 4;

const ANSI = {
  reset: "\x1b[0m",
  bold: "\x1b[1m",
  red: "\x1b[1;31m",
  yellow: "\x1b[1;33m",
  cyan: "\x1b[1;36m",
  blue: "\x1b[1;34m",
} as const;

export function renderDiagnostic(diagnostic: Diagnostic, sourceText: string | undefined, options: RenderOptions = {}): string {
  const paint = painter(options.color === true);
  const textOf = (span: Span): string | undefined =>
    span.file === diagnostic.span.file ? sourceText : options.sources?.get(span.file);

  const lines: string[] = [];
  lines.push(
    `${paint(SEVERITY_COLOR[diagnostic.severity], `${diagnostic.severity}[${diagnostic.code}]`)}${paint(ANSI.bold, `: ${diagnostic.message}`)}`,
  );
  lines.push(location(diagnostic.span, paint));
  const frame = codeFrame(textOf(diagnostic.span), diagnostic.span, diagnostic.label, options.color === true);
  if (frame) lines.push(frame);
  else if (diagnostic.label) lines.push(`   = ${diagnostic.label}`);

  for (const label of diagnostic.labels ?? []) {
    lines.push(`${paint(ANSI.cyan, "note")}: ${label.message}`);
    lines.push(location(label.span, paint));
    const labelFrame = codeFrame(textOf(label.span), label.span, undefined, options.color === true);
    if (labelFrame) lines.push(labelFrame);
  }

  const help = diagnostic.help ?? (diagnostic.fix ? fixAsHelp(diagnostic.fix.replacement) : undefined);
  if (help) lines.push(`${paint(ANSI.cyan, "help")}: ${help}`);
  return lines.join("\n");
}

/** All diagnostics, each drawn against its own file's text, separated by blank lines. */
export function renderDiagnostics(
  diagnostics: readonly Diagnostic[],
  sources: ReadonlyMap<string, string>,
  options: Omit<RenderOptions, "sources"> = {},
): string {
  return diagnostics
    .map((diagnostic) => renderDiagnostic(diagnostic, sources.get(diagnostic.span.file), { ...options, sources }))
    .join("\n\n");
}

const SEVERITY_COLOR: Record<Severity, string> = { error: ANSI.red, warning: ANSI.yellow, note: ANSI.cyan };

function painter(enabled: boolean): (style: string, text: string) => string {
  return enabled ? (style, text) => `${style}${text}${ANSI.reset}` : (_style, text) => text;
}

function location(span: Span, paint: (style: string, text: string) => string): string {
  return `  ${paint(ANSI.blue, "-->")} ${span.file}:${span.start.line}:${span.start.column}`;
}

function fixAsHelp(replacement: string): string {
  return replacement === "" ? "remove this" : `replace this with \`${replacement}\``;
}

/** Splits like @babel/code-frame does, so line numbers agree. */
const NEWLINE = /\r\n|[\n\r\u2028\u2029]/;

function codeFrame(text: string | undefined, span: Span, message: string | undefined, color: boolean): string | undefined {
  if (text === undefined) return undefined;
  const sourceLines = text.split(NEWLINE);
  const clampLine = (line: number): number => Math.min(Math.max(1, Math.floor(line) || 1), sourceLines.length);
  const clampColumn = (line: number, column: number): number =>
    Math.min(Math.max(1, Math.floor(column) || 1), sourceLines[line - 1].length + 1);

  const startLine = clampLine(span.start.line);
  const startColumn = clampColumn(startLine, span.start.column);
  let endLine = Math.max(startLine, clampLine(span.end.line));
  let endColumn = clampColumn(endLine, span.end.column);
  if (endLine === startLine && endColumn < startColumn) endColumn = startColumn;
  if (endLine - startLine + 1 > MAX_FRAME_LINES) {
    endLine = startLine;
    endColumn = Math.max(startColumn + 1, sourceLines[startLine - 1].length + 1);
  }
  // A span ending at column 1 of a later line really ends with the line before it.
  if (endLine > startLine && endColumn === 1) {
    endLine--;
    endColumn = sourceLines[endLine - 1].length + 1;
  }

  return codeFrameColumns(
    text,
    { start: { line: startLine, column: startColumn }, end: { line: endLine, column: endColumn } },
    { message, highlightCode: color, forceColor: color, linesAbove: 1, linesBelow: 0 },
  );
}
