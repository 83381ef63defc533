import { mkdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { join } from "node:path";
import { checkSource, compileSpecAsync } from "../compiler/pipeline.js";
import { writeOnnxFile } from "../compiler/onnx/index.js";
import type { OutputDeviation } from "../compiler/plan.js";
import { collectActivations } from "../runtime/calibrate.js";
import { measureDeviation } from "../runtime/deviation.js";
import { interleavedSessionOptions, openSession, pairedRatio, timeInterleaved, tokenFeeds, type Contender, type RatioStats } from "./latency.js";

/**
 * The optimize passes on real model sizes (bench section "optimize"): one row per (model,
 * configuration) with the ONNX file size, ORT CPU latency at each sequence length, and the deviation
 * from the fp32 model. Configurations are `optimize` blocks; other passes add rows to
 * OPTIMIZE_CONFIGURATIONS. All configurations of a model are timed interleaved in the same rounds,
 * so the speed-ups are paired ratios against fp32 measured side by side.
 */
export interface OptimizeConfiguration {
  readonly name: string;
  /** Directives of the `optimize` block, as written in a spec (empty: the fp32 model itself). */
  readonly directives: string;
}

export const OPTIMIZE_CONFIGURATIONS: readonly OptimizeConfiguration[] = [
  { name: "fp32", directives: "" },
  { name: "heads pruned 25%", directives: "prune heads 25% by l2" },
  { name: "FFN pruned 50%", directives: "prune ffn 50% by l2" },
  { name: "layers shared (groups of 2)", directives: "share layers groups of 2" },
  { name: "int8 dynamic", directives: "quantize matmul int8 dynamic per_channel" },
  { name: "int8 static (minmax)", directives: "quantize matmul int8 static minmax" },
  { name: "int4 block 32", directives: "quantize matmul int4 block 32\n quantize embeddings int4 block 32" },
  { name: "fp16", directives: "quantize fp16" },
];

export const OPTIMIZE_MODELS = [
  { file: "examples/bert-base.tfx", model: "bert_base" },
  { file: "examples/gpt2-small.tfx", model: "gpt2_small" },
] as const;

export interface OptimizeRow {
  readonly model: string;
  readonly configuration: string;
  readonly directives: string;
  readonly fileBytes: number;
  readonly parameters: number;
  readonly latency: readonly { readonly seq: number; readonly medianMs: number; readonly runs: number; readonly speedup?: RatioStats }[];
  /** Against the fp32 row of the same model (absent on that row). */
  readonly deviation?: { readonly output: string; readonly figures: OutputDeviation };
  readonly compileMs: number;
}

export interface OptimizeReport {
  readonly threads: number;
  readonly seqs: readonly number[];
  readonly runs: number;
  readonly deviationInputs: { readonly batch: number; readonly seq: number; readonly seed: number };
  readonly rows: readonly OptimizeRow[];
  readonly notes: readonly string[];
}

export interface OptimizeBenchOptions {
  readonly dir: string;
  readonly seqs: readonly number[];
  readonly runs: number;
  readonly log: (line: string) => void;
  readonly configurations?: readonly OptimizeConfiguration[];
  /** ORT intra-op threads (default 2, the machine's cores). */
  readonly threads?: number;
}

const DEVIATION_INPUTS = { batch: 1, seq: 128, seed: 0 };

export async function runOptimizeSection(options: OptimizeBenchOptions): Promise<OptimizeReport> {
  const configurations = options.configurations ?? OPTIMIZE_CONFIGURATIONS;
  const threads = options.threads ?? 2;
  const rows: OptimizeRow[] = [];
  const notes: string[] = [];
  mkdirSync(options.dir, { recursive: true });
  for (const { file, model } of OPTIMIZE_MODELS) {
    const source = readFileSync(file, "utf8");
    const built: { configuration: OptimizeConfiguration; path: string; fileBytes: number; parameters: number; compileMs: number; vocab: number }[] = [];
    for (const configuration of configurations) {
      const started = performance.now();
      const variant = configuration.directives ? `\nmodel ${model}_variant extends ${model} { optimize { ${configuration.directives} } }\n` : "";
      const checked = checkSource(source + variant, file, { model: configuration.directives ? `${model}_variant` : model });
      if (!checked.spec) throw new Error(`${model} / ${configuration.name}: ${checked.diagnostics.map((d) => d.message).join("; ")}`);
      const compiled = await compileSpecAsync(checked.spec, { collectActivations });
      const path = join(options.dir, `${model}-${configuration.name.replace(/[^a-z0-9]+/gi, "-").toLowerCase()}.onnx`);
      await writeOnnxFile(compiled.graph, path, { opset: checked.spec.target.opset });
      const compileMs = performance.now() - started;
      built.push({ configuration, path, fileBytes: statSync(path).size, parameters: compiled.plan.graphs[0].parameters, compileMs, vocab: checked.spec.vocab });
      options.log(`${model} / ${configuration.name}: ${(statSync(path).size / 2 ** 20).toFixed(1)} MiB, compiled and written in ${(compileMs / 1000).toFixed(1)} s`);
    }
    const deviations = new Map<string, { output: string; figures: OutputDeviation }>();
    for (const b of built.slice(1)) {
      const d = await measureDeviation(built[0].path, b.path, DEVIATION_INPUTS);
      deviations.set(b.configuration.name, { output: d.primary, figures: d.outputs[d.primary] });
    }
    const latency = new Map<string, OptimizeRow["latency"][number][]>(built.map((b) => [b.configuration.name, []]));
    const sessions = await Promise.all(built.map((b) => openSession(b.path, interleavedSessionOptions({ intraOpNumThreads: threads }))));
    for (const seq of options.seqs) {
      const contenders: Contender[] = built.map((b, i) => ({
        name: b.configuration.name,
        session: sessions[i].session,
        feeds: tokenFeeds(sessions[i].session, { batch: 1, seq, vocab: b.vocab, seed: 7 }),
      }));
      options.log(`${model} seq ${seq}: ${options.runs} interleaved rounds of ${contenders.length} models`);
      const stats = await timeInterleaved(contenders, { warmup: 2, runs: options.runs });
      stats.forEach((s, i) => {
        latency.get(built[i].configuration.name)!.push({ seq, medianMs: s.medianMs, runs: s.runs, ...(i > 0 ? { speedup: pairedRatio(stats[0], s) } : {}) });
      });
      options.log(`  ${stats.map((s) => `${s.name} ${s.medianMs.toFixed(1)} ms`).join(", ")}`);
    }
    for (const s of sessions) await s.session.release();
    for (const b of built) {
      rows.push({
        model,
        configuration: b.configuration.name,
        directives: b.configuration.directives,
        fileBytes: b.fileBytes,
        parameters: b.parameters,
        latency: latency.get(b.configuration.name)!,
        ...(deviations.has(b.configuration.name) ? { deviation: deviations.get(b.configuration.name) } : {}),
        compileMs: b.compileMs,
      });
      rmSync(b.path, { force: true });
    }
  }
  notes.push("weights are seeded random (weights random), so norm rankings are arbitrary and deviations are larger than on trained weights, where pruning picks genuinely unimportant structure");
  return { threads, seqs: options.seqs, runs: options.runs, deviationInputs: DEVIATION_INPUTS, rows, notes };
}

/** The section as markdown: one row per configuration, rows from other passes slot in. */
export function renderOptimizeSection(report: OptimizeReport, heading = "## Optimize passes (share, prune, quantize)"): string {
  const lines = [
    heading,
    "",
    `ONNX Runtime CPU (${report.threads} intra-op thread${report.threads === 1 ? "" : "s"}, no spin-waiting: allow_spinning 0), batch 1, median of ${report.runs} interleaved rounds per sequence length; speed-up = fp32 latency ÷ this row's, paired per round (median [p10–p90]). ` +
      `Deviation from the fp32 model on seeded inputs (batch ${report.deviationInputs.batch}, seq ${report.deviationInputs.seq}, seed ${report.deviationInputs.seed}): max |Δ|, Σ|Δ|/Σ|ref|, cosine, and top-1 agreement for LM logits.`,
    "",
    `| model | configuration | file | params | ${report.seqs.map((s) => `latency ${s}`).join(" | ")} | ${report.seqs.map((s) => `speed-up ${s}`).join(" | ")} | deviation |`,
    `|---|---|---:|---:|${report.seqs.map(() => "---:").join("|")}|${report.seqs.map(() => "---:").join("|")}|---|`,
  ];
  for (const r of report.rows) {
    const latency = report.seqs.map((s) => {
      const point = r.latency.find((l) => l.seq === s);
      return point ? `${point.medianMs.toFixed(1)} ms` : "-";
    });
    const speedup = report.seqs.map((s) => {
      const point = r.latency.find((l) => l.seq === s)?.speedup;
      return point ? `${point.median.toFixed(2)}× [${point.p10.toFixed(2)}–${point.p90.toFixed(2)}]` : "1×";
    });
    const d = r.deviation;
    const deviation = d
      ? `${d.output}: max ${d.figures.maxAbs.toPrecision(3)}, rel ${(d.figures.meanRelative * 100).toPrecision(3)}%, cos ${d.figures.cosine.toFixed(4)}${d.figures.top1Agreement !== undefined ? `, top-1 ${(d.figures.top1Agreement * 100).toFixed(1)}%` : ""}`
      : "(reference)";
    lines.push(`| ${r.model} | ${r.configuration} | ${(r.fileBytes / 2 ** 20).toFixed(1)} MiB | ${(r.parameters / 1e6).toFixed(1)} M | ${latency.join(" | ")} | ${speedup.join(" | ")} | ${deviation} |`);
  }
  lines.push("", ...report.notes.map((n) => `- ${n}`), "");
  return lines.join("\n");
}
