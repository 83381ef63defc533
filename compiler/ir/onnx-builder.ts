import type { TensorData } from "./initializer.js";
import type { DType } from "./types.js";

/**
 * What an op's ONNX lowering may do. The IR defines this interface; `compiler/onnx` implements it,
 * so each op's lowering sits beside its shape rule without the IR depending on protobuf.
 */
export type OnnxAttribute =
  | { readonly int: number }
  | { readonly float: number }
  | { readonly ints: readonly number[] }
  | { readonly floats: readonly number[] }
  | { readonly string: string };

export interface OnnxBuilder {
  /** The default-domain opset being targeted (op signatures differ between opsets). */
  readonly opset: number;
  /**
   * Adds a node. `outputs` gives names to use (the IR's value names for the op's results) or how
   * many fresh names to make; returns the output names.
   */
  node(
    opType: string,
    inputs: readonly string[],
    outputs: readonly string[] | number,
    attributes?: Readonly<Record<string, OnnxAttribute>>,
    domain?: string,
  ): string[];
  /**
   * Adds a node, or returns the outputs of the identical node added before (same op, domain, inputs
   * and attributes): a common subexpression, e.g. the DynamicQuantizeLinear of one activation that
   * the q, k and v linears all read. Only for ops whose outputs depend on nothing but their inputs.
   */
  sharedNode(
    opType: string,
    inputs: readonly string[],
    outputs: number,
    attributes?: Readonly<Record<string, OnnxAttribute>>,
    domain?: string,
  ): string[];
  /** A shared int64 1-D constant (shapes, axes, indices). */
  int64s(values: readonly number[]): string;
  /** A shared int64 scalar constant. */
  int64(value: number): string;
  /** A shared float32 scalar constant. */
  float(value: number): string;
  /** A float32 constant of any shape (small tables). */
  floats(values: Float32Array, dims: readonly number[]): string;
  /** A constant of any dtype and shape (quantization zero points, float16 scalars). */
  tensor(dtype: DType, data: TensorData, dims: readonly number[]): string;
}

export const attr = {
  int: (value: number): OnnxAttribute => ({ int: value }),
  float: (value: number): OnnxAttribute => ({ float: value }),
  ints: (value: readonly number[]): OnnxAttribute => ({ ints: value }),
  string: (value: string): OnnxAttribute => ({ string: value }),
};
