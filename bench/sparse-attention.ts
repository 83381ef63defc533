/**
 * The bench's sparse-attention section (issue 3, point 7): ONNX Runtime CPU, batch 1, fp32, at
 * sequence 1024, 4096 and 16384, dense attention against `window 256 + global [0]` and
 * `bigbird(block 64, window 3, global 2, random 3, seed 7)`:
 *
 * 1. **Attention alone**: q, k, v [1, S, 768] (12 heads × 64) → one `attention` node carrying layer 0's
 *    block layout of the encoder below, through the `sparse-attention` pass (so it becomes
 *    `block_sparse_attention`, or stays dense with the layout as a −∞ mask, exactly as in a model).
 * 2. **The whole encoder**: bert-base-shaped (bench/specs/sparse-bert.tfx), every head of every layer on
 *    the pattern.
 *
 * Every ONNX Runtime session runs in a child process (bench/sparse-worker.ts): one per (model, length)
 * for peak memory (VmHWM after a few runs, minus the RSS of the loaded model), and one per length that
 * opens dense and the sparse models together and times them interleaved. Before a model runs its memory
 * need is estimated from the plan (and, once a shorter length of the same model has run, from what
 * that run really took, scaled by the plan); what cannot fit in the machine's free memory gets a
 * "not run" row instead of a crash, and a watchdog kills a child that runs the machine's free memory
 * down anyway (a wrong estimate, a neighbour's job) before the OOM killer picks a victim.
 *
 * Models are written once to bench/results/models/sparse/, keyed by the spec text and the compiler
 * build (the encoder at 16384 is ~460 MB).
 *
 *   node dist/bench/run.js --only sparse [--quick] [--sparse-seqs 1024,4096] [--sparse-max-run-s 300] [--sparse-profile-encoder]
 */
import { spawn } from "node:child_process";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { headDensity, type LayerLayout } from "../compiler/attention/index.js";
import { GraphBuilder } from "../compiler/ir/builder.js";
import type { Graph } from "../compiler/ir/graph.js";
import { PassManager } from "../compiler/ir/pass.js";
import { graphStats } from "../compiler/ir/stats.js";
import { blockLayoutAttrs } from "../compiler/ir/ops/block-layout.js";
import { scheduleOf } from "../compiler/ir/ops/block-sparse-attention.js";
import { computedFraction, RECOMMENDED_CHUNK_BYTES } from "../compiler/ir/ops/block-sparse-schedule.js";
import { writeOnnxFile } from "../compiler/onnx/index.js";
import { checkSource, compileSpec } from "../compiler/pipeline.js";
import type { ModelSpec } from "../compiler/spec.js";
import { DEFAULT_SPARSE_ATTENTION_OPTIONS, sparseAttention } from "../passes/sparse-attention.js";
import { pairedRatio, summarize, tokenFeeds, type LatencyStats, type RatioStats, type Session } from "./latency.js";
import { profileInterleaved, type Profile } from "./profile.js";
import { HEAD_DIM, HEADS, ortSpinning, PAUSE_MS, qkvFeeds, sparseSessionOptions, VOCAB, type FeedKind, type LatencyResult, type MemoryResult, type WorkerResult } from "./sparse-worker.js";

const WORKER = fileURLToPath(new URL("./sparse-worker.js", import.meta.url));
const DIST = fileURLToPath(new URL("..", import.meta.url));
/** Bumped when `attentionGraph` changes, so cached attention-alone models are rebuilt. */
const ATTENTION_GRAPH_VERSION = 1;
const GiB = 2 ** 30;
/** Left free for the OS and everything else when deciding whether a model may run. */
const MEMORY_MARGIN = 1 * GiB;
/** A child is killed when the machine's free memory falls below this while it runs. */
const WATCHDOG_FLOOR = 0.6 * GiB;
/** node + onnxruntime's own RSS (measured ~0.1 GiB), added to the plan's estimates. */
const PROCESS_BYTES = 0.2 * GiB;

export type Kind = "attention" | "encoder";
export type Config = "dense" | "window" | "window-chunked" | "bigbird";

/**
 * The contenders: the spec's model suffix, and the gather path's chunk budget when the lowering is
 * chunked (`tfc compile --attention-chunks`): faster attention, a slower session set-up (both shown).
 */
export const CONFIGS: readonly { readonly config: Config; readonly suffix: string; readonly chunkBytes?: number }[] = [
  { config: "dense", suffix: "" },
  { config: "window", suffix: "_window" },
  { config: "window-chunked", suffix: "_window", chunkBytes: RECOMMENDED_CHUNK_BYTES },
  { config: "bigbird", suffix: "_bigbird" },
];

/** The sparse configurations, in table order. */
export const SPARSE_CONFIGS = CONFIGS.filter((c) => c.config !== "dense").map((c) => c.config);

export interface SparseOptions {
  readonly root: string;
  readonly seqs: readonly number[];
  readonly quick: boolean;
  /** A model whose projected run time exceeds this is not run (its row says so). */
  readonly maxRunSeconds: number;
  /** Profile attention alone at 4096 by op type (ORT profiler). */
  readonly profile: boolean;
  /** Profile the whole encoder at 4096 too (~1.5 min). */
  readonly profileEncoder: boolean;
  readonly log: (line: string) => void;
}

export interface MemoryFigures {
  /** RSS with the model loaded and inputs made, nothing run. */
  readonly baselineBytes: number;
  /** The process's peak RSS: session creation and runs. */
  readonly peakBytes: number;
  /** Peak RSS during the runs minus the baseline. */
  readonly runIncreaseBytes: number;
  readonly runIncreasePerToken: number;
  readonly runs: number;
  readonly createMs: number;
  readonly watermarkReset: boolean;
}

export interface SparseCase {
  readonly kind: Kind;
  readonly config: Config;
  readonly seq: number;
  /** The spec's model (bench/specs/sparse-bert.tfx) and, for attention alone, the one its layout comes from. */
  readonly model: string;
  /** As the spec wrote it; "dense" for dense. */
  readonly pattern: string;
  /** `dense`, `dense-masked` (layout as a −∞ mask: the pass found it not sparse enough) or `block-sparse`. */
  readonly lowering: "dense" | "dense-masked" | "block-sparse";
  /** Share of dense attention's block pairs computed, padding included (1 for dense and dense-masked). */
  readonly computedFraction: number;
  /** Fraction of (query, key) pairs attended, over heads (headDensity): min and max. */
  readonly density: readonly [number, number];
  /** graphStats at { batch: 1, seq }. */
  readonly flops: number;
  /** Dense FLOPs of the same kind and length ÷ these. */
  readonly flopRatio: number;
  /** Memory the plan says a run needs: weights + activations (encoder), 2 × attention memory + q/k/v/out (attention alone), + the process. */
  readonly planNeedBytes: number;
  /** The activation part of it (what a run adds). */
  readonly planActivationBytes: number;
  /** The estimate the run decision used (the plan's, or scaled from a measured shorter run). */
  readonly needBytes: number;
  readonly needBasis: string;
  readonly status: "measured" | "not run" | "failed";
  readonly reason?: string;
  readonly modelFile?: string;
  readonly modelBytes?: number;
  readonly memory?: MemoryFigures;
  /** Run times in the memory process (fresh process, first run included), ms. */
  readonly memoryRunMs?: readonly number[];
  /** Interleaved with dense (same child process) when dense ran at this length; else the fresh-process runs. */
  readonly latency?: LatencyStats;
  readonly latencySource?: "interleaved" | "memory-process";
  /** Per-round dense ÷ this (above 1: faster than dense). */
  readonly speedup?: RatioStats;
  readonly nonFinite?: number;
}

export interface SparseTarget {
  readonly what: string;
  /** undefined: not applicable or not measurable (see `detail`). */
  readonly met?: boolean;
  readonly detail: string;
}

export interface SparseAttentionReport {
  readonly specFile: string;
  readonly machine: { readonly memTotalBytes: number; readonly memAvailableBytes: number };
  readonly options: { readonly seqs: readonly number[]; readonly quick: boolean; readonly maxRunSeconds: number; readonly ortSpinning: boolean; readonly pauseMs: number };
  readonly cases: readonly SparseCase[];
  readonly targets: readonly SparseTarget[];
  readonly growth: readonly { readonly kind: Kind; readonly config: Config; readonly from: number; readonly to: number; readonly exponent: number }[];
  readonly profiles: readonly { readonly kind: Kind; readonly seq: number; readonly profiles: readonly Profile[] }[];
  readonly notes: readonly string[];
  readonly elapsedMs: number;
}

/** The cases before anything runs: what each model is and costs. */
interface Planned {
  readonly kind: Kind;
  readonly config: Config;
  readonly seq: number;
  readonly model: string;
  readonly pattern: string;
  readonly graph: Graph;
  readonly opset: number;
  readonly lowering: SparseCase["lowering"];
  readonly computedFraction: number;
  readonly density: readonly [number, number];
  readonly flops: number;
  /** The plan's activation estimate (what grows with the run) and the fixed part (weights + process). */
  readonly planActivationBytes: number;
  readonly fixedBytes: number;
  readonly key: string;
}

export async function runSparseSection(options: SparseOptions): Promise<SparseAttentionReport> {
  const started = performance.now();
  const { log } = options;
  const specFile = join(options.root, "bench/specs/sparse-bert.tfx");
  const modelDir = join(options.root, "bench/results/models/sparse");
  mkdirSync(modelDir, { recursive: true });
  const notes: string[] = [];
  const build = buildHash();
  const load = os.loadavg()[0];
  if (load > 0.8) {
    notes.push(`the machine was busy before the section started (1-minute load average ${load.toFixed(1)} on ${os.availableParallelism()} CPUs): absolute times are inflated and noisy; the per-round ratios cancel most of it`);
  }

  log(`sparse: planning ${options.seqs.length * 6} models from ${rel(options.root, specFile)}`);
  const planned = options.seqs.flatMap((seq) => CONFIGS.flatMap(({ config, suffix, chunkBytes }) => planCases(specFile, seq, config, suffix, build, chunkBytes)));
  const denseFlops = (kind: Kind, seq: number) => planned.find((p) => p.kind === kind && p.seq === seq && p.config === "dense")!.flops;

  const cases: SparseCase[] = [];
  const profiles: SparseAttentionReport["profiles"][number][] = [];
  for (const kind of ["attention", "encoder"] as const) {
    for (const seq of options.seqs) {
      const group = planned.filter((p) => p.kind === kind && p.seq === seq);
      const done = await runGroup(group, cases, modelDir, options, denseFlops(kind, seq));
      cases.push(...done);
      log(`sparse: ${kind} at ${seq} done, ${((performance.now() - started) / 1000).toFixed(0)} s so far`);
      const profileThis = seq === 4096 && (kind === "attention" ? options.profile : options.profileEncoder);
      if (profileThis) {
        try {
          const profiled = await profileGroup(kind, seq, done, modelDir, options);
          if (profiled) profiles.push(profiled);
        } catch (e) {
          notes.push(`profiling ${kind} at ${seq} failed: ${(e as Error).message}`);
        }
      }
    }
  }
  for (const c of cases) if (c.nonFinite) notes.push(`${c.kind} ${c.config} at ${c.seq}: ${c.nonFinite} non-finite output values`);
  const memory = machineMemory();
  return {
    specFile: rel(options.root, specFile),
    machine: { memTotalBytes: memory.total, memAvailableBytes: memory.available },
    options: { seqs: options.seqs, quick: options.quick, maxRunSeconds: options.maxRunSeconds, ortSpinning: ortSpinning(), pauseMs: PAUSE_MS },
    cases,
    targets: targets(cases),
    growth: growth(cases),
    profiles,
    notes,
    elapsedMs: performance.now() - started,
  };
}

/** Kernel time by op type of the models that ran, interleaved (ORT profiler, in this process). */
async function profileGroup(kind: Kind, seq: number, done: readonly SparseCase[], modelDir: string, options: SparseOptions): Promise<SparseAttentionReport["profiles"][number] | undefined> {
  const ran = done.filter((c) => c.status === "measured" && c.modelFile);
  if (ran.length === 0) return undefined;
  options.log(`sparse: profiling ${kind} at ${seq} (${ran.map((c) => c.config).join(", ")})`);
  const work = join(modelDir, "profile");
  mkdirSync(work, { recursive: true });
  const models = ran.map((c) => ({ name: c.config, path: join(options.root, c.modelFile!) }));
  const feeds = kind === "attention" ? () => qkvFeeds(seq) : (s: Session) => tokenFeeds(s, { batch: 1, seq, vocab: VOCAB, seed: 7 });
  const runs = kind === "attention" ? (options.quick ? 2 : 3) : 1;
  return { kind, seq, profiles: await profileInterleaved(models, feeds, work, { runs, warmup: 1, session: sparseSessionOptions() }) };
}

// ---------------------------------------------------------------------------------------------------
// Planning: specs, graphs, FLOPs, memory estimates.

/** The spec file's text, with `model bert_<seq>…` appended when the file has no model for `seq`. */
export function specText(specFile: string, seq: number): string {
  const text = readFileSync(specFile, "utf8");
  if (new RegExp(`\\bmodel bert_${seq}\\b`).test(text)) return text;
  // A child's inherited `attention` block is rebuilt for the child's own context.
  const suffixes = [...new Set(CONFIGS.map(({ suffix }) => suffix))];
  const lines = suffixes.map((suffix) => `model bert_${seq}${suffix} extends bert_1024${suffix} { context ${seq} }`);
  return `${text}\n// Added by the bench for --sparse-seqs ${seq}:\n${lines.join("\n")}\n`;
}

function checkModel(specFile: string, seq: number, model: string): { spec: ModelSpec; text: string } {
  const text = specText(specFile, seq);
  const front = checkSource(text, specFile, { model });
  const errors = front.diagnostics.filter((d) => d.severity === "error");
  if (!front.spec || errors.length > 0) throw new Error(`${specFile} (${model}): ${errors.map((d) => d.message).join("; ") || "no model"}`);
  return { spec: front.spec, text };
}

function planCases(specFile: string, seq: number, config: Config, suffix: string, build: string, chunkBytes: number | undefined): Planned[] {
  const model = `bert_${seq}${suffix}`;
  const { spec, text } = checkModel(specFile, seq, model);
  if (spec.context !== seq) throw new Error(`${model}: context ${spec.context}, expected ${seq}`);
  const layout = spec.attention?.layers[0];
  if (config !== "dense" && !layout) throw new Error(`${model}: no attention layout in layer 0`);
  const pattern = layout ? layout.patterns[0] : "dense";
  const density = densityRange(layout);
  const key = (kind: Kind) =>
    createHash("sha256")
      .update(JSON.stringify({ kind, model, text, build, chunkBytes: chunkBytes ?? null, attentionGraph: ATTENTION_GRAPH_VERSION }))
      .digest("hex");

  // The whole encoder, compiled the way `tfc compile` does.
  const compiled = compileSpec(spec, chunkBytes ? { sparseAttention: { chunkBytes } } : {});
  const g = compiled.plan.graphs[0];
  const layer0 = g.layers[0].attention;
  const encoder: Planned = {
    kind: "encoder",
    config,
    seq,
    model,
    pattern,
    graph: compiled.graph,
    opset: spec.target.opset,
    lowering: layer0.lowering,
    computedFraction: layer0.computedFraction,
    density,
    flops: g.flopsPerForward,
    planActivationBytes: g.activationMemory.peakBytes,
    fixedBytes: g.weightBytes + PROCESS_BYTES,
    key: key("encoder"),
  };

  // Attention alone, with layer 0's layout, through the same pass.
  const graph = attentionGraph(seq, layout, chunkBytes);
  const node = graph.nodes.find((n) => n.op === "attention" || n.op === "block_sparse_attention")!;
  const sparse = node.op === "block_sparse_attention";
  const result = seq * HEADS * HEAD_DIM * 4; // y; q, k and v are fed before the baseline
  const attention: Planned = {
    kind: "attention",
    config,
    seq,
    model,
    pattern,
    graph,
    opset: 17,
    lowering: sparse ? "block-sparse" : layout ? "dense-masked" : "dense",
    computedFraction: sparse ? computedFraction(scheduleOf(node.attrs)) : 1,
    density,
    flops: graphStats(graph, { batch: 1, seq }).flops,
    // The plan's peak live set of layer 0's attention (scores with Softmax in place, mask or gathered blocks, per-head copies).
    planActivationBytes: g.layers[0].attention.peakBytes + result,
    fixedBytes: PROCESS_BYTES,
    key: key("attention"),
  };
  return [attention, encoder];
}

function densityRange(layout: LayerLayout | undefined): [number, number] {
  if (!layout) return [1, 1];
  const d = layout.heads.map((_, h) => headDensity(layout, h));
  return [Math.min(...d), Math.max(...d)];
}

/** q, k, v [batch, seq, 768] → attention with `layout` (none: dense), then the sparse-attention pass as compileSpec runs it. */
export function attentionGraph(seq: number, layout: LayerLayout | undefined, chunkBytes?: number): Graph {
  const b = new GraphBuilder("attention", { model: "attention", dimBounds: { seq } });
  const width = HEADS * HEAD_DIM;
  const q = b.input("q", "float32", ["batch", "seq", width]);
  const k = b.input("k", "float32", ["batch", "seq", width]);
  const v = b.input("v", "float32", ["batch", "seq", width]);
  const attrs = { heads: HEADS, kvHeads: HEADS, headDim: HEAD_DIM, causal: layout?.causal ?? false, ...(layout ? blockLayoutAttrs(layout) : {}) };
  b.withScope("layers.0.attn", () => b.output("y", b.op("attention", [q, k, v], attrs)));
  const graph = b.build();
  if (!layout) return graph;
  const manager = new PassManager().add(sparseAttention, { ...DEFAULT_SPARSE_ATTENTION_OPTIONS, ...(chunkBytes ? { chunkBytes } : {}) });
  return manager.run(graph, { bindings: { batch: 1, seq } }).graph;
}

/** Hash of the compiled compiler (what the emitted ONNX depends on besides the spec). */
function buildHash(): string {
  const hash = createHash("sha256");
  const walk = (dir: string) => {
    if (!existsSync(dir)) return;
    for (const entry of readdirSync(dir, { withFileTypes: true }).sort((a, b) => a.name.localeCompare(b.name))) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith(".js")) hash.update(path.slice(DIST.length)).update(readFileSync(path));
    }
  };
  for (const dir of ["compiler", "passes", "grammar"]) walk(join(DIST, dir));
  return hash.digest("hex");
}

// ---------------------------------------------------------------------------------------------------
// Running: one group = one kind at one length (dense first, so the sparse rows know whether dense ran).

interface RunPlan {
  readonly memory: { readonly warmup: number; readonly runs: number };
  readonly latency: { readonly warmup: number; readonly runs: number };
  /** Runs of the memory process that serve as the latency when dense did not run. */
  readonly soloLatency: { readonly warmup: number; readonly runs: number };
}

function runPlan(kind: Kind, seq: number, quick: boolean): RunPlan {
  const q = (n: number) => (quick ? Math.max(1, Math.ceil(n / 2)) : n);
  if (kind === "attention") {
    const latency = seq <= 1024 ? { warmup: 2, runs: q(15) } : seq <= 4096 ? { warmup: 2, runs: q(7) } : { warmup: 1, runs: q(3) };
    return { memory: { warmup: 0, runs: q(seq <= 4096 ? 3 : 2) }, latency, soloLatency: { warmup: 1, runs: q(3) } };
  }
  if (seq > 4096) {
    // Dense at 16384 takes minutes a run (12 GiB of scores per layer): one run for its memory, two timed rounds
    // after a warm-up against each sparse model. A sparse model that dense could not run with gets one timed run.
    return { memory: { warmup: 0, runs: 1 }, latency: { warmup: 1, runs: 2 }, soloLatency: { warmup: 1, runs: 1 } };
  }
  const latency = seq <= 1024 ? { warmup: 1, runs: q(5) } : { warmup: 1, runs: q(3) };
  return { memory: { warmup: 0, runs: q(2) }, latency, soloLatency: { warmup: 1, runs: 1 } };
}

async function runGroup(group: readonly Planned[], earlier: readonly SparseCase[], modelDir: string, options: SparseOptions, denseFlops: number): Promise<SparseCase[]> {
  const { log } = options;
  const plan = runPlan(group[0].kind, group[0].seq, options.quick);
  const results: SparseCase[] = [];
  let denseRan = false;
  for (const p of group) {
    const base = {
      kind: p.kind,
      config: p.config,
      seq: p.seq,
      model: p.model,
      pattern: p.pattern,
      lowering: p.lowering,
      computedFraction: p.computedFraction,
      density: p.density,
      flops: p.flops,
      flopRatio: denseFlops / p.flops,
      planNeedBytes: p.fixedBytes + p.planActivationBytes,
      planActivationBytes: p.planActivationBytes,
    };
    const decision = decide(p, earlier, options);
    const where = `${p.kind} ${p.config} at ${p.seq}`;
    if (!decision.run) {
      log(`sparse: ${where}: not run: ${decision.reason}`);
      results.push({ ...base, needBytes: decision.need, needBasis: decision.basis, status: "not run", reason: decision.reason });
      continue;
    }
    const file = await ensureModel(p, modelDir, log);
    const runs = p.config !== "dense" && !denseRan ? plan.soloLatency : plan.memory;
    log(`sparse: ${where}: memory process (needs ~${gib(decision.need)}, ${runs.warmup} + ${runs.runs} runs)`);
    const r = await runWorker(
      ["memory", file, "--feeds", feedKind(p.kind), "--seq", `${p.seq}`, "--warmup", `${runs.warmup}`, "--runs", `${runs.runs}`],
      workerTimeoutMs(decision.projectedMs, runs.warmup + runs.runs + 2),
    );
    const modelFile = rel(options.root, file);
    const modelBytes = statSync(file).size;
    if (r.mode !== "memory") {
      const reason = r.mode === "error" ? r.error : "unexpected result";
      log(`sparse: ${where}: failed: ${reason}`);
      results.push({ ...base, needBytes: decision.need, needBasis: decision.basis, status: "failed", reason, modelFile, modelBytes });
      continue;
    }
    if (p.config === "dense") denseRan = true;
    const memory = memoryFigures(r, p.seq);
    log(`sparse: ${where}: peak ${gib(memory.peakBytes)}, run +${gib(memory.runIncreaseBytes)}; runs ${[...r.warmupMs, ...r.runMs].map((x) => x.toFixed(0)).join(", ")} ms`);
    const solo = !denseRan && p.config !== "dense" && r.runMs.length > 0;
    results.push({
      ...base,
      needBytes: decision.need,
      needBasis: decision.basis,
      status: "measured",
      modelFile,
      modelBytes,
      memory,
      memoryRunMs: [...r.warmupMs, ...r.runMs],
      nonFinite: r.nonFinite,
      ...(solo ? { latency: summarize(p.config, r.runMs), latencySource: "memory-process" as const } : {}),
    });
  }

  return timeAgainstDense(results, plan, options);
}

/**
 * Times the sparse models against dense, round-robin in one child process: all of them together when
 * they fit in free memory at once, else dense with each sparse model in turn (dense's samples pooled),
 * else not at all (the rows say why).
 */
async function timeAgainstDense(results: SparseCase[], plan: RunPlan, options: SparseOptions): Promise<SparseCase[]> {
  const { log } = options;
  const ran = results.filter((c) => c.status === "measured");
  const dense = ran.find((c) => c.config === "dense");
  const sparse = ran.filter((c) => c.config !== "dense");
  if (!dense || sparse.length === 0) return results;
  const needOf = (cs: readonly SparseCase[]) => cs.reduce((sum, c) => sum + (c.memory?.peakBytes ?? c.needBytes), 0);
  const free = machineMemory().available - MEMORY_MARGIN;
  const sets = needOf(ran) <= free ? [ran] : sparse.every((c) => needOf([dense, c]) <= free) ? sparse.map((c) => [dense, c]) : [];
  const where = `${dense.kind} at ${dense.seq}`;
  if (sets.length === 0) {
    const reason = `not timed against dense: dense with one sparse model needs ~${gib(needOf([dense, sparse[0]]))}, ${gib(free + MEMORY_MARGIN)} is free`;
    log(`sparse: ${where}: ${reason}`);
    return results.map((c) => (c.status === "measured" ? { ...c, reason } : c));
  }
  const out = [...results];
  const update = (config: Config, change: (c: SparseCase) => SparseCase) => {
    const i = out.findIndex((c) => c.config === config);
    out[i] = change(out[i]);
  };
  const denseSamples: number[] = [];
  for (const set of sets) {
    const perRound = set.reduce((sum, c) => sum + medianOf(c.memoryRunMs ?? []), 0);
    const { warmup, runs } = plan.latency;
    log(`sparse: ${where}: interleaved latency, ${warmup} + ${runs} rounds of ${set.map((c) => c.config).join(", ")} (needs ~${gib(needOf(set))})`);
    const r = await runWorker(
      ["latency", "--feeds", feedKind(dense.kind), "--seq", `${dense.seq}`, "--warmup", `${warmup}`, "--runs", `${runs}`, ...set.map((c) => `${c.config}=${join(options.root, c.modelFile!)}`)],
      workerTimeoutMs(perRound, warmup + runs + 2),
    );
    if (r.mode !== "latency") {
      const reason = `latency process failed: ${r.mode === "error" ? r.error : "unexpected result"}`;
      log(`sparse: ${where}: ${reason}`);
      for (const c of set) update(c.config, (x) => ({ ...x, reason }));
      continue;
    }
    const denseStats = r.stats.find((s) => s.name === "dense")!;
    denseSamples.push(...denseStats.samplesMs);
    for (const c of set) {
      const stats = r.stats.find((s) => s.name === c.config)!;
      const speedup = c.config === "dense" ? undefined : pairedRatio(denseStats, stats);
      update(c.config, (x) => ({ ...x, latency: stats, latencySource: "interleaved", speedup, nonFinite: Math.max(x.nonFinite ?? 0, r.nonFinite[c.config] ?? 0) }));
      log(`sparse:   ${c.config.padEnd(8)} ${stats.medianMs.toFixed(1).padStart(9)} ms${speedup ? `  ×${speedup.median.toFixed(2)} vs dense (FLOP ratio ${c.flopRatio.toFixed(2)})` : ""}`);
    }
  }
  if (sets.length > 1 && denseSamples.length > 0) {
    update("dense", (x) => ({ ...x, latency: summarize("dense", denseSamples), latencySource: "interleaved", reason: "timed against each sparse model in turn (all together did not fit in free memory); samples pooled" }));
  }
  return out;
}

function feedKind(kind: Kind): FeedKind {
  return kind === "attention" ? "qkv" : "tokens";
}

function medianOf(values: readonly number[]): number {
  return values.length === 0 ? 0 : summarize("", values).medianMs;
}

interface Decision {
  readonly run: boolean;
  readonly need: number;
  readonly basis: string;
  readonly reason?: string;
  readonly projectedMs?: number;
}

/**
 * Whether `p` may run now: its memory need (the plan's estimate, or — once the same model ran at a
 * shorter length — that run's measured increase scaled by the plan's growth) against the machine's
 * memory, and its projected run time (the shorter run's, scaled by FLOPs) against the budget.
 */
function decide(p: Planned, earlier: readonly SparseCase[], options: SparseOptions): Decision {
  const memory = machineMemory();
  const planNeed = p.fixedBytes + p.planActivationBytes;
  const shorter = earlier
    // Same lowering only: BigBird is dense-masked at 1024 and block-sparse from 4096 on.
    .filter((c) => c.kind === p.kind && c.config === p.config && c.lowering === p.lowering && c.seq < p.seq && c.status === "measured" && c.memory)
    .sort((a, b) => b.seq - a.seq)[0];
  let need = planNeed;
  let basis = `plan: ${gib(planNeed)}`;
  let projectedMs: number | undefined;
  if (shorter?.memory) {
    // The run-time increase measured at the shorter length, grown as the plan's activations grow.
    need = p.fixedBytes + (shorter.memory.runIncreaseBytes * p.planActivationBytes) / shorter.planActivationBytes;
    basis = `plan ${gib(planNeed)}; the ${shorter.seq} run's measured increase scaled as the plan grows: ${gib(need)}`;
    const ms = shorter.latency?.medianMs ?? medianOf(shorter.memoryRunMs ?? []);
    if (ms > 0) projectedMs = (ms * p.flops) / shorter.flops;
  }
  const total = memory.total;
  const free = memory.available - MEMORY_MARGIN;
  if (need > total - MEMORY_MARGIN) {
    return { run: false, need, basis, reason: `needs ~${gib(need)} (${basis}); the machine has ${gib(total)} in all` };
  }
  if (need > free) {
    return { run: false, need, basis, reason: `needs ~${gib(need)} (${basis}); only ${gib(memory.available)} of ${gib(total)} is free now` };
  }
  if (projectedMs !== undefined && projectedMs > options.maxRunSeconds * 1000) {
    return {
      run: false,
      need,
      basis,
      projectedMs,
      reason: `fits (~${gib(need)}, ${basis}) but one run would take ~${(projectedMs / 1000).toFixed(0)} s (the ${shorter!.seq} run scaled by FLOPs), over the ${options.maxRunSeconds} s per run this section allows (--sparse-max-run-s)`,
    };
  }
  return { run: true, need, basis, projectedMs };
}

function workerTimeoutMs(projectedRunMs: number | undefined, runs: number): number {
  return Math.max(5 * 60_000, 4 * runs * (projectedRunMs ?? 30_000));
}

export function machineMemory(): { total: number; available: number } {
  const text = existsSync("/proc/meminfo") ? readFileSync("/proc/meminfo", "utf8") : "";
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s*(\\d+)`, "m").exec(text)?.[1] ?? NaN) * 1024;
  return { total: kb("MemTotal"), available: kb("MemAvailable") };
}

function memoryFigures(r: MemoryResult, seq: number): MemoryFigures {
  const increase = Math.max(0, r.runPeakBytes - r.baselineBytes);
  return {
    baselineBytes: r.baselineBytes,
    peakBytes: Math.max(r.creationPeakBytes, r.runPeakBytes),
    runIncreaseBytes: increase,
    runIncreasePerToken: increase / seq,
    runs: r.warmupMs.length + r.runMs.length,
    createMs: r.createMs,
    watermarkReset: r.watermarkReset,
  };
}

/** The model's ONNX file, written unless the same spec text and compiler build wrote it before. */
async function ensureModel(p: Planned, modelDir: string, log: (line: string) => void): Promise<string> {
  const file = join(modelDir, `${p.kind}-${p.config}-${p.seq}.onnx`);
  const keyFile = `${file}.key`;
  if (existsSync(file) && existsSync(keyFile) && readFileSync(keyFile, "utf8").trim() === p.key) return file;
  rmSync(keyFile, { force: true });
  rmSync(file, { force: true });
  const start = performance.now();
  await writeOnnxFile(p.graph, file, { opset: p.opset });
  writeFileSync(keyFile, `${p.key}\n`);
  log(`sparse: wrote ${file.slice(modelDir.length + 1)} (${(statSync(file).size / 2 ** 20).toFixed(0)} MiB) in ${((performance.now() - start) / 1000).toFixed(1)} s`);
  return file;
}

/**
 * Runs the worker and returns its JSON line. The memory guard is a watchdog, not `ulimit -v`: ORT's
 * arena reserves address space in power-of-two regions (16 GiB for a 12 GiB tensor), so a virtual
 * limit that leaves no room for that fails runs that would fit in RSS. Instead free memory is polled
 * every 50 ms and the child is killed if it falls below WATCHDOG_FLOOR, before the OOM killer acts.
 */
function runWorker(args: readonly string[], timeoutMs: number): Promise<WorkerResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [WORKER, ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    let stopped: string | undefined;
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    const stop = (why: string) => {
      if (stopped) return;
      stopped = why;
      child.kill("SIGKILL");
    };
    const timer = setTimeout(() => stop(`timed out after ${(timeoutMs / 1000).toFixed(0)} s`), timeoutMs);
    const watchdog = setInterval(() => {
      const free = machineMemory().available;
      if (free < WATCHDOG_FLOOR) stop(`stopped by the memory watchdog: free memory fell to ${gib(free)} with the child at ${gib(rssOf(child.pid))} RSS`);
    }, 50);
    child.on("close", (code, signal) => {
      clearTimeout(timer);
      clearInterval(watchdog);
      const line = stdout.trim().split("\n").pop() ?? "";
      if (!stopped) {
        try {
          resolve(JSON.parse(line) as WorkerResult);
          return;
        } catch {
          // fall through: no JSON line
        }
      }
      const why = stopped ?? (signal ? `killed by ${signal}${signal === "SIGKILL" ? " (out of memory?)" : ""}` : `exited with ${code}`);
      const tail = (stderr.trim() || stdout.trim()).split("\n").slice(-3).join(" | ");
      resolve({ mode: "error", error: tail ? `${why}: ${tail}` : why });
    });
  });
}

function rssOf(pid: number | undefined): number {
  try {
    return Number(/^VmRSS:\s*(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"))?.[1] ?? NaN) * 1024;
  } catch {
    return NaN;
  }
}

// ---------------------------------------------------------------------------------------------------
// Verdicts.

function find(cases: readonly SparseCase[], kind: Kind, config: Config, seq: number): SparseCase | undefined {
  return cases.find((c) => c.kind === kind && c.config === config && c.seq === seq);
}

function targets(cases: readonly SparseCase[]): SparseTarget[] {
  const out: SparseTarget[] = [];
  const x = (r: number) => `${r.toFixed(2)}×`;
  for (const config of SPARSE_CONFIGS) {
    const c = find(cases, "attention", config, 4096);
    if (!c) continue;
    const density = c.density[1];
    const what = `attention alone ≥ 6× faster than dense at 4096, ${c.pattern} (density ${fraction(density)})`;
    if (density > 1 / 8) out.push({ what, detail: `not applicable: density ${fraction(density)} is above 1/8${c.speedup ? ` (measured ${x(c.speedup.median)}, FLOP ratio ${x(c.flopRatio)})` : ""}` });
    else if (!c.speedup) out.push({ what, detail: `not measured: ${c.reason ?? "no interleaved run"}` });
    else out.push({ what, met: c.speedup.median >= 6, detail: `${x(c.speedup.median)} (p10–p90 ${c.speedup.p10.toFixed(2)}–${c.speedup.p90.toFixed(2)}), FLOP ratio ${x(c.flopRatio)}` });
  }
  for (const [seq, goal] of [
    [4096, 1.6],
    [16384, 4],
  ] as const) {
    for (const config of SPARSE_CONFIGS) {
      const c = find(cases, "encoder", config, seq);
      if (!c) continue;
      const what = `whole encoder ≥ ${goal}× faster than dense at ${seq}, ${c.pattern}`;
      const dense = find(cases, "encoder", "dense", seq);
      if (dense && dense.status !== "measured") out.push({ what, detail: `dense not runnable (${dense.reason}); nothing extrapolated${c.latency ? `; sparse ran in ${(c.latency.medianMs / 1000).toFixed(1)} s, FLOP ratio ${x(c.flopRatio)}` : ""}` });
      else if (!c.speedup) out.push({ what, detail: `not measured: ${c.reason ?? "no interleaved run"}` });
      else out.push({ what, met: c.speedup.median >= goal, detail: `${x(c.speedup.median)} (p10–p90 ${c.speedup.p10.toFixed(2)}–${c.speedup.p90.toFixed(2)}), FLOP ratio ${x(c.flopRatio)}` });
    }
  }
  for (const kind of ["attention", "encoder"] as const) {
    for (const config of SPARSE_CONFIGS) {
      const g = growth(cases).filter((e) => e.kind === kind && e.config === config);
      const last = g[g.length - 1];
      if (!last) continue;
      const dense = growth(cases).filter((e) => e.kind === kind && e.config === "dense").pop();
      out.push({
        what: `${kind === "attention" ? "attention alone" : "whole encoder"}: ${config} run-time memory linear in length`,
        met: last.exponent < 1.3,
        detail:
          `grows as S^${last.exponent.toFixed(2)} from ${last.from} to ${last.to} (bytes per token ${perToken(cases, kind, config)})` +
          (dense ? `; dense S^${dense.exponent.toFixed(2)} from ${dense.from} to ${dense.to} (${perToken(cases, kind, "dense")})` : ""),
      });
    }
  }
  return out;
}

function perToken(cases: readonly SparseCase[], kind: Kind, config: Config): string {
  return cases
    .filter((c) => c.kind === kind && c.config === config && c.memory)
    .map((c) => `${c.seq}: ${(c.memory!.runIncreasePerToken / 1024).toFixed(1)} KiB`)
    .join(", ");
}

/** Exponent e of run-time memory ∝ S^e between consecutive measured lengths. */
function growth(cases: readonly SparseCase[]): SparseAttentionReport["growth"][number][] {
  const out: SparseAttentionReport["growth"][number][] = [];
  for (const kind of ["attention", "encoder"] as const) {
    for (const { config } of CONFIGS) {
      const measured = cases.filter((c) => c.kind === kind && c.config === config && c.memory && c.memory.runIncreaseBytes > 0).sort((a, b) => a.seq - b.seq);
      for (let i = 1; i < measured.length; i++) {
        const [a, b] = [measured[i - 1], measured[i]];
        out.push({ kind, config, from: a.seq, to: b.seq, exponent: Math.log(b.memory!.runIncreaseBytes / a.memory!.runIncreaseBytes) / Math.log(b.seq / a.seq) });
      }
    }
  }
  return out;
}

export function fraction(x: number): string {
  return `${(100 * x).toFixed(1)}% ≈ 1/${(1 / x).toFixed(1)}`;
}

export function gib(bytes: number): string {
  return bytes >= GiB ? `${(bytes / GiB).toFixed(1)} GiB` : `${(bytes / 2 ** 20).toFixed(0)} MiB`;
}

function rel(root: string, path: string): string {
  return path.startsWith(root + "/") ? path.slice(root.length + 1) : path;
}
