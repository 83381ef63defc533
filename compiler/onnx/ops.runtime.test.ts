/**
 * Runtime tier: each IR op, alone in a graph, emitted and run by ONNX Runtime at two run-time
 * sequence lengths, against a float64 JavaScript reference written from the op's definition.
 */
import * as ort from "onnxruntime-node";
import { describe, expect, test } from "vitest";
import { GraphBuilder, computed, literal, materialize, normal, registeredOps, type Graph, type Value } from "../ir/index.js";
import { blockLayoutAttrs } from "../ir/ops/block-layout.js";
import { global, layerLayout, random, union, window, type Pattern } from "../../test/layouts.js";
import { emitOnnx } from "./emit.js";

/** A float64 tensor for the reference computations. */
interface T {
  readonly shape: number[];
  readonly data: Float64Array;
}

type Env = Readonly<Record<string, T>>;

interface OpCase {
  readonly name: string;
  /** Integer inputs (token ids) take values in [0, idRange). */
  readonly idRange?: number;
  build(b: GraphBuilder): void;
  reference(env: Env): Record<string, T>;
  readonly sessionOptions?: ort.InferenceSession.SessionOptions;
}

const BATCH = 2;
const SEQ_LENGTHS = [3, 7];
const CONTEXT = 8;

const cases: OpCase[] = [
  {
    name: "linear with bias",
    build(b) {
      const x = b.input("x", "float32", ["batch", "seq", 6]);
      b.output("y", b.op("linear", [x, param(b, "w", [6, 5]), param(b, "bias", [5])], { transposed: false }));
    },
    reference: (e) => ({ y: broadcast(matmul(e.x, e.w), e.bias, (a, c) => a + c) }),
  },
  {
    name: "linear without bias",
    build(b) {
      const x = b.input("x", "float32", ["batch", "seq", 6]);
      b.output("y", b.op("linear", [x, param(b, "w", [6, 5])], { transposed: false }));
    },
    reference: (e) => ({ y: matmul(e.x, e.w) }),
  },
  {
    name: "linear transposed (tied head)",
    build(b) {
      const x = b.input("x", "float32", ["batch", "seq", 6]);
      b.output("y", b.op("linear", [x, param(b, "w", [5, 6])], { transposed: true }));
    },
    reference: (e) => ({ y: matmul(e.x, transpose2d(e.w)) }),
  },
  {
    name: "layer_norm",
    build(b) {
      const x = b.input("x", "float32", ["batch", "seq", 8]);
      b.output("y", b.op("layer_norm", [x, param(b, "scale", [8]), param(b, "shift", [8])], { eps: 1e-5 }));
    },
    reference: (e) => ({
      y: mapRows(e.x, (row) => {
        const mean = row.reduce((s, v) => s + v, 0) / row.length;
        const variance = row.reduce((s, v) => s + (v - mean) ** 2, 0) / row.length;
        return row.map((v, j) => ((v - mean) / Math.sqrt(variance + 1e-5)) * e.scale.data[j] + e.shift.data[j]);
      }),
    }),
  },
  {
    name: "rms_norm",
    build(b) {
      const x = b.input("x", "float32", ["batch", "seq", 8]);
      b.output("y", b.op("rms_norm", [x, param(b, "scale", [8])], { eps: 1e-6 }));
    },
    reference: (e) => ({
      y: mapRows(e.x, (row) => {
        const meanSquare = row.reduce((s, v) => s + v * v, 0) / row.length;
        return row.map((v, j) => (v / Math.sqrt(meanSquare + 1e-6)) * e.scale.data[j]);
      }),
    }),
  },
  unaryCase("gelu (erf)", "gelu", { approximate: "none" }, (v) => 0.5 * v * (1 + erf(v / Math.SQRT2))),
  unaryCase("gelu (tanh)", "gelu", { approximate: "tanh" }, (v) => 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3)))),
  unaryCase("relu", "relu", {}, (v) => Math.max(v, 0)),
  unaryCase("silu", "silu", {}, (v) => v / (1 + Math.exp(-v))),
  unaryCase("tanh", "tanh", {}, Math.tanh),
  {
    name: "add and mul broadcasting",
    build(b) {
      const x = b.input("x", "float32", ["batch", "seq", 4]);
      const perBatch = b.input("per_batch", "float32", ["batch", 1, 4]);
      b.output("sum", b.op("add", [x, param(b, "bias", [4])]));
      b.output("product", b.op("mul", [x, perBatch]));
    },
    reference: (e) => ({
      sum: broadcast(e.x, e.bias, (a, c) => a + c),
      product: broadcast(e.x, e.per_batch, (a, c) => a * c),
    }),
  },
  {
    name: "embedding",
    idRange: 10,
    build(b) {
      const ids = b.input("input_ids", "int64", ["batch", "seq"]);
      b.output("y", b.op("embedding", [param(b, "table", [10, 4]), ids]));
    },
    reference: (e) => ({ y: gatherRows(e.table, e.input_ids) }),
  },
  {
    name: "leading_rows",
    idRange: 10,
    build(b) {
      const ids = b.input("input_ids", "int64", ["batch", "seq"]);
      b.output("y", b.op("leading_rows", [param(b, "positions", [CONTEXT, 4]), ids]));
    },
    reference: (e) => ({ y: slice(e.positions, 0, e.input_ids.shape[1]) }),
  },
  {
    name: "take_token first and last",
    build(b) {
      const x = b.input("x", "float32", ["batch", "seq", 4]);
      b.output("first", b.op("take_token", [x], { position: "first" }));
      b.output("last", b.op("take_token", [x], { position: "last" }));
    },
    reference: (e) => ({ first: token(e.x, 0), last: token(e.x, e.x.shape[1] - 1) }),
  },
  attentionCase("attention MHA non-causal", 2, 2, false),
  attentionCase("attention MHA causal", 2, 2, true),
  attentionCase("attention GQA (4 heads, 2 kv heads) causal", 4, 2, true),
  attentionCase("attention GQA (4 heads, 2 kv heads) non-causal", 4, 2, false),
  layoutCase("attention with a block layout (a −∞ mask)", "attention", false),
  layoutCase("attention with a causal block layout", "attention", true),
  layoutCase("block_sparse_attention", "block_sparse_attention", false),
  layoutCase("block_sparse_attention causal", "block_sparse_attention", true),
  ...quantizedCases(),
  // Blocks of 2 tokens: both test lengths end inside a block (the masked form pads its queries).
  layoutCase("attention with a block layout of 2-token blocks", "attention", false, 2),
  layoutCase("attention with a causal block layout of 2-token blocks", "attention", true, 2),
  {
    name: "rotary",
    build(b) {
      const x = b.input("x", "float32", ["batch", "seq", 2 * 4]);
      const cos = b.param("rope.cos", "float32", [CONTEXT, 4], computed("cos", () => rotaryTable(CONTEXT, 4, Math.cos)), { trainable: false });
      const sin = b.param("rope.sin", "float32", [CONTEXT, 4], computed("sin", () => rotaryTable(CONTEXT, 4, Math.sin)), { trainable: false });
      b.output("y", b.op("rotary", [x, cos, sin], { heads: 2, headDim: 4 }));
    },
    reference: (e) => ({ y: rotary(e.x, e["rope.cos"], e["rope.sin"], 2, 4) }),
  },
];

describe("each op through ONNX Runtime", () => {
  for (const c of cases) {
    test(c.name, async () => {
      const graph = buildGraph(c);
      const session = await ort.InferenceSession.create(emitOnnx(graph), c.sessionOptions);
      for (const seq of SEQ_LENGTHS) {
        const env: Record<string, T> = {};
        const feeds: Record<string, ort.Tensor> = {};
        for (const input of graph.inputs) {
          const shape = input.type.shape.map((d) => (d === "batch" ? BATCH : d === "seq" ? seq : (d as number)));
          const values = sample(shape, input.name as string, c.idRange);
          env[input.name as string] = { shape, data: Float64Array.from(values) };
          feeds[input.name as string] =
            input.type.dtype === "int64"
              ? new ort.Tensor("int64", BigInt64Array.from(values, (v) => BigInt(v)), shape)
              : new ort.Tensor("float32", Float32Array.from(values), shape);
        }
        for (const p of graph.params) {
          env[p.name] = { shape: [...(p.value.type.shape as number[])], data: Float64Array.from(materialize(p.init, p.value.type) as Float32Array) };
        }
        const results = await session.run(feeds);
        const expected = c.reference(env);
        expect(Object.keys(results).sort()).toEqual(Object.keys(expected).sort());
        for (const [name, want] of Object.entries(expected)) {
          const got = results[name];
          expect(got.dims, `${name} at seq ${seq}`).toEqual(want.shape);
          expectClose(got.data as Float32Array, want.data, `${name} at seq ${seq}`);
        }
      }
    });
  }

  test("every registered op has a case here", () => {
    const covered = new Set(cases.flatMap((c) => buildGraph(c).nodes.map((n) => n.op)));
    expect(registeredOps().filter((op) => !covered.has(op))).toEqual([]);
  });
});

/**
 * Quantized ops on stored integers: the references dequantize (q − zero point) · scale and multiply
 * in float64; dynamic and static ones quantize x as ONNX's DynamicQuantizeLinear / QuantizeLinear
 * define it. (passes/quantize.reference.test.ts checks the quantization itself against numpy.)
 */
function quantizedCases(): OpCase[] {
  const ints = (name: string, dtype: "int8" | "uint8", shape: number[], lo: number, hi: number) => {
    const n = shape.reduce((a, d) => a * d, 1);
    const data = Array.from({ length: n }, (_, i) => lo + ((i * 37 + name.length * 11) % (hi - lo + 1)));
    return (b: GraphBuilder) => b.param(name, dtype, shape, literal(dtype === "int8" ? Int8Array.from(data) : Uint8Array.from(data)));
  };
  const scales = (name: string, n: number) => (b: GraphBuilder) => b.param(name, "float32", n === 0 ? [] : [n], literal(Float32Array.from({ length: Math.max(n, 1) }, (_, i) => 0.01 + 0.002 * (i % 5))));
  // Weight [6, 5] int8, per-channel scales and int8 zero points.
  const weight = (e: Env) => ({ shape: [6, 5], data: e.wq.data.map((q, i) => (q - e.wzp.data[i % 5]) * e.ws.data[i % 5]) });
  const linearBuild = (op: string, attrs: Record<string, number | boolean>) => (b: GraphBuilder) => {
    const x = b.input("x", "float32", ["batch", "seq", 6]);
    b.output("y", b.op(op, [x, ints("wq", "int8", [6, 5], -120, 120)(b), scales("ws", 5)(b), ints("wzp", "int8", [5], -3, 3)(b)], { transposed: false, perChannel: true, ...attrs }));
  };
  const quantizeX = (x: T, scale: number, zeroPoint: number): T => ({ shape: x.shape, data: x.data.map((v) => (Math.min(255, Math.max(0, roundEven(Math.fround(v / scale)) + zeroPoint)) - zeroPoint) * scale) });
  const dynamicX = (x: T): T => {
    const lo = Math.min(0, ...x.data);
    const hi = Math.max(0, ...x.data);
    const scale = Math.fround((hi - lo) / 255);
    return quantizeX(x, scale, Math.min(255, Math.max(0, roundEven(-lo / scale))));
  };
  const exactDequantize = { extra: { session: { qdq_matmulnbits_accuracy_level: "0" } } };
  // A 4-bit [N 3, K 32] weight, one block of 32: nibble pairs, one scale and one packed zero point per row.
  const nibbles = (e: Env) => ({ shape: [3, 32], data: Float64Array.from({ length: 96 }, (_, i) => {
    const byte = e.packed.data[i >> 1];
    const level = i % 2 === 0 ? byte % 16 : Math.floor(byte / 16);
    const row = Math.floor(i / 32);
    return (level - (e.zp.data[row] % 16)) * e.s4.data[row];
  }) });
  return [
    { name: "dequantized_linear", build: linearBuild("dequantized_linear", {}), reference: (e) => ({ y: matmul(e.x, weight(e)) }), sessionOptions: exactDequantize },
    { name: "dynamic_quantized_linear", build: linearBuild("dynamic_quantized_linear", {}), reference: (e) => ({ y: matmul(dynamicX(e.x), weight(e)) }) },
    { name: "static_quantized_linear", build: linearBuild("static_quantized_linear", { inputScale: 0.0125, inputZeroPoint: 100 }), reference: (e) => ({ y: matmul(quantizeX(e.x, 0.0125, 100), weight(e)) }) },
    {
      name: "matmul_nbits (accuracy level 0)",
      build(b) {
        const x = b.input("x", "float32", ["batch", "seq", 32]);
        b.output("y", b.op("matmul_nbits", [x, ints("packed", "uint8", [3, 1, 16], 0, 255)(b), scales("s4", 3)(b), ints("zp", "uint8", [3], 0, 15)(b)], { k: 32, n: 3, blockSize: 32, accuracyLevel: 0 }));
      },
      reference: (e) => ({ y: matmul(e.x, transpose2d(nibbles(e))) }),
    },
    {
      name: "quantized_embedding (8 and 4 bits) and quantized_leading_rows",
      idRange: 3,
      build(b) {
        const ids = b.input("input_ids", "int64", ["batch", "seq"]);
        const table = ints("table", "uint8", [CONTEXT, 4], 0, 255)(b);
        const rowScales = scales("rs", CONTEXT)(b);
        const rowZeros = ints("rz", "uint8", [CONTEXT], 100, 140)(b);
        b.output("rows8", b.op("quantized_embedding", [table, ids, rowScales, rowZeros], { bits: 8, blockSize: 0, perRow: true }));
        b.output("tensor8", b.op("quantized_embedding", [table, ids, scales("ts", 0)(b)], { bits: 8, blockSize: 0, perRow: false }));
        b.output("rows4", b.op("quantized_embedding", [ints("packed", "uint8", [3, 1, 16], 0, 255)(b), ids, scales("s4", 3)(b), ints("zp", "uint8", [3], 0, 15)(b)], { bits: 4, blockSize: 32, perRow: true }));
        b.output("leading", b.op("quantized_leading_rows", [table, ids, rowScales, rowZeros], { perRow: true }));
      },
      reference(e) {
        const rows8: T = { shape: [CONTEXT, 4], data: e.table.data.map((q, i) => (q - e.rz.data[i >> 2]) * e.rs.data[i >> 2]) };
        return {
          rows8: gatherRows(rows8, e.input_ids),
          tensor8: gatherRows({ shape: [CONTEXT, 4], data: e.table.data.map((q) => q * e.ts.data[0]) }, e.input_ids),
          rows4: gatherRows(nibbles(e), e.input_ids),
          leading: slice(rows8, 0, e.input_ids.shape[1]),
        };
      },
    },
    {
      name: "cast to float16 and back",
      build(b) {
        const x = b.input("x", "float32", ["batch", "seq", 4]);
        b.output("y", b.op("cast", [b.op("cast", [x], { to: "float16" })], { to: "float32" }));
      },
      // fp16 keeps 11 significant bits, rounded half to even (normal numbers; subnormals step by 2^-24).
      reference: (e) => ({
        y: { shape: e.x.shape, data: e.x.data.map((v) => {
          const ulp = v === 0 ? 1 : 2 ** (Math.max(Math.floor(Math.log2(Math.abs(v))), -14) - 10);
          return roundEven(v / ulp) * ulp;
        }) },
      }),
    },
  ];
}

function roundEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

function buildGraph(c: OpCase): Graph {
  const b = new GraphBuilder(c.name.replace(/\W+/g, "_"), { model: "op-test", dimBounds: { seq: CONTEXT } });
  b.withScope("layers.0", () => c.build(b));
  return b.build();
}

function param(b: GraphBuilder, name: string, shape: number[]): Value {
  return b.param(name, "float32", shape, normal(7, name, 0.5, 0.1));
}

function unaryCase(name: string, op: string, attrs: Record<string, string>, f: (v: number) => number): OpCase {
  return {
    name,
    build(b) {
      const x = b.input("x", "float32", ["batch", "seq", 5]);
      b.output("y", b.op(op, [x], attrs));
    },
    reference: (e) => ({ y: { shape: e.x.shape, data: e.x.data.map(f) } }),
  };
}

function attentionCase(name: string, heads: number, kvHeads: number, causal: boolean): OpCase {
  const headDim = 4;
  return {
    name,
    build(b) {
      const q = b.input("q", "float32", ["batch", "seq", heads * headDim]);
      const k = b.input("k", "float32", ["batch", "seq", kvHeads * headDim]);
      const v = b.input("v", "float32", ["batch", "seq", kvHeads * headDim]);
      b.output("y", b.op("attention", [q, k, v], { heads, kvHeads, headDim, causal }));
    },
    reference: (e) => ({ y: attention(e.q, e.k, e.v, heads, kvHeads, headDim, causal) }),
  };
}

/**
 * A layout over 4 heads and 2 kv heads: two heads with a window and a global block, two with random
 * keys of their own. Token-level by default (block size 1, so both test lengths run).
 */
function layoutCase(name: string, op: string, causal: boolean, blockSize = 1): OpCase {
  const heads = 4;
  const kvHeads = 2;
  const headDim = 4;
  const patterns: Pattern[] = [union(window(1), global([2])), union(window(1), global([2])), union(window(0), random(2, 5)), union(window(0), random(2, 6))];
  const layout = layerLayout({ blockSize, blocks: CONTEXT / blockSize, causal, heads, patterns });
  return {
    name,
    build(b) {
      const q = b.input("q", "float32", ["batch", "seq", heads * headDim]);
      const k = b.input("k", "float32", ["batch", "seq", kvHeads * headDim]);
      const v = b.input("v", "float32", ["batch", "seq", kvHeads * headDim]);
      b.output("y", b.op(op, [q, k, v], { heads, kvHeads, headDim, causal, ...blockLayoutAttrs(layout) }));
    },
    reference: (e) => ({ y: attention(e.q, e.k, e.v, heads, kvHeads, headDim, causal, (h, i, j) => layout.heads[h].keys[Math.floor(i / blockSize)].includes(Math.floor(j / blockSize))) }),
  };
}

/** Deterministic inputs in [-2, 2), or integers in [0, idRange). */
function sample(shape: number[], name: string, idRange = 5): number[] {
  let state = [...name].reduce((h, ch) => Math.imul(h ^ ch.charCodeAt(0), 16777619), 2166136261) >>> 0;
  const next = () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 32;
  };
  const n = shape.reduce((a, d) => a * d, 1);
  return Array.from({ length: n }, () => (name.endsWith("ids") ? Math.floor(next() * idRange) : next() * 4 - 2));
}

function expectClose(got: Float32Array, want: Float64Array, what: string): void {
  expect(got.length, what).toBe(want.length);
  let worst = 0;
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]) / Math.max(1, Math.abs(want[i])));
  expect(worst, what).toBeLessThan(1e-5);
}

// Reference computations, written from the op definitions (docs/model-conventions.md).

function strides(shape: readonly number[]): number[] {
  const out = new Array<number>(shape.length);
  for (let i = shape.length - 1, s = 1; i >= 0; i--) {
    out[i] = s;
    s *= shape[i];
  }
  return out;
}

/** x [..., I] @ w [I, O]. */
function matmul(x: T, w: T): T {
  const [inner, cols] = w.shape;
  const rows = x.data.length / inner;
  const out = new Float64Array(rows * cols);
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < cols; c++) {
      let s = 0;
      for (let i = 0; i < inner; i++) s += x.data[r * inner + i] * w.data[i * cols + c];
      out[r * cols + c] = s;
    }
  return { shape: [...x.shape.slice(0, -1), cols], data: out };
}

function transpose2d(w: T): T {
  const [r, c] = w.shape;
  const out = new Float64Array(r * c);
  for (let i = 0; i < r; i++) for (let j = 0; j < c; j++) out[j * r + i] = w.data[i * c + j];
  return { shape: [c, r], data: out };
}

/** NumPy broadcasting of b against a's shape (b's shape is a suffix of a's, with 1s allowed). */
function broadcast(a: T, b: T, f: (x: number, y: number) => number): T {
  const rank = a.shape.length;
  const bShape = [...new Array<number>(rank - b.shape.length).fill(1), ...b.shape];
  const aStrides = strides(a.shape);
  const bStrides = strides(bShape);
  const out = new Float64Array(a.data.length);
  for (let i = 0; i < out.length; i++) {
    let j = 0;
    for (let d = 0; d < rank; d++) {
      const index = Math.floor(i / aStrides[d]) % a.shape[d];
      if (bShape[d] !== 1) j += index * bStrides[d];
    }
    out[i] = f(a.data[i], b.data[j]);
  }
  return { shape: a.shape, data: out };
}

function mapRows(x: T, f: (row: number[]) => number[]): T {
  const width = x.shape[x.shape.length - 1];
  const out = new Float64Array(x.data.length);
  for (let r = 0; r * width < x.data.length; r++) out.set(f(Array.from(x.data.subarray(r * width, (r + 1) * width))), r * width);
  return { shape: x.shape, data: out };
}

function gatherRows(table: T, ids: T): T {
  const width = table.shape[1];
  const out = new Float64Array(ids.data.length * width);
  ids.data.forEach((id, i) => out.set(table.data.subarray(id * width, (id + 1) * width), i * width));
  return { shape: [...ids.shape, width], data: out };
}

function slice(table: T, start: number, end: number): T {
  const width = table.shape[1];
  return { shape: [end - start, width], data: table.data.slice(start * width, end * width) };
}

/** x[:, position] of x [B, S, W]. */
function token(x: T, position: number): T {
  const [batch, seq, width] = x.shape;
  const out = new Float64Array(batch * width);
  for (let b = 0; b < batch; b++) out.set(x.data.subarray((b * seq + position) * width, (b * seq + position + 1) * width), b * width);
  return { shape: [batch, width], data: out };
}

/** `allowed(h, i, j)`: whether head h's query i may attend key j (a token-level layout; all when absent). */
function attention(q: T, k: T, v: T, heads: number, kvHeads: number, headDim: number, causal: boolean, allowed?: (h: number, i: number, j: number) => boolean): T {
  const [batch, seq] = q.shape;
  const group = heads / kvHeads;
  const out = new Float64Array(batch * seq * heads * headDim);
  const at = (t: T, width: number, b: number, s: number, h: number, d: number) => t.data[(b * seq + s) * width + h * headDim + d];
  for (let b = 0; b < batch; b++)
    for (let h = 0; h < heads; h++) {
      const kv = Math.floor(h / group);
      for (let i = 0; i < seq; i++) {
        const scores: number[] = [];
        for (let j = 0; j < seq; j++) {
          let s = 0;
          for (let d = 0; d < headDim; d++) s += at(q, heads * headDim, b, i, h, d) * at(k, kvHeads * headDim, b, j, kv, d);
          scores.push((causal && j > i) || (allowed && !allowed(h, i, j)) ? -Infinity : s / Math.sqrt(headDim));
        }
        const max = Math.max(...scores);
        const weights = scores.map((s) => Math.exp(s - max));
        const total = weights.reduce((a, w) => a + w, 0);
        for (let d = 0; d < headDim; d++) {
          let s = 0;
          for (let j = 0; j < seq; j++) s += (weights[j] / total) * at(v, kvHeads * headDim, b, j, kv, d);
          out[(b * seq + i) * heads * headDim + h * headDim + d] = s;
        }
      }
    }
  return { shape: [batch, seq, heads * headDim], data: out };
}

/** x * cos + rotate_half(x) * sin per head, rotate_half(x) = cat(-x[D/2:], x[:D/2]). */
function rotary(x: T, cos: T, sin: T, heads: number, headDim: number): T {
  const [batch, seq] = x.shape;
  const half = headDim / 2;
  const out = new Float64Array(x.data.length);
  for (let b = 0; b < batch; b++)
    for (let s = 0; s < seq; s++)
      for (let h = 0; h < heads; h++) {
        const base = (b * seq + s) * heads * headDim + h * headDim;
        for (let d = 0; d < headDim; d++) {
          const rotated = d < half ? -x.data[base + d + half] : x.data[base + d - half];
          out[base + d] = x.data[base + d] * cos.data[s * headDim + d] + rotated * sin.data[s * headDim + d];
        }
      }
  return { shape: x.shape, data: out };
}

/** Hugging Face LLaMA's table: angle[p, j] = p * 10000^(-2(j mod D/2)/D). */
function rotaryTable(context: number, headDim: number, f: (x: number) => number): Float32Array {
  const table = new Float32Array(context * headDim);
  for (let p = 0; p < context; p++)
    for (let j = 0; j < headDim; j++) table[p * headDim + j] = f(p * Math.pow(10000, -(2 * (j % (headDim / 2))) / headDim));
  return table;
}

/** erf by its Maclaurin series (|x| < 3) or continued fraction, to ~1e-12: no approximation error to argue about. */
function erf(x: number): number {
  if (Math.abs(x) > 3) {
    // erfc(x) = exp(-x²)/√π · 1/(x + (1/2)/(x + (2/2)/(x + (3/2)/(x + …)))), evaluated from the tail
    const a = Math.abs(x);
    let f = 0;
    for (let n = 60; n >= 1; n--) f = (n / 2) / (a + f);
    const erfc = Math.exp(-a * a) / Math.sqrt(Math.PI) / (a + f);
    return Math.sign(x) * (1 - erfc);
  }
  let term = x;
  let sum = x;
  for (let n = 1; n < 100; n++) {
    term *= (-x * x) / n;
    sum += term / (2 * n + 1);
  }
  return (2 / Math.sqrt(Math.PI)) * sum;
}
