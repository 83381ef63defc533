import { readFileSync } from "node:fs";
import { posix } from "node:path";
import { fileURLToPath } from "node:url";
import type { Diagnostic } from "../../grammar/diagnostics.js";
import { parse } from "../../grammar/index.js";
import type { HeaderTensor } from "../weights/hf-match.js";
import { check, type CheckResult } from "./index.js";

/** Test helpers: source text in, diagnostics out. */

export interface Checked extends CheckResult {
  /** Parse diagnostics of the main file (check() sees only the AST). */
  readonly parseDiagnostics: readonly Diagnostic[];
  /** Every diagnostic as `E0204 7:17 unknown activation \`gleu\``. */
  readonly brief: string[];
}

/** Parses and checks `text` as `main.tfx`; `files` are other files it may import or read (layout files), by path. */
export function checkSource(
  text: string,
  options: {
    readonly model?: string;
    readonly files?: Readonly<Record<string, string>>;
    /** Checkpoint headers by path (`weights "FILE" layout …`): tensor name → dtype and shape. */
    readonly checkpoints?: Readonly<Record<string, Readonly<Record<string, HeaderTensor>>>>;
  } = {},
): Checked {
  const parsed = parse(text, "main.tfx");
  const files = options.files ?? {};
  const result = check(parsed.ast, {
    model: options.model,
    loadImport: (path, fromFile) => {
      const resolved = posix.normalize(posix.join(posix.dirname(fromFile), path));
      const source = resolved === "main.tfx" ? text : files[resolved];
      if (source === undefined) return { error: "file not found" };
      const imported = parse(source, resolved);
      return { ast: imported.ast, diagnostics: imported.diagnostics };
    },
    loadFile: (path, fromFile, maxBytes) => {
      const resolved = posix.normalize(posix.join(posix.dirname(fromFile), path));
      const source = files[resolved];
      if (source === undefined) return { error: "file not found" };
      if (source.length > maxBytes) return { error: `${source.length} bytes, above the limit of ${maxBytes}`, tooLarge: true };
      return { text: source };
    },
    loadCheckpoint: (path, fromFile) => {
      const resolved = posix.normalize(posix.join(posix.dirname(fromFile), path));
      const header = options.checkpoints?.[resolved];
      if (header === undefined) return { error: "no such file", notFound: true };
      return { file: `/checkpoints/${resolved}`, tensors: new Map(Object.entries(header)) };
    },
  });
  return { ...result, parseDiagnostics: parsed.diagnostics, brief: result.diagnostics.map(brief) };
}

export function brief(diagnostic: Diagnostic): string {
  const { start } = diagnostic.span;
  return `${diagnostic.code} ${start.line}:${start.column} ${diagnostic.message}`;
}

export const EXAMPLES_DIR = fileURLToPath(new URL("../../examples/", import.meta.url));

export function readExample(name: string): string {
  return readFileSync(`${EXAMPLES_DIR}${name}`, "utf8");
}

/** The source text a span covers, for asserting exact spans. */
export function textAt(source: string, diagnostic: { readonly span: Diagnostic["span"] }): string {
  return source.slice(diagnostic.span.start.offset, diagnostic.span.end.offset);
}
