import { GraphBuilder } from "../compiler/ir/builder.js";
import type { Graph, Node, Parameter, Value } from "../compiler/ir/graph.js";
import { materialize, type TensorData } from "../compiler/ir/initializer.js";
import type { MatrixView } from "../compiler/ir/quant/math.js";

/**
 * Rebuilds `graph` node by node: `rewrite` may replace a node by nodes it adds to `b` (returning the
 * values that stand for its results) or return undefined to keep it. Inputs arrive already mapped
 * to the new graph; parameters no node reads any more are dropped.
 */
export function rewriteNodes(graph: Graph, rewrite: (node: Node, inputs: readonly Value[], b: GraphBuilder) => readonly Value[] | undefined): Graph {
  const b = GraphBuilder.from(graph);
  const mapped = new Map<Value, Value>();
  const use = (v: Value) => mapped.get(v) ?? v;
  for (const node of graph.nodes) {
    const inputs = node.inputs.map(use);
    const outputs = b.withScope(node.scope, () => rewrite(node, inputs, b) ?? b.opMulti(node.op, inputs, node.attrs));
    node.outputs.forEach((o, i) => mapped.set(o, outputs[i]));
  }
  for (const o of graph.outputs) b.output(o.name, use(o.value));
  b.dropUnusedParams();
  return b.build();
}

/**
 * One computation whose result several lazy parameters take parts of (a weight's quantized values,
 * scales and zero points): computed when the first part is asked for, and let go once each part
 * has been taken, so emitting a model holds one layer's quantization at a time.
 */
export class SharedComputation<T> {
  private value: T | undefined;
  private untaken = 0;

  constructor(
    private readonly compute: () => T,
    private readonly parts: number,
  ) {}

  take(pick: (value: T) => TensorData): TensorData {
    if (this.value === undefined) {
      this.value = this.compute();
      this.untaken = this.parts;
    }
    const part = pick(this.value);
    if (--this.untaken <= 0) this.value = undefined;
    return part;
  }
}

/** A float32 matrix parameter's data as a matrix, produced when called. */
export function matrixOf(param: Parameter, channelAxis: 0 | 1): () => MatrixView {
  const [rows, cols] = param.value.type.shape as number[];
  return () => ({ data: materialize(param.init, param.value.type) as Float32Array, rows, cols, channelAxis });
}

/** The parameter a value is, if it is one. */
export function paramOf(graph: Graph, value: Value): Parameter | undefined {
  return value.name === undefined ? undefined : graph.params.find((p) => p.value === value);
}
