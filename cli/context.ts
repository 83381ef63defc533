import type { ExitCode } from "./exit-codes.js";
import type { Io } from "./io.js";

/** What every command gets: where to write, and how to set the process's exit code. */
export interface CommandContext {
  readonly io: Io;
  exit(code: ExitCode): void;
}

/** Text for `--help`'s epilogue: a few commands a person would actually type. */
export function examples(lines: readonly string[]): string {
  return `\nExamples:\n${lines.map((l) => `  $ ${l}`).join("\n")}\n`;
}
