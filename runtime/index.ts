export { openSession, CUDA_FALLBACK_NOTICE, type Device, type GraphOptimization, type NativeLogLevel, type OpenedSession, type Provider, type SessionOptions } from "./session.js";
export { modelFacts, sampleInputs, type ModelFacts, type SampleInput, type SampleInputOptions } from "./inputs.js";
export { readModelMetadata } from "./model-metadata.js";
export { runModel, latencySummary, type Checksum, type OutputSummary, type RunOptions, type RunResult } from "./run.js";
export { ModelRunError } from "./errors.js";
export { InputRandom } from "./random.js";
export { measureDeviation, compareOutputs, DEFAULT_DEVIATION_INPUTS, type Deviation, type DeviationOptions, type OutputDeviation } from "./deviation.js";
