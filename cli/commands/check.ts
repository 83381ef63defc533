import type { Command } from "commander";
import { ExitCode } from "../exit-codes.js";
import { examples, type CommandContext } from "../context.js";
import { withSeparators } from "../format.js";
import { loadSpec } from "../front-end.js";

interface CheckOptions {
  readonly model?: string;
}

export function registerCheck(program: Command, context: CommandContext): void {
  program
    .command("check")
    .summary("check a spec for errors without compiling it")
    .description("Parse and check FILE, printing every diagnostic. Nothing is lowered or written.")
    .argument("<file>", "the .tfx spec")
    .option("--model <name>", "the model to check, when FILE declares several")
    .addHelpText("after", examples(["tfc check examples/tiny-gpt.tfx", "tfc check models.tfx --model gpt2_small"]))
    .action(async (file: string, options: CheckOptions) => context.exit(await check(file, options, context)));
}

async function check(file: string, options: CheckOptions, { io }: CommandContext): Promise<ExitCode> {
  const loaded = await loadSpec(file, options.model, io);
  if ("exitCode" in loaded) return loaded.exitCode;
  const { spec } = loaded;
  const { countParameters } = await import("../../compiler/check/index.js");
  io.out(`ok: ${spec.name} (${spec.kind}, ${withSeparators(countParameters(spec).total)} parameters)\n`);
  return ExitCode.Success;
}
