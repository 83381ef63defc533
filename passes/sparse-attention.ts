import { GraphBuilder } from "../compiler/ir/builder.js";
import { IrError, type Attrs, type Graph, type Node, type Value } from "../compiler/ir/graph.js";
import type { Pass, PassContext, PassResult } from "../compiler/ir/pass.js";
import { readBlockLayout } from "../compiler/ir/ops/block-layout.js";
import { computedFraction, describeSchedule, scheduleBlockSparse, DEFAULT_SCHEDULE_OPTIONS } from "../compiler/ir/ops/block-sparse-schedule.js";

export interface SparseAttentionOptions {
  /**
   * Rewrite an attention node when its block-sparse form computes less than this fraction of dense
   * attention's (query block, key block) pairs, padding included; at or above it the node stays
   * dense with the layout as a mask. Measured on ONNX Runtime's CPU provider (docs/attention-lowering.md).
   */
  readonly threshold: number;
  /** How key blocks are assembled: `gather` (default), or `window` (shifted slices for translation-invariant layouts). */
  readonly path?: "gather" | "window";
  /**
   * Lower the gather path in chunks of at most this many bytes (RECOMMENDED_CHUNK_BYTES measured best:
   * faster attention, slower session creation); unset, classes are lowered whole (block-sparse-schedule.ts).
   */
  readonly chunkBytes?: number;
}

/**
 * Measured (docs/attention-lowering.md; ORT CPU, seq 1024 and 4096, block 64): below half of dense work
 * the block-sparse lowering was ≥ 1.26× faster than the masked fallback and smaller in memory. Latency
 * alone crosses over near 85% for encoders (never for decoders), but past 50% the gathered keys and
 * values make it hold more memory than dense attention.
 */
export const DEFAULT_SPARSE_THRESHOLD = 0.5;

export const DEFAULT_SPARSE_ATTENTION_OPTIONS: SparseAttentionOptions = { threshold: DEFAULT_SPARSE_THRESHOLD, path: "gather" };

/** A rewrite as data: which nodes it looks at, whether it fires (or why not), and what it makes. */
interface Rewrite {
  readonly matches: (node: Node) => boolean;
  readonly check: (node: Node, options: SparseAttentionOptions) => { readonly fires: boolean; readonly note: string; readonly computed: number };
  readonly rewrite: (node: Node, options: SparseAttentionOptions) => { readonly op: string; readonly attrs: Attrs };
}

const toBlockSparse: Rewrite = {
  matches: (node) => node.op === "attention" && readBlockLayout("attention", node.attrs) !== undefined,
  check(node, options) {
    const layout = readBlockLayout("attention", node.attrs)!;
    const schedule = scheduleBlockSparse(layout, shapeOf(node.attrs), {
      ...DEFAULT_SCHEDULE_OPTIONS,
      windowPath: options.path === "window",
      ...(options.chunkBytes !== undefined ? { chunkBytes: options.chunkBytes } : {}),
    });
    const computed = computedFraction(schedule);
    const share = `computes ${percent(computed)} of dense`;
    const threshold = `threshold ${percent(options.threshold)}`;
    return computed < options.threshold
      ? { fires: true, computed, note: `block-sparse, ${share} (${threshold}); ${describeSchedule(schedule)}` }
      : { fires: false, computed, note: `dense with the layout as a mask: block-sparse would compute ${percent(computed)} of dense, not below the ${threshold}` };
  },
  rewrite: (node, options) => ({
    op: "block_sparse_attention",
    attrs: { ...node.attrs, ...(options.path === "window" ? { path: "window" } : {}), ...(options.chunkBytes !== undefined ? { chunkBytes: options.chunkBytes } : {}) },
  }),
};

/**
 * Lowers attention with a block layout to `block_sparse_attention` where computing only the listed
 * blocks pays, and leaves it dense (the layout applied as a −∞ mask) where it would not. Exact either
 * way: both compute the same function.
 */
export const sparseAttention: Pass<SparseAttentionOptions> = {
  name: "sparse-attention",
  summary: "compute attention with a block layout blockwise where it is sparse enough to pay",
  run(graph: Graph, options: SparseAttentionOptions, _context: PassContext): PassResult {
    checkOptions(options);
    const builder = GraphBuilder.from(graph);
    const replaced = new Map<Value, Value>();
    const use = (v: Value) => replaced.get(v) ?? v;
    const notes: string[] = [];
    const statistics: Record<string, number> = { rewritten: 0, keptDense: 0 };
    for (const node of graph.nodes) {
      let { op, attrs } = node;
      if (toBlockSparse.matches(node)) {
        const verdict = toBlockSparse.check(node, options);
        notes.push(`${node.scope || `node ${node.id}`}: ${verdict.note}`);
        statistics[`${node.scope}.computed`] = verdict.computed;
        if (verdict.fires) {
          ({ op, attrs } = toBlockSparse.rewrite(node, options));
          statistics.rewritten++;
        } else {
          statistics.keptDense++;
        }
      }
      const outputs = builder.withScope(node.scope, () => builder.opMulti(op, node.inputs.map(use), attrs));
      node.outputs.forEach((old, i) => replaced.set(old, outputs[i]));
    }
    for (const output of graph.outputs) builder.output(output.name, use(output.value));
    if (notes.length === 0) notes.push("no attention with a block layout");
    return { graph: builder.build(), changed: statistics.rewritten > 0, notes, statistics };
  },
};

function checkOptions(options: SparseAttentionOptions): void {
  const { threshold, path, chunkBytes } = options;
  if (typeof threshold !== "number" || !(threshold > 0 && threshold <= 1)) {
    throw new IrError(`sparse-attention: \`threshold\` must be a fraction in (0, 1], got ${String(threshold)}`);
  }
  if (path !== undefined && path !== "gather" && path !== "window") {
    throw new IrError(`sparse-attention: \`path\` must be "gather" or "window", got ${JSON.stringify(path)}`);
  }
  if (chunkBytes !== undefined && !(Number.isInteger(chunkBytes) && chunkBytes > 0)) {
    throw new IrError(`sparse-attention: \`chunkBytes\` must be a positive whole number of bytes, got ${String(chunkBytes)}`);
  }
}

function shapeOf(attrs: Attrs): { heads: number; kvHeads: number; headDim: number } {
  return { heads: attrs.heads as number, kvHeads: attrs.kvHeads as number, headDim: attrs.headDim as number };
}

function percent(x: number): string {
  const p = x * 100;
  return `${p >= 10 ? p.toFixed(0) : p.toFixed(1)}%`;
}
