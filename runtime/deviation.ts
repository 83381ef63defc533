import ort from "onnxruntime-node";
import type { OutputDeviation, PlannedDeviation } from "../compiler/plan.js";
import { modelFacts, sampleInputs } from "./inputs.js";
import { readModelMetadata } from "./model-metadata.js";
import { openSession } from "./session.js";

export type { OutputDeviation, PlannedDeviation as Deviation } from "../compiler/plan.js";

export interface DeviationOptions {
  readonly batch?: number;
  /** Tokens per sequence; capped at the model's context. Default 128. */
  readonly seq?: number;
  readonly seed?: number;
  readonly threads?: number;
}

export const DEFAULT_DEVIATION_INPUTS = { batch: 2, seq: 128, seed: 0 } as const;

/**
 * Runs the same seeded sample inputs through two models (ONNX Runtime, CPU) and compares every
 * output they share by name: max |a − b|, Σ|a − b| / Σ|a| (mean relative error), cosine similarity,
 * and for `logits` over a vocabulary the share of positions whose arg-max agrees. `reference` is the
 * unoptimized model; inputs are drawn from its declared inputs and metadata.
 */
export async function measureDeviation(
  reference: string | Uint8Array,
  candidate: string | Uint8Array,
  options: DeviationOptions = {},
): Promise<PlannedDeviation> {
  const facts = modelFacts(readModelMetadata(reference));
  const batch = options.batch ?? DEFAULT_DEVIATION_INPUTS.batch;
  const seq = Math.min(options.seq ?? DEFAULT_DEVIATION_INPUTS.seq, facts.context ?? Number.POSITIVE_INFINITY);
  const seed = options.seed ?? DEFAULT_DEVIATION_INPUTS.seed;
  const sessionOptions = { device: "cpu" as const, ...(options.threads ? { threads: options.threads } : {}) };
  const a = (await openSession(reference, sessionOptions)).session;
  const b = (await openSession(candidate, sessionOptions)).session;
  try {
    const inputs = sampleInputs(a, facts, { batch, seq, seed });
    const feeds: Record<string, ort.Tensor> = Object.fromEntries(inputs.map((i) => [i.name, i.tensor]));
    const expected = await a.run(feeds);
    const actual = await b.run(Object.fromEntries(b.inputNames.map((name) => [name, feeds[name]])));
    const outputs: Record<string, OutputDeviation> = {};
    for (const name of a.outputNames) {
      if (!(name in actual)) continue;
      outputs[name] = compareOutputs(expected[name], actual[name], name === "logits" && facts.vocab !== undefined && expected[name].dims.at(-1) === facts.vocab);
    }
    const names = Object.keys(outputs);
    if (names.length === 0) throw new Error("the two models share no output to compare");
    return { inputs: { batch, seq, seed }, primary: names.includes("logits") ? "logits" : names[0], outputs };
  } finally {
    await a.release();
    await b.release();
  }
}

/** The figures for one output; `perToken` adds arg-max agreement over the last axis. */
export function compareOutputs(expected: ort.Tensor, actual: ort.Tensor, perToken: boolean): OutputDeviation {
  if (expected.dims.join(",") !== actual.dims.join(",")) {
    throw new Error(`output shapes differ: [${expected.dims.join(", ")}] and [${actual.dims.join(", ")}]`);
  }
  const x = expected.data as Float32Array;
  const y = actual.data as Float32Array;
  let maxAbs = 0;
  let diffSum = 0;
  let refSum = 0;
  let dot = 0;
  let xx = 0;
  let yy = 0;
  for (let i = 0; i < x.length; i++) {
    const d = Math.abs(x[i] - y[i]);
    if (d > maxAbs) maxAbs = d;
    diffSum += d;
    refSum += Math.abs(x[i]);
    dot += x[i] * y[i];
    xx += x[i] * x[i];
    yy += y[i] * y[i];
  }
  const result: { -readonly [K in keyof OutputDeviation]: OutputDeviation[K] } = {
    maxAbs,
    meanRelative: refSum > 0 ? diffSum / refSum : diffSum,
    cosine: xx > 0 && yy > 0 ? dot / Math.sqrt(xx * yy) : xx === yy ? 1 : 0,
  };
  if (perToken) {
    const classes = expected.dims[expected.dims.length - 1];
    const positions = x.length / classes;
    let agree = 0;
    for (let p = 0; p < positions; p++) if (argmax(x, p * classes, classes) === argmax(y, p * classes, classes)) agree++;
    result.top1Agreement = agree / positions;
  }
  return result;
}

function argmax(data: Float32Array, from: number, count: number): number {
  let best = 0;
  for (let i = 1; i < count; i++) if (data[from + i] > data[from + best]) best = i;
  return best;
}
