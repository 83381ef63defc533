/**
 * Issue 4's quantize rows: bert-base and gpt2-small as fp32, int8 dynamic, int8 static (min-max,
 * calibrated on 8 seeded sequences of 128), int4 block-wise (MatMulNBits, block 32, embeddings int4
 * too) at accuracy level 4 (int8 activations) and at level 0 (fp32), and fp16. For each: file size, latency at each sequence length (all variants of
 * a model timed interleaved in one process, CPU, 2 threads), and deviation from fp32 on seeded inputs.
 *
 *   node dist/bench/run.js --only quantize [--runs N] [--seqs 128,512]
 */
import { mkdirSync, statSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import type ort from "onnxruntime-node";
import { checkFile, compileSpec } from "../compiler/pipeline.js";
import type { Graph } from "../compiler/ir/graph.js";
import { PassManager, type Pass } from "../compiler/ir/pass.js";
import { emitOnnx, writeOnnxFile } from "../compiler/onnx/index.js";
import { collectActivations } from "../runtime/calibrate.js";
import { calibrationGraph, rangesFromActivations } from "../passes/quantize-calibration.js";
import { quantizeEmbeddings } from "../passes/quantize-embeddings.js";
import { quantizeFp16 } from "../passes/quantize-fp16.js";
import { quantizeMatmul } from "../passes/quantize-matmul.js";
import { interleavedSessionOptions, openSession, summarize, timeInterleaved, tokenFeeds, type Contender, type Session } from "./latency.js";
import { compareOutputs } from "../runtime/deviation.js";

export interface QuantizeRow {
  readonly model: string;
  readonly variant: string;
  readonly fileBytes: number;
  readonly fileRatio: number;
  /** By sequence length. */
  readonly latencyMs: Readonly<Record<number, number>>;
  readonly speedup: Readonly<Record<number, number>>;
  readonly deviation: Deviation;
  readonly prepareMs: number;
}

export interface Deviation {
  readonly maxAbs: number;
  readonly meanRelative: number;
  readonly cosine: number;
  /** LM logits only: share of positions whose arg-max token agrees with fp32. */
  readonly top1?: number;
}

export interface QuantizeReport {
  readonly seqs: readonly number[];
  readonly runs: number;
  readonly rows: readonly QuantizeRow[];
}

type Variant = { readonly name: string; readonly build: (graph: Graph) => Promise<Graph> };

const run = (graph: Graph, steps: readonly [Pass<never>, unknown][]) => {
  const manager = new PassManager();
  for (const [pass, options] of steps) manager.add(pass as Pass<unknown>, options);
  return manager.run(graph, { bindings: { batch: 1, seq: 128 } }).graph;
};

const VARIANTS: readonly Variant[] = [
  { name: "fp32", build: async (g) => g },
  { name: "int8 dynamic", build: async (g) => run(g, [[quantizeMatmul as Pass<never>, { bits: 8, mode: "dynamic", perChannel: true, symmetric: true }]]) },
  {
    name: "int8 static (minmax)",
    async build(g) {
      const plan = calibrationGraph(g);
      const activations = await collectActivations(emitOnnx(plan.graph), [...plan.readers.keys()], { samples: 8, seq: 128, seed: 1 });
      const ranges = rangesFromActivations(plan, activations, { kind: "minmax" });
      return run(g, [[quantizeMatmul as Pass<never>, { bits: 8, mode: "static", perChannel: true, symmetric: true, ranges }]]);
    },
  },
  {
    name: "int4 block 32",
    build: async (g) =>
      run(g, [
        [quantizeMatmul as Pass<never>, { bits: 4, blockSize: 32, symmetric: true, accuracyLevel: 4 }],
        [quantizeEmbeddings as Pass<never>, { bits: 4, blockSize: 32, symmetric: true }],
      ]),
  },
  {
    // The same model with MatMulNBits' accuracy_level 0 (fp32 activations): the level's own speed-up.
    name: "int4 block 32, accuracy fp32",
    build: async (g) =>
      run(g, [
        [quantizeMatmul as Pass<never>, { bits: 4, blockSize: 32, symmetric: true, accuracyLevel: 0 }],
        [quantizeEmbeddings as Pass<never>, { bits: 4, blockSize: 32, symmetric: true }],
      ]),
  },
  ...[4, 0].map((accuracyLevel) => ({
    // Block 128: a quarter of block 32's per-block scale work in the level-4 kernel; matmuls only.
    name: `int4 block 128, matmuls only${accuracyLevel === 0 ? ", accuracy fp32" : ""}`,
    build: async (g: Graph) => run(g, [[quantizeMatmul as Pass<never>, { bits: 4, blockSize: 128, symmetric: true, accuracyLevel }]]),
  })),
  { name: "fp16", build: async (g) => run(g, [[quantizeFp16 as Pass<never>, {}]]) },
];

export async function runQuantizeSection(options: { root: string; models: string; seqs: readonly number[]; runs: number; log: (line: string) => void }): Promise<QuantizeReport> {
  const rows: QuantizeRow[] = [];
  for (const example of ["bert-base", "gpt2-small"]) {
    const front = checkFile(join(options.root, "examples", `${example}.tfx`));
    if (!front.spec) throw new Error(`cannot check ${example}`);
    const spec = front.spec;
    const base = compileSpec(spec).graph;
    const dir = join(options.models, "quantize");
    mkdirSync(dir, { recursive: true });
    const built: { name: string; path: string; bytes: number; prepareMs: number; session: Session }[] = [];
    for (const variant of VARIANTS) {
      const start = performance.now();
      const graph = await variant.build(base);
      const path = join(dir, `${example}.${variant.name.replace(/\W+/g, "-")}.onnx`);
      await writeOnnxFile(graph, path, { opset: spec.target.opset });
      const prepareMs = performance.now() - start;
      const { session } = await openSession(path, interleavedSessionOptions());
      built.push({ name: variant.name, path, bytes: statSync(path).size, prepareMs, session });
      options.log(`${example} ${variant.name}: ${(statSync(path).size / 1e6).toFixed(1)} MB in ${(prepareMs / 1000).toFixed(1)} s`);
    }
    const lm = spec.output.kind === "lm";
    const outputName = lm ? "logits" : "hidden_states";
    const deviationFeeds = tokenFeeds(built[0].session, { batch: 1, seq: 128, vocab: spec.vocab, seed: 7 });
    const reference = (await built[0].session.run(deviationFeeds))[outputName] as ort.Tensor;
    const deviations: Deviation[] = [];
    for (const b of built) deviations.push(deviation(reference, (await b.session.run(deviationFeeds))[outputName] as ort.Tensor, lm ? spec.vocab : undefined));
    const latency: Record<string, Record<number, number>> = {};
    for (const seq of options.seqs) {
      const contenders: Contender[] = built.map((b) => ({ name: b.name, session: b.session, feeds: tokenFeeds(b.session, { batch: 1, seq, vocab: spec.vocab, seed: 3 }) }));
      options.log(`${example}: timing ${contenders.length} variants at seq ${seq}, ${options.runs} rounds`);
      const stats = await timeInterleaved(contenders, { warmup: 1, runs: options.runs });
      stats.forEach((s, i) => ((latency[built[i].name] ??= {})[seq] = summarize(s.name, s.samplesMs).medianMs));
    }
    built.forEach((b, i) =>
      rows.push({
        model: example,
        variant: b.name,
        fileBytes: b.bytes,
        fileRatio: b.bytes / built[0].bytes,
        latencyMs: latency[b.name],
        speedup: Object.fromEntries(options.seqs.map((s) => [s, latency.fp32[s] / latency[b.name][s]])),
        deviation: deviations[i],
        prepareMs: b.prepareMs,
      }),
    );
    for (const b of built) await b.session.release();
  }
  return { seqs: options.seqs, runs: options.runs, rows };
}

/** The figures runtime/deviation.ts reports for compiled models (Σ|Δ|/Σ|ref| as mean relative), so both tables agree. */
export function deviation(reference: ort.Tensor, got: ort.Tensor, vocab?: number): Deviation {
  const { maxAbs, meanRelative, cosine, top1Agreement } = compareOutputs(reference, got, vocab !== undefined);
  return { maxAbs, meanRelative, cosine, ...(top1Agreement !== undefined ? { top1: top1Agreement } : {}) };
}

export function renderQuantizeSection(report: QuantizeReport): string {
  const lines = [
    "## Quantization (issue 4)",
    "",
    `ONNX Runtime CPU, 2 threads (no spin-waiting: allow_spinning 0), batch 1; each model's variants timed interleaved in one process, median of ${report.runs} rounds. ` +
      "Deviation against fp32 on one seeded sequence of 128 tokens (bert-base: hidden states; gpt2-small: logits). Random weights (normal, std 0.02). " +
      "`build s`: wall time to quantize (calibrate, for static) and write the model file (fp32: just write it).",
    "",
    `| model | variant | build s | file MB | × fp32 file | ${report.seqs.map((s) => `ms @${s} | speed-up @${s}`).join(" | ")} | max abs | mean rel | cosine | top-1 |`,
    `|---|---|---:|---:|---:|${report.seqs.map(() => "---:|---:").join("|")}|---:|---:|---:|---:|`,
  ];
  for (const r of report.rows) {
    const times = report.seqs.map((s) => `${r.latencyMs[s].toFixed(0)} | ${r.speedup[s].toFixed(2)}×`).join(" | ");
    const d = r.deviation;
    lines.push(
      `| ${r.model} | ${r.variant} | ${(r.prepareMs / 1000).toFixed(1)} | ${(r.fileBytes / 1e6).toFixed(1)} | ${r.fileRatio.toFixed(3)} | ${times} | ${d.maxAbs.toExponential(2)} | ${d.meanRelative.toExponential(2)} | ${d.cosine.toFixed(5)} | ${d.top1 === undefined ? "–" : d.top1.toFixed(3)} |`,
    );
  }
  return lines.join("\n") + "\n";
}

export function writeQuantizeSection(results: string, report: QuantizeReport): void {
  writeFileSync(join(results, "optimize-quantize.json"), JSON.stringify(report, null, 2));
  writeFileSync(join(results, "optimize-quantize.md"), renderQuantizeSection(report));
}
