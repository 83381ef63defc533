import type ort from "onnxruntime-node";
import { ModelRunError } from "./errors.js";
import { modelFacts, sampleInputs } from "./inputs.js";
import { readModelMetadata } from "./model-metadata.js";
import { openSession, type Device, type GraphOptimization, type Provider } from "./session.js";

export interface RunOptions {
  /** Default 1. */
  readonly batch?: number;
  /** Default 16. */
  readonly seq?: number;
  /** Seeds the sample inputs. Default 0. */
  readonly seed?: number;
  /** Timed runs. Default 5. */
  readonly runs?: number;
  /** Untimed runs first (allocator and kernel warm-up). Default 1. */
  readonly warmup?: number;
  readonly device?: Device;
  readonly threads?: number;
  readonly graphOptimization?: GraphOptimization;
  /** Vocabulary size for models that do not record `tfc.vocab`. */
  readonly vocab?: number;
}

/** Sum and sum of absolute values of an output: a cheap fingerprint to compare runs by. */
export interface Checksum {
  readonly sum: number;
  readonly sumAbs: number;
}

export interface OutputSummary {
  readonly name: string;
  readonly dtype: string;
  readonly dims: readonly number[];
  readonly checksum: Checksum;
}

export interface RunResult {
  readonly provider: Provider;
  readonly notice?: string;
  readonly inputs: readonly { readonly name: string; readonly dims: readonly number[] }[];
  readonly outputs: readonly OutputSummary[];
  /** Over the timed runs. */
  readonly latencyMs: { readonly median: number; readonly min: number; readonly p90: number };
}

/**
 * Runs a model on seeded random inputs and summarizes its outputs and latency. The same model and
 * seed give the same checksums. Problems the user can fix throw `ModelRunError`.
 */
export async function runModel(path: string, options: RunOptions = {}): Promise<RunResult> {
  const batch = positiveInteger("batch", options.batch ?? 1);
  const seq = positiveInteger("seq", options.seq ?? 16);
  const runs = positiveInteger("runs", options.runs ?? 5);
  const warmup = nonNegativeInteger("warmup", options.warmup ?? 1);
  const seed = nonNegativeInteger("seed", options.seed ?? 0);

  const opened = await openSession(path, {
    device: options.device,
    threads: options.threads,
    graphOptimization: options.graphOptimization,
  });
  const { session } = opened;
  try {
    const facts = modelFacts(readModelMetadata(path));
    const inputs = sampleInputs(session, facts, { batch, seq, seed, vocab: options.vocab });
    const feeds = Object.fromEntries(inputs.map((i) => [i.name, i.tensor]));

    for (let i = 0; i < warmup; i++) await runOnce(session, feeds);
    const times: number[] = [];
    let results: ort.InferenceSession.ReturnType | undefined;
    for (let i = 0; i < runs; i++) {
      const start = performance.now();
      results = await runOnce(session, feeds);
      times.push(performance.now() - start);
    }
    const outputs = session.outputNames.map((name) => summarize(name, results![name]));
    return {
      provider: opened.provider,
      ...(opened.notice ? { notice: opened.notice } : {}),
      inputs: inputs.map(({ name, dims }) => ({ name, dims })),
      outputs,
      latencyMs: latencySummary(times),
    };
  } finally {
    await session.release();
  }
}

async function runOnce(session: ort.InferenceSession, feeds: ort.InferenceSession.FeedsType): Promise<ort.InferenceSession.ReturnType> {
  try {
    return await session.run(feeds);
  } catch (e) {
    throw new ModelRunError(`ONNX Runtime failed running the model: ${(e instanceof Error ? e.message : String(e)).split("\n")[0]}`);
  }
}

function summarize(name: string, value: ort.OnnxValue): OutputSummary {
  const tensor = value as ort.Tensor;
  let sum = 0;
  let sumAbs = 0;
  const data = tensor.data as ArrayLike<number | bigint>;
  for (let i = 0; i < data.length; i++) {
    const x = Number(data[i]);
    sum += x;
    sumAbs += Math.abs(x);
  }
  return { name, dtype: tensor.type, dims: tensor.dims.map(Number), checksum: { sum, sumAbs } };
}

/** Median, minimum and 90th percentile (nearest rank) of the timed runs. */
export function latencySummary(times: readonly number[]): RunResult["latencyMs"] {
  const sorted = [...times].sort((a, b) => a - b);
  const rank = (q: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
  const mid = sorted.length / 2;
  const median = sorted.length % 2 === 1 ? sorted[Math.floor(mid)] : (sorted[mid - 1] + sorted[mid]) / 2;
  return { median, min: sorted[0], p90: rank(0.9) };
}

function positiveInteger(what: string, n: number): number {
  if (!Number.isSafeInteger(n) || n < 1) throw new RangeError(`${what} must be a positive integer, got ${n}`);
  return n;
}

function nonNegativeInteger(what: string, n: number): number {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`${what} must be a non-negative integer, got ${n}`);
  return n;
}
