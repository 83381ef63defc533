import type { Initializer } from "./initializer.js";
import { formatType, type DType, type Dim, type TensorType } from "./types.js";

export type AttrValue = number | string | boolean | readonly number[];
export type Attrs = Readonly<Record<string, AttrValue>>;

/** An SSA value. Produced by exactly one node, or a graph input, or a parameter. */
export interface Value {
  readonly id: number;
  readonly type: TensorType;
  /** Graph inputs and parameters are named; intermediate values print as `%id`. */
  readonly name?: string;
}

export interface Node {
  readonly id: number;
  readonly op: string;
  readonly inputs: readonly Value[];
  readonly outputs: readonly Value[];
  readonly attrs: Attrs;
  /** Where the node belongs in the model (`layers.3.attn`): used by reports, passes and ONNX names. */
  readonly scope: string;
}

export interface Parameter {
  readonly name: string;
  readonly value: Value;
  readonly init: Initializer;
  /** Constant tables (sinusoidal positions, rotary cos/sin) are data but not trainable weights. */
  readonly trainable: boolean;
  /** Weights packed several to a stored element (two 4-bit values a byte): counted as that many parameters. */
  readonly valuesPerElement?: number;
}

export interface GraphOutput {
  readonly name: string;
  readonly value: Value;
}

/** Graph-level facts lowering records for the plan and reports (model name, symbolic dim bounds). */
export interface GraphMetadata {
  readonly model: string;
  /** Upper bounds of symbolic dims: { seq: context }. */
  readonly dimBounds: Readonly<Record<string, number>>;
  readonly [key: string]: unknown;
}

/**
 * A typed tensor graph. Nodes are kept in topological order. Graphs are treated as immutable values
 * between passes: a pass builds a new one (see `GraphBuilder.from`) rather than editing in place.
 */
export interface Graph {
  readonly name: string;
  readonly inputs: readonly Value[];
  readonly params: readonly Parameter[];
  readonly nodes: readonly Node[];
  readonly outputs: readonly GraphOutput[];
  readonly metadata: GraphMetadata;
}

export class IrError extends Error {
  override readonly name = "IrError";
}

export function describeValue(v: Value): string {
  return `${v.name ? `%${v.name}` : `%${v.id}`}: ${formatType(v.type)}`;
}

/** Values that use `value`, in node order. */
export function usersOf(graph: Graph, value: Value): Node[] {
  return graph.nodes.filter((n) => n.inputs.includes(value));
}

export type { DType, Dim, TensorType };
