import type { Graph } from "./ir/graph.js";
import { graphStats } from "./ir/stats.js";
import { BYTES_PER_ELEMENT, elementCount, type Dim } from "./ir/types.js";
import type { ModelSpec } from "./spec.js";

/** plan.json: what a compiled model is and what it will cost, for people and tools. */
export interface ExecutionPlan {
  readonly format: "tfc-plan";
  readonly version: 1;
  readonly model: string;
  readonly kind: ModelSpec["kind"];
  readonly graphs: readonly PlannedGraph[];
}

export interface PlannedTensor {
  readonly name: string;
  readonly dtype: string;
  readonly dims: readonly Dim[];
}

export interface PlannedLayer {
  readonly layer: number;
  readonly parameters: number;
  readonly parameterBytes: number;
  /** Per forward pass at batch 1 and full context. */
  readonly attentionFlops: number;
  readonly ffnFlops: number;
  /** Fraction of (query, key) pairs computed, per head: 1 for dense attention. */
  readonly attentionDensity: readonly number[];
  /** Bytes of the attention score matrices alive at once (batch 1, full context). */
  readonly attentionMemoryBytes: number;
}

export interface PlannedGraph {
  readonly name: string;
  readonly file?: string;
  readonly opset: number;
  readonly precision: string;
  readonly executionProviders: readonly string[];
  readonly inputs: readonly PlannedTensor[];
  readonly outputs: readonly PlannedTensor[];
  readonly dimBounds: Readonly<Record<string, number>>;
  readonly parameters: number;
  readonly weightBytes: number;
  /** At batch 1 and the full context. */
  readonly flopsPerForward: number;
  readonly flopsPerToken: number;
  readonly layers: readonly PlannedLayer[];
  readonly embeddingFlops: number;
  readonly headFlops: number;
  readonly activationMemory: { readonly peakBytes: number; readonly note: string };
}

export function buildPlan(spec: ModelSpec, graph: Graph, file?: string): ExecutionPlan {
  const bindings = { batch: 1, seq: spec.context };
  const stats = graphStats(graph, bindings);
  const bytesByGroup = new Map<string, number>();
  for (const p of graph.params) {
    if (!p.trainable) continue;
    const group = p.name.startsWith("layers.") ? p.name.split(".").slice(0, 2).join(".") : "";
    bytesByGroup.set(group, (bytesByGroup.get(group) ?? 0) + elementCount(p.value.type.shape) * BYTES_PER_ELEMENT[p.value.type.dtype]);
  }
  const flopsOf = (scope: string) => stats.flopsByScope.get(scope) ?? 0;
  const scoreBytes = spec.heads * spec.context * spec.context * 4;
  const layers: PlannedLayer[] = [];
  for (let layer = 0; layer < spec.layers; layer++) {
    const group = `layers.${layer}`;
    layers.push({
      layer,
      parameters: stats.parametersByGroup.get(group) ?? 0,
      parameterBytes: bytesByGroup.get(group) ?? 0,
      attentionFlops: flopsOf(`${group}.attn`),
      ffnFlops: flopsOf(`${group}.ffn`),
      attentionDensity: new Array(spec.heads).fill(1),
      attentionMemoryBytes: scoreBytes,
    });
  }
  const flopsPerForward = stats.flops;
  // Peak activations: the residual stream, q/k/v and the FFN hidden state, plus scores and
  // probabilities of one layer (layers run one after another, so only one layer's are alive).
  const width = spec.width;
  const residualBytes = spec.context * width * 4;
  const peakBytes =
    2 * residualBytes +
    spec.context * (spec.heads + 2 * spec.kvHeads) * spec.headDim * 4 +
    Math.max(2 * scoreBytes, spec.context * spec.ffn.size * 4 * (spec.ffn.activation.endsWith("glu") ? 3 : 2));
  return {
    format: "tfc-plan",
    version: 1,
    model: spec.name,
    kind: spec.kind,
    graphs: [
      {
        name: graph.name,
        file,
        opset: spec.target.opset,
        precision: spec.target.precision,
        executionProviders: spec.target.devices,
        inputs: graph.inputs.map((v) => ({ name: v.name!, dtype: v.type.dtype, dims: v.type.shape })),
        outputs: graph.outputs.map((o) => ({ name: o.name, dtype: o.value.type.dtype, dims: o.value.type.shape })),
        dimBounds: graph.metadata.dimBounds,
        parameters: stats.parameters,
        weightBytes: stats.weightBytes,
        flopsPerForward,
        flopsPerToken: flopsPerForward / spec.context,
        layers,
        embeddingFlops: flopsOf("embed"),
        headFlops: flopsOf("head") + flopsOf("final"),
        activationMemory: {
          peakBytes,
          note: "estimate at batch 1 and full context: residual stream, q/k/v, and the larger of one layer's attention scores+probabilities or its FFN hidden state",
        },
      },
    ],
  };
}
