import { Option, type Command } from "commander";
import { mkdirSync, statSync } from "node:fs";
import { dirname, join } from "node:path";
import { HF_LAYOUTS, type HfLayout } from "../../compiler/spec.js";
import { examples, type CommandContext } from "../context.js";
import { ExitCode } from "../exit-codes.js";
import { fileSize, seconds, shortCount, withSeparators } from "../format.js";
import { loadSpec } from "../front-end.js";
import { reportCannotWrite, reportError } from "../io.js";

interface ExportWeightsOptions {
  readonly output?: string;
  readonly model?: string;
  readonly names?: "tfc" | HfLayout;
  readonly dtype?: "f32" | "f16" | "bf16";
  readonly quiet?: boolean;
}

const NAMINGS = ["tfc", ...HF_LAYOUTS] as const;

export function registerExportWeights(program: Command, context: CommandContext): void {
  program
    .command("export-weights")
    .summary("write a spec's weights, after its passes, as a safetensors checkpoint")
    .description(
      "Compile FILE (running the passes it asks for) and write the resulting parameters as safetensors, tensor by tensor, " +
        "so they can be fine-tuned elsewhere. A spec that reads a Hugging Face checkpoint is written back in that layout's " +
        "names and shapes; any other in tfc's parameter names (docs/weights.md). Constant tables (rotary, sinusoidal) are left out.",
    )
    .argument("<file>", "the .tfx spec")
    .option("-o, --output <file.safetensors>", "where to write the checkpoint (default: out/<model>.safetensors)")
    .option("--model <name>", "the model to export, when FILE declares several")
    .addOption(new Option("--names <naming>", "tensor names: tfc's, or a Hugging Face layout's").choices(NAMINGS))
    .addOption(new Option("--dtype <dtype>", "stored precision of float weights").choices(["f32", "f16", "bf16"]).default("f32"))
    .option("-q, --quiet", "print nothing on success")
    .addHelpText(
      "after",
      examples([
        "tfc export-weights examples/tiny-gpt.tfx -o tiny.safetensors",
        "tfc export-weights examples/gpt2-small.tfx --names hf-gpt2 --dtype bf16",
        "tfc export-weights imported-gpt2.tfx -o pruned.safetensors   # names as in the imported checkpoint",
      ]),
    )
    .action(async (file: string, options: ExportWeightsOptions) => context.exit(await exportWeightsCommand(file, options, context)));
}

async function exportWeightsCommand(file: string, options: ExportWeightsOptions, { io }: CommandContext): Promise<ExitCode> {
  const started = performance.now();
  const loaded = await loadSpec(file, options.model, io);
  if ("exitCode" in loaded) return loaded.exitCode;
  const { spec } = loaded;
  const [{ compileSpec }, { exportWeights, namingFor, ExportError }, { SafetensorsError }] = await Promise.all([
    import("../../compiler/pipeline.js"),
    import("../../compiler/weights/export.js"),
    import("../../compiler/weights/safetensors.js"),
  ]);
  const output = options.output ?? join("out", `${spec.name}.safetensors`);
  const naming = namingFor(spec, options.names);
  const dtype = ({ f32: "F32", f16: "F16", bf16: "BF16" } as const)[options.dtype ?? "f32"];
  const { graph } = compileSpec(spec);
  let summary;
  try {
    mkdirSync(dirname(output), { recursive: true });
    summary = await exportWeights(graph, spec, output, { naming, dtype });
  } catch (e) {
    if (e instanceof ExportError) {
      reportError(io, `cannot export \`${spec.name}\`: ${e.message}`, "`--names tfc` writes every parameter under tfc's own name and shape");
      return ExitCode.UserError;
    }
    if (e instanceof SafetensorsError) {
      reportError(io, `cannot export \`${spec.name}\`: ${e.message}`);
      return ExitCode.UserError;
    }
    if (isFileSystemError(e)) {
      reportCannotWrite(io, output, e);
      return ExitCode.UserError;
    }
    throw e;
  }
  if (!options.quiet) {
    const { parameters } = summary;
    const names = naming.kind === "tfc" ? "tfc names" : `${naming.layout} names${naming.prefix ? ` under \`${naming.prefix}\`` : ""}`;
    io.out(
      [
        `exported ${spec.name} in ${seconds(performance.now() - started)}`,
        `  tensors       ${summary.tensors} (${names}, ${dtype})`,
        `  parameters    ${withSeparators(parameters)} (${shortCount(parameters)})`,
        `  wrote         ${output} (${fileSize(statSync(output).size)})`,
      ].join("\n") + "\n",
    );
  }
  return ExitCode.Success;
}

function isFileSystemError(e: unknown): e is NodeJS.ErrnoException {
  return e instanceof Error && typeof (e as NodeJS.ErrnoException).code === "string" && typeof (e as NodeJS.ErrnoException).syscall === "string";
}
