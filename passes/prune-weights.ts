import type { Graph, Parameter } from "../compiler/ir/graph.js";
import { computed } from "../compiler/ir/initializer.js";
import { elementCount } from "../compiler/ir/types.js";
import type { Pass, PassContext, PassResult } from "../compiler/ir/pass.js";
import { editGraph, type ParamDefinition } from "./edit-graph.js";
import { findLayers, type LinearSite } from "./model-structure.js";
import { floats } from "./weight-slices.js";

export interface PruneWeightsOptions {
  /** Fraction of the weights to zero. */
  readonly fraction: number;
  /** `per_layer`: each layer's matrices together reach the sparsity; `global`: one threshold over all layers. */
  readonly scope: "per_layer" | "global";
}

/**
 * Unstructured magnitude pruning: zeroes the smallest-magnitude weights of the layers' linear
 * matrices (q, k, v, o, up, gate, down; not embeddings, biases or norms). Shapes stay; the report
 * gives every layer's resulting sparsity. ONNX stores the zeros densely, so the file does not shrink.
 */
export const pruneWeights: Pass<PruneWeightsOptions> = {
  name: "prune-weights",
  summary: "zero the smallest-magnitude weights of the layers' matrices",
  run(graph: Graph, options: PruneWeightsOptions, _context: PassContext): PassResult {
    const layers = findLayers(graph).map((l) => ({
      layer: l.layer,
      weights: unique([l.attention?.q, l.attention?.k, l.attention?.v, l.attention?.o, l.ffn?.up, l.ffn?.gate, l.ffn?.down]),
    }));
    const thresholds = new Map<number, number>();
    if (options.scope === "global") {
      const t = threshold(layers.flatMap((l) => l.weights), options.fraction);
      for (const l of layers) thresholds.set(l.layer, t);
    } else {
      for (const l of layers) thresholds.set(l.layer, threshold(l.weights, options.fraction));
    }
    const params = new Map<string, ParamDefinition>();
    const notes: string[] = [];
    const statistics: Record<string, number> = {};
    let zeroed = 0;
    let total = 0;
    for (const l of layers) {
      const t = thresholds.get(l.layer)!;
      let layerZeroed = 0;
      let layerTotal = 0;
      for (const p of l.weights) {
        if (params.has(p.name)) continue; // a shared matrix is pruned once
        const data = floats(p);
        for (const w of data) if (Math.abs(w) <= t) layerZeroed++;
        layerTotal += data.length;
        const source = p;
        params.set(p.name, {
          shape: p.value.type.shape as number[],
          init: computed(`magnitude-pruned ${p.name} (|w| <= ${t.toPrecision(6)} zeroed)`, () => floats(source).map((w) => (Math.abs(w) <= t ? 0 : w))),
        });
      }
      zeroed += layerZeroed;
      total += layerTotal;
      const sparsity = layerTotal > 0 ? layerZeroed / layerTotal : 0;
      statistics[`layers.${l.layer}.sparsity`] = sparsity;
      notes.push(`layer ${l.layer}: ${(sparsity * 100).toFixed(1)}% of ${layerTotal} weights zeroed`);
    }
    if (params.size === 0) return { graph, changed: false, notes: ["no layer matrices to prune"] };
    statistics.sparsity = total > 0 ? zeroed / total : 0;
    statistics.zeroed = zeroed;
    notes.push(`overall: ${(statistics.sparsity * 100).toFixed(1)}% of ${total} layer weights zeroed; zeros are stored densely, the file does not shrink`);
    return { graph: editGraph(graph, { params }), changed: true, lossy: true, notes, statistics };
  },
};

function unique(sites: readonly (LinearSite | undefined)[]): Parameter[] {
  return [...new Set(sites.filter((s): s is LinearSite => s !== undefined).map((s) => s.weight))];
}

/** The magnitude at or below which `fraction` of the weights fall (the k-th smallest |w|). */
function threshold(params: readonly Parameter[], fraction: number): number {
  const distinct = [...new Set(params)];
  const n = distinct.reduce((sum, p) => sum + elementCount(p.value.type.shape), 0);
  const k = Math.round(fraction * n);
  if (k < 1) return -1;
  // One buffer of magnitudes, filled parameter by parameter (the peak is this plus one parameter).
  const all = new Float32Array(n);
  let at = 0;
  for (const p of distinct) {
    const data = floats(p);
    for (let i = 0; i < data.length; i++) all[at + i] = Math.abs(data[i]);
    at += data.length;
  }
  return quickselect(all, k - 1);
}

/** The k-th smallest value (0-based) of `a`, reordering `a` in place. */
function quickselect(a: Float32Array, k: number): number {
  let lo = 0;
  let hi = a.length - 1;
  while (lo < hi) {
    const pivot = a[(lo + hi) >>> 1];
    let i = lo;
    let j = hi;
    while (i <= j) {
      while (a[i] < pivot) i++;
      while (a[j] > pivot) j--;
      if (i <= j) {
        const t = a[i];
        a[i] = a[j];
        a[j] = t;
        i++;
        j--;
      }
    }
    if (k <= j) hi = j;
    else if (k >= i) lo = i;
    else return a[k];
  }
  return a[k];
}
