import { IrError, type Graph, type Node, type Value } from "../compiler/ir/graph.js";
import type { Pass, PassContext, PassResult } from "../compiler/ir/pass.js";
import { editGraph } from "./edit-graph.js";
import { findLayers } from "./model-structure.js";

export interface PruneLayersOptions {
  /** Layer numbers as the spec counts them (the `layers.N` of parameter names). */
  readonly layers: readonly number[];
}

/**
 * Removes whole layers: their nodes go, the residual stream passes from the layer before to the
 * layer after, and their parameters are dropped. Layer names are kept (`layers.11` stays
 * `layers.11`), so reports and later directives refer to layers as the spec numbers them.
 */
export const pruneLayers: Pass<PruneLayersOptions> = {
  name: "prune-layers",
  summary: "remove whole layers, passing the residual stream through",
  run(graph: Graph, options: PruneLayersOptions, _context: PassContext): PassResult {
    const sites = findLayers(graph);
    const removed = new Set<Node>();
    const substitutes = new Map<Value, Value>();
    const notes: string[] = [];
    for (const layer of options.layers) {
      const site = sites.find((s) => s.layer === layer);
      if (!site) throw new IrError(`prune-layers: layer ${layer} is not in the graph`);
      site.nodes.forEach((n) => removed.add(n));
      substitutes.set(site.output, site.input);
      notes.push(`layer ${layer} removed`);
    }
    if (removed.size === 0) return { graph, changed: false, notes: ["no layer removed"] };
    if (sites.every((s) => options.layers.includes(s.layer))) throw new IrError("prune-layers: cannot remove every layer");
    return {
      graph: editGraph(graph, { removed, substitutes }),
      changed: true,
      lossy: true,
      notes,
      statistics: { layersRemoved: options.layers.length, layersLeft: sites.length - options.layers.length },
    };
  },
};
