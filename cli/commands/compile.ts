import { Option, InvalidArgumentError, type Command } from "commander";
import { existsSync, mkdirSync, rmSync, statSync } from "node:fs";
import { basename, dirname, extname, join, relative, resolve, sep } from "node:path";
import type { ExecutionPlan, PlannedLayer } from "../../compiler/plan.js";
import type { CollectActivations, CompiledModel } from "../../compiler/pipeline.js";
import { OnnxEmitError } from "../../compiler/onnx/errors.js";
import { SafetensorsError } from "../../compiler/weights/errors.js";
import { OPSET_RANGE } from "../../compiler/check/target.js";
import { RECOMMENDED_CHUNK_BYTES } from "../../compiler/ir/ops/block-sparse-schedule.js";
import { writeFileAtomic } from "../atomic-write.js";
import { ExitCode } from "../exit-codes.js";
import { attentionTable } from "../attention-table.js";
import { examples, type CommandContext } from "../context.js";
import { fileSize, gigaflops, mebibytes, seconds, shortCount, table, withSeparators } from "../format.js";
import { loadSpec } from "../front-end.js";
import { reportCannotWrite, reportError, type Io } from "../io.js";
import { tfcVersion } from "../version.js";
import { optimizationSummary, withDeviations } from "./optimize-report.js";

interface CompileOptions {
  readonly output?: string;
  readonly plan?: string;
  readonly model?: string;
  readonly opset?: number;
  readonly quiet?: boolean;
  readonly planOnly?: boolean;
  readonly externalData?: boolean;
  readonly attentionChunks?: number;
  readonly deviation?: boolean;
}

/** Layer tables longer than this show their first and last rows only; plan.json has them all. */
const MAX_LAYER_ROWS = 100;
const LAYER_ROWS_SHOWN_AT_EACH_END = 5;

export function registerCompile(program: Command, context: CommandContext): void {
  program
    .command("compile")
    .summary("compile a spec to an ONNX model and an execution plan")
    .description(
      "Check FILE, lower it to the IR and write the ONNX model and its plan.json, then print what it costs: " +
        "parameters, weight bytes, FLOPs per token at full context and a per-layer table; with an `attention` block, " +
        "its density, FLOPs and memory against dense attention per layer and head group, and how each layer is lowered.",
    )
    .argument("<file>", "the .tfx spec")
    .option("-o, --output <file.onnx>", "where to write the ONNX model (default: out/<model>.onnx)")
    .option("--plan <file.json>", "where to write the plan (default: beside the model, <name>.plan.json)")
    .option("--model <name>", "the model to compile, when FILE declares several")
    .addOption(new Option("--opset <n>", "ONNX opset to emit, overriding the spec's target").argParser(parseOpset))
    .option("--plan-only", "write the plan without emitting (or allocating) any weights")
    .option("--external-data", "store the weights beside the model in <file.onnx>.data (ONNX external data); automatic past the 2 GiB protobuf limit")
    .addOption(
      new Option(
        "--attention-chunks <MiB>",
        `lower block-sparse attention in chunks of at most MiB each (${RECOMMENDED_CHUNK_BYTES / 2 ** 20} measured best), so each chunk's blocks stay in cache: ` +
          "faster attention at long sequences, but many more nodes and a slower ONNX Runtime session set-up (docs/attention-lowering.md)",
      ).argParser(parseChunkMiB),
    )
    .option("--no-deviation", "skip running the model before and after lossy `optimize` directives to measure their deviation")
    .option("-q, --quiet", "print nothing on success")
    .addHelpText(
      "after",
      examples([
        "tfc compile examples/tiny-gpt.tfx",
        "tfc compile models.tfx --model gpt2_small -o build/gpt2.onnx",
        "tfc compile examples/tiny-gpt.tfx --opset 18 --plan build/plan.json --quiet",
        "tfc compile examples/llama-7b.tfx --plan-only",
        "tfc compile examples/bigbird-long.tfx --attention-chunks 8   # faster long-sequence attention, slower session set-up",
        "tfc compile examples/gpt2-xl.tfx -o build/gpt2-xl.onnx   # 6 GB of weights: writes build/gpt2-xl.onnx.data too",
      ]),
    )
    .action(async (file: string, options: CompileOptions) => context.exit(await compile(file, options, context)));
}

/** The same range a spec's `target onnx { opset N }` accepts. */
function parseOpset(value: string): number {
  const opset = Number(value);
  if (!/^\d+$/.test(value.trim())) throw new InvalidArgumentError("Not an integer.");
  if (opset < OPSET_RANGE.min || opset > OPSET_RANGE.max) {
    throw new InvalidArgumentError(`tfc emits ONNX opsets ${OPSET_RANGE.min} to ${OPSET_RANGE.max}.`);
  }
  return opset;
}

/** Chunk budgets from 64 KiB (one 64-token block's scores) to 1 GiB. */
function parseChunkMiB(value: string): number {
  const mib = Number(value);
  if (value.trim() === "" || !Number.isFinite(mib)) throw new InvalidArgumentError("Not a number of MiB.");
  if (mib < 1 / 16 || mib > 1024) throw new InvalidArgumentError("Give a budget from 0.0625 (64 KiB) to 1024 MiB; 8 measured best.");
  return mib;
}

async function compile(file: string, options: CompileOptions, { io }: CommandContext): Promise<ExitCode> {
  const started = performance.now();
  const loaded = await loadSpec(file, options.model, io);
  if ("exitCode" in loaded) return loaded.exitCode;
  const spec = options.opset === undefined ? loaded.spec : { ...loaded.spec, target: { ...loaded.spec.target, opset: options.opset } };

  const onnxPath = options.output ?? join("out", `${spec.name}.onnx`);
  const planPath = options.plan ?? planBeside(onnxPath);
  if (resolve(onnxPath) === resolve(planPath)) {
    reportError(io, `the model and the plan would both be written to ${onnxPath}`, "give --plan a different file");
    return ExitCode.Usage;
  }
  // The plan names its model relative to itself, so the two files can be moved together.
  const onnxFromPlan = relative(dirname(resolve(planPath)), resolve(onnxPath)).split(sep).join("/");
  const [{ compileSpecAsync }, { writeOnnxFile, externalDataPath }] = await Promise.all([import("../../compiler/pipeline.js"), import("../../compiler/onnx/index.js")]);
  let compiled: CompiledModel;
  try {
    // Static quantization runs the model on its calibration samples while compiling; ONNX Runtime is loaded only then.
    const collectActivations: CollectActivations = async (...args) => (await import("../../runtime/calibrate.js")).collectActivations(...args);
    compiled = await compileSpecAsync(spec, { onnxFile: options.planOnly ? undefined : onnxFromPlan, collectActivations,
      uncalibrated: options.planOnly === true,
      ...(options.attentionChunks !== undefined ? { sparseAttention: { chunkBytes: Math.round(options.attentionChunks * 2 ** 20) } } : {}),
    });
  } catch (e) {
    if (e instanceof Error && (e.name === "ModelRunError" || e instanceof OnnxEmitError)) {
      const help = e instanceof OnnxEmitError ? "static calibration runs the whole fp32 model in ONNX Runtime; `quantize matmul int8 dynamic` needs no calibration" : (e as { help?: string }).help;
      reportError(io, `cannot calibrate \`${spec.name}\`: ${e.message}`, help);
      return ExitCode.UserError;
    }
    throw e;
  }
  const { graph } = compiled;
  const emit = { opset: spec.target.opset, producerVersion: tfcVersion() };
  let measured: { plan: ExecutionPlan; skipped?: string; model?: Uint8Array };
  try {
    measured = options.planOnly || options.deviation === false ? { plan: compiled.plan } : await withDeviations(compiled, spec.target.opset, emit);
  } catch (e) {
    if (e instanceof SafetensorsError) return checkpointUnreadable(io, e);
    throw e;
  }
  let { plan } = measured;

  const written: string[] = [];
  const removed: string[] = [];
  if (!options.planOnly) {
    try {
      mkdirSync(dirname(onnxPath), { recursive: true });
      // The deviation run has already emitted the final model when its last step is lossy: the same bytes.
      const files =
        measured.model && !options.externalData
          ? (writeFileAtomic(onnxPath, measured.model), { model: onnxPath, externalData: undefined })
          : await writeOnnxFile(graph, onnxPath, { ...emit, ...(options.externalData ? { externalData: true } : {}) });
      written.push(files.model, ...(files.externalData ? [files.externalData] : []));
      if (files.externalData) plan = withExternalData(plan, planPath, files.externalData);
      // A weights file left from an earlier external-data build of this path would be read by nothing.
      else if (removeIfPresent(externalDataPath(onnxPath))) removed.push(externalDataPath(onnxPath));
    } catch (e) {
      if (e instanceof OnnxEmitError) {
        reportError(io, `cannot emit \`${spec.name}\` as ONNX: ${e.message}`, "`--plan-only` writes its plan without emitting weights");
        return ExitCode.UserError;
      }
      if (e instanceof SafetensorsError) return checkpointUnreadable(io, e);
      if (isFileSystemError(e)) return cannotWrite(io, onnxPath, e);
      throw e;
    }
  }
  try {
    writeFileAtomic(planPath, `${JSON.stringify(plan, null, 2)}\n`);
  } catch (e) {
    if (isFileSystemError(e)) return cannotWrite(io, planPath, e);
    throw e;
  }
  const elapsed = performance.now() - started;
  written.push(planPath);
  if (!options.quiet) io.out([...summary(plan, written, removed, elapsed), ...optimizationSummary(plan, measured.skipped)].join("\n") + "\n");
  return ExitCode.Success;
}

/** The spec checked against the checkpoint's header; its data is read only when weights are emitted. */
function checkpointUnreadable(io: CommandContext["io"], e: SafetensorsError): ExitCode {
  reportError(io, `cannot read the checkpoint: ${e.message}`, "was the checkpoint changed or moved after `tfc check`? check the spec again");
  return ExitCode.UserError;
}

/** `build/gpt2.onnx` → `build/gpt2.plan.json`. */
function planBeside(onnxPath: string): string {
  const ext = extname(onnxPath);
  const stem = ext === ".onnx" ? basename(onnxPath, ext) : basename(onnxPath);
  return join(dirname(onnxPath), `${stem}.plan.json`);
}

/** The plan with its first graph naming the weights file, relative to the plan as its model is. */
function withExternalData(plan: ExecutionPlan, planPath: string, dataPath: string): ExecutionPlan {
  const fromPlan = relative(dirname(resolve(planPath)), resolve(dataPath)).split(sep).join("/");
  return { ...plan, graphs: plan.graphs.map((g, i) => (i === 0 ? { ...g, externalData: fromPlan } : g)) };
}

/** Removes the file if there is one; true if there was. */
function removeIfPresent(path: string): boolean {
  if (!existsSync(path)) return false;
  rmSync(path);
  return true;
}

function summary(plan: ExecutionPlan, files: readonly string[], removed: readonly string[], elapsedMs: number): string[] {
  const graph = plan.graphs[0];
  const context = graph.dimBounds.seq;
  return [
    `compiled ${plan.model} (${plan.kind}) in ${seconds(elapsedMs)}`,
    `  parameters    ${withSeparators(graph.parameters)} (${shortCount(graph.parameters)})`,
    `  weights       ${mebibytes(graph.weightBytes)} (${withSeparators(graph.weightBytes)} bytes)`,
    `  FLOPs/token   ${gigaflops(graph.flopsPerToken)} GFLOP at full context${context !== undefined ? ` (${withSeparators(context)} tokens)` : ""}`,
    `  opset         ${graph.opset}`,
    ...files.map((f, i) => `${i === 0 ? "  wrote         " : "                "}${f} (${fileSize(statSync(f).size)})`),
    ...removed.map((f) => `  removed       ${f} (weights of an earlier build; this model embeds its own)`),
    "",
    `  per layer, for one forward pass at batch 1 and full context:`,
    ...layerTable(graph.layers),
    ...withHeading(
      "  attention against dense, per layer and head group (score side: q·kᵀ, softmax, P·v; memory: what one layer holds):",
      attentionTable(graph.layers, MAX_LAYER_ROWS),
    ),
  ];
}

function withHeading(heading: string, lines: readonly string[]): string[] {
  return lines.length === 0 ? [] : ["", heading, ...lines];
}

function layerTable(layers: readonly PlannedLayer[]): string[] {
  const row = (l: PlannedLayer) => [
    String(l.layer),
    withSeparators(l.parameters),
    gigaflops(l.attentionFlops),
    gigaflops(l.ffnFlops),
    density(l.attentionDensity),
  ];
  const header = ["layer", "params", "attn GFLOP", "ffn GFLOP", "density"];
  if (layers.length <= MAX_LAYER_ROWS) return table(header, layers.map(row));
  const n = LAYER_ROWS_SHOWN_AT_EACH_END;
  const shown = [...layers.slice(0, n), ...layers.slice(-n)].map(row);
  const lines = table(header, shown);
  const hidden = layers.length - 2 * n;
  const ellipsis = `  ${"…".padStart(header[0].length)}  (${hidden} more layers; every layer is in the plan)`;
  return [...lines.slice(0, 1 + n), ellipsis, ...lines.slice(1 + n)];
}

/** Mean over heads, as a percentage: dense attention is 100%. */
function density(perHead: readonly number[]): string {
  if (perHead.length === 0) return "-";
  const mean = perHead.reduce((a, b) => a + b, 0) / perHead.length;
  const percent = mean * 100;
  return `${Number.isInteger(percent) ? percent : percent.toFixed(1)}%`;
}

function isFileSystemError(e: unknown): e is NodeJS.ErrnoException {
  return e instanceof Error && typeof (e as NodeJS.ErrnoException).code === "string" && typeof (e as NodeJS.ErrnoException).syscall === "string";
}

function cannotWrite(io: Io, path: string, e: NodeJS.ErrnoException): ExitCode {
  reportCannotWrite(io, path, e);
  return ExitCode.UserError;
}
