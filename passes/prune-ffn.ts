import { IrError, type Graph } from "../compiler/ir/graph.js";
import type { Pass, PassContext, PassResult } from "../compiler/ir/pass.js";
import { editGraph, type ParamDefinition } from "./edit-graph.js";
import { findLayers, type FfnSite, type LayerSite } from "./model-structure.js";
import { byScore, columnMasses, complement, floats, keepColumns, keepRows, rowMasses } from "./weight-slices.js";

export interface PruneFfnOptions {
  readonly fraction: number;
  readonly norm: "l1" | "l2";
  readonly scope: "per_layer" | "global";
}

/**
 * Structured FFN pruning: removes hidden neurons, narrowing up (and gate) columns and down rows.
 * Importance of neuron i: ‖up column i, gate column i, down row i‖ (l1 or l2). `global` ranks the
 * neurons of all layers together and keeps at least one per layer.
 */
export const pruneFfn: Pass<PruneFfnOptions> = {
  name: "prune-ffn",
  summary: "remove FFN neurons, narrowing the up/gate/down matrices",
  run(graph: Graph, options: PruneFfnOptions, _context: PassContext): PassResult {
    const layers = findLayers(graph).filter((l): l is LayerSite & { ffn: FfnSite } => l.ffn !== undefined);
    const scores = new Map(layers.map((l) => [l.layer, neuronScores(l.ffn, options.norm)]));
    const counts = new Map<number, number>();
    if (options.scope === "per_layer") {
      for (const l of layers) counts.set(l.layer, Math.min(Math.round(options.fraction * l.ffn.size), l.ffn.size - 1));
    } else {
      const all = layers.flatMap((l) => Array.from(scores.get(l.layer)!, (score, neuron) => ({ layer: l.layer, neuron, score })));
      all.sort((a, b) => a.score - b.score || a.layer - b.layer || a.neuron - b.neuron);
      const chosen = all.slice(0, Math.round(options.fraction * all.length));
      for (const l of layers) counts.set(l.layer, Math.min(chosen.filter((c) => c.layer === l.layer).length, l.ffn.size - 1));
    }
    const params = new Map<string, ParamDefinition>();
    const set = (name: string, definition: ParamDefinition) => {
      if (params.has(name)) throw new IrError(`prune-ffn: \`${name}\` is read by more than one layer (shared); prune before sharing`);
      params.set(name, definition);
    };
    const notes: string[] = [];
    const statistics: Record<string, number> = { neuronsRemoved: 0 };
    for (const l of layers) {
      const count = counts.get(l.layer) ?? 0;
      if (count === 0) continue;
      const gone = byScore(scores.get(l.layer)!).slice(0, count);
      const keep = complement(l.ffn.size, gone);
      const why = `prune-ffn layer ${l.layer}`;
      for (const site of [l.ffn.up, l.ffn.gate]) {
        if (!site) continue;
        set(site.weight.name, keepColumns(site.weight, keep, why));
        if (site.bias) set(site.bias.name, keepColumns(site.bias, keep, why));
      }
      set(l.ffn.down.weight.name, keepRows(l.ffn.down.weight, keep, why));
      statistics.neuronsRemoved += count;
      statistics[`layers.${l.layer}.ffn`] = keep.length;
      notes.push(`layer ${l.layer}: ${keep.length} of ${l.ffn.size} FFN neurons kept`);
    }
    if (notes.length === 0) return { graph, changed: false, notes: ["no neuron removed"] };
    return { graph: editGraph(graph, { params }), changed: true, lossy: true, notes, statistics };
  },
};

function neuronScores(ffn: FfnSite, norm: "l1" | "l2"): Float64Array {
  const size = ffn.size;
  const scores = columnMasses(floats(ffn.up.weight), size, norm);
  if (ffn.gate) columnMasses(floats(ffn.gate.weight), size, norm).forEach((s, i) => (scores[i] += s));
  const width = (ffn.down.weight.value.type.shape[1] as number);
  rowMasses(floats(ffn.down.weight), width, norm).forEach((s, i) => (scores[i] += s));
  return scores;
}
