/**
 * Interleaved ONNX Runtime latency measurement: several models (or one model under several session
 * options) timed in one process, one run of each per round, so drift on a noisy machine (thermal,
 * a neighbour's job, page cache) lands on every contender alike instead of on whichever ran last.
 *
 * Reusable by any A/B bench (dense vs sparse attention, fp32 vs quantized): build `Contender`s with
 * `openSession` + `tokenFeeds` and hand them to `timeInterleaved`.
 */
import ort from "onnxruntime-node";
import type { InferenceSession, Tensor } from "onnxruntime-node";

export type Session = InferenceSession;
export type SessionOptions = InferenceSession.SessionOptions;
export type Feeds = Record<string, Tensor>;

/** The options every contender in a fair comparison shares: CPU EP, all graph optimizations, 2 threads. */
export function cpuSessionOptions(overrides: SessionOptions = {}): SessionOptions {
  return {
    executionProviders: ["cpu"],
    graphOptimizationLevel: "all",
    intraOpNumThreads: 2,
    interOpNumThreads: 1,
    executionMode: "sequential",
    logSeverityLevel: 3,
    ...overrides,
  };
}

/**
 * `cpuSessionOptions` for several sessions timed interleaved in one process: worker threads do not
 * spin-wait (`session.intra_op.allow_spinning` 0). By default an idle pool's worker keeps spinning
 * after its run, so each session runs while the previous contender's pool still burns a core of this
 * 2-core VM; that tax is about the same in milliseconds for every model, so it shrinks the speed-up
 * of the faster model (bert-base int8 vs fp32 at seq 128: 2.0× [1.6–3.8] with spinning, 2.7×
 * [2.6–2.9] without, each model alone 2.6–2.9×). A deployed model owns its process; this is closer.
 */
export function interleavedSessionOptions(overrides: SessionOptions = {}): SessionOptions {
  return cpuSessionOptions({ extra: { session: { intra_op: { allow_spinning: "0" } } }, ...overrides });
}

export async function openSession(path: string, options: SessionOptions = cpuSessionOptions()): Promise<{ session: Session; createMs: number }> {
  const start = performance.now();
  const session = await ort.InferenceSession.create(path, options);
  return { session, createMs: performance.now() - start };
}

export function ortVersion(): string {
  return ort.env.versions.common;
}

/**
 * Feeds for a token model: `input_ids` uniform in [0, vocab) from a fixed seed, `token_type_ids`
 * (if the session declares it) all zeros, `attention_mask` (if declared) all ones. Every contender
 * given the same arguments receives identical tensors.
 */
export function tokenFeeds(session: Session, shape: { batch: number; seq: number; vocab: number; seed?: number }): Feeds {
  const { batch, seq, vocab } = shape;
  const count = batch * seq;
  let state = (shape.seed ?? 1) >>> 0 || 1;
  const next = () => {
    // xorshift32: reproducible, no dependence on Math.random.
    state ^= state << 13;
    state >>>= 0;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state;
  };
  const feeds: Feeds = {};
  for (const name of session.inputNames) {
    const data = new BigInt64Array(count);
    if (name === "input_ids") for (let i = 0; i < count; i++) data[i] = BigInt(next() % vocab);
    else if (name === "attention_mask") data.fill(1n);
    else if (name !== "token_type_ids") throw new Error(`tokenFeeds: don't know how to fill input \`${name}\``);
    feeds[name] = new ort.Tensor("int64", data, [batch, seq]);
  }
  return feeds;
}

export interface Contender {
  readonly name: string;
  readonly session: Session;
  readonly feeds: Feeds;
}

export interface TimingOptions {
  /** Untimed runs of each contender before timing (interleaved too). */
  readonly warmup: number;
  /** Timed runs of each contender. */
  readonly runs: number;
  /** Stop adding rounds once this much time has passed, as long as `minRuns` rounds are done. */
  readonly budgetMs?: number;
  readonly minRuns?: number;
  /**
   * Idle this long before each run, untimed. Each session has its own ONNX Runtime worker threads, which
   * spin for a while after a run: on a 2-core machine they take the cores from the next contender's run.
   */
  readonly pauseMs?: number;
}

export interface LatencyStats {
  readonly name: string;
  readonly runs: number;
  readonly medianMs: number;
  readonly p10Ms: number;
  readonly p90Ms: number;
  readonly meanMs: number;
  readonly minMs: number;
  readonly maxMs: number;
  /** In the order they were taken. */
  readonly samplesMs: readonly number[];
}

/** Linear-interpolated percentile (`p` in [0, 1]) of an ascending array. */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const at = (sorted.length - 1) * p;
  const lo = Math.floor(at);
  const hi = Math.ceil(at);
  return sorted[lo] + (sorted[hi] - sorted[lo]) * (at - lo);
}

export function summarize(name: string, samplesMs: readonly number[]): LatencyStats {
  const sorted = [...samplesMs].sort((a, b) => a - b);
  return {
    name,
    runs: samplesMs.length,
    medianMs: percentile(sorted, 0.5),
    p10Ms: percentile(sorted, 0.1),
    p90Ms: percentile(sorted, 0.9),
    meanMs: samplesMs.reduce((s, x) => s + x, 0) / Math.max(1, samplesMs.length),
    minMs: sorted[0] ?? NaN,
    maxMs: sorted[sorted.length - 1] ?? NaN,
    samplesMs: [...samplesMs],
  };
}

async function runOnce(c: Contender): Promise<number> {
  const start = performance.now();
  await c.session.run(c.feeds);
  return performance.now() - start;
}

/**
 * Times the contenders round-robin. Each round runs every contender once; odd rounds reverse the
 * order (A B, B A, A B …) so neither side always runs right after the other's cache footprint.
 */
export async function timeInterleaved(contenders: readonly Contender[], options: TimingOptions): Promise<LatencyStats[]> {
  const pause = () => (options.pauseMs ? new Promise((resolve) => setTimeout(resolve, options.pauseMs)) : Promise.resolve());
  for (let i = 0; i < options.warmup; i++) {
    for (const c of order(contenders, i)) await pause().then(() => runOnce(c));
  }
  const samples = contenders.map(() => [] as number[]);
  const start = performance.now();
  const minRuns = options.minRuns ?? options.runs;
  for (let round = 0; round < options.runs; round++) {
    if (options.budgetMs !== undefined && round >= minRuns && performance.now() - start > options.budgetMs) break;
    for (const c of order(contenders, round)) {
      await pause();
      samples[contenders.indexOf(c)].push(await runOnce(c));
    }
  }
  return contenders.map((c, i) => summarize(c.name, samples[i]));
}

export interface RatioStats {
  readonly median: number;
  readonly p10: number;
  readonly p90: number;
  /** Rounds compared, and in how many of them the ratio was below 1 (a was faster). */
  readonly rounds: number;
  readonly below1: number;
}

/**
 * Per-round ratios a[i] / b[i] of two contenders timed in the same `timeInterleaved` call, summarized.
 * Each pair ran back to back, so slow drift in the machine's speed (other tenants, throttling)
 * cancels out of the ratio even when it swamps the spread of either side's own latencies.
 */
export function pairedRatio(a: LatencyStats, b: LatencyStats): RatioStats {
  const n = Math.min(a.samplesMs.length, b.samplesMs.length);
  return ratioStats(Array.from({ length: n }, (_, i) => a.samplesMs[i] / b.samplesMs[i]));
}

/** Median, p10, p90 and the count below 1 of a set of ratios. */
export function ratioStats(values: readonly number[]): RatioStats {
  const n = values.length;
  const ratios = [...values].sort((x, y) => x - y);
  return {
    median: percentile(ratios, 0.5),
    p10: percentile(ratios, 0.1),
    p90: percentile(ratios, 0.9),
    rounds: n,
    below1: ratios.filter((r) => r < 1).length,
  };
}

function order<T>(items: readonly T[], round: number): readonly T[] {
  return round % 2 === 0 ? items : [...items].reverse();
}
