import type { Graph, Value } from "../compiler/ir/graph.js";
import { activationRange, type RangeMethod } from "../compiler/ir/quant/math.js";
import type { ActivationRanges } from "./quantize-matmul.js";

/** The graph with every float32 linear input as an extra output, and which linears read each. */
export interface CalibrationPlan {
  readonly graph: Graph;
  /** Extra output name → ids of the linear nodes that read it (q, k and v share one input). */
  readonly readers: ReadonlyMap<string, readonly number[]>;
}

/**
 * What static quantization needs observed: the input of each linear whose weight the pass will
 * quantize. The nodes are the same objects as in `graph`, so node ids key the ranges back to it.
 */
export function calibrationGraph(graph: Graph): CalibrationPlan {
  const weights = new Set(graph.params.filter((p) => p.value.type.dtype === "float32").map((p) => p.value));
  const names = new Map<Value, string>();
  const readers = new Map<string, number[]>();
  for (const node of graph.nodes) {
    if (node.op !== "linear" || !weights.has(node.inputs[1]) || node.inputs[0].type.dtype !== "float32") continue;
    const x = node.inputs[0];
    let name = names.get(x);
    if (!name) names.set(x, (name = `calibration.${names.size}`));
    readers.set(name, [...(readers.get(name) ?? []), node.id]);
  }
  const outputs = [...graph.outputs, ...[...names].map(([value, name]) => ({ name, value }))];
  return { graph: { ...graph, outputs }, readers };
}

/** Ranges per linear node from the observed activations (calibration output name → values). */
export function rangesFromActivations(plan: CalibrationPlan, activations: ReadonlyMap<string, Float32Array>, method: RangeMethod): ActivationRanges {
  const byNode = new Map<number, { min: number; max: number }>();
  for (const [name, nodes] of plan.readers) {
    const values = activations.get(name);
    if (!values) throw new Error(`calibration output \`${name}\` was not collected`);
    const range = activationRange(values, method);
    for (const id of nodes) byNode.set(id, range);
  }
  return { method, byNode };
}
