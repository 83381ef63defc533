import type ort from "onnxruntime-node";
import { ModelRunError } from "./errors.js";
import { modelFacts, sampleInputs } from "./inputs.js";
import { readModelMetadata } from "./model-metadata.js";
import { openSession } from "./session.js";

export interface CalibrationOptions {
  /** Sample sequences, run as one batch. Default 8. */
  readonly samples?: number;
  /** Default 128. */
  readonly seq?: number;
  /** Seeds the sample inputs (runtime/inputs.ts). Default 0. */
  readonly seed?: number;
}

/**
 * Runs `model` (a graph with the activations to observe as extra outputs) once on a batch of seeded
 * sample inputs, on the CPU, and returns the named outputs' values. The caller turns them into
 * quantization ranges.
 */
export async function collectActivations(model: Uint8Array, names: readonly string[], options: CalibrationOptions = {}): Promise<Map<string, Float32Array>> {
  const samples = options.samples ?? 8;
  const seq = options.seq ?? 128;
  const { session } = await openSession(model, { device: "cpu" });
  try {
    const inputs = sampleInputs(session, modelFacts(readModelMetadata(model)), { batch: samples, seq, seed: options.seed ?? 0 });
    const feeds = Object.fromEntries(inputs.map((i) => [i.name, i.tensor]));
    let results: ort.InferenceSession.ReturnType;
    try {
      results = await session.run(feeds, [...names]);
    } catch (e) {
      throw new ModelRunError(`ONNX Runtime failed running the calibration model: ${(e instanceof Error ? e.message : String(e)).split("\n")[0]}`);
    }
    return new Map(names.map((name) => [name, (results[name] as ort.Tensor).data as Float32Array]));
  } finally {
    await session.release();
  }
}
