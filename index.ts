/**
 * tfc's public API: everything a program needs to read specs, build and transform graphs (with
 * passes of its own), emit ONNX and run it. The CLI is built on exactly these.
 */

// The language: parsing, diagnostics and their rendering, formatting.
export { parse, renderDiagnostics, formatSource } from "./grammar/index.js";
export type { ParseResult } from "./grammar/parse.js";
export { Codes, hasErrors, type Diagnostic, type DiagnosticCode, type DiagnosticFix, type DiagnosticLabel, type Severity } from "./grammar/diagnostics.js";
export type { Position, Span } from "./grammar/span.js";
export type * as ast from "./grammar/ast.js";

// Checking: AST → ModelSpec.
export {
  check,
  countParameters,
  LIMITS,
  type CheckOptions,
  type CheckResult,
  type LoadFile,
  type LoadImport,
  type ParameterCount,
} from "./compiler/check/index.js";

// Attention patterns: the canonical block layout (`spec.attention`), its generators, the validator,
// layout files, reports and pictures (docs/attention.md).
export * as attention from "./compiler/attention/index.js";
export type { AttentionLayouts, HeadLayout, LayerLayout } from "./compiler/attention/layout.js";
export type {
  Activation,
  Device as TargetDevice,
  ModelKind,
  ModelSpec,
  NormKind,
  NormPlacement,
  OutputSpec,
  PositionSpec,
  TargetSpec,
  WeightsSpec,
  HfLayout,
} from "./compiler/spec.js";

// The pipeline and the plan.
export {
  checkFile,
  checkSource,
  compileSpec,
  compileSpecAsync,
  CalibrationRequiredError,
  readSource,
  MAX_SOURCE_BYTES,
  type AsyncCompileOptions,
  type CollectActivations,
  type CompiledModel,
  type FrontEndResult,
  type ReadResult,
} from "./compiler/pipeline.js";
export { buildPlan, type ExecutionPlan, type PlannedGraph, type PlannedLayer, type PlannedTensor } from "./compiler/plan.js";

// The IR: graphs, ops, initializers, passes.
export {
  GraphBuilder,
  IrError,
  PassManager,
  attr,
  bindShape,
  BYTES_PER_ELEMENT,
  computed,
  describeInitializer,
  elementCount,
  fill,
  formatType,
  getOp,
  graphStats,
  literal,
  materialize,
  normal,
  parameterGroup,
  printGraph,
  registerOp,
  registeredOps,
  tensorType,
  usersOf,
  verifyGraph,
  type AttrValue,
  type Attrs,
  type DType,
  type Dim,
  type Graph,
  type GraphMetadata,
  type GraphOutput,
  type GraphStats,
  type Initializer,
  type Node,
  type OnnxAttribute,
  type OnnxBuilder,
  type OpDef,
  type Parameter,
  type Pass,
  type PassContext,
  type PassManagerOptions,
  type PassReport,
  type PassResult,
  type TensorData,
  type TensorType,
  type Value,
} from "./compiler/ir/index.js";

// Lowering and ONNX emission.
export { lowerModel } from "./compiler/lower/index.js";
export { emitOnnx, writeOnnxFile, externalDataPath, OnnxEmitError, DEFAULT_OPSET, MAX_MODEL_BYTES, type EmitOptions, type WriteOptions, type WrittenOnnx } from "./compiler/onnx/index.js";

// Hugging Face checkpoints: the layouts `weights "FILE" layout hf-…` reads, and `tfc import`'s config reader.
export { HF_LAYOUT_DEFINITIONS } from "./compiler/weights/hf-layouts.js";
export type { HfLayoutDefinition, ExpectedTensor, TensorTransform } from "./compiler/weights/hf-layout.js";
export { importHfConfig, type ImportOptions, type ImportResult, type ImportedModel } from "./compiler/weights/hf-config.js";

// The runtime: ONNX Runtime sessions and runs.
export {
  openSession,
  runModel,
  readModelMetadata,
  sampleInputs,
  modelFacts,
  ModelRunError,
  CUDA_FALLBACK_NOTICE,
  type Checksum,
  type Device,
  type GraphOptimization,
  type ModelFacts,
  type OpenedSession,
  type OutputSummary,
  type Provider,
  type RunOptions,
  type RunResult,
  type SessionOptions,
} from "./runtime/index.js";

// Passes shipped with tfc (one per file in passes/).
export {
  sparseAttention,
  DEFAULT_SPARSE_ATTENTION_OPTIONS,
  DEFAULT_SPARSE_THRESHOLD,
  type SparseAttentionOptions,
} from "./passes/sparse-attention.js";

// Weights: safetensors reading and writing, and checkpoints of compiled graphs (docs/weights.md).
export {
  openSafetensors,
  writeSafetensors,
  SafetensorsError,
  type SafetensorsFile,
  type SafetensorsEntry,
  type SafetensorsDType,
  type TensorToWrite,
} from "./compiler/weights/safetensors.js";
export { exportWeights, exportTensors, namingFor, ExportError, type ExportNaming, type ExportOptions, type ExportSummary } from "./compiler/weights/export.js";
export { quantizeMatmul, type ActivationRanges, type QuantizeMatmulOptions } from "./passes/quantize-matmul.js";
export { quantizeEmbeddings, type QuantizeEmbeddingsOptions } from "./passes/quantize-embeddings.js";
export { quantizeFp16, type QuantizeFp16Options } from "./passes/quantize-fp16.js";
export { calibrationGraph, rangesFromActivations, type CalibrationPlan } from "./passes/quantize-calibration.js";
export { collectActivations, type CalibrationOptions } from "./runtime/calibrate.js";
export { pruneHeads, type PruneHeadsOptions } from "./passes/prune-heads.js";
export { pruneFfn, type PruneFfnOptions } from "./passes/prune-ffn.js";
export { pruneLayers, type PruneLayersOptions } from "./passes/prune-layers.js";
export { pruneWeights, type PruneWeightsOptions } from "./passes/prune-weights.js";
export { shareLayers, type ShareLayersOptions } from "./passes/share-layers.js";
export { shareEmbeddingsTied } from "./passes/share-embeddings-tied.js";
export { shareEmbeddingsFactorized, type FactorizedEmbeddingOptions } from "./passes/share-embeddings-factorized.js";
export { planOptimizations, type PlannedOptimization } from "./passes/optimize.js";
export { measureDeviation, type Deviation, type DeviationOptions } from "./runtime/deviation.js";
export type { OptimizeDirective } from "./compiler/check/optimize/index.js";
