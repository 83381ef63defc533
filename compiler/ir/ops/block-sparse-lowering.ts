import type { OnnxBuilder } from "../onnx-builder.js";
import type { HeadClass, RowBucket, SparseSchedule } from "./block-sparse-schedule.js";

/** The sink block's score: exp(SINK − max) is exactly 0 in float32, and SINK·(1/√D) stays finite. */
const SINK = -1e30;
/** Slice's "to the end" (ONNX clamps ends to the dimension). */
const TO_END = Number.MAX_SAFE_INTEGER;

/**
 * The ONNX subgraph of one node, written with standard ops only (CPU and CUDA providers alike).
 *
 * Masking without a mask pass: slots that must not count (padding, key blocks at or past the run-time
 * block count n) read a *sink* block appended after the real ones, at index n. Keys carry one extra
 * feature — 0 for real keys, −1e30 for the sink — and queries a matching 1, so the product itself
 * scores the sink at −1e30 (and every real key exactly as before: the extra term adds 0). Its
 * probability is exactly 0, so value slots may read any real block. Only the in-block causal
 * triangle of the diagonal slot is added to the scores.
 */
export class BlockSparseLowering {
  private readonly s: SparseSchedule;
  /** Run-time block count S / b, as a [1] int64 tensor. */
  private n = "";
  private q5 = "";
  private kBlocks = "";
  private vBlocks = "";
  private sinkTensors?: { readonly q5: string; readonly k: string; readonly kReal: string };

  constructor(
    private readonly b: OnnxBuilder,
    schedule: SparseSchedule,
  ) {
    this.s = schedule;
  }

  lower(q: string, k: string, v: string, y: string): void {
    const { b, s } = this;
    const { blockSize: bs, headDim: D, heads: H, kvHeads: KV } = s;
    const [seq] = b.node("Shape", [q], 1, { start: { int: 1 }, end: { int: 2 } });
    [this.n] = b.node("Div", [seq, b.int64s([bs])], 1);
    this.q5 = this.reshape(q, [0, -1, bs, H, D]); // [B, n, b, H, D]
    this.kBlocks = this.transpose(this.reshape(k, [0, -1, bs, KV, D]), [0, 3, 1, 2, 4]); // [B, KV, n, b, D]
    this.vBlocks = this.transpose(this.reshape(v, [0, -1, bs, KV, D]), [0, 3, 1, 2, 4]);

    const identity = s.headOrder.every((h, i) => h === i);
    const single = s.classes.length === 1 && identity;
    const parts = s.classes.map((c) => this.headClass(c, single ? y : undefined));
    if (single) return;
    if (identity) {
      b.node("Concat", parts, [y], { axis: { int: -1 } });
      return;
    }
    const [merged] = b.node("Concat", parts, 1, { axis: { int: -1 } });
    const inverse = new Array<number>(H);
    s.headOrder.forEach((h, i) => (inverse[h] = i));
    const [restored] = b.node("Gather", [this.reshape(merged, [0, 0, H, D]), b.int64s(inverse)], 1, { axis: { int: 2 } });
    b.node("Reshape", [restored, b.int64s([0, 0, H * D])], [y]);
  }

  /**
   * q with a 1 appended to every head's features [B, n, b, H, D+1]; keys with a 0 appended (`kReal`,
   * [B, KV, n, b, D+1]) and the sink block after the real ones (`k`, [B, KV, n+1, b, D+1]). Values need
   * no sink: a sink slot's probability is exactly 0, so any real block's values may fill it.
   */
  private sink(): { readonly q5: string; readonly k: string; readonly kReal: string } {
    if (this.sinkTensors) return this.sinkTensors;
    const { b, s } = this;
    const { blockSize: bs, headDim: D, kvHeads: KV } = s;
    const extra = (x: string, value: number) => b.node("Pad", [x, b.int64s([0, 0, 0, 0, 0, 0, 0, 0, 0, 1]), b.float(value)], 1)[0];
    const kReal = extra(this.kBlocks, 0);
    const [shape] = b.node("Concat", [b.node("Shape", [kReal], 1, { start: { int: 0 }, end: { int: 1 } })[0], b.int64s([KV, 1, bs, D + 1])], 1, { axis: { int: 0 } });
    const [sinkBlock] = b.node("Expand", [b.floats(sinkKeys(KV, bs, D), [1, KV, 1, bs, D + 1]), shape], 1);
    this.sinkTensors = { q5: extra(this.q5, 1), kReal, k: b.node("Concat", [kReal, sinkBlock], 1, { axis: { int: 2 } })[0] };
    return this.sinkTensors;
  }

  /** One class's heads as [B, S, heads·D]. */
  private headClass(c: HeadClass, out: string | undefined): string {
    const { b, s } = this;
    const { blockSize: bs, headDim: D } = s;
    const G = c.groupSize;
    const stacks = c.kvHeads.length;
    const sunk = needsSink(c, s.blocks);
    const features = sunk ? D + 1 : D;
    const q5 = sunk ? this.sink().q5 : this.q5;
    const qHeads = c.heads.length === s.heads ? q5 : b.node("Gather", [q5, b.int64s(c.heads)], 1, { axis: { int: 3 } })[0]; // [B, n, b, hc, D']
    const qClass =
      G === 1
        ? this.transpose(qHeads, [0, 3, 1, 2, 4]) // [B, hc, n, b, D']
        : this.reshape(this.transpose(this.reshape(qHeads, [0, 0, 0, stacks, G, features]), [0, 3, 1, 4, 2, 5]), [0, 0, 0, G * bs, features]);
    const kvIdentity = c.kvHeads.length === s.kvHeads && c.kvHeads.every((h, i) => h === i);
    const select = (x: string) => (kvIdentity || c.perHead ? x : b.node("Gather", [x, b.int64s(c.kvHeads)], 1, { axis: { int: 1 } })[0]);
    const kSource = !sunk ? this.kBlocks : c.path === "window" ? this.sink().kReal : this.sink().k;
    const sources = { k: select(kSource), v: select(this.vBlocks) };

    const contexts = c.buckets.map((bucket) => this.bucket(c, bucket, qClass, sources.k, sources.v, sunk)); // [B, stacks, r, G·b, D]
    let context = contexts.length === 1 ? contexts[0] : b.node("Concat", contexts, 1, { axis: { int: 2 } })[0];
    if (!rowsInOrder(c.buckets)) context = this.restoreRows(c, context);
    const merged =
      G === 1
        ? this.transpose(context, [0, 2, 3, 1, 4]) // [B, n, b, hc, D]
        : this.transpose(this.reshape(context, [0, 0, 0, G, bs, D]), [0, 2, 4, 1, 3, 5]); // [B, n, b, stacks, G, D]
    const shape = b.int64s([0, -1, c.heads.length * D]);
    return out ? b.node("Reshape", [merged, shape], [out])[0] : b.node("Reshape", [merged, shape], 1)[0];
  }

  /** One row bucket: the attention of its query blocks, [B, stacks, r, G·b, D]. */
  private bucket(c: HeadClass, bucket: RowBucket, qClass: string, kClass: string, vClass: string, sunk: boolean): string {
    const { b, s } = this;
    const { blockSize: bs, headDim: D, blocks } = s;
    const G = c.groupSize;
    const w = bucket.width;
    const features = sunk ? D + 1 : D;
    const allRows = bucket.rows.length === blocks;
    // Rows present at run time: the bucket's rows below n (a prefix, since rows ascend).
    const count = allRows ? this.n : this.countBelow([bucket.rows]);
    const queries = allRows ? qClass : b.node("Gather", [qClass, this.prefix(b.int64s(bucket.rows), count, 0)], 1, { axis: { int: 2 } })[0];

    let kSlots: string, vSlots: string;
    if (c.path === "window") {
      kSlots = this.shifted(kClass, c.offsets, sunk ? SINK : undefined, features, c.kvHeads.length);
      vSlots = this.shifted(vClass, c.offsets, sunk ? 0 : undefined, D, c.kvHeads.length);
    } else {
      const tables = c.perHead ? c.heads.length : 1;
      const rowAxis = c.perHead ? 1 : 0;
      const keyTable = this.table(bucket.keys.flat(2), c.perHead ? [tables, bucket.rows.length, w] : [bucket.rows.length, w]);
      const keys = this.prefix(keyTable, count, rowAxis); // key block per slot, `blocks` for padding
      // Padding and blocks past the run-time length read the sink (index n) for keys, any real block for values.
      let kIndex = keys;
      let vIndex = keys;
      if (sunk) {
        [kIndex] = b.node("Where", [b.node("Less", [keys, this.n], 1)[0], keys, this.n], 1);
        [vIndex] = b.node("Min", [keys, b.node("Sub", [this.n, b.int64s([1])], 1)[0]], 1);
      }
      let kSource = kClass;
      let vSource = vClass;
      if (c.perHead) {
        // Heads read different blocks: gather from [B, KV·m, b, f] at kvHead·m + block (m blocks per kv head).
        const kvTable = this.table(c.kvHeads, [tables, 1, 1]);
        const flat = (index: string, blocksPerHead: string) => b.node("Add", [b.node("Mul", [kvTable, blocksPerHead], 1)[0], index], 1)[0];
        kIndex = flat(kIndex, sunk ? b.node("Add", [this.n, b.int64s([1])], 1)[0] : this.n);
        vIndex = flat(vIndex, this.n);
        kSource = this.reshape(kClass, [0, -1, bs, features]);
        vSource = this.reshape(vClass, [0, -1, bs, D]);
      }
      const axis = c.perHead ? 1 : 2;
      const gather = (x: string, index: string, f: number) => this.reshape(b.node("Gather", [x, index], 1, { axis: { int: axis } })[0], [0, 0, 0, w * bs, f]);
      kSlots = gather(kSource, kIndex, features);
      vSlots = gather(vSource, vIndex, D);
    }
    // [B, stacks, r, G·b, D'] × [B, stacks, r, D', w·b]; ONNX Runtime fuses the transpose and the scale into one product.
    const [product] = b.node("MatMul", [queries, this.transpose(kSlots, [0, 1, 2, 4, 3])], 1);
    let [scores] = b.node("Div", [product, b.float(Math.sqrt(D))], 1);
    if (c.diagonalSlot >= 0 && bucket.diagonal.some((t) => t.some(Boolean))) scores = this.causalDiagonal(c, bucket, scores, count);
    const [probs] = b.node("Softmax", [scores], 1, { axis: { int: -1 } });
    return b.node("MatMul", [probs, vSlots], 1)[0];
  }

  /** Adds −∞ where a key token follows the query token in the diagonal slot. */
  private causalDiagonal(c: HeadClass, bucket: RowBucket, scores: string, count: string): string {
    const { b, s } = this;
    const bs = s.blockSize;
    const w = bucket.width;
    const G = c.groupSize;
    const triangle = triangleTable(bs, w, c.diagonalSlot);
    if (bucket.diagonal.every((t) => t.every(Boolean))) {
      const stacked = new Float32Array(G * triangle.length);
      for (let g = 0; g < G; g++) stacked.set(triangle, g * triangle.length);
      return b.node("Add", [scores, b.floats(stacked, [G * bs, w * bs])], 1)[0];
    }
    // Rows without their diagonal block (a causal layout may skip it) take the zero table.
    const tables = new Float32Array(2 * triangle.length);
    tables.set(triangle, triangle.length);
    const flagShape = c.perHead ? [c.heads.length, bucket.rows.length] : [bucket.rows.length];
    const flags = this.prefix(this.table(bucket.diagonal.flat().map(Number), flagShape), count, c.perHead ? 1 : 0);
    const [perRow] = b.node("Gather", [b.floats(tables, [2, bs, w * bs]), flags], 1, { axis: { int: 0 } }); // [(hc,) r, b, w·b]
    if (G === 1) return b.node("Add", [scores, perRow], 1)[0];
    const [sum] = b.node("Add", [this.reshape(scores, [0, 0, 0, G, bs, w * bs]), b.node("Unsqueeze", [perRow, b.int64s([1])], 1)[0]], 1);
    return this.reshape(sum, [0, 0, 0, G * bs, w * bs]);
  }

  /**
   * Key blocks of every row as shifted copies, [B, stacks, n, b, f] → [B, stacks, n, |offsets|·b, f]:
   * the blocks are framed by `fill` blocks (sink keys, or zero values) where rows reach past either end.
   */
  private shifted(x: string, offsets: readonly number[], fill: number | undefined, features: number, stacks: number): string {
    const { b, s } = this;
    const bs = s.blockSize;
    if (offsets.length === 1 && offsets[0] === 0) return x;
    const before = Math.max(0, -offsets[0]);
    const after = Math.max(0, offsets[offsets.length - 1]);
    const frame = (count: number) => {
      const values = new Float32Array(stacks * bs * features);
      if (fill !== 0) for (let i = features - 1; i < values.length; i += features) values[i] = fill ?? 0;
      const [batch] = b.node("Shape", [x], 1, { start: { int: 0 }, end: { int: 1 } });
      const [shape] = b.node("Concat", [batch, b.int64s([stacks, count, bs, features])], 1, { axis: { int: 0 } });
      return b.node("Expand", [b.floats(values, [1, stacks, 1, bs, features]), shape], 1)[0];
    };
    const pieces = [...(before > 0 ? [frame(before)] : []), x, ...(after > 0 ? [frame(after)] : [])];
    const [framed] = pieces.length > 1 ? b.node("Concat", pieces, 1, { axis: { int: 2 } }) : [x];
    const slices = offsets.map((o) => {
      const end = after - o > 0 ? -(after - o) : TO_END;
      return b.node("Slice", [framed, b.int64s([before + o]), b.int64s([end]), b.int64s([2])], 1)[0];
    });
    return b.node("Concat", slices, 1, { axis: { int: 3 } })[0];
  }

  /**
   * Concatenated buckets hold rows bucket by bucket; put them back in row order. At run time bucket k
   * holds count_k(n) rows, so row i sits at Σ_{k' < k} count_k'(n) + (its rank in its bucket).
   */
  private restoreRows(c: HeadClass, context: string): string {
    const { b, s } = this;
    const bucketOf = new Array<number>(s.blocks);
    const rank = new Array<number>(s.blocks);
    c.buckets.forEach((bucket, k) => bucket.rows.forEach((i, r) => ((bucketOf[i] = k), (rank[i] = r))));
    const counts = this.reshape(this.countBelow(c.buckets.map((bk) => bk.rows)), [-1]); // [buckets]
    const [starts] = b.node("CumSum", [counts, b.int64(0)], 1, { exclusive: { int: 1 } });
    const [first] = b.node("Gather", [starts, this.prefix(b.int64s(bucketOf), this.n, 0)], 1, { axis: { int: 0 } });
    const [position] = b.node("Add", [first, this.prefix(b.int64s(rank), this.n, 0)], 1);
    return b.node("Gather", [context, position], 1, { axis: { int: 2 } })[0];
  }

  /** For each row list, how many of its rows are below n: [lists] int64 (a [1] tensor for one list). */
  private countBelow(lists: readonly (readonly number[])[]): string {
    const { b, s } = this;
    const table = lists.flatMap((rows) => Array.from({ length: s.blocks + 1 }, (_, m) => rows.filter((i) => i < m).length));
    const [counts] = b.node("Gather", [this.table(table, [lists.length, s.blocks + 1]), this.n], 1, { axis: { int: 1 } });
    return lists.length === 1 ? this.reshape(counts, [1]) : counts;
  }

  /** The first `count` entries of `x` along `axis` (`count` a [1] tensor). */
  private prefix(x: string, count: string, axis: number): string {
    return this.b.node("Slice", [x, this.b.int64s([0]), count, this.b.int64s([axis])], 1)[0];
  }

  private table(values: readonly number[], dims: readonly number[]): string {
    const flat = this.b.int64s(values);
    return dims.length === 1 ? flat : this.reshape(flat, dims);
  }

  private reshape(x: string, shape: readonly number[]): string {
    return this.b.node("Reshape", [x, this.b.int64s(shape)], 1)[0];
  }

  private transpose(x: string, perm: readonly number[]): string {
    return this.b.node("Transpose", [x], 1, { perm: { ints: perm } })[0];
  }
}

/** [KV, b, D+1]: the sink block's keys, 0 but for the extra feature. */
function sinkKeys(kvHeads: number, blockSize: number, headDim: number): Float32Array {
  const keys = new Float32Array(kvHeads * blockSize * (headDim + 1));
  for (let i = headDim; i < keys.length; i += headDim + 1) keys[i] = SINK;
  return keys;
}

/** Whether some slot of the class can be empty: padding, a border of a window, or a key block a shorter sequence lacks. */
export function needsSink(c: HeadClass, blocks: number): boolean {
  if (c.path === "window") return !(c.offsets.length === 1 && c.offsets[0] === 0);
  return c.buckets.some((bucket) => bucket.keys.some((t) => t.some((row, r) => row.some((j) => j === blocks || j > bucket.rows[r]))));
}

/** True when the buckets are consecutive runs of rows, so concatenating them keeps row order at every length. */
function rowsInOrder(buckets: readonly RowBucket[]): boolean {
  let next = 0;
  for (const bucket of buckets) for (const i of bucket.rows) if (i !== next++) return false;
  return true;
}

/** [b, w·b]: −∞ where a key token follows the query token in the diagonal slot, 0 elsewhere. */
function triangleTable(blockSize: number, width: number, slot: number): Float32Array {
  const t = new Float32Array(blockSize * width * blockSize);
  for (let i = 0; i < blockSize; i++) for (let j = i + 1; j < blockSize; j++) t[(i * width + slot) * blockSize + j] = -Infinity;
  return t;
}
