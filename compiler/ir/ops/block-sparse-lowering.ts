import type { OnnxBuilder } from "../onnx-builder.js";
import type { HeadClass, RowBucket, SparseSchedule } from "./block-sparse-schedule.js";

/** The query feature that scores masked keys: −1e30·1 dwarfs any q·k, exp(−1e30/√D − max) is exactly 0, and nothing overflows. */
const MASKED = -1e30;
/** Slice's "to the end" (ONNX clamps ends to the dimension). */
const TO_END = Number.MAX_SAFE_INTEGER;

/**
 * The ONNX subgraph of one node, written with standard ops only (CPU and CUDA providers alike).
 *
 * Masking without a mask pass: every query gets one extra feature, −1e30, and every key one extra
 * feature, 0 for real keys and 1 for masked ones, so the product itself scores a masked key at about
 * −1e30 and a real key exactly as before (the extra term adds −0). Masked keys are all ones: the tokens
 * that pad the sequence to whole blocks, and a *sink* block after the last real block, which padding
 * slots and key blocks past the run-time length read. A masked key's probability is exactly 0; values
 * have a sink block too (zeros), so one index gathers a slot's keys and values. Only the diagonal slot's
 * in-block causal triangle is added to the scores.
 *
 * The gather path gathers from head-major blocks by index; given a `chunkBytes` budget it runs chunk by
 * chunk (a few heads × a few rows), so each chunk's keys, values and scores stay in cache between nodes.
 *
 * Any run-time length S ≤ context runs: n = ⌈S / b⌉ blocks, q, k, v padded to n·b tokens, index tables
 * cut to the rows below n, and the result cut back to S tokens.
 */
export class BlockSparseLowering {
  private readonly s: SparseSchedule;
  /** Run-time block count ⌈S / b⌉, as a [1] int64 tensor. */
  private n = "";
  private keysAndSinkName = "";
  private readonly padsVectors = new Map<string, string>();
  private readonly sharedCuts = new Map<string, string>();
  /** Run-time sequence length S, as a [1] int64 tensor. */
  private seq = "";
  /** Padding tokens, 0..b−1, as a [1] int64 tensor. */
  private short = "";
  /** q, k, v as [B, S, heads, D] (views). */
  private q4 = "";
  private k4 = "";
  private v4 = "";

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
    [this.n] = b.node("Div", [b.node("Add", [seq, b.int64s([bs - 1])], 1)[0], b.int64s([bs])], 1);
    const [short] = b.node("Sub", [b.node("Mul", [this.n, b.int64s([bs])], 1)[0], seq], 1); // padding tokens, 0..b−1
    this.short = short;
    this.q4 = this.reshape(q, [0, 0, H, D]);
    this.k4 = this.reshape(k, [0, 0, KV, D]);
    this.v4 = this.reshape(v, [0, 0, KV, D]);

    this.seq = seq;
    // Each class's heads, [B, S, D] apiece, or all together as [B, S, heads·D].
    const parts = s.classes.map((c) => this.headClass(c));
    if (parts.every((p) => p.perHead)) {
      // Every head on its own: one Concat in head order lays them side by side, token-major.
      const byHead = new Array<string>(H);
      parts.forEach((p, k) => s.classes[k].heads.forEach((h, i) => (byHead[h] = p.perHead![i])));
      b.node("Concat", byHead, [y], { axis: { int: -1 } });
      return;
    }
    const whole = parts.map((p) => p.whole ?? b.node("Concat", p.perHead!, 1, { axis: { int: -1 } })[0]);
    const identity = s.headOrder.every((h, i) => h === i);
    if (identity) {
      b.node("Concat", whole, [y], { axis: { int: -1 } });
      return;
    }
    const [merged] = whole.length === 1 ? whole : b.node("Concat", whole, 1, { axis: { int: -1 } });
    const inverse = new Array<number>(H);
    s.headOrder.forEach((h, i) => (inverse[h] = i));
    const [restored] = b.node("Gather", [this.reshape(merged, [0, 0, H, D]), b.int64s(inverse)], 1, { axis: { int: 2 } });
    b.node("Reshape", [restored, b.int64s([0, 0, H * D])], [y]);
  }

  /** One class's heads as [B, n·b, heads·D]. */
  private headClass(c: HeadClass): ClassOutput {
    const { s } = this;
    const { blockSize: bs, headDim: D } = s;
    const G = c.groupSize;
    if (c.path === "gather" && G === 1 && c.stacksPerChunk === 1) return { perHead: this.gatherPerHead(c) };
    let context = c.path === "window" ? this.windowClass(c) : this.gatherClass(c); // [B, stacks, n, G·b, D], rows in bucket order
    if (!rowsInOrder(c.buckets)) context = this.restoreRows(c, context);
    const merged =
      G === 1
        ? this.transpose(context, [0, 2, 3, 1, 4]) // [B, n, b, hc, D]
        : this.transpose(this.reshape(context, [0, 0, 0, G, bs, D]), [0, 2, 4, 1, 3, 5]); // [B, n, b, stacks, G, D]
    return { whole: this.toSeq(this.reshape(merged, [0, -1, c.heads.length * D])) };
  }

  /** [B, n·b, …] cut to the run-time S tokens. */
  private toSeq(x: string): string {
    return this.b.node("Slice", [x, this.b.int64s([0]), this.seq, this.b.int64s([1])], 1)[0];
  }

  /**
   * The gather path, chunk by chunk: each chunk (a few stacks × a bucket's row chunk) gathers its
   * queries, keys and values straight from the head-major blocks by index (head · n + block),
   * so no per-class copy is made and a chunk's tensors are still in cache when the next node reads them.
   * Index tables are made once per bucket, cut to the rows present at run time, and sliced per chunk
   * (Slice clamps, so a chunk past the run-time rows is empty).
   */
  private gatherClass(c: HeadClass): string {
    const { b } = this;
    const stacks = c.kvHeads.length;
    const stackContexts = this.gatherChunks(c);
    const concat = (parts: readonly string[], axis: number) => (parts.length === 1 ? parts[0] : b.node("Concat", parts, 1, { axis: { int: axis } })[0]);
    // One stack per chunk: every stack holds the same rows, so one Concat of all chunks along the rows, stack
    // after stack, is the stacks' contexts end to end; a reshape splits them (one copy instead of two).
    if (c.stacksPerChunk === 1 && stacks > 1) return this.reshape(concat(stackContexts.flat(), 2), [0, stacks, -1, c.groupSize * this.s.blockSize, this.s.headDim]);
    return concat(
      stackContexts.map((parts) => concat(parts, 2)),
      1,
    );
  }

  /**
   * A class of single heads chunked head by head: each head's rows put together and cut to S tokens as
   * [B, S, D], so the final Concat along the features is also the move back to token-major (no Transpose).
   */
  private gatherPerHead(c: HeadClass): string[] {
    const { b, s } = this;
    return this.gatherChunks(c).map((rows) => {
      let context = rows.length === 1 ? rows[0] : b.node("Concat", rows, 1, { axis: { int: 2 } })[0]; // [B, 1, n, b, D]
      if (!rowsInOrder(c.buckets)) context = this.restoreRows(c, context);
      return this.toSeq(this.reshape(context, [0, -1, s.headDim]));
    });
  }

  /** Every chunk's context [B, stacks, rows, G·b, D]: per stack chunk, its row chunks in bucket order. */
  private gatherChunks(c: HeadClass): string[][] {
    const stacks = c.kvHeads.length;
    const indexes = c.buckets.map((bucket) => this.bucketIndex(c, bucket));
    const stackContexts: string[][] = []; // per stack chunk, its row chunks in bucket order
    for (let s0 = 0; s0 < stacks; s0 += c.stacksPerChunk) {
      const s1 = Math.min(stacks, s0 + c.stacksPerChunk);
      const local = this.stackBlocks(c.heads.slice(s0 * c.groupSize, s1 * c.groupSize), c.kvHeads.slice(s0, s1));
      const rowContexts: string[] = [];
      c.buckets.forEach((bucket, k) => {
        for (let r0 = 0; r0 < bucket.rows.length; r0 += bucket.rowsPerChunk) {
          rowContexts.push(this.gatherChunk(c, bucket, indexes[k], local, [s0, s1], [r0, Math.min(bucket.rows.length, r0 + bucket.rowsPerChunk)]));
        }
      });
      stackContexts.push(rowContexts);
    }
    return stackContexts;
  }

  /** A bucket's gather indices for all its stacks, over the rows present at run time. */
  private bucketIndex(c: HeadClass, bucket: RowBucket): BucketIndex {
    const { b, s } = this;
    const G = c.groupSize;
    const stacks = c.kvHeads.length;
    const rows = bucket.rows.length;
    // Rows present at run time: the bucket's rows below n (a prefix, since rows ascend).
    const count = rows === s.blocks ? this.n : this.countBelow([bucket.rows]);
    const presentRows = this.prefix(b.int64s(bucket.rows), count, 0);
    // Queries: head · n + row, [stacks, r, G] (stack-major heads: stack t's query heads are heads[t·G .. t·G + G)).
    // Chunks gather from their own stacks' tensors (stackBlocks), so heads are numbered within the chunk.
    const localStack = range(stacks).map((t) => t % c.stacksPerChunk);
    const localHeads = localStack.flatMap((t) => range(G).map((g) => t * G + g));
    const [query] =
      G === 1
        ? b.node("Add", [b.node("Mul", [this.table(localHeads, [stacks, 1]), this.n], 1)[0], this.reshape(presentRows, [1, -1])], 1)
        : b.node("Add", [b.node("Mul", [this.table(localHeads, [stacks, 1, G]), this.n], 1)[0], this.reshape(presentRows, [1, -1, 1])], 1);
    if (bucket.allKeys) return { query, keyValue: "", diagonal: undefined };
    const keys = this.prefix(this.table(bucket.keys.flat(2), c.perHead ? [stacks, rows, bucket.width] : [rows, bucket.width]), count, c.perHead ? 1 : 0);
    // Padding and blocks past the run-time length read the sink (block n): masked keys, zero values.
    const [block] = b.node("Where", [b.node("Less", [keys, this.n], 1)[0], keys, this.n], 1);
    const [perHead] = b.node("Add", [this.n, b.int64s([1])], 1);
    const [keyValue] = b.node("Add", [b.node("Mul", [this.table(localStack, [stacks, 1, 1]), perHead], 1)[0], block], 1); // [stacks, r, w]
    const diagonal =
      c.diagonalSlot >= 0 && bucket.diagonal.some((t) => t.some(Boolean)) && !bucket.diagonal.every((t) => t.every(Boolean))
        ? this.prefix(this.table(bucket.diagonal.flat().map(Number), c.perHead ? [stacks, rows] : [rows]), count, c.perHead ? 1 : 0)
        : undefined;
    return { query, keyValue, diagonal };
  }

  /** Stacks [s0, s1) of class c over rows [r0, r1) of a bucket: [B, s1−s0, rows present, G·b, D]. */
  private gatherChunk(c: HeadClass, bucket: RowBucket, index: BucketIndex, local: StackBlocks, [s0, s1]: number[], [r0, r1]: number[]): string {
    const { b, s } = this;
    const { blockSize: bs, headDim: D } = s;
    const G = c.groupSize;
    const w = bucket.width;
    const stacks = s1 - s0;
    const whole = stacks === c.kvHeads.length && r1 - r0 === bucket.rows.length;
    const cut = (x: string) => (whole ? x : b.node("Slice", [x, b.int64s([s0, r0]), b.int64s([s1, r1]), b.int64s([0, 1])], 1)[0]);
    // Tables numbered within the chunk repeat every stack chunk: their cuts are shared (fewer nodes).
    const cutShared = (x: string) => {
      const key = `${x}|${stacks}|${r0}|${r1}`;
      let cutName = this.sharedCuts.get(key);
      if (cutName === undefined) {
        cutName = whole ? x : b.node("Slice", [x, b.int64s([0, r0]), b.int64s([stacks, r1]), b.int64s([0, 1])], 1)[0];
        this.sharedCuts.set(key, cutName);
      }
      return cutName;
    };
    const cutRows = (x: string) => (whole ? x : b.node("Slice", [x, b.int64s([r0]), b.int64s([r1]), b.int64s([c.perHead ? 1 : 0])], 1)[0]);
    const perHeadCut = (x: string) => (c.perHead ? cut(x) : cutRows(x));
    const tables = c.perHead ? [s0, s1] : [0, 1];
    const part: HeadClass = { ...c, heads: c.heads.slice(s0 * G, s1 * G), kvHeads: c.kvHeads.slice(s0, s1) };
    const chunk: RowBucket = {
      ...bucket,
      rows: bucket.rows.slice(r0, r1),
      keys: bucket.keys.slice(...tables).map((t) => t.slice(r0, r1)),
      diagonal: bucket.diagonal.slice(...tables).map((t) => t.slice(r0, r1)),
    };
    const [q] = b.node("Gather", [local.qFlat, cutShared(index.query)], 1, { axis: { int: 1 } }); // [B, stacks, r, (G,) b, D+1]
    if (bucket.allKeys) {
      // Every row reads blocks 0..n−1 in order, and the sink after them is masked: the head-major keys as they
      // are, and the rows' queries as one matrix (no broadcasting over rows, which may be none at run time).
      const rowsAsOne = this.reshape(q, [0, stacks, 1, -1, D + 1]);
      const context = this.attend(part, chunk, rowsAsOne, this.reshape(local.kFlat, [0, stacks, 1, -1, D + 1]), this.reshape(local.vFlat, [0, stacks, 1, -1, D]), () => "");
      return this.reshape(context, [0, stacks, -1, G * bs, D]);
    }
    const queries = G === 1 ? q : this.reshape(q, [0, stacks, -1, G * bs, D + 1]);
    const gather = (flat: string, idx: string, f: number) => this.reshape(b.node("Gather", [flat, idx], 1, { axis: { int: 1 } })[0], [0, stacks, -1, w * bs, f]);
    const keyValue = c.perHead ? cut(index.keyValue) : cutShared(index.keyValue);
    const kSlots = gather(local.kFlat, keyValue, D + 1);
    const vSlots = gather(local.vFlat, keyValue, D);
    return this.attend(part, chunk, queries, kSlots, vSlots, () => perHeadCut(index.diagonal!));
  }

  /** The shifted-slice path: the class's queries as [B, stacks, n, G·b, D+1], keys and values shifted into place. */
  private windowClass(c: HeadClass): string {
    const { b, s } = this;
    const { blockSize: bs, headDim: D } = s;
    const G = c.groupSize;
    const stacks = c.kvHeads.length;
    const qHeads = this.reshape(this.padQueries(this.selectHeads(this.q4, c.heads, s.heads)), [0, -1, bs, c.heads.length, D + 1]); // [B, n, b, hc, D+1]
    const queries =
      G === 1
        ? this.transpose(qHeads, [0, 3, 1, 2, 4]) // [B, hc, n, b, D+1]
        : this.reshape(this.transpose(this.reshape(qHeads, [0, 0, 0, stacks, G, D + 1]), [0, 3, 1, 4, 2, 5]), [0, 0, 0, G * bs, D + 1]);
    const [bucket] = c.buckets;
    const kBlocks = this.transpose(this.reshape(this.padKeys(this.selectHeads(this.k4, c.kvHeads, s.kvHeads)), [0, -1, bs, stacks, D + 1]), [0, 3, 1, 2, 4]);
    const vBlocks = this.transpose(this.reshape(this.padValues(this.selectHeads(this.v4, c.kvHeads, s.kvHeads)), [0, -1, bs, stacks, D]), [0, 3, 1, 2, 4]);
    const kSlots = this.shifted(this.prefix(kBlocks, this.n, 2), c.offsets, 1, D + 1, stacks);
    const vSlots = this.shifted(this.prefix(vBlocks, this.n, 2), c.offsets, 0, D, stacks);
    const flags = () => this.prefix(this.table(bucket.diagonal.flat().map(Number), [bucket.rows.length]), this.n, 0);
    return this.attend(c, bucket, queries, kSlots, vSlots, flags);
  }

  /** Scores, softmax and P·V of one chunk: [B, stacks, r, G·b, D]. */
  private attend(c: HeadClass, bucket: RowBucket, queries: string, kSlots: string, vSlots: string, diagonalFlags: () => string): string {
    const { b, s } = this;
    // [B, stacks, r, G·b, D+1] × [B, stacks, r, D+1, w·b]; ONNX Runtime fuses the transpose and the scale into one product.
    const [product] = b.node("MatMul", [queries, this.transpose(kSlots, [0, 1, 2, 4, 3])], 1);
    let [scores] = b.node("Div", [product, b.float(Math.sqrt(s.headDim))], 1);
    if (c.diagonalSlot >= 0 && bucket.diagonal.some((t) => t.some(Boolean))) scores = this.causalDiagonal(c, bucket, scores, diagonalFlags);
    const [probs] = b.node("Softmax", [scores], 1, { axis: { int: -1 } });
    return b.node("MatMul", [probs, vSlots], 1)[0];
  }

  /**
   * One stack chunk's queries, keys and values, head-major: queries [B, hc·n, b, D+1], keys [B, kc·(n+1), b, D+1]
   * (each kv head's blocks, then its sink), values [B, kc·(n+1), b, D]. Made per chunk from the inputs, so a
   * chunk of one head picks its head out of [B, S, heads, D] (one strided copy, no transpose) and pads it
   * while it is still in cache, instead of every head being padded and transposed up front.
   */
  private stackBlocks(heads: readonly number[], kvHeads: readonly number[]): StackBlocks {
    const { s } = this;
    const { blockSize: bs, headDim: D } = s;
    const headMajor = (x: string, count: number, features: number) =>
      count === 1 ? this.reshape(x, [0, -1, bs, features]) : this.reshape(this.transpose(this.reshape(x, [0, -1, bs, count, features]), [0, 3, 1, 2, 4]), [0, -1, bs, features]);
    return {
      qFlat: headMajor(this.padQueries(this.selectHeads(this.q4, heads, s.heads)), heads.length, D + 1),
      kFlat: headMajor(this.padKeys(this.selectHeads(this.k4, kvHeads, s.kvHeads)), kvHeads.length, D + 1),
      vFlat: headMajor(this.padValues(this.selectHeads(this.v4, kvHeads, s.kvHeads)), kvHeads.length, D),
    };
  }

  /** Heads `heads` of [B, S, total, D] (the tensor itself when that is all of them, in order). */
  private selectHeads(x: string, heads: readonly number[], total: number): string {
    if (heads.length === total && heads.every((h, i) => h === i)) return x;
    return this.b.node("Gather", [x, this.b.int64s(heads)], 1, { axis: { int: 2 } })[0];
  }

  /** Queries [B, S, h, D] → [B, n·b, h, D+1]: the masking feature −1e30; padding tokens (cut off at the end) too. */
  private padQueries(x: string): string {
    return this.pad(x, this.short, 1, MASKED);
  }

  /** Keys [B, S, h, D] → [B, (n+1)·b, h, D+1]: feature 0 for real keys; padding tokens and the sink block all ones (masked). */
  private padKeys(x: string): string {
    const { b } = this;
    const [withFeature] = b.node("Pad", [x, b.int64s([0, 0, 0, 0, 0, 0, 0, 1]), b.float(0)], 1);
    return this.pad(withFeature, this.keysAndSink(), 0, 1);
  }

  /** Values [B, S, h, D] → [B, (n+1)·b, h, D]: padding tokens and the sink block zero. */
  private padValues(x: string): string {
    return this.pad(x, this.keysAndSink(), 0, 0);
  }

  /** Padding tokens and the sink block: short + b, as a [1] tensor (made once). */
  private keysAndSink(): string {
    this.keysAndSinkName ||= this.b.node("Add", [this.short, this.b.int64s([this.s.blockSize])], 1)[0];
    return this.keysAndSinkName;
  }

  /** Pads [B, S, h, D] with `tokens` more tokens and `features` more features at the end (pads vectors made once each). */
  private pad(x: string, tokens: string, features: number, value: number): string {
    const { b } = this;
    const key = `${tokens}|${features}`;
    let pads = this.padsVectors.get(key);
    if (pads === undefined) {
      [pads] = b.node("Concat", [b.int64s([0, 0, 0, 0, 0]), tokens, b.int64s([0, features])], 1, { axis: { int: 0 } });
      this.padsVectors.set(key, pads);
    }
    return b.node("Pad", [x, pads, b.float(value)], 1)[0];
  }

  /** Adds −∞ where a key token follows the query token in the diagonal slot. */
  private causalDiagonal(c: HeadClass, bucket: RowBucket, scores: string, diagonalFlags: () => string): string {
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
    const [perRow] = b.node("Gather", [b.floats(tables, [2, bs, w * bs]), diagonalFlags()], 1, { axis: { int: 0 } }); // [(hc,) r, b, w·b]
    if (G === 1) return b.node("Add", [scores, perRow], 1)[0];
    const [sum] = b.node("Add", [this.reshape(scores, [0, 0, 0, G, bs, w * bs]), b.node("Unsqueeze", [perRow, b.int64s([1])], 1)[0]], 1);
    return this.reshape(sum, [0, 0, 0, G * bs, w * bs]);
  }

  /**
   * Key blocks of every row as shifted copies, [B, stacks, n, b, f] → [B, stacks, n, |offsets|·b, f],
   * framed by blocks of `fill` where rows reach past either end (masked keys: 1; values: 0).
   */
  private shifted(x: string, offsets: readonly number[], fill: number, features: number, stacks: number): string {
    const { b, s } = this;
    const bs = s.blockSize;
    if (offsets.length === 1 && offsets[0] === 0) return x;
    const before = Math.max(0, -offsets[0]);
    const after = Math.max(0, offsets[offsets.length - 1]);
    const frame = (count: number) => {
      const [batch] = b.node("Shape", [x], 1, { start: { int: 0 }, end: { int: 1 } });
      const [shape] = b.node("Concat", [batch, b.int64s([stacks, count, bs, features])], 1, { axis: { int: 0 } });
      return b.node("Expand", [b.float(fill), shape], 1)[0];
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

/** A class's result: its heads one by one ([B, S, D] each, in class order) or together ([B, S, heads·D]). */
interface ClassOutput {
  readonly perHead?: readonly string[];
  readonly whole?: string;
}

/** One stack chunk's head-major queries, keys and values (BlockSparseLowering.stackBlocks). */
interface StackBlocks {
  readonly qFlat: string;
  readonly kFlat: string;
  readonly vFlat: string;
}

/** A bucket's gather indices, cut to the rows present at run time. */
interface BucketIndex {
  /** Query blocks, [stacks, r] (or [stacks, r, G] when G query heads share a kv head). */
  readonly query: string;
  /** Key and value blocks, [stacks, r, w] (values are laid out like keys). */
  readonly keyValue: string;
  /** Whether each row's diagonal block is listed ([(stacks,) r]), where only some rows have it. */
  readonly diagonal: string | undefined;
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

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}
