import { readFileSync, statSync } from "node:fs";
import { dirname, resolve } from "node:path";
import { parse } from "../grammar/index.js";
import { Codes, error, hasErrors, type Diagnostic } from "../grammar/diagnostics.js";
import type { SourceFile } from "../grammar/ast.js";
import { check } from "./check/index.js";
import type { Graph } from "./ir/graph.js";
import { PassManager, type PassReport } from "./ir/pass.js";
import { lowerModel } from "./lower/lower.js";
import { DEFAULT_SPARSE_ATTENTION_OPTIONS, sparseAttention, type SparseAttentionOptions } from "../passes/sparse-attention.js";
import { planOptimizations, type PlannedOptimization } from "../passes/optimize.js";
import { calibrationGraph, rangesFromActivations } from "../passes/quantize-calibration.js";
import { buildPlan, type ExecutionPlan } from "./plan.js";
import type { ModelSpec } from "./spec.js";
import { loadCheckpointHeader } from "./weights/header.js";

/** Spec files are text a person writes; anything larger is a mistake, refused before reading. */
export const MAX_SOURCE_BYTES = 1 << 20;

export interface FrontEndResult {
  readonly spec?: ModelSpec;
  /** Every model declared in the file (for `--model` hints). */
  readonly models: readonly string[];
  readonly diagnostics: readonly Diagnostic[];
  /** Text of every file read (the root and its imports), for rendering diagnostics. */
  readonly sources: ReadonlyMap<string, string>;
}

export type ReadResult = { readonly text: string } | { readonly problem: string };

/** Reads a spec file with the size limit checked first. Never throws. */
export function readSource(path: string): ReadResult {
  return readText(path, MAX_SOURCE_BYTES, "spec files");
}

/** Reads a text file after checking its size against `maxBytes` (`what` names such files in the message). Never throws. */
export function readText(path: string, maxBytes: number, what: string): ReadResult & { readonly tooLarge?: boolean } {
  try {
    const size = statSync(path).size;
    if (size > maxBytes) {
      return { problem: `${path} is ${size} bytes; ${what} are limited to ${maxBytes} bytes`, tooLarge: true };
    }
    return { text: readFileSync(path, "utf8") };
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    const reason = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "it is a directory" : (e as Error).message;
    return { problem: `cannot read ${path}: ${reason}` };
  }
}

/** Parses and checks `text` (named `file`), resolving `import`s relative to it on disk. */
export function checkSource(text: string, file: string, options: { model?: string } = {}): FrontEndResult {
  const sources = new Map<string, string>([[file, text]]);
  const parsed = parse(text, file);
  if (hasErrors(parsed.diagnostics)) return { models: [], diagnostics: parsed.diagnostics, sources };
  const loadImport = (path: string, fromFile: string): { ast: SourceFile; diagnostics: Diagnostic[] } | { error: string } => {
    const target = resolve(dirname(fromFile), path);
    const read = readSource(target);
    if ("problem" in read) return { error: read.problem };
    sources.set(target, read.text);
    const result = parse(read.text, target);
    return { ast: result.ast, diagnostics: [...result.diagnostics] };
  };
  const loadFile = (path: string, fromFile: string, maxBytes: number): { text: string } | { error: string; tooLarge?: boolean } => {
    const read = readText(resolve(dirname(fromFile), path), maxBytes, "files a spec reads (layouts, calibration ids)");
    return "problem" in read ? { error: read.problem, tooLarge: read.tooLarge } : { text: read.text };
  };
  const checked = check(parsed.ast, { model: options.model, loadImport, loadFile, loadCheckpoint: loadCheckpointHeader });
  return {
    spec: checked.spec,
    models: checked.models,
    diagnostics: [...parsed.diagnostics, ...checked.diagnostics],
    sources,
  };
}

/** Reads, parses and checks a spec file. File problems come back as diagnostics too. */
export function checkFile(path: string, options: { model?: string } = {}): FrontEndResult {
  const read = readSource(path);
  if ("problem" in read) {
    const origin = { offset: 0, line: 1, column: 1 };
    const diagnostic = error(Codes.FileNotFound, read.problem, { file: path, start: origin, end: origin }, {
      help: "check the path; spec files end in .tfx",
    });
    return { models: [], diagnostics: [diagnostic], sources: new Map() };
  }
  return checkSource(read.text, path, options);
}

export interface CompiledModel {
  readonly spec: ModelSpec;
  readonly graph: Graph;
  readonly plan: ExecutionPlan;
  /** The graph before the `optimize` directives (after exact passes such as sparse attention): what deviation is measured against. */
  readonly baseline: Graph;
  /** One entry per `optimize` directive, in order: the graph after it and its report. */
  readonly optimizations: readonly OptimizationStep[];
}

export interface OptimizationStep {
  readonly directive: string;
  readonly graph: Graph;
  readonly report: PassReport;
}

export interface CompileOptions {
  /** The plan names the model file it describes. */
  readonly onnxFile?: string;
  /** Options of the sparse-attention pass (run when the spec has attention layouts); `false` leaves every layout as a dense mask. */
  readonly sparseAttention?: Partial<SparseAttentionOptions> | false;
}

/**
 * Runs a model (ONNX bytes) on calibration inputs and returns the named float outputs:
 * runtime/calibrate.ts's collectActivations, passed in so the compiler does not depend on ONNX Runtime.
 */
export type CollectActivations = (
  model: Uint8Array,
  outputs: readonly string[],
  inputs: { readonly samples?: number; readonly seq?: number; readonly seed?: number; readonly tokens?: readonly (readonly number[])[] },
) => Promise<ReadonlyMap<string, Float32Array>>;

export interface AsyncCompileOptions extends CompileOptions {
  /** Needed when the spec has `quantize matmul int8 static`: runs the calibration model. */
  readonly collectActivations?: CollectActivations;
  /**
   * For a plan only (nothing emitted): static steps skip calibration and take placeholder ranges,
   * since the plan's figures do not depend on them, and no weight is allocated. The graph is then
   * not the model to emit; each such step's report says so.
   */
  readonly uncalibrated?: boolean;
}

/** Stands in for observed ranges when a plan is made without calibrating (scale 1/255, zero point 0). */
const PLACEHOLDER_RANGE = { min: 0, max: 1 } as const;

/** Thrown by the synchronous compileSpec for a directive that must run the model while compiling. */
export class CalibrationRequiredError extends Error {
  constructor(readonly directive: string, where: string) {
    super(`\`${directive}\` (${where}) calibrates on sample inputs in ONNX Runtime while compiling: use compileSpecAsync with collectActivations (tfc compile does)`);
    this.name = "CalibrationRequiredError";
  }
}

/** Spec → IR graph → passes → plan. Allocates no weights: those are produced when the graph is emitted. */
export function compileSpec(spec: ModelSpec, options: CompileOptions = {}): CompiledModel {
  const compilation = startCompilation(spec, options);
  for (const step of compilation.steps) {
    if (step.calibration) {
      const { span } = step.calibration.directive;
      throw new CalibrationRequiredError(step.directive, `${span.file}:${span.start.line}:${span.start.column}`);
    }
    compilation.apply(step, step.options);
  }
  return compilation.finish();
}

/**
 * compileSpec that also runs what must run the model: before a static quantization step, the graph
 * as it stands there is emitted with every input of a linear it will quantize as an extra output,
 * run on the directive's samples (seeded random ids or a file's), and the ranges observed become the
 * step's activation scales. The same samples give the same model, byte for byte.
 */
export async function compileSpecAsync(spec: ModelSpec, options: AsyncCompileOptions = {}): Promise<CompiledModel> {
  const compilation = startCompilation(spec, options);
  for (const step of compilation.steps) {
    if (!step.calibration) {
      compilation.apply(step, step.options);
      continue;
    }
    if (options.uncalibrated) {
      const linears = compilation.graph.nodes.filter((n) => n.op === "linear");
      const ranges = { method: step.calibration.method, byNode: new Map(linears.map((n) => [n.id, PLACEHOLDER_RANGE])) };
      compilation.apply(step, { ...(step.options as object), ranges }, "not calibrated: placeholder activation ranges (plan only)");
      continue;
    }
    if (!options.collectActivations) {
      const { span } = step.calibration.directive;
      throw new CalibrationRequiredError(step.directive, `${span.file}:${span.start.line}:${span.start.column}`);
    }
    // Loaded here: protobuf is needed only when a model is emitted, not to check a spec.
    const { emitOnnx } = await import("./onnx/index.js");
    const plan = calibrationGraph(compilation.graph);
    const { samples, method } = step.calibration;
    const inputs = samples.kind === "file" ? { tokens: samples.tokens } : { samples: samples.samples, seq: samples.seq, seed: samples.seed };
    const activations = await options.collectActivations(emitOnnx(plan.graph, { opset: spec.target.opset }), [...plan.readers.keys()], inputs);
    compilation.apply(step, { ...(step.options as object), ranges: rangesFromActivations(plan, activations, method) });
  }
  return compilation.finish();
}

/** The lowered graph after the exact passes, and the directives' steps to apply to it one by one. */
function startCompilation(spec: ModelSpec, options: CompileOptions) {
  const lowered = lowerModel(spec);
  const manager = new PassManager();
  if (spec.attention && options.sparseAttention !== false) {
    manager.add(sparseAttention, { ...DEFAULT_SPARSE_ATTENTION_OPTIONS, ...(options.sparseAttention ?? {}) });
  }
  const context = { bindings: { batch: 1, seq: spec.context } };
  const exact = manager.run(lowered, context);
  // Each directive runs through its own PassManager step (IR verified after it), so every lossy step's
  // graph stays available for measuring its deviation from the baseline.
  const optimizations: OptimizationStep[] = [];
  let graph = exact.graph;
  return {
    steps: planOptimizations(spec.optimize ?? []),
    get graph() {
      return graph;
    },
    apply({ pass, directive }: PlannedOptimization, passOptions: unknown, note?: string) {
      const step = new PassManager().add(pass, passOptions as never).run(graph, context);
      graph = step.graph;
      const report = note ? { ...step.reports[0], notes: [note, ...step.reports[0].notes] } : step.reports[0];
      optimizations.push({ directive, graph, report });
    },
    finish(): CompiledModel {
      const reports = [...exact.reports, ...optimizations.map((o) => ({ ...o.report, directive: o.directive }))];
      return { spec, graph, plan: buildPlan(spec, graph, options.onnxFile, reports), baseline: exact.graph, optimizations };
    },
  };
}
