/** Where a command writes. Commands take one so tests and embedders can capture their output. */
export interface Io {
  /** Results: summaries, printed graphs. */
  out(text: string): void;
  /** Diagnostics, notices and errors. */
  err(text: string): void;
  /** Whether `err` may carry ANSI colour. */
  readonly color?: boolean;
}

export const processIo: Io = {
  out: (text) => void process.stdout.write(text),
  err: (text) => void process.stderr.write(text),
  color: wantsColor(),
};

/** Colour on a terminal, unless NO_COLOR is set (no-color.org); FORCE_COLOR turns it on anywhere. */
function wantsColor(): boolean {
  if (process.env.NO_COLOR) return false;
  if (process.env.FORCE_COLOR && process.env.FORCE_COLOR !== "0") return true;
  return process.stderr.isTTY === true && process.env.TERM !== "dumb";
}

/** `error: <message>` with an optional `help:` line, as the diagnostic renderer ends its reports. */
export function reportError(io: Io, message: string, help?: string): void {
  io.err(`error: ${message}\n${help ? `help: ${help}\n` : ""}`);
}

const WRITE_FAILURE_REASONS: Readonly<Record<string, string>> = {
  EACCES: "permission denied",
  EPERM: "permission denied",
  ENOSPC: "no space left on the device",
  EISDIR: "it is a directory",
  ENOTDIR: "a parent is not a directory",
  EROFS: "the file system is read-only",
  EEXIST: "a file is in the way",
};

/** `error: cannot write PATH: <reason in words>` for a file-system error. */
export function reportCannotWrite(io: Io, path: string, e: NodeJS.ErrnoException): void {
  reportError(io, `cannot write ${path}: ${WRITE_FAILURE_REASONS[e.code ?? ""] ?? e.message}`);
}
