import type { OnnxBuilder } from "../onnx-builder.js";
import type { TensorType } from "../types.js";
import { readBlockLayout, type SharedBlockLayout } from "./block-layout.js";
import { boolAttr, expectFloat, expectRank, fail, numberAttr, product, type OpDef } from "./op.js";

/**
 * Scaled dot-product attention over packed heads: q [B, S, H*D], k and v [B, S, KV*D] → [B, S, H*D].
 * Query head h reads key/value head floor(h / (H / KV)) (grouped-query attention when KV < H).
 * `causal` masks keys after the query position.
 *
 * With a block layout (blockSize, blockHeads, blockOffsets, blockKeys; see block-layout.ts) a query
 * token of block i attends only to key blocks the layout lists for i: computed densely, with the
 * layout as a −∞ mask. This is the exact reference `block_sparse_attention` is tested against and
 * the fallback the sparse-attention pass leaves where sparsity would not pay.
 */
const attention: OpDef = {
  name: "attention",
  summary: "softmax(q kᵀ / sqrt(D) + mask) v, per head",
  inputs: ["q", "k", "v"],
  attrs: ["heads", "kvHeads", "headDim", "causal"],
  infer([q, k, v], attrs) {
    const heads = numberAttr(attrs, "heads");
    const kvHeads = numberAttr(attrs, "kvHeads");
    const headDim = numberAttr(attrs, "headDim");
    boolAttr(attrs, "causal");
    for (const [what, t] of [["q", q], ["k", k], ["v", v]] as const) {
      expectFloat("attention", what, t);
      expectRank("attention", what, t, 3);
    }
    if (heads % kvHeads !== 0) fail("attention", `heads (${heads}) must be a multiple of kvHeads (${kvHeads})`);
    if (q.shape[2] !== heads * headDim) fail("attention", `q's last dim must be heads*headDim = ${heads * headDim}`);
    for (const [what, t] of [["k", k], ["v", v]] as const) {
      if (t.shape[2] !== kvHeads * headDim) fail("attention", `${what}'s last dim must be kvHeads*headDim = ${kvHeads * headDim}`);
      if (t.shape[0] !== q.shape[0] || t.shape[1] !== q.shape[1]) fail("attention", `${what} must match q in batch and sequence`);
    }
    readBlockLayout("attention", attrs);
    return [q];
  },
  flops([q, k], _out, attrs) {
    const [batch, seqQ] = q.shape as number[];
    const seqK = k.shape[1] as number;
    const heads = numberAttr(attrs, "heads");
    const headDim = numberAttr(attrs, "headDim");
    // q kᵀ and P v are 2·S·S·D each per head; softmax and scaling ~5 per score.
    return batch * heads * (4 * seqQ * seqK * headDim + 5 * seqQ * seqK);
  },
  lower(b, [q, k, v], [y], attrs) {
    const heads = numberAttr(attrs, "heads");
    const kvHeads = numberAttr(attrs, "kvHeads");
    const headDim = numberAttr(attrs, "headDim");
    const causal = boolAttr(attrs, "causal");
    const groups = heads / kvHeads;
    // Keys come out as [.., D, S] straight from the transpose, so no separate kᵀ is made.
    const [kT4] = b.node("Transpose", [reshape(b, k, [0, 0, kvHeads, headDim])], 1, { perm: { ints: [0, 2, 3, 1] } });
    const [v4] = b.node("Transpose", [reshape(b, v, [0, 0, kvHeads, headDim])], 1, { perm: { ints: [0, 2, 1, 3] } });
    let qHeads: string, kHeads: string, vHeads: string;
    if (groups === 1) {
      [qHeads] = b.node("Transpose", [reshape(b, q, [0, 0, heads, headDim])], 1, { perm: { ints: [0, 2, 1, 3] } });
      kHeads = kT4;
      vHeads = v4;
    } else {
      // [B, KV, G, S, D] against [B, KV, 1, D, S]: MatMul broadcasting shares each kv head with its group.
      [qHeads] = b.node("Transpose", [reshape(b, q, [0, 0, kvHeads, groups, headDim])], 1, { perm: { ints: [0, 2, 3, 1, 4] } });
      [kHeads] = b.node("Unsqueeze", [kT4, b.int64s([2])], 1);
      [vHeads] = b.node("Unsqueeze", [v4, b.int64s([2])], 1);
    }
    const layout = readBlockLayout("attention", attrs);
    const headDims = groups === 1 ? [heads] : [kvHeads, groups];
    const context = layout ? maskedAttention(b, q, qHeads, kHeads, vHeads, headDim, causal, layout, headDims) : plainAttention(b, q, qHeads, kHeads, vHeads, headDim, causal);
    const perm = groups === 1 ? [0, 2, 1, 3] : [0, 3, 1, 2, 4];
    const [merged] = b.node("Transpose", [context], 1, { perm: { ints: perm } });
    b.node("Reshape", [merged, b.int64s([0, 0, heads * headDim])], [y]);
  },
};

/** softmax(q kᵀ / √D [+ causal mask]) v over [.., S, D] heads. */
function plainAttention(b: OnnxBuilder, q: string, qHeads: string, kHeads: string, vHeads: string, headDim: number, causal: boolean): string {
  const [rawScores] = b.node("MatMul", [qHeads, kHeads], 1);
  let [scores] = b.node("Div", [rawScores, b.float(Math.sqrt(headDim))], 1);
  if (causal) [scores] = b.node("Add", [scores, causalMask(b, q)], 1);
  const [probs] = b.node("Softmax", [scores], 1, { axis: { int: -1 } });
  return b.node("MatMul", [probs, vHeads], 1)[0];
}

/**
 * Dense attention with a block layout as a −∞ mask, without an S×S mask tensor: the queries are
 * padded to n = ⌈S/b⌉ whole blocks, so the scores [.., n·b, S] can be viewed as [.., n, b, S] and
 * the mask kept at query-block resolution, [heads…, n, 1, S] (one Gather from the block table),
 * broadcast over the b queries of each block by the Add. One pass over the scores, as a causal mask
 * costs; the padded query rows are cut off after P·v. (The earlier form spread the table to a token
 * mask of [heads, S, S] and copied it once more to cut it to S: three passes over S² per head.)
 */
function maskedAttention(
  b: OnnxBuilder,
  q: string,
  qHeads: string,
  kHeads: string,
  vHeads: string,
  headDim: number,
  causal: boolean,
  layout: SharedBlockLayout,
  headDims: readonly number[],
): string {
  const { blockSize } = layout;
  const [seq] = b.node("Shape", [q], 1, { start: { int: 1 }, end: { int: 2 } });
  const [n] = b.node("Div", [b.node("Add", [seq, b.int64s([blockSize - 1])], 1)[0], b.int64s([blockSize])], 1);
  const [padded] = b.node("Mul", [n, b.int64s([blockSize])], 1);
  const rank = 3 + headDims.length; // q heads: [B, heads…, S, D]
  const zeros = (count: number) => b.int64s(new Array<number>(count).fill(0));
  // Pad the query axis (rank − 2) at its end by n·b − S rows.
  const [extra] = b.node("Sub", [padded, seq], 1);
  const [pads] = b.node("Concat", [zeros(2 * rank - 2), extra, zeros(1)], 1, { axis: { int: 0 } });
  const [qPadded] = b.node("Pad", [qHeads, pads], 1);
  const [rawScores] = b.node("MatMul", [qPadded, kHeads], 1);
  const [scores] = b.node("Div", [rawScores, b.float(Math.sqrt(headDim))], 1);
  // [.., n·b, S] → [.., n, b, S]
  const [blockedShape] = b.node("Concat", [zeros(rank - 2), n, b.int64s([blockSize, -1])], 1, { axis: { int: 0 } });
  let [masked] = b.node("Reshape", [scores, blockedShape], 1);
  let mask = blockMask(b, seq, n, layout, headDims);
  if (causal) {
    // Later keys, at token resolution: [n·b, S] viewed as [n, b, S]. With one layout for all heads it
    // joins the block mask (one S² tensor, one pass over the scores); with per-head layouts that
    // would make a mask per head, so it is added on its own.
    const [square] = b.node("Concat", [padded, seq], 1, { axis: { int: 0 } });
    const [filled] = b.node("Expand", [b.float(-Infinity), square], 1);
    const [later] = b.node("Trilu", [filled, b.int64(1)], 1, { upper: { int: 1 } });
    const [laterBlocked] = b.node("Reshape", [later, b.node("Concat", [n, b.int64s([blockSize, -1])], 1, { axis: { int: 0 } })[0]], 1);
    if (layout.distinct.length === 1) [mask] = b.node("Add", [laterBlocked, mask], 1);
    else [masked] = b.node("Add", [masked, laterBlocked], 1);
  }
  [masked] = b.node("Add", [masked, mask], 1);
  const [probs] = b.node("Softmax", [masked], 1, { axis: { int: -1 } });
  const [flat] = b.node("Reshape", [probs, b.node("Shape", [scores], 1)[0]], 1);
  const [context] = b.node("MatMul", [flat, vHeads], 1);
  return b.node("Slice", [context, zeros(1), seq, b.int64s([-2])], 1)[0];
}

/**
 * The layout over (query block, key token): 0 where query block i may attend key token t (its block
 * t / b is listed for i), −∞ elsewhere; [1, n, 1, S] when all heads share one layout, else
 * [heads…, n, 1, S]. A sequence shorter than the context uses the top-left corner of the layout.
 */
function blockMask(b: OnnxBuilder, seq: string, n: string, layout: SharedBlockLayout, headDims: readonly number[]): string {
  const { blocks, blockSize } = layout;
  const layouts = layout.distinct.length;
  const table = new Float32Array(layouts * blocks * blocks).fill(-Infinity);
  layout.distinct.forEach((rows, l) => rows.forEach((row, i) => row.forEach((j) => (table[(l * blocks + i) * blocks + j] = 0))));
  const [rows] = b.node("Slice", [b.floats(table, [layouts, blocks, blocks]), b.int64s([0]), n, b.int64s([1])], 1);
  const [positions] = b.node("Range", [b.int64(0), b.node("Squeeze", [seq, b.int64s([0])], 1)[0], b.int64(1)], 1);
  const [keyBlocks] = b.node("Div", [positions, b.int64(blockSize)], 1);
  const [byToken] = b.node("Gather", [rows, keyBlocks], 1, { axis: { int: 2 } }); // [layouts, n, S]
  const [spread] = b.node("Unsqueeze", [byToken, b.int64s([2])], 1); // [layouts, n, 1, S]
  if (layouts === 1) return spread;
  const [perHead] = b.node("Gather", [spread, b.int64s(layout.headLayout)], 1, { axis: { int: 0 } }); // [heads, n, 1, S]
  if (headDims.length === 1) return perHead;
  const [shape] = b.node("Concat", [b.int64s(headDims), n, b.int64s([1]), seq], 1, { axis: { int: 0 } });
  return b.node("Reshape", [perHead, shape], 1)[0];
}

function reshape(b: OnnxBuilder, x: string, shape: readonly number[]): string {
  return b.node("Reshape", [x, b.int64s(shape)], 1)[0];
}

/** [S, S] with −∞ above the diagonal and 0 elsewhere, built from the run-time length of `like`. */
export function causalMask(b: OnnxBuilder, like: string): string {
  const [seq] = b.node("Shape", [like], 1, { start: { int: 1 }, end: { int: 2 } });
  const [square] = b.node("Concat", [seq, seq], 1, { axis: { int: 0 } });
  const [filled] = b.node("Expand", [b.float(-Infinity), square], 1);
  return b.node("Trilu", [filled, b.int64(1)], 1, { upper: { int: 1 } })[0];
}

/**
 * Rotary position embedding (Hugging Face LLaMA's rotate-half form) on packed heads [B, S, N*D],
 * with cos/sin tables [context, D] sliced to the run-time length.
 */
const rotary: OpDef = {
  name: "rotary",
  summary: "x * cos + rotate_half(x) * sin, per head",
  inputs: ["x", "cos", "sin"],
  attrs: ["heads", "headDim"],
  infer([x, cos, sin], attrs) {
    const heads = numberAttr(attrs, "heads");
    const headDim = numberAttr(attrs, "headDim");
    expectRank("rotary", "x", x, 3);
    if (x.shape[2] !== heads * headDim) fail("rotary", `x's last dim must be heads*headDim = ${heads * headDim}`);
    if (headDim % 2 !== 0) fail("rotary", `headDim must be even, got ${headDim}`);
    for (const [what, t] of [["cos", cos], ["sin", sin]] as const) {
      expectRank("rotary", what, t, 2);
      if (t.shape[1] !== headDim) fail("rotary", `${what} must be [context, ${headDim}]`);
    }
    return [x];
  },
  flops: ([x]: readonly TensorType[]) => 3 * product(x.shape),
  lower(b, [x, cos, sin], [y], attrs) {
    const heads = numberAttr(attrs, "heads");
    const headDim = numberAttr(attrs, "headDim");
    const x4 = reshape(b, x, [0, 0, heads, headDim]);
    const [seq] = b.node("Shape", [x], 1, { start: { int: 1 }, end: { int: 2 } });
    const table = (t: string) => {
      const [rows] = b.node("Slice", [t, b.int64s([0]), seq, b.int64s([0])], 1);
      return b.node("Unsqueeze", [rows, b.int64s([1])], 1)[0]; // [S, 1, D] broadcasts over heads
    };
    const [first, second] = b.node("Split", [x4, b.int64s([headDim / 2, headDim / 2])], 2, { axis: { int: -1 } });
    const [negated] = b.node("Neg", [second], 1);
    const [rotated] = b.node("Concat", [negated, first], 1, { axis: { int: -1 } });
    const [withCos] = b.node("Mul", [x4, table(cos)], 1);
    const [withSin] = b.node("Mul", [rotated, table(sin)], 1);
    const [sum] = b.node("Add", [withCos, withSin], 1);
    b.node("Reshape", [sum, b.int64s([0, 0, heads * headDim])], [y]);
  },
};

export const attentionOps: OpDef[] = [attention, rotary];

/** The dense op's shape rule, shared by `block_sparse_attention`. */
export const attentionOp: OpDef = attention;
