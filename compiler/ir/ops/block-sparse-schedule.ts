import type { SharedBlockLayout } from "./block-layout.js";

/**
 * How `block_sparse_attention` computes a layout: which heads go together, which rows of query blocks
 * are computed together, and which key blocks fill each row's slots. Pure data, decided at compile
 * time from the layout alone; the ONNX lowering, the FLOP count and the plan's memory figures all
 * read it, so what is counted is what runs.
 *
 * Heads are split into classes. A class's heads share one key table (the usual case: identical
 * layouts), or each has its own (`perHead`: several layouts of the same shape merged, e.g. BigBird's
 * per-head random blocks). Within a class, query blocks are split into row buckets by how many key
 * blocks they read, so a few long rows (global tokens) do not pad every row to the full width.
 */
export interface SparseSchedule {
  readonly blockSize: number;
  readonly blocks: number;
  readonly heads: number;
  readonly kvHeads: number;
  readonly headDim: number;
  readonly causal: boolean;
  readonly classes: readonly HeadClass[];
  /** Heads in the order the classes' outputs are concatenated (identity when no reordering is needed). */
  readonly headOrder: readonly number[];
}

export type KeyPath = "window" | "gather";

export interface HeadClass {
  /** Query heads, ascending. */
  readonly heads: readonly number[];
  /**
   * Query heads stacked on each key/value head (grouped-query attention): the class's heads are
   * `kvHeads.length` stacks of `groupSize`. 1 when a kv head's group is split between classes, in
   * which case `kvHeads` repeats a kv head once per query head.
   */
  readonly groupSize: number;
  readonly kvHeads: readonly number[];
  /**
   * `window`: every row's keys are the row shifted by `offsets` (sliding, dilated or blocked windows),
   * built from shifted slices of the keys with no index table. `gather`: keys gathered by a table.
   */
  readonly path: KeyPath;
  readonly offsets: readonly number[];
  /** Gather tables per head (the heads' layouts differ) rather than one shared by the class. */
  readonly perHead: boolean;
  /** Partition the query blocks; each bucket's rows are ascending. */
  readonly buckets: readonly RowBucket[];
  /** Slot holding the diagonal block in causal layouts (its in-block causal mask), or -1. */
  readonly diagonalSlot: number;
  /**
   * Stacks (kv heads with their query heads) computed together: the class is lowered chunk by chunk
   * (stacks × a bucket's row chunk) so each chunk's gathered blocks and scores stay in cache.
   */
  readonly stacksPerChunk: number;
}

export interface RowBucket {
  /** Query blocks, ascending. */
  readonly rows: readonly number[];
  /** Key blocks read per row, padded: the slot count. */
  readonly width: number;
  /**
   * keys[t][r][s]: key block in slot s of row rows[r], for table t (one per head when `perHead`, else
   * one); `blocks` marks padding. A slot whose key block is at or past the run-time block count is
   * masked too, which is what makes shorter sequences exact.
   */
  readonly keys: readonly (readonly (readonly number[])[])[];
  /** diagonal[t][r]: the row's diagonal block sits in the class's `diagonalSlot`. */
  readonly diagonal: readonly (readonly boolean[])[];
  /** Rows computed together in one chunk (all of them unless the bucket outgrows `chunkBytes`). */
  readonly rowsPerChunk: number;
  /**
   * Every row reads every block in order (a global query block): the product reads the head-major
   * keys and values themselves, sink block included (masked), and nothing is gathered.
   */
  readonly allKeys: boolean;
}

export interface ScheduleOptions {
  /** Use the shifted-slice path for translation-invariant layouts (else they are gathered like any other). */
  readonly windowPath: boolean;
  /** At most this many row buckets per class. */
  readonly maxBuckets: number;
  /**
   * What one chunk of the gather path may hold (gathered keys and values, queries, scores and
   * probabilities, in bytes at batch 1): ONNX Runtime runs a chunk's nodes back to back, so a chunk that
   * fits in the caches is gathered, multiplied and normalized without going to memory in between.
   */
  readonly chunkBytes: number;
  /** At most this many chunks per class (see chunkClass). */
  readonly maxChunks: number;
  /** Rows that read every block read the head-major keys without a gather (RowBucket.allKeys). */
  readonly allKeysPath: boolean;
}

/**
 * The budget that measured best (docs/attention-lowering.md): chunks of one stack (kv head) pick their heads
 * out of q, k and v and pad them themselves (block-sparse-lowering.ts), so a chunk's inputs, gathered
 * blocks and scores stay in cache from the inputs to the result. At 4096 (`window 256 + global [0]`,
 * interleaved with dense) that ran 1.2–1.4× faster than whole classes and 5.9–7.6× faster than dense;
 * budgets of 2–32 MiB measured alike, 8 MiB (48 chunks a layer at 4096) a little ahead.
 */
export const RECOMMENDED_CHUNK_BYTES = 8 * 2 ** 20;

/**
 * No chunking by default: every class is lowered whole. ONNX Runtime's session set-up costs ~0.7 ms per
 * node (more with graph optimizations off), and 48 chunks make a layer ~800 nodes instead of ~100: the
 * 12-layer bert-base encoder at 4096 took 5.9–6.4 s to open (`window 256 + global [0]`) and 9.7–10.7 s
 * (BigBird) instead of ~0.8 s.
 */
export const DEFAULT_CHUNK_BYTES = Infinity;

export const DEFAULT_MAX_CHUNKS = 48;

/** A class whose chunks would have to grow past this multiple of the budget to fit `maxChunks` is not chunked. */
const MAX_CHUNK_GROWTH = 8;

export const DEFAULT_SCHEDULE_OPTIONS: ScheduleOptions = { windowPath: false, maxBuckets: 4, chunkBytes: DEFAULT_CHUNK_BYTES, maxChunks: DEFAULT_MAX_CHUNKS, allKeysPath: true };

/** A further row bucket must cut the padded work by this fraction to be worth its extra nodes. */
const BUCKET_GAIN = 0.1;
/** Heads with different layouts are merged into one per-head class unless that costs this much more work. */
const MERGE_SLACK = 1.1;

interface Shape {
  readonly heads: number;
  readonly kvHeads: number;
  readonly headDim: number;
}

export function scheduleBlockSparse(layout: SharedBlockLayout, shape: Shape, options: ScheduleOptions = DEFAULT_SCHEDULE_OPTIONS): SparseSchedule {
  const { blocks, causal } = layout;
  const headsOf = layout.distinct.map((_, d) => layout.headLayout.flatMap((id, h) => (id === d ? [h] : [])));
  const groupSize = shape.heads / shape.kvHeads;
  const classes: HeadClass[] = [];
  const gathered: number[] = [];
  layout.distinct.forEach((keys, d) => {
    if (headsOf[d].length === 0) return;
    const offsets = options.windowPath ? windowOffsets(keys, blocks) : undefined;
    if (offsets) classes.push(windowClass(headsOf[d], offsets, keys, layout, groupSize));
    else gathered.push(d);
  });
  if (gathered.length > 0) {
    const separate = gathered.map((d) => gatherClass([headsOf[d]], [layout.distinct[d]], layout, groupSize, options));
    const merged = gathered.length > 1 ? gatherClass(gathered.map((d) => headsOf[d]), gathered.map((d) => layout.distinct[d]), layout, groupSize, options) : undefined;
    const work = (cs: readonly HeadClass[]) => cs.reduce((sum, c) => sum + classPairs(c), 0);
    if (merged && work([merged]) <= MERGE_SLACK * work(separate)) classes.push(merged);
    else classes.push(...separate);
  }
  classes.sort((a, b) => a.heads[0] - b.heads[0]);
  const chunked = classes.map((c) => (c.path === "gather" ? chunkClass(c, layout.blockSize, shape.headDim, options.chunkBytes, options.maxChunks) : { ...c, stacksPerChunk: c.kvHeads.length }));
  return {
    blockSize: layout.blockSize,
    blocks,
    heads: shape.heads,
    kvHeads: shape.kvHeads,
    headDim: shape.headDim,
    causal,
    classes: chunked,
    headOrder: chunked.flatMap((c) => c.heads),
  };
}

/**
 * Splits a gather class into chunks of at most `budget` bytes: whole stacks while a stack's bucket
 * fits, then rows within a stack. A class never takes more than `maxChunks` chunks (the budget grows
 * until it does): every chunk is a dozen ONNX nodes, and ONNX Runtime's session set-up grows with them.
 * Where the budget would have to grow more than MAX_CHUNK_GROWTH-fold (long sequences), the class is
 * left whole.
 */
function chunkClass(c: HeadClass, blockSize: number, headDim: number, budget: number, maxChunks: number): HeadClass {
  const G = c.groupSize;
  const stacks = c.kvHeads.length;
  // Per (stack, row): gathered keys (D+1 features) and values, the G query blocks, scores and probabilities.
  const rowBytes = (w: number) => 4 * blockSize * (w * (2 * headDim + 1) + G * (headDim + 1) + 2 * G * w * blockSize);
  const stackBytes = c.buckets.map((b) => b.rows.length * rowBytes(b.width));
  for (let limit = budget; ; limit *= 1.25) {
    const stacksPerChunk = Math.max(1, Math.min(stacks, ...stackBytes.map((bytes) => Math.floor(limit / bytes))));
    const buckets = c.buckets.map((b, k) => {
      const chunks = Math.max(1, Math.ceil((stacksPerChunk * stackBytes[k]) / limit));
      return { ...b, rowsPerChunk: Math.ceil(b.rows.length / chunks) };
    });
    const count = Math.ceil(stacks / stacksPerChunk) * buckets.reduce((sum, b) => sum + Math.ceil(b.rows.length / b.rowsPerChunk), 0);
    // Chunks far past the budget no longer stay in cache, and only cost nodes (measured slower at 16384).
    if (limit > MAX_CHUNK_GROWTH * budget) return { ...c, stacksPerChunk: stacks, buckets: c.buckets.map((b) => ({ ...b, rowsPerChunk: b.rows.length })) };
    if (count <= maxChunks || stacksPerChunk === stacks) return { ...c, stacksPerChunk, buckets };
  }
}

/**
 * The offsets O when every row i attends exactly to {i + o : o ∈ O} within the sequence, and the
 * shifted-slice path computes no more than gathering would: undefined otherwise.
 */
export function windowOffsets(keys: readonly (readonly number[])[], blocks: number): number[] | undefined {
  const set = new Set<number>();
  keys.forEach((row, i) => row.forEach((j) => set.add(j - i)));
  const offsets = [...set].sort((a, b) => a - b);
  const widest = keys.reduce((m, row) => Math.max(m, row.length), 0);
  if (offsets.length > widest) return undefined;
  for (let i = 0; i < blocks; i++) {
    const expected = offsets.map((o) => i + o).filter((j) => j >= 0 && j < blocks);
    const row = keys[i];
    if (row.length !== expected.length || row.some((j, k) => j !== expected[k])) return undefined;
  }
  return offsets;
}

function windowClass(heads: readonly number[], offsets: readonly number[], keys: readonly (readonly number[])[], layout: SharedBlockLayout, group: number): HeadClass {
  const { blocks, causal } = layout;
  const rows = range(blocks);
  const diagonalSlot = causal ? offsets.indexOf(0) : -1;
  return {
    heads,
    ...stacking(heads, group, true),
    path: "window",
    offsets,
    perHead: false,
    diagonalSlot,
    buckets: [
      {
        rows,
        width: offsets.length,
        keys: [rows.map((i) => offsets.map((o) => (i + o >= 0 && i + o < blocks ? i + o : blocks)))],
        diagonal: [rows.map((i) => diagonalSlot >= 0 && keys[i].includes(i))],
        rowsPerChunk: blocks,
        allKeys: false,
      },
    ],
    stacksPerChunk: Infinity, // chunked by scheduleBlockSparse
  };
}

/** One gather class over several head sets, each with its own key lists (per-head tables when more than one). */
function gatherClass(
  headSets: readonly (readonly number[])[],
  layouts: readonly (readonly (readonly number[])[])[],
  layout: SharedBlockLayout,
  group: number,
  options: ScheduleOptions,
): HeadClass {
  const { blocks, causal } = layout;
  const perHead = headSets.length > 1;
  const heads = headSets.flat().sort((a, b) => a - b);
  const keysOfHead = new Map<number, readonly (readonly number[])[]>();
  headSets.forEach((set, k) => set.forEach((h) => keysOfHead.set(h, layouts[k])));
  const tables = perHead ? heads.map((h) => keysOfHead.get(h)!) : [layouts[0]];
  const lengths = range(blocks).map((i) => tables.reduce((m, keys) => Math.max(m, keys[i].length), 0));
  const buckets = bucketRows(lengths, options.maxBuckets).map((rows): RowBucket => {
    const width = rows.reduce((m, i) => Math.max(m, lengths[i]), 0);
    // The diagonal block goes first, so the in-block causal mask has one place in every row.
    const ordered = (row: readonly number[], i: number) => (causal && row.includes(i) ? [i, ...row.filter((j) => j !== i)] : [...row]);
    const keys = tables.map((t) => rows.map((i) => pad(ordered(t[i], i), width, blocks)));
    return {
      rows,
      width,
      keys,
      diagonal: tables.map((t) => rows.map((i) => causal && t[i].includes(i))),
      rowsPerChunk: rows.length,
      allKeys: options.allKeysPath && !causal && keys.every((t) => t.every((row) => row.every((j, s) => j === s) && row.length === blocks)),
    };
  });
  return {
    heads,
    ...stacking(heads, group, !perHead),
    path: "gather",
    offsets: [],
    perHead,
    buckets,
    diagonalSlot: causal ? 0 : -1,
    stacksPerChunk: Infinity, // chunked by scheduleBlockSparse
  };
}

/** Stacks whole kv groups when the class holds every query head of each kv head it reads. */
function stacking(heads: readonly number[], group: number, shared: boolean): { groupSize: number; kvHeads: number[] } {
  const kvs = [...new Set(heads.map((h) => Math.floor(h / group)))];
  const whole = kvs.every((kv) => range(group).every((g) => heads.includes(kv * group + g)));
  if (shared && whole) return { groupSize: group, kvHeads: kvs };
  return { groupSize: 1, kvHeads: heads.map((h) => Math.floor(h / group)) };
}

/**
 * Splits rows into at most `maxBuckets` groups of similar length, minimizing the padded work
 * Σ rows·width (optimal for contiguous runs of the rows sorted by length). A further bucket is taken
 * only when it cuts the work by BUCKET_GAIN.
 */
export function bucketRows(lengths: readonly number[], maxBuckets: number): number[][] {
  const n = lengths.length;
  const order = range(n).sort((a, b) => lengths[a] - lengths[b] || a - b);
  // Rows of equal length always share a bucket, so the search runs over the distinct lengths
  // (a handful, even with thousands of rows): ends[g] is where group g ends in `order`.
  const ends: number[] = [];
  const widths: number[] = [];
  order.forEach((row, i) => {
    if (i > 0 && lengths[row] === widths[widths.length - 1]) ends[ends.length - 1] = i + 1;
    else {
      ends.push(i + 1);
      widths.push(lengths[row]);
    }
  });
  const groups = widths.length;
  const start = (g: number) => (g === 0 ? 0 : ends[g - 1]);
  // best[k][g]: least work covering groups 0..g-1 with k buckets; cut[k][g]: the first group of the last bucket.
  const best: number[][] = [[0, ...new Array<number>(groups).fill(Infinity)]];
  const cut: number[][] = [new Array<number>(groups + 1).fill(0)];
  let chosen = 1;
  for (let k = 1; k <= Math.max(1, Math.min(maxBuckets, groups)); k++) {
    best.push(new Array<number>(groups + 1).fill(Infinity));
    cut.push(new Array<number>(groups + 1).fill(0));
    for (let g = 1; g <= groups; g++) {
      for (let f = k - 1; f < g; f++) {
        const cost = best[k - 1][f] + (ends[g - 1] - start(f)) * widths[g - 1];
        if (cost < best[k][g]) {
          best[k][g] = cost;
          cut[k][g] = f;
        }
      }
    }
    if (k > 1 && best[k][groups] <= (1 - BUCKET_GAIN) * best[chosen][groups]) chosen = k;
  }
  const buckets: number[][] = [];
  for (let k = chosen, g = groups; k > 0; k--) {
    const f = cut[k][g];
    buckets.unshift(order.slice(start(f), ends[g - 1]).sort((a, b) => a - b));
    g = f;
  }
  return buckets.sort((a, b) => a[0] - b[0]);
}

function pad(row: readonly number[], width: number, fill: number): number[] {
  return [...row, ...new Array<number>(width - row.length).fill(fill)];
}

function range(n: number): number[] {
  return Array.from({ length: n }, (_, i) => i);
}

/** (query block, key block) pairs a class computes per head, padding included, at the full length. */
function classPairs(c: HeadClass): number {
  return c.heads.length * c.buckets.reduce((sum, b) => sum + b.rows.length * b.width, 0);
}

/** What a schedule costs, per head, with `seqBlocks` query blocks present at run time. */
export interface ScheduleCost {
  /** Block pairs computed per head, padding included. */
  readonly pairs: readonly number[];
  /** Key/value blocks gathered (or shifted into place) per head's share: kv stacks are shared by their group. */
  readonly gatheredBlocks: readonly number[];
}

export function scheduleCost(s: SparseSchedule, seqBlocks = s.blocks): ScheduleCost {
  const pairs = new Array<number>(s.heads).fill(0);
  const gatheredBlocks = new Array<number>(s.heads).fill(0);
  for (const c of s.classes) {
    for (const b of c.buckets) {
      const rows = b.rows.filter((i) => i < seqBlocks).length;
      for (const h of c.heads) {
        // A bucket reading all keys scores the sink block too, and gathers nothing.
        pairs[h] += rows * (b.allKeys ? Math.min(seqBlocks, s.blocks) + 1 : b.width);
        if (!b.allKeys) gatheredBlocks[h] += (rows * b.width) / c.groupSize;
      }
    }
  }
  return { pairs, gatheredBlocks };
}

/** Fraction of dense attention's work the schedule computes, padding included (1 for dense). */
export function computedFraction(s: SparseSchedule): number {
  const { pairs } = scheduleCost(s);
  return pairs.reduce((a, b) => a + b, 0) / (s.heads * s.blocks * s.blocks);
}

/** One line per class, for reports: "all heads: gather, rows×keys 2×64 + 62×8, in 48 chunks". */
export function describeSchedule(s: SparseSchedule): string {
  return s.classes
    .map((c) => {
      const heads = describeHeads(c.heads, s.heads);
      const how = c.path === "window" ? `window offsets [${c.offsets.join(",")}]` : c.perHead ? "gather (per-head tables)" : "gather";
      const rows = c.buckets.map((b) => `${b.rows.length}×${b.width}`).join(" + ");
      const chunks = c.path === "gather" ? Math.ceil(c.kvHeads.length / c.stacksPerChunk) * c.buckets.reduce((n, b) => n + Math.ceil(b.rows.length / b.rowsPerChunk), 0) : 1;
      return `${heads}: ${how}, rows×keys ${rows}${chunks > c.buckets.length ? `, in ${chunks} chunks` : ""}`;
    })
    .join("; ");
}

function describeHeads(heads: readonly number[], total: number): string {
  if (heads.length === total) return "all heads";
  const contiguous = heads.every((h, i) => i === 0 || h === heads[i - 1] + 1);
  if (heads.length === 1) return `head ${heads[0]}`;
  return contiguous ? `heads ${heads[0]}..${heads[heads.length - 1]}` : `heads [${heads.join(",")}]`;
}
