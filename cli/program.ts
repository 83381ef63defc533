import { Command, CommanderError } from "commander";
import { registerCheck } from "./commands/check.js";
import { registerCompile } from "./commands/compile.js";
import { registerExplain } from "./commands/explain.js";
import { registerExportWeights } from "./commands/export-weights.js";
import { registerImport } from "./commands/import.js";
import { registerLayout } from "./commands/layout.js";
import { registerRun } from "./commands/run.js";
import { examples, type CommandContext } from "./context.js";
import { ExitCode } from "./exit-codes.js";
import { InternalFailure } from "./internal-failure.js";
import { processIo, type Io } from "./io.js";
import { tfcVersion } from "./version.js";

/** The `tfc` command tree. Usage errors throw `CommanderError` (exitOverride) instead of exiting. */
export function buildProgram(context: CommandContext): Command {
  const { io } = context;
  const program = new Command()
    .name("tfc")
    .description("A compiler for transformers: .tfx specs to ONNX models and execution plans.")
    .version(tfcVersion(), "-V, --version", "print the tfc version")
    .helpOption("-h, --help", "show help for tfc or a command")
    .exitOverride()
    .configureOutput({ writeOut: (s) => io.out(s), writeErr: (s) => io.err(s) })
    .showHelpAfterError("(add --help for usage)")
    .addHelpText(
      "after",
      examples([
        "tfc check examples/tiny-gpt.tfx",
        "tfc compile examples/tiny-gpt.tfx -o out/tiny.onnx",
        "tfc explain examples/tiny-gpt.tfx",
        "tfc run out/tiny.onnx --seq 16 --seed 0",
        "tfc layout examples/bigbird-long.tfx --layer 0 -o bigbird.png",
        "tfc import models/gpt2/config.json",
      ]) + "\nExit codes: 0 success, 1 errors in the input, 2 usage errors, 70 internal error (a bug in tfc).\n",
    );
  registerCompile(program, context);
  registerCheck(program, context);
  registerExplain(program, context);
  registerRun(program, context);
  registerLayout(program, context);
  registerExportWeights(program, context);
  registerImport(program, context);
  return program;
}

/** Runs `tfc` with `argv` (the arguments after the program name) and returns the exit code. Never throws. */
export async function main(argv: readonly string[], io: Io = processIo): Promise<ExitCode> {
  let exitCode: ExitCode = ExitCode.Success;
  const context: CommandContext = {
    io,
    exit: (code) => {
      exitCode = code;
    },
  };
  return guard(io, async () => {
    try {
      await buildProgram(context).parseAsync([...argv], { from: "user" });
    } catch (e) {
      // Help and --version end through exitOverride too, with exit code 0.
      if (e instanceof CommanderError) return e.exitCode === 0 ? ExitCode.Success : ExitCode.Usage;
      throw e;
    }
    return exitCode;
  });
}

/**
 * The last line of defence: anything thrown is a bug in tfc, reported in one line without a stack
 * trace (user errors are values, handled before they get here). `TFC_DEBUG=1` adds the stack.
 */
export async function guard(io: Io, body: () => Promise<ExitCode>): Promise<ExitCode> {
  try {
    return await body();
  } catch (e) {
    reportInternalError(io, e);
    return ExitCode.Internal;
  }
}

export function reportInternalError(io: Io, e: unknown): void {
  const message = e instanceof Error ? e.message : String(e);
  io.err(`internal error: ${message}\nthis is a bug in tfc; please report it with the spec file\n`);
  if (debugEnabled()) {
    const detail = e instanceof InternalFailure && e.detail ? e.detail : e instanceof Error ? e.stack : undefined;
    if (detail) io.err(`${detail}\n`);
  } else {
    io.err("(run with TFC_DEBUG=1 to print where it happened)\n");
  }
}

function debugEnabled(): boolean {
  const value = process.env.TFC_DEBUG;
  return value !== undefined && value !== "" && value !== "0" && value.toLowerCase() !== "false";
}
