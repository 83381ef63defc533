import type { PlannedHead, PlannedLayer } from "../compiler/plan.js";
import { gigaflops, mebibytes, table } from "./format.js";

/**
 * The compile summary's attention table: per layer (consecutive layers with the same figures share a
 * row, `0-11`), and per head group where a layer's heads follow different patterns (heads with one
 * pattern are one group, `0-5`): how the sparse-attention pass lowered it, the density, and the
 * score-side FLOPs and memory against dense attention. Empty when every layer is dense.
 */
export function attentionTable(layers: readonly PlannedLayer[], maxRows: number): string[] {
  if (layers.every((l) => l.attention.lowering === "dense")) return [];
  const rows: { readonly layers: number[]; readonly cells: readonly (readonly string[])[] }[] = [];
  for (const layer of layers) {
    const cells = headGroups(layer).map((group) => groupCells(layer, group));
    const last = rows[rows.length - 1];
    const sameAsLast = last && last.layers[last.layers.length - 1] === layer.layer - 1 && JSON.stringify(last.cells) === JSON.stringify(cells);
    if (sameAsLast) last.layers.push(layer.layer);
    else rows.push({ layers: [layer.layer], cells });
  }
  const body = rows.flatMap((r) => r.cells.map((cells, i) => [i === 0 ? range(r.layers) : "", ...cells]));
  const header = ["layer", "heads", "lowering", "density", "GFLOP", "dense GFLOP", "memory", "dense memory"];
  const lines = table(header, body, { leftAligned: [1, 2] });
  if (body.length <= maxRows) return lines;
  const shown = Math.floor(maxRows / 2);
  const hidden = body.length - 2 * shown;
  return [...lines.slice(0, 1 + shown), `  ${"…".padStart(header[0].length)}  (${hidden} more rows; every layer and head is in the plan)`, ...lines.slice(-shown)];
}

/** Heads in runs of one written pattern (all heads one group when the layer is dense). */
function headGroups(layer: PlannedLayer): PlannedHead[][] {
  const { heads, patterns } = layer.attention;
  const groups: PlannedHead[][] = [];
  heads.forEach((head, h) => {
    const last = groups[groups.length - 1];
    if (last && patterns?.[h] === patterns?.[last[0].head]) last.push(head);
    else groups.push([head]);
  });
  return groups;
}

function groupCells(layer: PlannedLayer, group: readonly PlannedHead[]): string[] {
  const sum = (pick: (h: PlannedHead) => number) => group.reduce((a, h) => a + pick(h), 0);
  const densities = group.map((h) => h.density);
  const [low, high] = [Math.min(...densities), Math.max(...densities)];
  return [
    range(group.map((h) => h.head)),
    layer.attention.lowering,
    percent(low) === percent(high) ? percent(low) : `${percent(low)}–${percent(high)}`,
    gigaflops(sum((h) => h.flops)),
    gigaflops(sum((h) => h.denseFlops)),
    mebibytes(sum((h) => h.memoryBytes)),
    mebibytes(sum((h) => h.denseMemoryBytes)),
  ];
}

/** [0, 1, 2] → "0-2"; [4] → "4". Callers pass consecutive numbers. */
function range(ns: readonly number[]): string {
  return ns.length === 1 ? String(ns[0]) : `${ns[0]}-${ns[ns.length - 1]}`;
}

function percent(x: number): string {
  const p = x * 100;
  return `${Number.isInteger(p) ? p : p.toFixed(1)}%`;
}
