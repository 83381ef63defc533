import { IrError, type Graph, type Parameter, type Value } from "../compiler/ir/graph.js";
import type { Pass, PassContext, PassResult } from "../compiler/ir/pass.js";
import { editGraph, type ParamDefinition } from "./edit-graph.js";
import { findLayers, type LayerSite } from "./model-structure.js";
import { meanOf } from "./weight-merge.js";

export interface ShareLayersOptions {
  /** `layers`: every parameter of the layer (norms included); `attn`: q/k/v/o; `ffn`: up/gate/down. */
  readonly part: "layers" | "attn" | "ffn";
  /** Consecutive layers (as present in the graph) in groups of this size share the first one's tensors. */
  readonly groupSize: number;
}

/**
 * Cross-layer sharing (ALBERT): within each group of consecutive layers, every layer reads the
 * group's first layer's tensors, so each is stored once in the ONNX file. Weights that were not
 * trained shared are merged by their element-wise mean (lossy; the deviation is measured); equal
 * tensors (fresh norm scales) merge exactly.
 */
export const shareLayers: Pass<ShareLayersOptions> = {
  name: "share-layers",
  summary: "share weights across groups of consecutive layers, stored once",
  run(graph: Graph, options: ShareLayersOptions, _context: PassContext): PassResult {
    if (!Number.isInteger(options.groupSize) || options.groupSize < 2) throw new IrError(`share-layers: groupSize must be an integer ≥ 2, got ${options.groupSize}`);
    const layers = findLayers(graph);
    const byValue = new Map(graph.params.map((p) => [p.value, p]));
    const partParams = (layer: LayerSite, part: ShareLayersOptions["part"]) => paramsOfPart(layer, part, byValue);
    const params = new Map<string, ParamDefinition>();
    const aliases = new Map<string, string>();
    const notes: string[] = [];
    let lossy = false;
    let merged = 0;
    for (let start = 0; start < layers.length; start += options.groupSize) {
      const group = layers.slice(start, start + options.groupSize);
      if (group.length < 2) {
        notes.push(`layer ${group[0].layer} keeps its own weights (last group has one layer)`);
        continue;
      }
      const leader = partParams(group[0], options.part);
      for (const [role, own] of leader) {
        const members = group.map((layer) => {
          const p = partParams(layer, options.part).get(role);
          if (!p) throw new IrError(`share-layers: layer ${layer.layer} has no ${role}`);
          if (p.value.type.shape.join(",") !== own.value.type.shape.join(",")) {
            throw new IrError(`share-layers: ${p.name} is [${p.value.type.shape.join(", ")}] but ${own.name} is [${own.value.type.shape.join(", ")}]; layers pruned differently cannot share`);
          }
          return p;
        });
        const distinct = [...new Set(members)];
        if (distinct.length < 2) continue;
        const mean = meanOf(distinct, own);
        if (mean.lossy) lossy = true;
        params.set(own.name, mean.definition);
        for (const p of distinct) if (p !== own) aliases.set(p.name, own.name);
        merged += distinct.length - 1;
      }
      notes.push(`layers ${group.map((l) => l.layer).join(", ")} share layer ${group[0].layer}'s ${options.part === "layers" ? "weights" : `${options.part} weights`}`);
    }
    if (merged === 0) return { graph, changed: false, notes: notes.length > 0 ? notes : ["nothing to share"] };
    return { graph: editGraph(graph, { params, aliases }), changed: true, lossy, notes, statistics: { tensorsMerged: merged } };
  },
};

/** The layer's parameters of `part`, keyed by their role (`attn.q.weight`, `attn_norm.weight`). */
function paramsOfPart(layer: LayerSite, part: ShareLayersOptions["part"], byValue: ReadonlyMap<Value, Parameter>): Map<string, Parameter> {
  const out = new Map<string, Parameter>();
  const add = (role: string, p: Parameter | undefined) => p && out.set(role, p);
  if (part !== "ffn" && layer.attention) {
    for (const name of ["q", "k", "v", "o"] as const) {
      add(`attn.${name}.weight`, layer.attention[name].weight);
      add(`attn.${name}.bias`, layer.attention[name].bias);
    }
  }
  if (part !== "attn" && layer.ffn) {
    for (const name of ["up", "gate", "down"] as const) {
      add(`ffn.${name}.weight`, layer.ffn[name]?.weight);
      add(`ffn.${name}.bias`, layer.ffn[name]?.bias);
    }
  }
  if (part === "layers") {
    // Norms: the parameters the layer's norm nodes read, named `layers.N.attn_norm.*` / `ffn_norm.*`.
    for (const node of layer.nodes) {
      if (node.op !== "layer_norm" && node.op !== "rms_norm") continue;
      for (const v of node.inputs.slice(1)) {
        const match = v.name && /\.(attn_norm|ffn_norm)\.(weight|bias)$/.exec(v.name);
        if (match) add(`${match[1]}.${match[2]}`, byValue.get(v));
      }
    }
  }
  return out;
}
