import type { HfLayout, ModelSpec } from "../spec.js";

/**
 * How a Hugging Face checkpoint's tensors become tfc's parameters: the shared vocabulary of the
 * three layout files (hf-bert.ts, hf-gpt2.ts, hf-llama.ts). A layout is data computed from the
 * spec: the tensors the checkpoint must hold, their shapes, and the parameters each one fills.
 */

/**
 * A step from the stored tensor to tfc's parameter, applied in order. tfc stores matrices
 * `[in, out]`; `nn.Linear.weight` is `[out, in]` (transpose), GPT-2's `Conv1D` is already
 * `[in, out]`, and its fused `c_attn` holds q, k and v side by side along the last axis (columns).
 */
export type TensorTransform =
  | { readonly kind: "transpose" }
  | { readonly kind: "columns"; readonly start: number; readonly end: number };

export interface TensorTarget {
  /** The tfc parameter's name (docs/model-conventions.md). */
  readonly param: string;
  readonly transforms: readonly TensorTransform[];
}

export interface ExpectedTensor {
  /** The Hugging Face name, without the base model's prefix when `inBase`. */
  readonly name: string;
  readonly inBase: boolean;
  readonly shape: readonly number[];
  readonly targets: readonly TensorTarget[];
}

/** Tensors a checkpoint may hold that the model does not read (buffers, a tied copy); why, for the docs. */
export interface IgnoredTensors {
  /** Matched against the name without the base prefix (and with it, for head tensors). */
  readonly pattern: RegExp;
  readonly reason: string;
}

/** A spec field the layout's architecture fixes, and what the spec says instead. */
export interface ArchitectureMismatch {
  /** The spec field (its span is `spec.spans[field]`). */
  readonly field: string;
  readonly expected: string;
  readonly found: string;
}

export interface HfLayoutDefinition {
  readonly name: HfLayout;
  /** The Hugging Face classes the layout reads, for messages and docs. */
  readonly classes: string;
  /** Where a task model (…ForCausalLM, …LMHeadModel) keeps the base model: `transformer.`. */
  readonly basePrefix: string;
  /** What the spec must say for the tensors to mean what the layout says they mean. */
  readonly architecture: (spec: ModelSpec) => ArchitectureMismatch[];
  readonly tensors: (spec: ModelSpec) => ExpectedTensor[];
  readonly ignored: (spec: ModelSpec) => IgnoredTensors[];
}

export const AS_STORED: readonly TensorTransform[] = [];
export const TRANSPOSED: readonly TensorTransform[] = [{ kind: "transpose" }];

/** One tensor filling one parameter. */
export function tensor(name: string, shape: readonly number[], param: string, transforms = AS_STORED, inBase = true): ExpectedTensor {
  return { name, inBase, shape, targets: [{ param, transforms }] };
}

/** An `nn.Linear` (weight `[out, in]`, bias `[out]`) filling tfc's `[in, out]` matrix and its bias. */
export function linear(name: string, input: number, output: number, param: string, bias: boolean, inBase = true): ExpectedTensor[] {
  return [
    tensor(`${name}.weight`, [output, input], `${param}.weight`, TRANSPOSED, inBase),
    ...(bias ? [tensor(`${name}.bias`, [output], `${param}.bias`, AS_STORED, inBase)] : []),
  ];
}

/** A LayerNorm's weight and bias, or an RMSNorm's weight alone. */
export function norm(name: string, width: number, param: string, withBias: boolean): ExpectedTensor[] {
  return [
    tensor(`${name}.weight`, [width], `${param}.weight`),
    ...(withBias ? [tensor(`${name}.bias`, [width], `${param}.bias`)] : []),
  ];
}

/** Collects the facts a layout fixes; `ok` false records one mismatch. */
export function requirement(field: string, ok: boolean, expected: string, found: string): ArchitectureMismatch[] {
  return ok ? [] : [{ field, expected, found }];
}

/** Every layer index of the spec. */
export function layerIndices(spec: ModelSpec): number[] {
  return Array.from({ length: spec.layers }, (_, layer) => layer);
}

/** The standard-head requirement of attention layouts whose fused or square projections assume it. */
export function plainHeads(spec: ModelSpec): ArchitectureMismatch[] {
  return [
    ...requirement("kv_heads", spec.kvHeads === spec.heads, `kv_heads equal to heads (${spec.heads})`, `kv_heads ${spec.kvHeads}`),
    ...requirement(
      "head_dim",
      spec.headDim * spec.heads === spec.width,
      `head_dim × heads = width (${spec.width})`,
      `head_dim ${spec.headDim} × heads ${spec.heads} = ${spec.headDim * spec.heads}`,
    ),
  ];
}

export function isGated(spec: ModelSpec): boolean {
  return spec.ffn.activation === "swiglu" || spec.ffn.activation === "geglu";
}
