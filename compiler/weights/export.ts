import type { Graph, Parameter } from "../ir/graph.js";
import { materialize } from "../ir/initializer.js";
import type { DType } from "../ir/types.js";
import type { HfLayout, ModelSpec } from "../spec.js";
import type { SafetensorsDType } from "./dtypes.js";
import type { TensorTransform } from "./hf-layout.js";
import { HF_LAYOUT_DEFINITIONS } from "./hf-layouts.js";
import { fullName } from "./hf-match.js";
import { writeSafetensors, type TensorToWrite } from "./safetensors.js";
import { transpose, type Tensor } from "./transform.js";

/**
 * A compiled graph's trainable parameters as a safetensors checkpoint, after whatever passes ran
 * (pruned shapes, shared weights stored once): under tfc's own names (docs/model-conventions.md), or
 * under a Hugging Face layout's names and shapes, re-fusing and transposing what import split.
 * Constant tables (sinusoidal positions, rotary cos/sin) are not weights and are left out.
 */

export type ExportNaming = { readonly kind: "tfc" } | { readonly kind: "hf"; readonly layout: HfLayout; readonly prefix: string };

/** Floating dtypes a checkpoint can be written in; float32 parameters are narrowed to F16/BF16 on request. */
export type ExportDType = "F32" | "F16" | "BF16";

export interface ExportOptions {
  readonly naming?: ExportNaming;
  readonly dtype?: ExportDType;
}

/** A name, layout or shape the export cannot honour; the message says which parameter and why. */
export class ExportError extends Error {
  override readonly name = "ExportError";
}

const STORED_DTYPE: Partial<Record<DType, SafetensorsDType>> = { float32: "F32", int64: "I64", int32: "I32", int8: "I8", uint8: "U8", bool: "BOOL" };

/**
 * The naming to export under. By default a spec that reads a checkpoint is written back in its
 * layout and prefix (so the file reads like the one imported), any other in tfc's names. A layout
 * asked for by name keeps the checkpoint's prefix when it is the spec's own layout, else uses the
 * prefix Hugging Face's `save_pretrained` writes for the task model (`transformer.`, `model.`,
 * `bert.`), or none for a spec without an output head (a base model).
 */
export function namingFor(spec: ModelSpec, names?: "tfc" | HfLayout): ExportNaming {
  const weights = spec.weights;
  if (names === undefined) return weights.kind === "checkpoint" ? { kind: "hf", layout: weights.layout, prefix: weights.prefix } : { kind: "tfc" };
  if (names === "tfc") return { kind: "tfc" };
  if (weights.kind === "checkpoint" && weights.layout === names) return { kind: "hf", layout: names, prefix: weights.prefix };
  return { kind: "hf", layout: names, prefix: spec.output.kind === "none" ? "" : HF_LAYOUT_DEFINITIONS[names].basePrefix };
}

/** What `exportWeights` writes, lazily: each tensor's data is produced when the writer reaches it. */
export function exportTensors(graph: Graph, spec: ModelSpec, options: ExportOptions = {}): TensorToWrite[] {
  const naming = options.naming ?? { kind: "tfc" };
  const dtype = options.dtype ?? "F32";
  return naming.kind === "tfc" ? tfcTensors(graph, dtype) : hfTensors(graph, spec, naming, dtype);
}

export interface ExportSummary {
  readonly tensors: number;
  readonly parameters: number;
  readonly naming: ExportNaming;
  readonly dtype: ExportDType;
}

/**
 * Writes the checkpoint atomically, one tensor materialized at a time. Names, layouts and shapes
 * are checked before the file is opened. The metadata says `format: pt` (what transformers expects)
 * and which model and naming wrote it.
 */
export async function exportWeights(graph: Graph, spec: ModelSpec, path: string, options: ExportOptions = {}): Promise<ExportSummary> {
  const naming = options.naming ?? { kind: "tfc" };
  const dtype = options.dtype ?? "F32";
  const tensors = exportTensors(graph, spec, { naming, dtype });
  const metadata = { format: "pt", "tfc.model": graph.metadata.model, "tfc.names": naming.kind === "tfc" ? "tfc" : naming.layout };
  await writeSafetensors(path, tensors, metadata);
  const parameters = tensors.reduce((n, t) => n + t.shape.reduce((a, b) => a * b, 1), 0);
  return { tensors: tensors.length, parameters, naming, dtype };
}

function tfcTensors(graph: Graph, dtype: ExportDType): TensorToWrite[] {
  return graph.params.filter((p) => p.trainable).map((p) => {
    const stored = storedDType(p, dtype);
    return { name: p.name, dtype: stored, shape: staticShape(p), data: () => materialize(p.init, p.value.type) };
  });
}

function hfTensors(graph: Graph, spec: ModelSpec, naming: Extract<ExportNaming, { kind: "hf" }>, dtype: ExportDType): TensorToWrite[] {
  const layout = HF_LAYOUT_DEFINITIONS[naming.layout];
  const mismatches = layout.architecture(spec);
  if (mismatches.length > 0) {
    const { field, expected, found } = mismatches[0];
    throw new ExportError(`the ${naming.layout} layout needs ${expected} (field \`${field}\`), but the spec has ${found}; export with tfc's names instead`);
  }
  const params = new Map(graph.params.map((p) => [p.name, p]));
  return layout.tensors(spec).map((expected) => {
    const name = fullName(expected.name, expected.inBase, naming.prefix);
    const sources = expected.targets.map((target) => {
      const param = params.get(target.param);
      if (!param) throw new ExportError(`\`${name}\` of the ${naming.layout} layout needs parameter \`${target.param}\`, which the compiled graph does not have (a pass removed or merged it); export with tfc's names instead`);
      if (param.value.type.dtype !== "float32") throw new ExportError(`parameter \`${target.param}\` is ${param.value.type.dtype}; the ${naming.layout} layout stores float weights`);
      return { param, transforms: target.transforms };
    });
    checkShapes(name, expected.shape, sources, naming.layout);
    return { name, dtype, shape: expected.shape, data: () => assemble(expected.shape, sources) };
  });
}

interface Source {
  readonly param: Parameter;
  readonly transforms: readonly TensorTransform[];
}

/**
 * Undoes import's transforms: each parameter is transposed back where import transposed it, and
 * parameters import cut from one tensor by columns (GPT-2's fused q/k/v) are put side by side again.
 */
function assemble(shape: readonly number[], sources: readonly Source[]): Float32Array {
  const unfused = sources.map(({ param, transforms }) => ({ tensor: invertAfterColumns(paramTensor(param), transforms), columns: columnsOf(transforms) }));
  if (unfused.length === 1 && !unfused[0].columns) return unfused[0].tensor.data;
  const width = shape[shape.length - 1];
  const out = new Float32Array(shape.reduce((n, d) => n * d, 1));
  const rows = out.length / width;
  for (const { tensor, columns } of unfused) {
    const { start, end } = columns!;
    const taken = end - start;
    for (let r = 0; r < rows; r++) out.set(tensor.data.subarray(r * taken, (r + 1) * taken), r * width + start);
  }
  return out;
}

function paramTensor(param: Parameter): Tensor {
  return { data: materialize(param.init, param.value.type) as Float32Array, shape: staticShape(param) };
}

/** The transforms after a leading column slice, undone in reverse order (only transposes occur there). */
function invertAfterColumns(tensor: Tensor, transforms: readonly TensorTransform[]): Tensor {
  const rest = columnsOf(transforms) ? transforms.slice(1) : transforms;
  return [...rest].reverse().reduce((t, transform) => {
    if (transform.kind !== "transpose") throw new ExportError("internal: a column slice after the first transform cannot be undone");
    return transpose(t);
  }, tensor);
}

function columnsOf(transforms: readonly TensorTransform[]): { start: number; end: number } | undefined {
  const first = transforms[0];
  return first?.kind === "columns" ? first : undefined;
}

/** Shapes are checked before anything is written: a pruned or resized parameter no longer fits the layout. */
function checkShapes(name: string, shape: readonly number[], sources: readonly Source[], layout: HfLayout): void {
  for (const { param, transforms } of sources) {
    let expected = [...shape];
    const columns = columnsOf(transforms);
    if (columns) expected = [...expected.slice(0, -1), columns.end - columns.start];
    for (const t of columns ? transforms.slice(1) : transforms) if (t.kind === "transpose") expected = [expected[1], expected[0]];
    const actual = staticShape(param);
    if (actual.length !== expected.length || actual.some((d, i) => d !== expected[i])) {
      throw new ExportError(
        `parameter \`${param.name}\` is [${actual.join(", ")}] but \`${name}\` of the ${layout} layout needs [${expected.join(", ")}] from it ` +
          `(a pass changed its shape); export with tfc's names instead`,
      );
    }
  }
}

function storedDType(p: Parameter, dtype: ExportDType): SafetensorsDType {
  if (p.value.type.dtype === "float32") return dtype;
  const stored = STORED_DTYPE[p.value.type.dtype];
  if (!stored) throw new ExportError(`parameter \`${p.name}\` is ${p.value.type.dtype}, which tfc cannot export yet`);
  return stored;
}

function staticShape(p: Parameter): number[] {
  return p.value.type.shape.map((d) => {
    if (typeof d !== "number") throw new ExportError(`parameter \`${p.name}\` has a symbolic dimension \`${d}\``);
    return d;
  });
}
