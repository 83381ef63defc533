import { IrError, type Graph, type Node, type Parameter, type Value } from "../compiler/ir/graph.js";

/**
 * Where the parts of a transformer layer sit in a lowered graph, found by the names of
 * docs/model-conventions.md (`layers.3.attn.q.weight`) and node scopes (`layers.3.attn`). Passes
 * that prune or share read this instead of re-deriving it. After sharing, a layer's linear may read
 * another layer's weight: `weight` is whatever parameter the node reads.
 */
export interface LinearSite {
  readonly node: Node;
  readonly weight: Parameter;
  readonly bias?: Parameter;
}

export interface AttentionSite {
  readonly node: Node;
  readonly q: LinearSite;
  readonly k: LinearSite;
  readonly v: LinearSite;
  readonly o: LinearSite;
  readonly heads: number;
  readonly kvHeads: number;
  readonly headDim: number;
  /** `rotary` nodes on q and k, whose `heads` follow the projections'. */
  readonly rotary: readonly Node[];
}

export interface FfnSite {
  readonly up: LinearSite;
  readonly gate?: LinearSite;
  readonly down: LinearSite;
  readonly size: number;
}

export interface LayerSite {
  readonly layer: number;
  readonly attention?: AttentionSite;
  readonly ffn?: FfnSite;
  /** Every node of the layer, in order (residual adds included): contiguous in the graph. */
  readonly nodes: readonly Node[];
  /** The residual stream entering and leaving the layer. */
  readonly input: Value;
  readonly output: Value;
}

const LINEAR_PART = /\.(attn|ffn)\.(q|k|v|o|up|gate|down)\.weight$/;

export function layerIndex(scope: string): number | undefined {
  const match = /^layers\.(\d+)\./.exec(scope);
  return match ? Number(match[1]) : undefined;
}

export function findLayers(graph: Graph): LayerSite[] {
  const params = new Map<Value, Parameter>(graph.params.map((p) => [p.value, p]));
  // A layer's nodes run from its first scoped node to the node before the next layer's first; the
  // residual adds lowering writes at the top scope belong to the layer before them.
  const starts: { layer: number; at: number }[] = [];
  graph.nodes.forEach((node, at) => {
    const layer = layerIndex(node.scope);
    if (layer !== undefined && (starts.length === 0 || starts[starts.length - 1].layer !== layer)) starts.push({ layer, at });
  });
  const layers: LayerSite[] = [];
  for (let i = 0; i < starts.length; i++) {
    const { layer, at } = starts[i];
    let end = i + 1 < starts.length ? starts[i + 1].at : graph.nodes.length;
    if (i + 1 === starts.length) {
      // The last layer ends after its last scoped node and the unscoped adds right after it.
      let last = at;
      for (let j = at; j < graph.nodes.length; j++) if (layerIndex(graph.nodes[j].scope) === layer) last = j;
      end = last + 1;
      while (end < graph.nodes.length && graph.nodes[end].scope === "") end++;
    }
    const nodes = graph.nodes.slice(at, end);
    if (layers.some((l) => l.layer === layer)) throw new IrError(`layer ${layer}'s nodes are not contiguous`);
    layers.push({ layer, nodes, ...boundary(nodes, params, layer), ...parts(nodes, params, layer) });
  }
  return layers;
}

function boundary(nodes: readonly Node[], params: ReadonlyMap<Value, Parameter>, layer: number): { input: Value; output: Value } {
  const inside = new Set<Value>(nodes.flatMap((n) => n.outputs));
  const external = new Set<Value>();
  for (const node of nodes) for (const v of node.inputs) if (!inside.has(v) && !params.has(v)) external.add(v);
  if (external.size !== 1) throw new IrError(`layer ${layer} reads ${external.size} values from outside, expected the residual stream alone`);
  const last = nodes[nodes.length - 1];
  return { input: [...external][0], output: last.outputs[0] };
}

function parts(nodes: readonly Node[], params: ReadonlyMap<Value, Parameter>, layer: number): Pick<LayerSite, "attention" | "ffn"> {
  const linears = new Map<string, LinearSite>();
  for (const node of nodes) {
    if (node.op !== "linear") continue;
    const weight = params.get(node.inputs[1]);
    const match = weight && LINEAR_PART.exec(weight.name);
    if (!weight || !match) continue;
    const part = `${match[1]}.${match[2]}`;
    const bias = node.inputs[2] ? params.get(node.inputs[2]) : undefined;
    linears.set(part, { node, weight, bias });
  }
  const attentionNode = nodes.find((n) => n.op === "attention" || n.op === "block_sparse_attention");
  let attention: AttentionSite | undefined;
  if (attentionNode) {
    const [q, k, v, o] = ["q", "k", "v", "o"].map((p) => linears.get(`attn.${p}`));
    if (!q || !k || !v || !o) throw new IrError(`layer ${layer}: attention without its q, k, v and o projections`);
    attention = {
      node: attentionNode,
      q, k, v, o,
      heads: attentionNode.attrs.heads as number,
      kvHeads: attentionNode.attrs.kvHeads as number,
      headDim: attentionNode.attrs.headDim as number,
      rotary: nodes.filter((n) => n.op === "rotary"),
    };
  }
  const up = linears.get("ffn.up");
  const down = linears.get("ffn.down");
  const ffn = up && down ? { up, down, gate: linears.get("ffn.gate"), size: down.weight.value.type.shape[0] as number } : undefined;
  return { attention, ffn };
}
