import { Codes, type Diagnostic } from "../grammar/diagnostics.js";
import type { FrontEndResult } from "../compiler/pipeline.js";
import type { ModelSpec } from "../compiler/spec.js";
import { ExitCode } from "./exit-codes.js";
import { InternalFailure } from "./internal-failure.js";
import type { Io } from "./io.js";

export type LoadedSpec = { readonly spec: ModelSpec; readonly front: FrontEndResult } | { readonly exitCode: ExitCode };

/**
 * Reads and checks a spec file. Diagnostics (warnings too) are rendered to stderr; on errors the
 * rustc-style closing line follows and the exit code for user errors is returned. An internal
 * diagnostic (a crash the checker caught) is a bug, not the user's error: it is thrown as an
 * `InternalFailure` so it exits 70 and its stack stays hidden unless TFC_DEBUG is set.
 */
export async function loadSpec(file: string, model: string | undefined, io: Io): Promise<LoadedSpec> {
  // Loaded on use: building the parser takes most of a second, which `--help` should not pay.
  const [{ checkFile }, { renderDiagnostics }] = await Promise.all([import("../compiler/pipeline.js"), import("../grammar/render.js")]);
  const front = checkFile(file, { model });
  const internal = front.diagnostics.find((d) => d.code === Codes.Internal);
  if (internal) throw internalFailure(internal, file);

  const errors = front.diagnostics.filter((d) => d.severity === "error").length;
  if (front.diagnostics.length > 0) io.err(`${renderDiagnostics(front.diagnostics, front.sources, { color: io.color === true })}\n`);
  if (errors > 0) {
    io.err(`\nerror: could not compile \`${file}\` due to ${errors} previous ${errors === 1 ? "error" : "errors"}\n`);
    return { exitCode: ExitCode.UserError };
  }
  if (!front.spec) {
    // The checker says why no model was chosen; no spec and no error is a checker bug.
    throw new InternalFailure(`checking ${file} produced neither a model nor an error`);
  }
  return { spec: front.spec, front };
}

/**
 * The parser and checker report a crash they caught as an E0901 diagnostic ("internal error in the
 * checker", with the stack in `help`). This turns it into one line that names the stage and the file.
 */
export function internalFailure(diagnostic: Diagnostic, file: string): InternalFailure {
  const match = /^internal error in the (\w+)(?::\s*(.*))?$/s.exec(diagnostic.message);
  const message = match
    ? `the ${match[1]} failed on ${file}${match[2] ? `: ${match[2]}` : ""}`
    : `${diagnostic.message} (while checking ${file})`;
  return new InternalFailure(message, diagnostic.help);
}
