import type { Command } from "commander";
import { ExitCode } from "../exit-codes.js";
import { examples, type CommandContext } from "../context.js";
import { loadSpec } from "../front-end.js";

interface ExplainOptions {
  readonly model?: string;
}

export function registerExplain(program: Command, context: CommandContext): void {
  program
    .command("explain")
    .summary("print the IR graph a spec lowers to")
    .description(
      "Check FILE and print its IR graph: inputs, parameters with their initializers, one line per node grouped by scope, " +
        "and outputs. Parameters stay lazy, so this allocates no weights even for large models.",
    )
    .argument("<file>", "the .tfx spec")
    .option("--model <name>", "the model to explain, when FILE declares several")
    .addHelpText("after", examples(["tfc explain examples/tiny-gpt.tfx", "tfc explain models.tfx --model llama_tiny | less"]))
    .action(async (file: string, options: ExplainOptions) => context.exit(await explain(file, options, context)));
}

async function explain(file: string, options: ExplainOptions, { io }: CommandContext): Promise<ExitCode> {
  const loaded = await loadSpec(file, options.model, io);
  if ("exitCode" in loaded) return loaded.exitCode;
  const [{ printGraph }, { lowerModel }] = await Promise.all([import("../../compiler/ir/index.js"), import("../../compiler/lower/index.js")]);
  io.out(printGraph(lowerModel(loaded.spec)));
  return ExitCode.Success;
}
