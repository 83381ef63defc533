import type { Span } from "../grammar/span.js";
import type { AttentionLayouts } from "./attention/layout.js";
import type { OptimizeDirective } from "./check/optimize/index.js";

/**
 * A checked model specification: every field resolved to a value, defaults applied, `extends`
 * flattened. This is what lowering reads; it holds no AST and allocates no weights, so a
 * 7B-parameter spec is a few hundred bytes.
 */
export type ModelKind = "encoder" | "decoder";
export type Activation = "relu" | "gelu" | "gelu_tanh" | "silu" | "swiglu" | "geglu";
export type NormKind = "layernorm" | "rmsnorm";
export type NormPlacement = "pre" | "post";

export type PositionSpec =
  | { readonly kind: "learned" }
  | { readonly kind: "sinusoidal" }
  | { readonly kind: "rotary"; readonly theta: number }
  | { readonly kind: "none" };

export type OutputSpec =
  | { readonly kind: "lm"; readonly tied: boolean }
  | { readonly kind: "classifier"; readonly classes: number }
  | { readonly kind: "pooler" }
  | { readonly kind: "none" };

export type WeightsSpec = { readonly kind: "random"; readonly seed: number };

export type Device = "cpu" | "cuda";

export interface TargetSpec {
  /** ONNX default-domain opset. 17 by default; the bundled python3-onnx checker knows up to 17. */
  readonly opset: number;
  /** Execution providers in order of preference. */
  readonly devices: readonly Device[];
  readonly precision: "fp32";
}

export interface ModelSpec {
  readonly name: string;
  readonly kind: ModelKind;
  readonly vocab: number;
  readonly context: number;
  readonly width: number;
  readonly layers: number;
  readonly heads: number;
  readonly kvHeads: number;
  readonly headDim: number;
  readonly ffn: { readonly size: number; readonly activation: Activation };
  readonly norm: { readonly kind: NormKind; readonly placement: NormPlacement; readonly eps: number };
  readonly position: PositionSpec;
  readonly bias: boolean;
  readonly tokenTypes: number;
  readonly output: OutputSpec;
  readonly weights: WeightsSpec;
  readonly target: TargetSpec;
  /** Sparse attention layouts from the `attention` block; absent means dense attention everywhere. */
  readonly attention?: AttentionLayouts;
  /** The `optimize` block's directives, checked, in the order written (passes/optimize.ts runs them); absent when there are none. */
  readonly optimize?: readonly OptimizeDirective[];
  /** Where each field was set (for diagnostics raised after checking, e.g. by passes). */
  readonly spans: Readonly<Record<string, Span>>;
}
