import ort from "onnxruntime-node";
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
  /**
   * Token ids to run instead of seeded random ones: sequences of one length, fed as `input_ids`
   * (samples and seq are then theirs); other inputs (token types, masks, positions) are drawn as usual.
   */
  readonly tokens?: readonly (readonly number[])[];
}

/**
 * Runs `model` (a graph with the activations to observe as extra outputs) once on a batch of seeded
 * sample inputs, on the CPU, and returns the named outputs' values. The caller turns them into
 * quantization ranges.
 */
export async function collectActivations(model: Uint8Array, names: readonly string[], options: CalibrationOptions = {}): Promise<Map<string, Float32Array>> {
  const { tokens } = options;
  const samples = tokens ? tokens.length : (options.samples ?? 8);
  const seq = tokens ? (tokens[0]?.length ?? 0) : (options.seq ?? 128);
  if (tokens?.some((t) => t.length !== seq)) throw new ModelRunError("calibration token sequences must all have one length");
  const { session } = await openSession(model, { device: "cpu" });
  try {
    const inputs = sampleInputs(session, modelFacts(readModelMetadata(model)), { batch: samples, seq, seed: options.seed ?? 0 });
    const feeds: Record<string, ort.Tensor> = Object.fromEntries(inputs.map((i) => [i.name, i.tensor]));
    if (tokens) {
      if (!("input_ids" in feeds)) throw new ModelRunError("the calibration model has no `input_ids` input to feed the token ids to");
      feeds.input_ids = new ort.Tensor("int64", BigInt64Array.from(tokens.flat(), (id) => BigInt(id)), [samples, seq]);
    }
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
