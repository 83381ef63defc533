/**
 * The child process of the sparse-attention bench section (bench/sparse-attention.ts): every ONNX
 * Runtime session of that section runs in one of these, so peak memory is one model's own and a run
 * that does not fit ends this process, not the bench (the parent watches free memory and kills it
 * first). Prints one JSON line on stdout.
 *
 *   node dist/bench/sparse-worker.js memory  MODEL --feeds qkv|tokens --seq S [--warmup W] [--runs N]
 *   node dist/bench/sparse-worker.js latency --feeds qkv|tokens --seq S [--warmup W] [--runs N] NAME=MODEL …
 *
 * `memory`: session created, inputs made, then the baseline (VmRSS: the model loaded, nothing run);
 * the peak-RSS watermark is reset (`/proc/self/clear_refs` 5) so that VmHWM after the runs is the
 * peak of the runs alone, not of session creation; then W + N runs, each timed.
 * `latency`: every model opened in this one process and timed round-robin (`timeInterleaved`).
 */
import { readFileSync, writeFileSync } from "node:fs";
import ort from "onnxruntime-node";
import { cpuSessionOptions as benchSessionOptions, openSession, timeInterleaved, tokenFeeds, type Contender, type Feeds, type LatencyStats, type Session } from "./latency.js";

/**
 * The bench's CPU options with ONNX Runtime's memory pattern off. With symbolic lengths the pattern is
 * planned per input shape after a first run, and its one block held up to 1.7× the live set of these
 * graphs (window attention at 4096: 0.41 GiB against 0.24 GiB, same speed); the plan's activation
 * estimate models the live set.
 */
export function sparseSessionOptions(): ReturnType<typeof benchSessionOptions> {
  return benchSessionOptions({ enableMemPattern: false, ...(ortSpinning() ? {} : { extra: { session: { intra_op: { allow_spinning: "0" } } } }) });
}

/**
 * Whether ONNX Runtime's idle worker threads spin (its default) in this section's sessions, dense and
 * sparse alike: off unless TFC_BENCH_ORT_SPINNING=1. On the shared 2-core VM, threads spinning between
 * the ~50 parallel sections of a chunked layer wait on descheduled spinners; both settings are reported
 * in docs/attention-lowering.md.
 */
export function ortSpinning(): boolean {
  return process.env.TFC_BENCH_ORT_SPINNING === "1";
}

/** Idle time before each timed run (see TimingOptions.pauseMs): longer than ONNX Runtime's spin-wait. */
export const PAUSE_MS = 30;

export const HEADS = 12;
export const HEAD_DIM = 64;
export const VOCAB = 30522;

export type FeedKind = "qkv" | "tokens";

export interface MemoryStatus {
  /** VmRSS and VmHWM (peak RSS), bytes. */
  readonly rss: number;
  readonly hwm: number;
}

export interface MemoryResult {
  readonly mode: "memory";
  readonly createMs: number;
  /** RSS with node and onnxruntime loaded, before the session. */
  readonly beforeSessionBytes: number;
  /** Peak RSS up to the end of session creation and input set-up. */
  readonly creationPeakBytes: number;
  /** RSS after loading the model and making the inputs, nothing run yet. */
  readonly baselineBytes: number;
  /** Peak RSS over the runs (since the reset; the whole process's if the reset was refused). */
  readonly runPeakBytes: number;
  /** Whether `clear_refs` reset the watermark. */
  readonly watermarkReset: boolean;
  readonly warmupMs: readonly number[];
  readonly runMs: readonly number[];
  /** Non-finite values in the first run's outputs. */
  readonly nonFinite: number;
}

export interface LatencyResult {
  readonly mode: "latency";
  readonly createMs: Readonly<Record<string, number>>;
  readonly nonFinite: Readonly<Record<string, number>>;
  readonly stats: readonly LatencyStats[];
}

export type WorkerResult = MemoryResult | LatencyResult | { readonly mode: "error"; readonly error: string };

export function memoryStatus(): MemoryStatus {
  const text = readFileSync("/proc/self/status", "utf8");
  const kb = (field: string) => Number(new RegExp(`^${field}:\\s*(\\d+)\\s*kB`, "m").exec(text)?.[1] ?? NaN) * 1024;
  return { rss: kb("VmRSS"), hwm: kb("VmHWM") };
}

/** Reset VmHWM to the current RSS (Linux ≥ 4.0); false where the kernel refuses. */
function resetPeak(): boolean {
  try {
    writeFileSync("/proc/self/clear_refs", "5");
    const after = memoryStatus();
    return after.hwm <= after.rss + (1 << 20);
  } catch {
    return false;
  }
}

/** q, k, v [1, seq, 768], uniform in [−0.5, 0.5) from fixed seeds: every model gets the same tensors. */
export function qkvFeeds(seq: number): Feeds {
  const make = (seed: number) => {
    const data = new Float32Array(seq * HEADS * HEAD_DIM);
    let s = seed;
    for (let i = 0; i < data.length; i++) {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      data[i] = s / 2 ** 32 - 0.5;
    }
    return new ort.Tensor("float32", data, [1, seq, HEADS * HEAD_DIM]);
  };
  return { q: make(1), k: make(2), v: make(3) };
}

function feedsFor(kind: FeedKind, session: Session, seq: number, shared: { qkv?: Feeds }): Feeds {
  if (kind === "tokens") return tokenFeeds(session, { batch: 1, seq, vocab: VOCAB, seed: 7 });
  shared.qkv ??= qkvFeeds(seq);
  return shared.qkv;
}

async function timedRun(session: Session, feeds: Feeds): Promise<{ ms: number; nonFinite: number }> {
  const start = performance.now();
  const out = await session.run(feeds);
  const ms = performance.now() - start;
  let nonFinite = 0;
  for (const t of Object.values(out)) {
    if (t.type !== "float32") continue;
    const data = t.data as Float32Array;
    for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i])) nonFinite++;
  }
  return { ms, nonFinite };
}

async function memory(model: string, feedKind: FeedKind, seq: number, warmup: number, runs: number): Promise<MemoryResult> {
  const beforeSessionBytes = memoryStatus().rss;
  const { session, createMs } = await openSession(model, sparseSessionOptions());
  const feeds = feedsFor(feedKind, session, seq, {});
  const afterLoad = memoryStatus();
  const watermarkReset = resetPeak();
  const baselineBytes = memoryStatus().rss;
  const warmupMs: number[] = [];
  const runMs: number[] = [];
  let nonFinite = 0;
  for (let i = 0; i < warmup + runs; i++) {
    const r = await timedRun(session, feeds);
    if (i === 0) nonFinite = r.nonFinite;
    (i < warmup ? warmupMs : runMs).push(r.ms);
  }
  const runPeakBytes = memoryStatus().hwm;
  await session.release();
  return {
    mode: "memory",
    createMs,
    beforeSessionBytes,
    creationPeakBytes: afterLoad.hwm,
    baselineBytes,
    runPeakBytes,
    watermarkReset,
    warmupMs,
    runMs,
    nonFinite,
  };
}

async function latency(models: readonly { name: string; path: string }[], feedKind: FeedKind, seq: number, warmup: number, runs: number): Promise<LatencyResult> {
  const createMs: Record<string, number> = {};
  const nonFinite: Record<string, number> = {};
  const contenders: Contender[] = [];
  const shared = {};
  for (const m of models) {
    const opened = await openSession(m.path, sparseSessionOptions());
    createMs[m.name] = opened.createMs;
    contenders.push({ name: m.name, session: opened.session, feeds: feedsFor(feedKind, opened.session, seq, shared) });
  }
  // The first warm-up round checks the outputs; timeInterleaved does the rest of the warm-up.
  for (const c of contenders) nonFinite[c.name] = (await timedRun(c.session, c.feeds)).nonFinite;
  const stats = await timeInterleaved(contenders, { warmup: Math.max(0, warmup - 1), runs, pauseMs: PAUSE_MS });
  for (const c of contenders) await c.session.release();
  return { mode: "latency", createMs, nonFinite, stats };
}

async function main(argv: readonly string[]): Promise<WorkerResult> {
  const value = (name: string) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const feedKind = (value("--feeds") ?? "qkv") as FeedKind;
  if (feedKind !== "qkv" && feedKind !== "tokens") throw new Error(`--feeds must be qkv or tokens, got ${feedKind}`);
  const seq = Number(value("--seq"));
  if (!Number.isInteger(seq) || seq < 1) throw new Error("--seq must be a positive integer");
  const warmup = Number(value("--warmup") ?? 1);
  const runs = Number(value("--runs") ?? 3);
  if (argv[0] === "memory") return memory(argv[1], feedKind, seq, warmup, runs);
  if (argv[0] === "latency") {
    const models = argv.filter((a) => /^[\w.-]+=/.test(a)).map((a) => ({ name: a.slice(0, a.indexOf("=")), path: a.slice(a.indexOf("=") + 1) }));
    if (models.length === 0) throw new Error("latency: no NAME=MODEL arguments");
    return latency(models, feedKind, seq, warmup, runs);
  }
  throw new Error(`unknown mode ${argv[0]}: memory or latency`);
}

if (process.argv[1]?.endsWith("sparse-worker.js")) {
  main(process.argv.slice(2)).then(
    (result) => process.stdout.write(JSON.stringify(result) + "\n"),
    (e: unknown) => {
      process.stdout.write(JSON.stringify({ mode: "error", error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) }) + "\n");
      process.exitCode = 1;
    },
  );
}

