import { parentPort } from "node:worker_threads";
import { fillNormal } from "../ir/random.js";

/** A request to draw one parameter's normal(mean, std) stream (see compiler/ir/random.ts). */
export interface NormalJob {
  readonly id: number;
  readonly seed: number;
  readonly key: string;
  readonly mean: number;
  readonly std: number;
  readonly count: number;
}

export type NormalResult = { readonly id: number; readonly buffer: ArrayBuffer } | { readonly id: number; readonly error: string };

// Each stream depends only on (seed, key), so any thread draws exactly the numbers the main thread would.
parentPort?.on("message", (job: NormalJob) => {
  try {
    const out = new Float32Array(job.count);
    fillNormal(out, job.seed, job.key, job.mean, job.std);
    parentPort?.postMessage({ id: job.id, buffer: out.buffer } satisfies NormalResult, [out.buffer]);
  } catch (e) {
    parentPort?.postMessage({ id: job.id, error: String((e as Error).stack ?? e) } satisfies NormalResult);
  }
});
