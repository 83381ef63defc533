import type { Attrs } from "../graph.js";
import { attentionOp } from "./attention.js";
import { readBlockLayout } from "./block-layout.js";
import { BlockSparseLowering } from "./block-sparse-lowering.js";
import { DEFAULT_SCHEDULE_OPTIONS, scheduleBlockSparse, scheduleCost, type SparseSchedule } from "./block-sparse-schedule.js";
import { fail, numberAttr, optional, type OpDef } from "./op.js";

/**
 * Block-sparse attention: what `attention` with a block layout computes, without any S×S tensor.
 * Same inputs, result and attributes as `attention` (the layout is required here), plus an optional
 * `path`: "gather" (default) gathers every row's key blocks with one Gather by a compile-time index
 * table; "window" builds them for translation-invariant layouts (sliding, dilated, blocked windows)
 * from shifted slices instead — measured slower on ONNX Runtime's CPU provider, where a Slice and a
 * Concat copy twice what one Gather copies (docs/attention-lowering.md), so it is opt-in.
 *
 * Per head class and row bucket (see block-sparse-schedule.ts): q as blocks [B, kv, r, G·b, D];
 * the key/value blocks each row reads, gathered by an index table fixed at compile time (or shifted
 * copies for windows) [B, kv, r, w·b, D]; scores [B, kv, r, G·b, w·b], where padding slots and key
 * blocks past the run-time length score −1e30 and the diagonal's future tokens −∞; softmax; P·V; rows
 * and heads merged back to [B, S, H·D] (block-sparse-lowering.ts). Every length up to the context the
 * layout was made for runs: tables are cut to the ⌈S / b⌉ rows present, and a length the block size does
 * not divide is padded to whole blocks inside (padding keys masked, padding queries dropped). The
 * layout of a shorter sequence is the top-left corner of the full one. An optional `chunkBytes` caps
 * what one chunk of the gather path holds (default: no chunks; see block-sparse-schedule.ts).
 */
const blockSparseAttention: OpDef = {
  name: "block_sparse_attention",
  summary: "attention over the key blocks a block layout lists, computed blockwise",
  inputs: ["q", "k", "v"],
  attrs: ["heads", "kvHeads", "headDim", "causal", "blockSize", "blockHeads", "blockOffsets", "blockKeys"],
  infer(inputs, attrs) {
    const types = attentionOp.infer(inputs, attrs);
    const path = optional(attrs, "path");
    if (path !== undefined && path !== "gather" && path !== "window") fail("block_sparse_attention", `path must be "gather" or "window", got ${String(path)}`);
    const chunk = optional(attrs, "chunkBytes");
    if (chunk !== undefined && !(typeof chunk === "number" && Number.isInteger(chunk) && chunk > 0)) fail("block_sparse_attention", `chunkBytes must be a positive integer, got ${String(chunk)}`);
    const seq = inputs[0].shape[1];
    const { blockSize, blocks } = scheduleOf(attrs);
    if (typeof seq === "number" && seq > blocks * blockSize) fail("block_sparse_attention", `sequence ${seq} is longer than the layout's ${blocks * blockSize} positions`);
    return types;
  },
  flops([q], _out, attrs) {
    const [batch, seq] = q.shape;
    if (typeof batch !== "number" || typeof seq !== "number") return NaN;
    return batch * blockSparseFigures(attrs, seq).reduce((sum, h) => sum + h.flops, 0);
  },
  lower(b, [q, k, v], [y], attrs) {
    new BlockSparseLowering(b, scheduleOf(attrs)).lower(q, k, v, y);
  },
};

/** What one head of a `block_sparse_attention` node computes and holds, at batch 1. */
export interface HeadFigures {
  readonly flops: number;
  /** Scores of the blocks computed (probabilities take as much again while softmax runs). */
  readonly scoreBytes: number;
  /** The head's share of the gathered key and value blocks (a kv head's are shared by its group). */
  readonly gatheredBytes: number;
}

/** Per head, at batch 1 and sequence `seq`: counts what the lowering computes, padding included. */
export function blockSparseFigures(attrs: Attrs, seq: number): HeadFigures[] {
  const s = scheduleOf(attrs);
  const b = s.blockSize;
  const { pairs, gatheredBlocks } = scheduleCost(s, Math.ceil(seq / b));
  return pairs.map((p, h) => ({
    // Per block pair: q kᵀ and P v are 2·b·b·D each; softmax and scaling ~5 per score.
    flops: p * (4 * b * b * s.headDim + 5 * b * b),
    scoreBytes: p * b * b * 4,
    // Keys carry the masking feature (D + 1), values D.
    gatheredBytes: gatheredBlocks[h] * b * (2 * s.headDim + 1) * 4,
  }));
}

/**
 * What the largest chunk of a `block_sparse_attention` node holds at once, at batch 1 and sequence `seq`:
 * its scores (softmax runs in place), gathered key and value blocks and queries. Chunks run one after
 * another and ONNX Runtime frees each one's tensors before the next needs memory, so the node's own peak
 * is one chunk (a class lowered whole is one chunk per bucket), beside q, k, v and the result.
 */
export function blockSparseChunkPeakBytes(attrs: Attrs, seq: number): number {
  const s = scheduleOf(attrs);
  const b = s.blockSize;
  const D = s.headDim;
  const n = Math.ceil(seq / b);
  let peak = 0;
  for (const c of s.classes) {
    const stacks = Math.min(c.stacksPerChunk, c.kvHeads.length);
    const G = c.groupSize;
    for (const bucket of c.buckets) {
      const rows = Math.min(bucket.rowsPerChunk, bucket.rows.filter((i) => i < n).length);
      const width = bucket.allKeys ? n + 1 : bucket.width;
      const scores = G * b * width * b;
      const gathered = bucket.allKeys ? 0 : width * b * (2 * D + 1);
      const queries = G * b * (D + 1);
      peak = Math.max(peak, 4 * stacks * rows * (scores + gathered + queries));
    }
  }
  return peak;
}

const schedules = new WeakMap<Attrs, SparseSchedule>();

/** The node's schedule (computed once per attribute object). */
export function scheduleOf(attrs: Attrs): SparseSchedule {
  let s = schedules.get(attrs);
  if (!s) {
    const layout = readBlockLayout("block_sparse_attention", attrs);
    if (!layout) fail("block_sparse_attention", "needs a block layout (blockSize, blockHeads, blockOffsets, blockKeys)");
    const shape = { heads: numberAttr(attrs, "heads"), kvHeads: numberAttr(attrs, "kvHeads"), headDim: numberAttr(attrs, "headDim") };
    const chunkBytes = optional(attrs, "chunkBytes");
    s = scheduleBlockSparse(layout, shape, {
      ...DEFAULT_SCHEDULE_OPTIONS,
      windowPath: optional(attrs, "path") === "window",
      ...(typeof chunkBytes === "number" ? { chunkBytes } : {}),
    });
    schedules.set(attrs, s);
  }
  return s;
}

export const blockSparseAttentionOps: OpDef[] = [blockSparseAttention];
