import type { Graph } from "./graph.js";
import { getOp } from "./ops/registry.js";
import { bindShape, BYTES_PER_ELEMENT, elementCount, type TensorType } from "./types.js";

/** Counted from the graph itself, so every pass's effect shows up without bookkeeping of its own. */
export interface GraphStats {
  readonly parameters: number;
  /** Bytes of all stored tensors (trainable parameters and constant tables). */
  readonly weightBytes: number;
  /** FLOPs of one forward pass at the given dim bindings. */
  readonly flops: number;
  /** FLOPs grouped by node scope (`layers.3.attn`, `layers.3.ffn`, `embed`, `head`). */
  readonly flopsByScope: ReadonlyMap<string, number>;
  /** Parameters grouped by the first two name components (`layers.3`, `embed`). */
  readonly parametersByGroup: ReadonlyMap<string, number>;
}

export function graphStats(graph: Graph, bindings: Readonly<Record<string, number>>): GraphStats {
  let parameters = 0;
  let weightBytes = 0;
  const parametersByGroup = new Map<string, number>();
  for (const p of graph.params) {
    const stored = elementCount(p.value.type.shape);
    weightBytes += stored * BYTES_PER_ELEMENT[p.value.type.dtype];
    if (!p.trainable) continue;
    const n = stored * (p.valuesPerElement ?? 1);
    parameters += n;
    const group = parameterGroup(p.name);
    parametersByGroup.set(group, (parametersByGroup.get(group) ?? 0) + n);
  }
  let flops = 0;
  const flopsByScope = new Map<string, number>();
  const bind = (t: TensorType): TensorType => ({ dtype: t.dtype, shape: bindShape(t.shape, bindings) });
  for (const node of graph.nodes) {
    const def = getOp(node.op);
    if (!def) continue;
    const f = def.flops(node.inputs.map((v) => bind(v.type)), node.outputs.map((v) => bind(v.type)), node.attrs);
    flops += f;
    flopsByScope.set(node.scope, (flopsByScope.get(node.scope) ?? 0) + f);
  }
  return { parameters, weightBytes, flops, flopsByScope, parametersByGroup };
}

/** `layers.3.attn.q.weight` → `layers.3`; `embed.tokens` → `embed`. */
export function parameterGroup(name: string): string {
  const parts = name.split(".");
  return parts[0] === "layers" && parts.length > 1 ? `layers.${parts[1]}` : parts[0];
}
