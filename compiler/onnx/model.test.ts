/**
 * Reference tier: a small model using every IR op, validated by the official ONNX checker
 * (python3-onnx 1.12, full_check: strict shape inference included) and run by ONNX Runtime at
 * every supported opset.
 */
import { execFile } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import * as ort from "onnxruntime-node";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { GraphBuilder, computed, fill, literal, normal, registeredOps, type Graph, type Value } from "../ir/index.js";
import { blockLayoutAttrs } from "../ir/ops/block-layout.js";
import { blocked, global, layerLayout, random, union, window } from "../../test/layouts.js";
import { emitOnnx } from "./emit.js";
import { writeOnnxFile } from "./write.js";

const CONTEXT = 16;
const VOCAB = 50;
const WIDTH = 16;
const HEADS = 4;
const KV_HEADS = 2;
const HEAD_DIM = 4;

/**
 * Token-level block layouts (block size 1, so every length runs): a causal GQA one whose heads split
 * into a stacked kv group and per-head tables, and an encoder one whose global row sits mid-sequence
 * (row buckets concatenated out of order).
 */
const causalLayout = blockLayoutAttrs(
  layerLayout({ blockSize: 1, blocks: CONTEXT, causal: true, heads: HEADS, patterns: [window(2), window(2), union(blocked, random(2, 3)), union(blocked, random(2, 9))] }),
);
const encoderLayout = blockLayoutAttrs(layerLayout({ blockSize: 1, blocks: CONTEXT, causal: false, heads: HEADS, patterns: [union(window(1), global([7]))] }));

/** Embeddings, a GQA rotary causal block, an MHA block with a layout, a gated FFN, and pooler-style heads. */
function everyOpModel(): Graph {
  const b = new GraphBuilder("every_op", { model: "every-op", dimBounds: { seq: CONTEXT } });
  const matrix = (name: string, rows: number, cols: number) => b.param(name, "float32", [rows, cols], normal(11, name, 0.2));
  const vector = (name: string, size: number, value: number) => b.param(name, "float32", [size], fill(value));
  const linear = (x: Value, name: string, rows: number, cols: number, bias = false) =>
    b.op("linear", [x, matrix(`${name}.weight`, rows, cols), bias ? vector(`${name}.bias`, cols, 0.1) : undefined], { transposed: false });
  const table = (name: string, f: (x: number) => number) =>
    b.param(name, "float32", [CONTEXT, HEAD_DIM], computed(name, () => rotaryTable(f)), { trainable: false });

  const ids = b.input("input_ids", "int64", ["batch", "seq"]);
  let h = b.withScope("embed", () => {
    const tokens = b.op("embedding", [matrix("embed.tokens", VOCAB, WIDTH), ids]);
    return b.op("add", [tokens, b.op("leading_rows", [matrix("embed.positions", CONTEXT, WIDTH), ids])]);
  });
  const cos = table("rope.cos", Math.cos);
  const sin = table("rope.sin", Math.sin);

  h = b.withScope("layers.0.attn", () => {
    const x = b.op("rms_norm", [h, vector("layers.0.attn_norm.weight", WIDTH, 1)], { eps: 1e-6 });
    const q = b.op("rotary", [linear(x, "layers.0.attn.q", WIDTH, HEADS * HEAD_DIM, true), cos, sin], { heads: HEADS, headDim: HEAD_DIM });
    const k = b.op("rotary", [linear(x, "layers.0.attn.k", WIDTH, KV_HEADS * HEAD_DIM), cos, sin], { heads: KV_HEADS, headDim: HEAD_DIM });
    const v = linear(x, "layers.0.attn.v", WIDTH, KV_HEADS * HEAD_DIM);
    const attrs = { heads: HEADS, kvHeads: KV_HEADS, headDim: HEAD_DIM, causal: true };
    const a = b.op("add", [b.op("attention", [q, k, v], attrs), b.op("block_sparse_attention", [q, k, v], { ...attrs, ...causalLayout })]);
    const o = b.op("linear", [a, matrix("layers.0.attn.o.weight", WIDTH, HEADS * HEAD_DIM)], { transposed: true });
    return b.op("add", [h, o]);
  });
  h = b.withScope("layers.0.ffn", () => {
    const x = b.op("rms_norm", [h, vector("layers.0.ffn_norm.weight", WIDTH, 1)], { eps: 1e-6 });
    const gate = b.op("silu", [linear(x, "layers.0.ffn.gate", WIDTH, 32)]);
    const up = linear(x, "layers.0.ffn.up", WIDTH, 32);
    return b.op("add", [h, linear(b.op("mul", [gate, up]), "layers.0.ffn.down", 32, WIDTH)]);
  });
  h = b.withScope("layers.1.attn", () => {
    const proj = (name: string) => linear(h, `layers.1.attn.${name}`, WIDTH, WIDTH, true);
    const [q, k, v] = [proj("q"), proj("k"), proj("v")];
    const attrs = { heads: HEADS, kvHeads: HEADS, headDim: HEAD_DIM, causal: false, ...encoderLayout };
    const a = b.op("add", [b.op("attention", [q, k, v], attrs), b.op("block_sparse_attention", [q, k, v], attrs)]);
    return b.op("layer_norm", [b.op("add", [h, a]), vector("layers.1.attn_norm.weight", WIDTH, 1), vector("layers.1.attn_norm.bias", WIDTH, 0)], { eps: 1e-5 });
  });
  h = b.withScope("layers.1.ffn", () => {
    const up = b.op("gelu", [linear(h, "layers.1.ffn.up", WIDTH, 32, true)], { approximate: "none" });
    return b.op("add", [h, linear(up, "layers.1.ffn.down", 32, WIDTH, true)]);
  });
  b.output("hidden_states", h);
  b.output("quantized", quantizedTail(b, h, ids));
  b.withScope("head", () => {
    b.output("pooled", b.op("tanh", [linear(b.op("take_token", [h], { position: "first" }), "head.pooler", WIDTH, WIDTH, true)]));
    const last = b.op("take_token", [h], { position: "last" });
    b.output("last", b.op("gelu", [b.op("relu", [last])], { approximate: "tanh" }));
  });
  return b.build();
}

/** Every quantized op on `h` (or `ids`), summed, through an fp16 round trip. */
function quantizedTail(b: GraphBuilder, h: Value, ids: Value): Value {
  return b.withScope("quant", () => {
    const ints = (name: string, dtype: "int8" | "uint8", shape: number[]) => {
      const n = shape.reduce((a, d) => a * d, 1);
      const data = Array.from({ length: n }, (_, i) => (i * 37) % 201);
      return b.param(name, dtype, shape, literal(dtype === "int8" ? Int8Array.from(data, (v) => v - 100) : Uint8Array.from(data, (v) => v % 256)));
    };
    const scale = (name: string, n: number) => b.param(name, "float32", n === 0 ? [] : [n], literal(new Float32Array(Math.max(n, 1)).fill(0.01)), { trainable: false });
    const w = ints("quant.w_quantized", "int8", [WIDTH, WIDTH]);
    const perChannel = scale("quant.w_scale", WIDTH);
    const parts = [
      b.op("dequantized_linear", [h, w, perChannel], { transposed: false, perChannel: true }),
      b.op("dynamic_quantized_linear", [h, w, scale("quant.w_scale_tensor", 0)], { transposed: true, perChannel: false }),
      // A second int8 linear on h: the two share one DynamicQuantizeLinear.
      b.op("dynamic_quantized_linear", [h, w, perChannel], { transposed: false, perChannel: true }),
      b.op("static_quantized_linear", [h, w, perChannel], { transposed: false, perChannel: true, inputScale: 0.05, inputZeroPoint: 128 }),
      b.op("matmul_nbits", [h, ints("quant.w_int4", "uint8", [WIDTH, 1, 8]), scale("quant.w_scales", WIDTH)], { k: WIDTH, n: WIDTH, blockSize: 16, accuracyLevel: 4 }),
      b.op("quantized_embedding", [ints("quant.tokens", "int8", [VOCAB, WIDTH]), ids, scale("quant.tokens_scale", VOCAB)], { bits: 8, blockSize: 0, perRow: true }),
      b.op("quantized_embedding", [ints("quant.tokens4", "uint8", [VOCAB, 1, 8]), ids, scale("quant.tokens4_scales", VOCAB)], { bits: 4, blockSize: 16, perRow: true }),
    ];
    let sum = parts.reduce((a, p) => b.op("add", [a, p]));
    sum = b.op("add", [sum, b.op("quantized_leading_rows", [ints("quant.positions", "int8", [CONTEXT, WIDTH]), ids, scale("quant.positions_scale", 0)], { perRow: false })]);
    return b.op("cast", [b.op("cast", [sum], { to: "float16" })], { to: "float32" });
  });
}

function rotaryTable(f: (x: number) => number): Float32Array {
  const out = new Float32Array(CONTEXT * HEAD_DIM);
  for (let p = 0; p < CONTEXT; p++)
    for (let j = 0; j < HEAD_DIM; j++) out[p * HEAD_DIM + j] = f(p * Math.pow(10000, -(2 * (j % (HEAD_DIM / 2))) / HEAD_DIM));
  return out;
}

function ids(batch: number, seq: number): ort.Tensor {
  return new ort.Tensor("int64", BigInt64Array.from({ length: batch * seq }, (_, i) => BigInt((i * 7 + 3) % VOCAB)), [batch, seq]);
}

let dir = "";
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "tfc-onnx-model-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("a model with every op", () => {
  test("uses every registered op", () => {
    expect(new Set(everyOpModel().nodes.map((n) => n.op))).toEqual(new Set(registeredOps()));
  });

  test("passes the ONNX checker with full_check", async () => {
    const file = join(dir, "every_op.onnx");
    await writeOnnxFile(everyOpModel(), file, { producerVersion: "test" });
    const script = "import onnx,sys; m=onnx.load(sys.argv[1]); onnx.checker.check_model(m, full_check=True); print(m.opset_import[0].version)";
    const { stdout } = await promisify(execFile)("/usr/bin/python3", ["-c", script, file]);
    expect(stdout.trim()).toBe("17");
  });

  test("runs at every supported opset with the same results, at two sequence lengths", async () => {
    const graph = everyOpModel();
    const results: Record<string, Float32Array>[] = [];
    for (const opset of [17, 18, 19, 20, 21, 22, 23]) {
      const session = await ort.InferenceSession.create(emitOnnx(graph, { opset }));
      const run: Record<string, Float32Array> = {};
      for (const seq of [5, 11]) {
        const out = await session.run({ input_ids: ids(2, seq) });
        expect(out.hidden_states.dims).toEqual([2, seq, WIDTH]);
        expect(out.pooled.dims).toEqual([2, WIDTH]);
        expect(out.last.dims).toEqual([2, WIDTH]);
        for (const [name, tensor] of Object.entries(out)) run[`${name}@${seq}`] = tensor.data as Float32Array;
      }
      results.push(run);
    }
    for (const run of results.slice(1)) {
      for (const [key, data] of Object.entries(run)) {
        const base = results[0][key];
        expect(data.every((v, i) => Math.abs(v - base[i]) <= 1e-5 * Math.max(1, Math.abs(base[i]))), key).toBe(true);
        expect(data.every(Number.isFinite), key).toBe(true);
      }
    }
  });
});
