import { Option, type Command } from "commander";
import type { Device, GraphOptimization, RunResult } from "../../runtime/index.js";
import { ExitCode } from "../exit-codes.js";
import { examples, type CommandContext } from "../context.js";
import { milliseconds, significant6, table } from "../format.js";
import { reportError } from "../io.js";
import { nonNegativeInteger, positiveInteger } from "../options.js";

interface RunCommandOptions {
  readonly batch: number;
  readonly seq: number;
  readonly seed: number;
  readonly runs: number;
  readonly warmup: number;
  readonly device: Device;
  readonly threads?: number;
  readonly optimization: GraphOptimization;
  readonly vocab?: number;
}

export function registerRun(program: Command, context: CommandContext): void {
  program
    .command("run")
    .summary("run an ONNX model on seeded random tokens")
    .description(
      "Run MODEL with ONNX Runtime on seeded random inputs and print each output's shape and checksum " +
        "(sum and sum of absolute values, to 6 significant digits) and the latency of the timed runs. " +
        "The same model and seed give the same checksums.",
    )
    .argument("<model>", "an .onnx file written by `tfc compile`")
    .addOption(new Option("--batch <n>", "batch size").argParser(positiveInteger).default(1))
    .addOption(new Option("--seq <n>", "sequence length (at most the model's context)").argParser(positiveInteger).default(16))
    .addOption(new Option("--seed <n>", "seed of the random input tokens").argParser(nonNegativeInteger).default(0))
    .addOption(new Option("--runs <n>", "timed runs").argParser(positiveInteger).default(5))
    .addOption(new Option("--warmup <n>", "untimed runs before timing").argParser(nonNegativeInteger).default(1))
    .addOption(new Option("--device <device>", "execution provider; auto tries CUDA, then CPU").choices(["auto", "cpu", "cuda"]).default("auto"))
    .addOption(new Option("--threads <n>", "intra-op threads (default: ONNX Runtime decides)").argParser(positiveInteger))
    .addOption(
      new Option("--optimization <level>", "ONNX Runtime graph optimization level")
        .choices(["disabled", "basic", "extended", "all"])
        .default("all"),
    )
    .addOption(new Option("--vocab <n>", "vocabulary size, for models that do not record `tfc.vocab`").argParser(positiveInteger))
    .addHelpText(
      "after",
      examples([
        "tfc run out/tiny_gpt.onnx",
        "tfc run out/tiny_gpt.onnx --batch 4 --seq 32 --seed 7",
        "tfc run out/gpt2_small.onnx --device cpu --threads 8 --runs 20",
      ]),
    )
    .action(async (model: string, options: RunCommandOptions) => context.exit(await run(model, options, context)));
}

async function run(model: string, options: RunCommandOptions, { io }: CommandContext): Promise<ExitCode> {
  // ONNX Runtime's native binding is loaded only by the command that runs a model.
  const { ModelRunError, runModel } = await import("../../runtime/index.js");
  let result: RunResult;
  try {
    result = await runModel(model, {
      batch: options.batch,
      seq: options.seq,
      seed: options.seed,
      runs: options.runs,
      warmup: options.warmup,
      device: options.device,
      threads: options.threads,
      graphOptimization: options.optimization,
      vocab: options.vocab,
    });
  } catch (e) {
    if (e instanceof ModelRunError) {
      reportError(io, e.message, e.help);
      return ExitCode.UserError;
    }
    throw e;
  }
  if (result.notice) io.err(`note: ${result.notice}\n`);
  const shape = (dims: readonly number[]) => `[${dims.join(", ")}]`;
  const lines = [
    `model    ${model} on ${result.provider}`,
    `inputs   ${result.inputs.map((i) => `${i.name} ${shape(i.dims)}`).join(", ")} (seed ${options.seed})`,
    "",
    ...table(
      ["output", "dtype", "shape", "sum", "sum |x|"],
      result.outputs.map((o) => [o.name, o.dtype, shape(o.dims), significant6(o.checksum.sum), significant6(o.checksum.sumAbs)]),
      { leftAligned: [0, 1, 2] },
    ),
    "",
    `latency  median ${milliseconds(result.latencyMs.median)}, min ${milliseconds(result.latencyMs.min)}, ` +
      `p90 ${milliseconds(result.latencyMs.p90)} over ${options.runs} ${options.runs === 1 ? "run" : "runs"}`,
  ];
  io.out(lines.join("\n") + "\n");
  return ExitCode.Success;
}
