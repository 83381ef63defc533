/**
 * What `tfc` exits with. Scripts and CI branch on these, so they are part of the interface.
 *
 * | code | meaning                                                                                  |
 * |------|------------------------------------------------------------------------------------------|
 * | 0    | success                                                                                  |
 * | 1    | a problem in the user's input: spec diagnostics, an unreadable or unwritable file, an     |
 * |      | ONNX file ONNX Runtime cannot load or run, a requested provider that is not installed     |
 * | 2    | usage: unknown command or option, a missing argument, a bad option value                 |
 * | 70   | internal error, a bug in tfc (EX_SOFTWARE from BSD sysexits.h)                            |
 */
export const ExitCode = {
  Success: 0,
  UserError: 1,
  Usage: 2,
  Internal: 70,
} as const;

export type ExitCode = (typeof ExitCode)[keyof typeof ExitCode];
