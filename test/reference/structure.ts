import type { Graph } from "../../compiler/ir/graph.js";
import type { ModelSpec } from "../../compiler/spec.js";
import { readBlockLayout } from "../../compiler/ir/ops/block-layout.js";
import { findLayers } from "../../passes/model-structure.js";

/**
 * The config torch_model.py builds its reference from, for a graph the optimize passes changed: the
 * spec's fields, plus per remaining layer its head counts, FFN size and which parameters it reads
 * (`structure`, with each layer's block layout), plus the factorized embedding width. Architecture only: the reference computes
 * with its own modules and loads the weights from the ONNX file.
 */
export function referenceConfig(spec: ModelSpec, graph: Graph): Record<string, unknown> {
  const { name: _n, weights: _w, target: _t, spans: _s, optimize: _o, attention: _a, ...config } = spec;
  const prefix = (name: string) => name.split(".").slice(0, 2).join(".");
  const structure = findLayers(graph).map((layer) => {
    const attention = layer.attention!;
    const ffn = layer.ffn!;
    const norms = layer.nodes.filter((n) => n.op === "layer_norm" || n.op === "rms_norm").map((n) => n.inputs[1].name ?? "");
    const layout = readBlockLayout(attention.node.op, attention.node.attrs);
    return {
      ...(layout ? { layout: { blockSize: layout.blockSize, heads: layout.heads.map((h) => h.keys) } } : {}),
      heads: attention.heads,
      kvHeads: attention.kvHeads,
      ffn: ffn.size,
      attn: prefix(attention.q.weight.name),
      ffn_params: prefix(ffn.up.weight.name),
      attn_norm: prefix(norms.find((n) => n.includes(".attn_norm."))!),
      ffn_norm: prefix(norms.find((n) => n.includes(".ffn_norm."))!),
    };
  });
  const tokens = graph.params.find((p) => p.name === "embed.tokens")!;
  const embeddingSize = tokens.value.type.shape[1] !== spec.width ? tokens.value.type.shape[1] : null;
  const tied = spec.output.kind === "lm" && !graph.params.some((p) => p.name === "head.lm.weight");
  return {
    ...config,
    layers: structure.length,
    structure,
    embeddingSize,
    ...(spec.output.kind === "lm" ? { output: { kind: "lm", tied } } : {}),
  };
}
