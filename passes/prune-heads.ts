import { IrError, type Attrs, type Graph, type Node } from "../compiler/ir/graph.js";
import { blockLayoutAttrs, readBlockLayout } from "../compiler/ir/ops/block-layout.js";
import type { Pass, PassContext, PassResult } from "../compiler/ir/pass.js";
import { editGraph, type ParamDefinition } from "./edit-graph.js";
import { findLayers, type AttentionSite, type LayerSite } from "./model-structure.js";
import { byScore, columnBlockMass, complement, floats, keepColumns, keepRows, rowBlockMass } from "./weight-slices.js";

export type PruneHeadsOptions =
  | { readonly fraction: number; readonly norm: "l1" | "l2"; readonly scope: "per_layer" | "global" }
  | { readonly explicit: ReadonlyMap<number, readonly number[]> };

/**
 * Structured head pruning: removes query heads (and, in multi-head attention, their key/value heads)
 * by really narrowing q/k/v columns and o rows, the attention node's head counts, rotary nodes and
 * block layouts. With grouped-query attention (kvHeads < heads) every kv group keeps all its kv heads
 * and loses the same number of query heads, so the layer stays grouped (docs/optimize.md).
 *
 * Importance of head h: ‖q columns of h, o rows of h (and k, v columns when h owns its kv head)‖,
 * l1 or l2. On seeded random weights the ranking is arbitrary but still well defined.
 */
export const pruneHeads: Pass<PruneHeadsOptions> = {
  name: "prune-heads",
  summary: "remove attention heads, narrowing q/k/v/o and the head counts",
  run(graph: Graph, options: PruneHeadsOptions, _context: PassContext): PassResult {
    const layers = findLayers(graph).filter((l): l is LayerSite & { attention: AttentionSite } => l.attention !== undefined);
    const removed = "explicit" in options ? explicitChoice(layers, options.explicit) : rankedChoice(layers, options);
    const params = new Map<string, ParamDefinition>();
    const attrs = new Map<Node, Attrs>();
    const notes: string[] = [];
    const statistics: Record<string, number> = { headsRemoved: 0 };
    for (const layer of layers) {
      const gone = removed.get(layer.layer) ?? [];
      if (gone.length === 0) continue;
      const site = layer.attention;
      const { heads, kvHeads, headDim } = site;
      const group = heads / kvHeads;
      const keep = complement(heads, gone);
      const keptKv = group === 1 ? keep : complement(kvHeads, []);
      const columns = (list: readonly number[]) => list.flatMap((h) => Array.from({ length: headDim }, (_, d) => h * headDim + d));
      const why = `prune-heads layer ${layer.layer}`;
      const set = (name: string, definition: ParamDefinition) => {
        if (params.has(name)) throw new IrError(`prune-heads: \`${name}\` is read by more than one layer (shared); prune before sharing`);
        params.set(name, definition);
      };
      set(site.q.weight.name, keepColumns(site.q.weight, columns(keep), why));
      if (site.q.bias) set(site.q.bias.name, keepColumns(site.q.bias, columns(keep), why));
      if (group === 1) {
        for (const kv of [site.k, site.v]) {
          set(kv.weight.name, keepColumns(kv.weight, columns(keptKv), why));
          if (kv.bias) set(kv.bias.name, keepColumns(kv.bias, columns(keptKv), why));
        }
      }
      set(site.o.weight.name, keepRows(site.o.weight, columns(keep), why));
      const newHeads = keep.length;
      const newKv = keptKv.length;
      attrs.set(site.node, withHeads(site.node.attrs, keep, newKv));
      for (const rotary of site.rotary) {
        const isQuery = rotary.inputs[0] === site.q.node.outputs[0];
        attrs.set(rotary, { ...rotary.attrs, heads: isQuery ? newHeads : newKv });
      }
      statistics.headsRemoved += gone.length;
      statistics[`layers.${layer.layer}.heads`] = newHeads;
      notes.push(`layer ${layer.layer}: removed heads [${gone.join(", ")}], ${newHeads} of ${heads} left${group > 1 ? ` (${newKv} kv groups of ${newHeads / newKv})` : ""}`);
    }
    if (notes.length === 0) return { graph, changed: false, notes: ["no head removed"] };
    const edited = editGraph(graph, { params, attrs: (node) => attrs.get(node) });
    return { graph: edited, changed: true, lossy: true, notes, statistics };
  },
};

/** The node's attributes with only heads `keep`: counts, and the block layout of the kept heads. */
function withHeads(old: Attrs, keep: readonly number[], kvHeads: number): Attrs {
  const layout = readBlockLayout("attention", old);
  const next: Record<string, Attrs[string]> = { ...old, heads: keep.length, kvHeads };
  if (layout) Object.assign(next, blockLayoutAttrs({ ...layout, heads: keep.map((h) => layout.heads[h]) }));
  return next;
}

function explicitChoice(layers: readonly (LayerSite & { attention: AttentionSite })[], explicit: ReadonlyMap<number, readonly number[]>): Map<number, number[]> {
  const present = new Set(layers.map((l) => l.layer));
  for (const [layer, heads] of explicit) {
    if (!present.has(layer)) throw new IrError(`prune-heads: layer ${layer} is not in the graph (removed by an earlier pass?)`);
    const site = layers.find((l) => l.layer === layer)!.attention;
    if (heads.some((h) => h < 0 || h >= site.heads)) throw new IrError(`prune-heads: layer ${layer} has ${site.heads} heads; cannot remove [${heads.join(", ")}]`);
  }
  return new Map([...explicit].map(([layer, heads]) => [layer, [...heads]]));
}

/** Importance of every query head of a layer (squared l2 or l1, summed over the head's slices). */
function headScores(site: AttentionSite, norm: "l1" | "l2"): number[] {
  const { heads, kvHeads, headDim } = site;
  const group = heads / kvHeads;
  const q = floats(site.q.weight);
  const o = floats(site.o.weight);
  const qCols = heads * headDim;
  const scores = Array.from({ length: heads }, (_, h) => columnBlockMass(q, qCols, h * headDim, headDim, norm) + rowBlockMass(o, o.length / qCols, h * headDim, headDim, norm));
  if (group === 1) {
    for (const kv of [floats(site.k.weight), floats(site.v.weight)]) scores.forEach((_, h) => (scores[h] += columnBlockMass(kv, qCols, h * headDim, headDim, norm)));
  }
  return scores;
}

/**
 * Heads are removed evenly from selection groups: one group of all heads in multi-head attention
 * (each head takes its kv head along), the kv groups under grouped-query attention.
 */
function selectionGroups(site: AttentionSite): { readonly size: number; readonly count: number } {
  return site.heads === site.kvHeads ? { size: site.heads, count: 1 } : { size: site.heads / site.kvHeads, count: site.kvHeads };
}

function rankedChoice(layers: readonly (LayerSite & { attention: AttentionSite })[], options: { fraction: number; norm: "l1" | "l2"; scope: "per_layer" | "global" }): Map<number, number[]> {
  const scores = new Map(layers.map((l) => [l.layer, headScores(l.attention, options.norm)]));
  const perGroup = new Map<number, number>();
  if (options.scope === "per_layer") {
    for (const l of layers) perGroup.set(l.layer, Math.min(Math.round(options.fraction * selectionGroups(l.attention).size), selectionGroups(l.attention).size - 1));
  } else {
    const all = layers.flatMap((l) => scores.get(l.layer)!.map((score, head) => ({ layer: l.layer, head, score })));
    all.sort((a, b) => a.score - b.score || a.layer - b.layer || a.head - b.head);
    const chosen = all.slice(0, Math.round(options.fraction * all.length));
    for (const l of layers) {
      const groups = selectionGroups(l.attention);
      const taken = chosen.filter((c) => c.layer === l.layer).length;
      // At least one head per group stays; with GQA a layer's count rounds down to whole kv groups.
      perGroup.set(l.layer, Math.min(Math.floor(taken / groups.count), groups.size - 1));
    }
  }
  const removed = new Map<number, number[]>();
  for (const l of layers) {
    const groups = selectionGroups(l.attention);
    const layerScores = scores.get(l.layer)!;
    const gone: number[] = [];
    for (let g = 0; g < groups.count; g++) {
      const members = Array.from({ length: groups.size }, (_, i) => g * groups.size + i);
      gone.push(...byScore(members.map((h) => layerScores[h])).slice(0, perGroup.get(l.layer) ?? 0).map((i) => members[i]));
    }
    removed.set(l.layer, gone.sort((a, b) => a - b));
  }
  return removed;
}
