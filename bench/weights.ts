/**
 * The weights section of `npm run bench`: how long compiling takes and how much memory it holds
 * at its peak, against the bytes of weights it writes, for gpt2-small (embedded and as ONNX external
 * data), gpt2-small from a Hugging Face-layout safetensors checkpoint (import), the 7B spec planned
 * without weights, and — opt-in with `--weights-xl`, ~5 minutes and 12 GB of disk — the 1.5B GPT-2 XL
 * shape compiled to external data and loaded and run by ONNX Runtime, then exported as a Hugging Face
 * checkpoint and compiled from it (the import path at 1.5B). Every step runs in a fresh
 * process (bench/weights-worker.ts), so each peak is its own.
 */
import { mkdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { runJsonChild } from "./child.js";
import { bytes, count, ms, table } from "./table.js";
import type { WeightsStep } from "./weights-worker.js";

const WORKER = fileURLToPath(new URL("./weights-worker.js", import.meta.url));

export interface WeightsRow extends WeightsStep {
  readonly model: string;
  /** Wall time of the worker process, start to exit (node startup included). */
  readonly wallMs: number;
  /** Median of the runs when the step ran more than once (interleaved with its pair). */
  readonly runs: number;
}

export interface WeightsReport {
  readonly rows: readonly WeightsRow[];
  readonly xl: boolean;
  readonly notes: readonly string[];
}

export interface WeightsOptions {
  readonly root: string;
  readonly work: string;
  readonly xl: boolean;
  readonly quick: boolean;
  readonly log: (line: string) => void;
}

/** A spec reading the checkpoint export-weights wrote, so its compile is an import. */
const CHECKPOINT_SPEC = `// gpt2-small's shape, its weights read from a Hugging Face-layout checkpoint (written by the bench).
model gpt2_small_hf {
  kind decoder  vocab 50257  context 1024
  width 768     layers 12    heads 12
  ffn 4 * width gelu_tanh
  output lm tied
  weights "gpt2-small-hf.safetensors" layout hf-gpt2
}
`;

/** The same for GPT-2 XL's shape (opt-in rows): importing a 1.5B checkpoint. */
const XL_CHECKPOINT_SPEC = `// gpt2-xl's shape, its weights read from a Hugging Face-layout checkpoint (written by the bench).
model gpt2_xl_hf {
  kind decoder  vocab 50257  context 1024
  width 1600    layers 48    heads 25
  ffn 4 * width gelu_tanh
  output lm tied
  weights "gpt2-xl-hf.safetensors" layout hf-gpt2
}
`;

export async function runWeightsSection(options: WeightsOptions): Promise<WeightsReport> {
  const { root, work, log } = options;
  mkdirSync(work, { recursive: true });
  const example = (name: string) => join(root, "examples", name);
  const out = (name: string) => join(work, name);
  const rows: WeightsRow[] = [];
  const notes: string[] = [];
  const rounds = options.quick ? 1 : 2;

  // gpt2-small embedded and external, interleaved so both see the same machine.
  const pair = await interleaved(
    [
      ["gpt2-small", ["compile", example("gpt2-small.tfx"), out("gpt2-small.onnx")]],
      ["gpt2-small", ["compile", example("gpt2-small.tfx"), out("gpt2-small-ext.onnx"), "--external-data"]],
    ],
    rounds,
    log,
  );
  rows.push(...pair);
  removeAll(work, ["gpt2-small.onnx", "gpt2-small-ext.onnx", "gpt2-small-ext.onnx.data"]);

  // A gpt2-small-shaped checkpoint (export-weights), then compiling from it: the import path.
  rows.push(await runStep("gpt2-small", ["export", example("gpt2-small.tfx"), out("gpt2-small-hf.safetensors"), "--names", "hf-gpt2"], log));
  writeFileSync(out("gpt2-small-hf.tfx"), CHECKPOINT_SPEC);
  rows.push(...(await interleaved([["gpt2-small from checkpoint", ["compile", out("gpt2-small-hf.tfx"), out("gpt2-small-hf.onnx")]]], rounds, log)));
  removeAll(work, ["gpt2-small-hf.onnx", "gpt2-small-hf.safetensors", "gpt2-small-hf.tfx"]);

  rows.push(await runStep("llama-7b", ["plan", example("llama-7b.tfx")], log));

  if (options.xl) {
    const xl = await runStep("gpt2-xl", ["compile", example("gpt2-xl.tfx"), out("gpt2-xl.onnx")], log);
    rows.push(xl);
    if (!xl.error) {
      const run = await runStep("gpt2-xl", ["run", out("gpt2-xl.onnx"), "--seq", "8"], log);
      rows.push({ ...run, parameters: xl.parameters, weightBytes: xl.weightBytes });
    }
    removeAll(work, ["gpt2-xl.onnx", "gpt2-xl.onnx.data"]);
    // The import path at 1.5B: a checkpoint in gpt2-xl's Hugging Face layout, then compiling from it.
    rows.push(await runStep("gpt2-xl", ["export", example("gpt2-xl.tfx"), out("gpt2-xl-hf.safetensors"), "--names", "hf-gpt2"], log));
    writeFileSync(out("gpt2-xl-hf.tfx"), XL_CHECKPOINT_SPEC);
    rows.push(await runStep("gpt2-xl from checkpoint", ["compile", out("gpt2-xl-hf.tfx"), out("gpt2-xl-hf.onnx")], log));
    removeAll(work, ["gpt2-xl-hf.onnx", "gpt2-xl-hf.onnx.data", "gpt2-xl-hf.safetensors", "gpt2-xl-hf.tfx"]);
  } else {
    notes.push("the GPT-2 XL (1.5B) rows are opt-in: `node dist/bench/run.js --only weights --weights-xl` (~5 min, 12 GB of disk, ~7 GB of memory for the ONNX Runtime run): compile with random weights, run, export as an hf-gpt2 checkpoint and compile from it");
  }
  for (const row of rows) if (row.error) notes.push(`${row.model} ${row.step} failed: ${row.error}`);
  return { rows, xl: options.xl, notes };
}

async function interleaved(steps: readonly [string, string[]][], rounds: number, log: (line: string) => void): Promise<WeightsRow[]> {
  const runs: WeightsRow[][] = steps.map(() => []);
  for (let round = 0; round < rounds; round++) {
    for (const [i, [model, args]] of steps.entries()) runs[i].push(await runStep(model, args, log));
  }
  return runs.map((rs) => median(rs));
}

/** The run with the median total time; its peak memory is reported with it. */
function median(runs: readonly WeightsRow[]): WeightsRow {
  const sorted = [...runs].sort((a, b) => total(a) - total(b));
  return { ...sorted[Math.floor((sorted.length - 1) / 2)], runs: runs.length };
}

function total(row: WeightsStep): number {
  return Object.values(row.phases).reduce((a, b) => a + b, 0);
}

async function runStep(model: string, args: readonly string[], log: (line: string) => void): Promise<WeightsRow> {
  const outcome = await runJsonChild<WeightsStep>(WORKER, args);
  const step: WeightsStep = "value" in outcome ? outcome.value : { step: args[0], phases: {}, maxRssBytes: NaN, error: outcome.failure };
  const row = { ...step, model, wallMs: outcome.wallMs, runs: 1 };
  log(`weights: ${model} ${row.step}: ${row.error ? `error: ${row.error}` : `${ms(total(row))}, peak RSS ${bytes(row.maxRssBytes)}`}`);
  return row;
}

function removeAll(dir: string, names: readonly string[]): void {
  for (const name of names) rmSync(join(dir, name), { force: true });
}

export function renderWeightsSection(report: WeightsReport, options: { number?: string } = {}): string {
  const phase = (row: WeightsRow, ...names: string[]) => {
    const values = names.map((n) => row.phases[n]).filter((v): v is number => v !== undefined);
    return values.length === 0 ? "–" : ms(values.reduce((a, b) => a + b, 0));
  };
  const rows = report.rows.map((row) => [
    row.model,
    row.step + (row.runs > 1 ? ` (median of ${row.runs})` : ""),
    row.parameters !== undefined ? count(row.parameters) : "–",
    bytes(row.weightBytes),
    phase(row, "check"),
    phase(row, "lower+plan", "explain"),
    row.phases.session !== undefined ? ["session", "first run", "second run"].map((n) => phase(row, n)).join(" + ") : phase(row, "emit", "export"),
    ms(row.wallMs),
    bytes(row.maxRssBytes),
    row.weightBytes ? `${(row.maxRssBytes / row.weightBytes).toFixed(2)}×` : "–",
    row.files ? Object.values(row.files).map(bytes).join(" + ") : "–",
  ]);
  const lines = [
    `## ${options.number ?? ""}Weights: compile time and peak memory`,
    "",
    "Each step in a fresh process; peak RSS is the process's `maxRSS` (worker threads included), against the bytes of fp32 weights the model holds. " +
      "`check` includes reading a checkpoint's header; `emit` draws (or reads) every weight and writes the file(s). " +
      "For `run` rows the time column is ONNX Runtime's session creation (loading the weights) + a first and a second run.",
    "",
    table(
      ["model", "step", "params", "weights", "check", "lower+plan", "emit / export / run", "wall", "peak RSS", "RSS ÷ weights", "files"],
      rows,
      ["l", "l", "r", "r", "r", "r", "r", "r", "r", "r", "l"],
    ),
    "",
    ...(report.xl ? [] : ["GPT-2 XL (1.5B) rows: opt-in, not run here (see notes)."]),
    ...report.notes.map((n) => `- ${n}`),
    "",
  ];
  return lines.join("\n");
}
