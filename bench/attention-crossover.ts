/**
 * Attention alone in ONNX Runtime (CPU, batch 1, bert-base heads 12 × 64): dense attention against
 * `block_sparse_attention` over a sweep of layout densities, at each sequence length. The crossover —
 * the computed fraction of dense work below which the sparse lowering is faster — sets the
 * sparse-attention pass's default threshold (docs/attention-lowering.md).
 *
 *   npm run build && node dist/bench/attention-crossover.js [--seqs 1024,4096] [--block 64] [--kinds encoder,decoder]
 *     [--fractions 0.03125,0.0625,0.125,0.25,0.5,0.75] [--runs 7] [--windows] [--named] [--chunk-bytes N] [--json out.json]
 *
 * `--windows` adds a sliding window through both key paths (gather, shifted slices); `--named` the
 * issue's patterns (window 256 + global [0], BigBird) as the language builds them; `--chunk-bytes` sets
 * the gather path's chunk budget (block-sparse-schedule.ts; a huge value leaves every class whole).
 */
import { writeFileSync } from "node:fs";
import ort from "onnxruntime-node";
import type { LayerLayout } from "../compiler/attention/layout.js";
import { checkSource } from "../compiler/pipeline.js";
import { emitOnnx } from "../compiler/onnx/index.js";
import { GraphBuilder, type Graph } from "../compiler/ir/index.js";
import { blockLayoutAttrs } from "../compiler/ir/ops/block-layout.js";
import { computedFraction } from "../compiler/ir/ops/block-sparse-schedule.js";
import { scheduleOf } from "../compiler/ir/ops/block-sparse-attention.js";
import { cpuSessionOptions, pairedRatio, timeInterleaved, type Contender, type Feeds } from "./latency.js";

const HEADS = 12;
const HEAD_DIM = 64;

export interface LayoutCase {
  readonly name: string;
  readonly layout: LayerLayout;
}

export type AttentionVariant = "dense" | "dense-masked" | "sparse" | "sparse-window";

/** One attention op over inputs q, k, v [1, seq, heads·64]. */
export function attentionGraph(
  variant: AttentionVariant,
  layout: LayerLayout | undefined,
  options: { heads?: number; kvHeads?: number; context: number; chunkBytes?: number },
): Graph {
  const heads = options.heads ?? HEADS;
  const kvHeads = options.kvHeads ?? heads;
  const b = new GraphBuilder("attention", { model: "attention", dimBounds: { seq: options.context } });
  const q = b.input("q", "float32", ["batch", "seq", heads * HEAD_DIM]);
  const k = b.input("k", "float32", ["batch", "seq", kvHeads * HEAD_DIM]);
  const v = b.input("v", "float32", ["batch", "seq", kvHeads * HEAD_DIM]);
  const base = { heads, kvHeads, headDim: HEAD_DIM, causal: layout?.causal ?? false };
  const attrs = variant === "dense" || !layout ? base : { ...base, ...blockLayoutAttrs(layout) };
  const sparse = variant.startsWith("sparse");
  const op = sparse ? "block_sparse_attention" : "attention";
  const extra = { ...(variant === "sparse-window" ? { path: "window" } : {}), ...(sparse && options.chunkBytes ? { chunkBytes: options.chunkBytes } : {}) };
  b.withScope("layers.0.attn", () => b.output("y", b.op(op, [q, k, v], { ...attrs, ...extra })));
  return b.build();
}

export function randomFeeds(seq: number, heads = HEADS, kvHeads = heads): Feeds {
  const make = (width: number, seed: number) => {
    const data = new Float32Array(seq * width);
    let s = seed;
    for (let i = 0; i < data.length; i++) {
      s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
      data[i] = s / 2 ** 32 - 0.5;
    }
    return new ort.Tensor("float32", data, [1, seq, width]);
  };
  return { q: make(heads * HEAD_DIM, 1), k: make(kvHeads * HEAD_DIM, 2), v: make(kvHeads * HEAD_DIM, 3) };
}

/** A layout where every query block reads `width` key blocks: itself and width−1 others spread evenly (gather path). */
export function spreadLayout(blocks: number, blockSize: number, width: number, causal: boolean): LayerLayout {
  const keys = Array.from({ length: blocks }, (_, i) => {
    const row = new Set<number>([i]);
    const limit = causal ? i + 1 : blocks;
    for (let t = 1; t < width; t++) row.add((i + Math.round((t * limit) / width)) % limit);
    for (let j = 0; row.size < Math.min(width, limit); j++) row.add(j);
    return [...row].sort((a, b) => a - b);
  });
  return { blockSize, blocks, causal, heads: Array.from({ length: HEADS }, () => ({ keys })), patterns: [`spread ${width}`] };
}

/** Sliding window of `width` blocks (centered; the last `width` when causal): the window path. */
export function windowLayout(blocks: number, blockSize: number, width: number, causal: boolean): LayerLayout {
  const before = causal ? width - 1 : Math.floor((width - 1) / 2);
  const after = causal ? 0 : width - 1 - before;
  const keys = Array.from({ length: blocks }, (_, i) => {
    const row: number[] = [];
    for (let j = i - before; j <= i + after; j++) if (j >= 0 && j < blocks) row.push(j);
    return row;
  });
  return { blockSize, blocks, causal, heads: Array.from({ length: HEADS }, () => ({ keys })), patterns: [`window ${width}`] };
}

/** Layouts the language makes, through the checker: `pattern` as written in an `attention` block. */
export function specLayout(pattern: string, seq: number, causal: boolean): LayerLayout {
  const text = `model m { kind ${causal ? "decoder" : "encoder"} vocab 100 context ${seq} width ${HEADS * HEAD_DIM} layers 1 heads ${HEADS}
    attention { default : ${pattern} } }`;
  const front = checkSource(text, "bench.tfx");
  const layout = front.spec?.attention?.layers[0];
  if (!layout) throw new Error(`\`${pattern}\` at ${seq}: ${front.diagnostics.map((d) => d.message).join("; ") || "no layout"}`);
  return layout;
}

/** The benchmark patterns. */
export const NAMED_PATTERNS = ["window 256 + global [0]", "bigbird(block 64, window 3, global 2, random 3, seed 7)"];

export interface CrossoverPoint {
  readonly seq: number;
  readonly causal: boolean;
  readonly layout: string;
  readonly variant: AttentionVariant;
  /** Fraction of dense attention's block pairs the sparse lowering computes (padding included). */
  readonly computedFraction: number;
  readonly denseMs: number;
  readonly maskedMs: number;
  readonly sparseMs: number;
  /** Median per-round latency ratios: above 1, the sparse lowering is faster. */
  readonly speedupOverDense: number;
  readonly speedupOverMasked: number;
}

async function session(graph: Graph): Promise<ort.InferenceSession> {
  return ort.InferenceSession.create(emitOnnx(graph), cpuSessionOptions());
}

/**
 * Times dense attention, the dense fallback (the layout as a −∞ mask) and the sparse lowering of each
 * layout, interleaved round by round so the machine's drift lands on all three alike.
 */
export async function measure(
  seq: number,
  cases: readonly LayoutCase[],
  variants: readonly AttentionVariant[],
  runs: number,
  log: (line: string) => void,
  chunkBytes?: number,
): Promise<CrossoverPoint[]> {
  const feeds = randomFeeds(seq);
  const dense = await session(attentionGraph("dense", undefined, { context: seq }));
  const points: CrossoverPoint[] = [];
  for (const c of cases) {
    const masked = await session(attentionGraph("dense-masked", c.layout, { context: seq }));
    for (const variant of variants) {
      const graph = attentionGraph(variant, c.layout, { context: seq, chunkBytes });
      const sparse = await session(graph);
      const node = graph.nodes.find((n) => n.op === "block_sparse_attention")!;
      const fraction = computedFraction(scheduleOf(node.attrs));
      const contenders: Contender[] = [
        { name: "dense", session: dense, feeds },
        { name: "dense-masked", session: masked, feeds },
        { name: variant, session: sparse, feeds },
      ];
      const [d, m, s] = await timeInterleaved(contenders, { warmup: 2, runs, budgetMs: 60_000, minRuns: 3 });
      const point: CrossoverPoint = {
        seq,
        causal: c.layout.causal,
        layout: c.name,
        variant,
        computedFraction: fraction,
        denseMs: d.medianMs,
        maskedMs: m.medianMs,
        sparseMs: s.medianMs,
        speedupOverDense: pairedRatio(d, s).median,
        speedupOverMasked: pairedRatio(m, s).median,
      };
      points.push(point);
      log(
        `seq ${seq} ${c.layout.causal ? "decoder" : "encoder"}  ${c.name.padEnd(14)} ${variant.padEnd(13)} computed ${(fraction * 100).toFixed(1).padStart(5)}%  ` +
          `dense ${d.medianMs.toFixed(1).padStart(7)}  masked ${m.medianMs.toFixed(1).padStart(7)}  sparse ${s.medianMs.toFixed(1).padStart(7)} ms  ` +
          `×${point.speedupOverDense.toFixed(2)} vs dense, ×${point.speedupOverMasked.toFixed(2)} vs masked`,
      );
      await sparse.release();
    }
    await masked.release();
  }
  await dense.release();
  return points;
}

/** Where the sparse lowering stops paying: the computed fraction at which (interpolated) its speedup over `over` reaches 1. */
export function crossover(points: readonly CrossoverPoint[], over: "speedupOverDense" | "speedupOverMasked"): number | undefined {
  const sorted = [...points].sort((a, b) => a.computedFraction - b.computedFraction);
  for (let i = 1; i < sorted.length; i++) {
    const [a, b] = [sorted[i - 1], sorted[i]];
    if (a[over] >= 1 && b[over] < 1) {
      const t = (Math.log(a[over]) - 0) / (Math.log(a[over]) - Math.log(b[over]));
      return a.computedFraction + t * (b.computedFraction - a.computedFraction);
    }
  }
  return sorted.length > 0 && sorted[sorted.length - 1][over] >= 1 ? 1 : undefined;
}

async function main(): Promise<void> {
  const argv = process.argv.slice(2);
  const value = (name: string) => {
    const i = argv.indexOf(name);
    return i >= 0 ? argv[i + 1] : undefined;
  };
  const seqs = (value("--seqs") ?? "1024,4096").split(",").map(Number);
  const blockSize = Number(value("--block") ?? 64);
  const runs = Number(value("--runs") ?? 7);
  const kinds = (value("--kinds") ?? "encoder,decoder").split(",");
  const fractions = (value("--fractions") ?? "0.03125,0.0625,0.125,0.25,0.5,0.75").split(",").map(Number);
  const withWindows = argv.includes("--windows");
  const named = argv.includes("--named");
  const chunkBytes = value("--chunk-bytes") === undefined ? undefined : Number(value("--chunk-bytes"));
  if (chunkBytes !== undefined && !(Number.isInteger(chunkBytes) && chunkBytes > 0)) throw new Error(`--chunk-bytes: ${value("--chunk-bytes")} is not a positive integer`);
  const log = (line: string) => process.stderr.write(`${line}\n`);
  log(`onnxruntime-node ${ort.env.versions.common}, CPU, 2 threads, batch 1, heads ${HEADS} × ${HEAD_DIM}, block ${blockSize}`);
  const all: CrossoverPoint[] = [];
  for (const seq of seqs) {
    const blocks = seq / blockSize;
    for (const kind of kinds) {
      const causal = kind === "decoder";
      const widths = [...new Set(fractions.map((f) => Math.max(1, Math.round(f * blocks))))];
      const points = await measure(seq, widths.map((w) => ({ name: `spread ${w}/${blocks}`, layout: spreadLayout(blocks, blockSize, w, causal) })), ["sparse"], runs, log, chunkBytes);
      all.push(...points);
      const over = (k: "speedupOverDense" | "speedupOverMasked") => crossover(points, k)?.toFixed(2) ?? "none";
      log(`  crossover at seq ${seq}, ${kind}: computed fraction ${over("speedupOverMasked")} against the masked fallback, ${over("speedupOverDense")} against plain dense`);
      if (named) {
        all.push(...(await measure(seq, NAMED_PATTERNS.map((p) => ({ name: p.split("(")[0].split(" +")[0] + (p.includes("+") ? " + global" : ""), layout: specLayout(p, seq, causal) })), ["sparse"], runs, log, chunkBytes)));
      }
      if (withWindows) {
        const w = Math.max(2, Math.round(blocks / 8));
        all.push(...(await measure(seq, [{ name: `window ${w}/${blocks}`, layout: windowLayout(blocks, blockSize, w, causal) }], ["sparse", "sparse-window"], runs, log, chunkBytes)));
      }
    }
  }
  const out = value("--json");
  if (out) writeFileSync(out, `${JSON.stringify(all, null, 2)}\n`);
}

if (process.argv[1]?.endsWith("attention-crossover.js")) await main();
