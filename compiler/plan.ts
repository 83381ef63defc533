import type { Graph, Node } from "./ir/graph.js";
import type { PassReport } from "./ir/pass.js";
import { blockLayoutDensity, readBlockLayout } from "./ir/ops/block-layout.js";
import { blockSparseChunkPeakBytes, blockSparseFigures, scheduleOf } from "./ir/ops/block-sparse-attention.js";
import { computedFraction } from "./ir/ops/block-sparse-schedule.js";
import { graphStats, type GraphStats } from "./ir/stats.js";
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
  /** Fraction of (query, key) pairs attended to, per head: 1 for dense attention. */
  readonly attentionDensity: readonly number[];
  /** `attention.memoryBytes`: scores, mask and gathered key/value blocks alive at once (batch 1, full context). */
  readonly attentionMemoryBytes: number;
  /** How attention is lowered, with its cost beside what dense attention would cost. */
  readonly attention: PlannedAttention;
}

export interface PlannedAttention {
  /** `dense`; `dense-masked` (a block layout applied as a −∞ mask); `block-sparse` (only the layout's blocks computed). */
  readonly lowering: "dense" | "dense-masked" | "block-sparse";
  readonly blockSize?: number;
  /** The layout's pattern per head, as the spec wrote it. */
  readonly patterns?: readonly string[];
  /** Fraction of dense attention's work the lowering does (padding included): 1 when dense. */
  readonly computedFraction: number;
  /** Why this lowering (the sparse-attention pass's note for the layer). */
  readonly reason?: string;
  /** Score-side FLOPs (q kᵀ, softmax, P v) per forward at batch 1 and full context, excluding projections. */
  readonly flops: number;
  readonly denseFlops: number;
  readonly memoryBytes: number;
  readonly denseMemoryBytes: number;
  /** `memoryBytes` plus q, k, v and the context rearranged per head: the attention's peak live set. */
  readonly peakBytes: number;
  readonly heads: readonly PlannedHead[];
}

export interface PlannedHead {
  readonly head: number;
  readonly density: number;
  readonly flops: number;
  readonly denseFlops: number;
  /** What ONNX Runtime holds for the head: block-sparse, its scores plus its share of gathered key/value blocks; dense, its S×S scores (Softmax in place); dense-masked, its scores over whole query blocks twice (before and after the mask) and its share of the mask. */
  readonly memoryBytes: number;
  readonly denseMemoryBytes: number;
}

/** A pass that ran while compiling, with what it reported. */
export interface PlannedPass {
  readonly pass: string;
  /** The `optimize` directive it carried out, when it came from one. */
  readonly directive?: string;
  readonly changed: boolean;
  /** It changed what the model computes; `deviation` then says by how much. */
  readonly lossy?: boolean;
  readonly notes: readonly string[];
  readonly statistics: Readonly<Record<string, number>>;
  /** Counted from the graph before and after the pass (FLOPs at batch 1 and full context). */
  readonly before?: PlannedCost;
  readonly after?: PlannedCost;
  /** Outputs of the model after this pass against the unoptimized model, on seeded sample inputs (ONNX Runtime). */
  readonly deviation?: PlannedDeviation;
}

export interface PlannedCost {
  readonly parameters: number;
  readonly weightBytes: number;
  readonly flops: number;
}

/** How far one model's outputs are from another's on the same inputs (runtime/deviation.ts measures it). */
export interface PlannedDeviation {
  readonly inputs: { readonly batch: number; readonly seq: number; readonly seed: number };
  /** The output the headline figures are for: `logits` when present, else the first output. */
  readonly primary: string;
  readonly outputs: Readonly<Record<string, OutputDeviation>>;
}

export interface OutputDeviation {
  readonly maxAbs: number;
  /** Σ|a − b| / Σ|a| over all elements (a: the unoptimized model's output). */
  readonly meanRelative: number;
  /** Cosine similarity of the flattened outputs. */
  readonly cosine: number;
  /** LM logits: fraction of positions whose arg-max token agrees. */
  readonly top1Agreement?: number;
}

export interface PlannedGraph {
  readonly name: string;
  readonly file?: string;
  /** The model's weights file (ONNX external data), relative to the plan like `file`; absent when they are embedded. */
  readonly externalData?: string;
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
  /** Passes run between lowering and emission, in order. */
  readonly passes: readonly PlannedPass[];
}

export function buildPlan(spec: ModelSpec, graph: Graph, file?: string, reports: readonly PassReport[] = []): ExecutionPlan {
  const bindings = { batch: 1, seq: spec.context };
  const stats = graphStats(graph, bindings);
  const bytesByGroup = new Map<string, number>();
  for (const p of graph.params) {
    if (!p.trainable) continue;
    const group = p.name.startsWith("layers.") ? p.name.split(".").slice(0, 2).join(".") : "";
    bytesByGroup.set(group, (bytesByGroup.get(group) ?? 0) + elementCount(p.value.type.shape) * BYTES_PER_ELEMENT[p.value.type.dtype]);
  }
  const flopsOf = (scope: string) => stats.flopsByScope.get(scope) ?? 0;
  const notes = reports.flatMap((r) => r.notes);
  const layers: PlannedLayer[] = [];
  let attentionPeak = 0;
  for (let layer = 0; layer < spec.layers; layer++) {
    const group = `layers.${layer}`;
    if (!graph.nodes.some((n) => n.scope.startsWith(`${group}.`))) continue; // removed by `prune layers`
    const node = graph.nodes.find((n) => n.scope === `${group}.attn` && (n.op === "attention" || n.op === "block_sparse_attention"));
    const planned = plannedAttention(spec, node, layer, notes.find((n) => n.startsWith(`${group}.attn: `))?.slice(`${group}.attn: `.length));
    attentionPeak = Math.max(attentionPeak, planned.peakBytes);
    layers.push({
      layer,
      parameters: stats.parametersByGroup.get(group) ?? 0,
      parameterBytes: bytesByGroup.get(group) ?? 0,
      attentionFlops: flopsOf(`${group}.attn`),
      ffnFlops: flopsOf(`${group}.ffn`),
      attentionDensity: planned.heads.map((h) => h.density),
      attentionMemoryBytes: planned.memoryBytes,
      attention: planned,
    });
  }
  const flopsPerForward = stats.flops;
  const peakBytes = activationPeak(spec, attentionPeak, widestLayer(spec, graph));
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
          note: ACTIVATION_NOTE,
        },
        passes: reports.map(plannedPass),
      },
    ],
  };
}

function plannedPass(r: PassReport): PlannedPass {
  const cost = (s: GraphStats | undefined): PlannedCost | undefined => s && { parameters: s.parameters, weightBytes: s.weightBytes, flops: s.flops };
  return {
    pass: r.pass,
    ...(r.directive ? { directive: r.directive } : {}),
    changed: r.changed,
    ...(r.lossy ? { lossy: true } : {}),
    notes: r.notes,
    statistics: r.statistics,
    ...(r.before ? { before: cost(r.before) } : {}),
    ...(r.after ? { after: cost(r.after) } : {}),
  };
}

const ACTIVATION_NOTE =
  "estimate at batch 1 and full context of what ONNX Runtime (CPU, memory pattern off) holds at once: the residual stream and " +
  "q/k/v with their per-head copies, plus the larger of one layer's attention (scores, Softmax computed in place; the layout " +
  "mask; gathered key/value blocks) or its FFN hidden state";

/**
 * Peak activation bytes at batch 1 and full context. Layers run one after another, so one layer's
 * attention or FFN is alive at a time, beside the residual stream and the layer's projected q, k, v
 * (their per-head copies are counted in the attention's peak). Measured against ONNX Runtime in the bench's
 * sparse-attention section (plan estimate beside the measured peak).
 */
function activationPeak(spec: ModelSpec, attentionPeak: number, widest: WidestLayer): number {
  const tokens = spec.context;
  const residualBytes = tokens * spec.width * 4;
  const qkvBytes = tokens * (widest.heads + 2 * widest.kvHeads) * spec.headDim * 4;
  const ffnBytes = tokens * widest.ffnSize * 4 * (spec.ffn.activation.endsWith("glu") ? 3 : 2);
  return 2 * residualBytes + qkvBytes + Math.max(attentionPeak, ffnBytes);
}

interface WidestLayer {
  readonly heads: number;
  readonly kvHeads: number;
  readonly ffnSize: number;
}

/**
 * The largest head counts and FFN width any layer of the graph has: after `prune heads` or `prune ffn`
 * these are below the spec's, and the activation estimate follows what is emitted.
 */
function widestLayer(spec: ModelSpec, graph: Graph): WidestLayer {
  let heads = 0;
  let kvHeads = 0;
  let ffnSize = 0;
  for (const node of graph.nodes) {
    if (node.op === "attention" || node.op === "block_sparse_attention") {
      heads = Math.max(heads, typeof node.attrs.heads === "number" ? node.attrs.heads : spec.heads);
      kvHeads = Math.max(kvHeads, typeof node.attrs.kvHeads === "number" ? node.attrs.kvHeads : spec.kvHeads);
    } else if (/^layers\.\d+\.ffn/.test(node.scope)) {
      // The hidden width is the widest output inside the FFN (the down projection's is the model width).
      for (const out of node.outputs) {
        const last = out.type.shape[out.type.shape.length - 1];
        if (typeof last === "number" && last !== spec.width) ffnSize = Math.max(ffnSize, last);
      }
    }
  }
  return { heads: heads || spec.heads, kvHeads: kvHeads || spec.kvHeads, ffnSize: ffnSize || spec.ffn.size };
}

/**
 * A layer's attention figures at batch 1 and full context, from the node that computes it: dense
 * (S×S scores per head), dense with a layout mask, or block-sparse (what its schedule computes).
 * Memory is what ONNX Runtime holds for it: Softmax runs in place on the scores (ONNX Runtime reuses
 * the buffer once it knows both have one shape, which the emitted value types tell it), so a head
 * holds one S×S tensor, not two. The dense-masked form pads its queries to whole blocks, holds the
 * scores and the masked scores (two S×S tensors), and the mask at query-block resolution ([layouts,
 * n, S], 1/b of the scores); a causal model adds one S×S
 * table of later keys, shared by the heads. `peakBytes` adds the attention's own inputs and result
 * rearranged per head (q, k, v, the context and its merged copy); block-sparse attention holds its
 * largest chunk at a time, not every head's blocks (blockSparseChunkPeakBytes).
 */
function plannedAttention(spec: ModelSpec, node: Node | undefined, layer: number, reason: string | undefined): PlannedAttention {
  const S = spec.context;
  const denseFlops = 4 * S * S * spec.headDim + 5 * S * S;
  const denseBytes = S * S * 4;
  const layout = node ? readBlockLayout(node.op, node.attrs) : undefined;
  const written = spec.attention?.layers[layer];
  const lowering = node?.op === "block_sparse_attention" ? "block-sparse" : layout ? "dense-masked" : "dense";
  const causalBytes = spec.kind === "decoder" && lowering !== "block-sparse" ? (layout ? paddedRows(S, layout.blockSize) : S) * S * 4 : 0;
  const figures =
    lowering === "block-sparse"
      ? blockSparseFigures(node!.attrs, S)
      : Array.from({ length: typeof node?.attrs.heads === "number" ? node.attrs.heads : spec.heads }, () => {
          if (!layout) return { flops: denseFlops, scoreBytes: denseBytes, gatheredBytes: 0 };
          const rows = paddedRows(S, layout.blockSize);
          const maskBytes = layout.distinct.length * (rows / layout.blockSize) * S * 4;
          // The masked scores are a second buffer: the Add's shapes are only known at run time, so ONNX
          // Runtime cannot reuse the scores' (measured: 2.0× a single S² at 1024), and Softmax runs in place on it.
          return { flops: denseFlops, scoreBytes: 2 * rows * S * 4, gatheredBytes: maskBytes / spec.heads };
        });
  const heads: PlannedHead[] = figures.map((f, h) => ({
    head: h,
    density: layout ? blockLayoutDensity(layout, h) : 1,
    flops: f.flops,
    denseFlops,
    memoryBytes: f.scoreBytes + f.gatheredBytes,
    denseMemoryBytes: denseBytes,
  }));
  const sum = (pick: (h: PlannedHead) => number) => heads.reduce((a, h) => a + pick(h), 0);
  // q, k, v per head (k and v once per kv head), the context and its merged copy.
  const headCopies = (3 * spec.heads + 2 * spec.kvHeads) * S * spec.headDim * 4;
  return {
    lowering,
    ...(layout ? { blockSize: layout.blockSize } : {}),
    ...(written ? { patterns: written.patterns } : {}),
    computedFraction: lowering === "block-sparse" ? computedFraction(scheduleOf(node!.attrs)) : 1,
    ...(reason ? { reason } : {}),
    flops: sum((h) => h.flops),
    denseFlops: sum((h) => h.denseFlops),
    memoryBytes: sum((h) => h.memoryBytes) + causalBytes,
    denseMemoryBytes: sum((h) => h.denseMemoryBytes) + (spec.kind === "decoder" ? denseBytes : 0),
    // Block-sparse chunks run one after another: the node holds its largest chunk at a time.
    peakBytes: (lowering === "block-sparse" ? blockSparseChunkPeakBytes(node!.attrs, S) : sum((h) => h.memoryBytes)) + causalBytes + headCopies,
    heads,
  };
}

/** Query rows the dense-masked form computes: S padded to whole blocks. */
function paddedRows(tokens: number, blockSize: number): number {
  return Math.ceil(tokens / blockSize) * blockSize;
}
