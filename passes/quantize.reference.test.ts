/**
 * Reference tier: each quantized form, alone in a graph, quantized by the passes, run by ONNX
 * Runtime, against test/reference/quant_reference.py — numpy, written from the formulas in
 * docs/optimize.md. Quantized weights must match numpy's exactly; outputs to float32 rounding.
 */
import { execFile } from "node:child_process";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import * as ort from "onnxruntime-node";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { GraphBuilder, literal, materialize, type Graph } from "../compiler/ir/index.js";
import { emitOnnx } from "../compiler/onnx/index.js";
import { float16Bits } from "../compiler/ir/quant/math.js";
import { quantizeEmbeddings, type QuantizeEmbeddingsOptions } from "./quantize-embeddings.js";
import { quantizeMatmul, type QuantizeMatmulOptions } from "./quantize-matmul.js";

const BATCH = 2;
const SEQ = 5;

interface Case {
  readonly name: string;
  /** What the python reference is told. */
  readonly reference: Record<string, unknown>;
  readonly graph: Graph;
  readonly feeds: Record<string, ort.Tensor>;
  /** Largest |ORT − reference| allowed, relative to max(1, |reference|). */
  readonly tolerance: number;
  /** Parameter holding the quantized values, and how to read them as numbers. */
  readonly quantizedParam: string;
}

function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

function normals(n: number, seed: number, std: number): Float32Array {
  const r = lcg(seed);
  return Float32Array.from({ length: n }, () => std * Math.sqrt(-2 * Math.log(r() + 1e-12)) * Math.cos(2 * Math.PI * r()));
}

function linearCase(name: string, k: number, n: number, transposed: boolean, options: QuantizeMatmulOptions, reference: Record<string, unknown>, tolerance: number): Case {
  const w = normals(k * n, k * 31 + n, 0.05);
  const x = Float32Array.from(normals(BATCH * SEQ * k, 7, 1));
  const b = new GraphBuilder("q", { model: "q", dimBounds: { seq: 16 } });
  const input = b.input("x", "float32", ["batch", "seq", k]);
  const shape = transposed ? [n, k] : [k, n];
  b.output("y", b.op("linear", [input, b.param("w", "float32", shape, literal(w))], { transposed }));
  let graph = b.build();
  let range: [number, number] | undefined;
  if (options.bits === 8 && options.mode === "static") {
    // A range narrower than the data's, so that clipping is exercised too.
    range = [Math.min(...x) * 0.8, Math.max(...x) * 0.8];
    options = { ...options, ranges: { method: { kind: "minmax" }, byNode: new Map([[graph.nodes[0].id, { min: range[0], max: range[1] }]]) } };
  }
  graph = quantizeMatmul.run(graph, options, { bindings: {} }).graph;
  const kind = options.bits === 8 ? "int8" : "int4";
  return {
    name,
    graph,
    feeds: { x: new ort.Tensor("float32", x, [BATCH, SEQ, k]) },
    tolerance,
    quantizedParam: options.bits === 8 ? "w_quantized" : "w_int4",
    reference: { kind, w: [...w], wShape: shape, x: [...x], xShape: [BATCH, SEQ, k], transposed, ...reference, ...(range ? { range } : {}) },
  };
}

function embeddingCase(name: string, rows: number, width: number, options: QuantizeEmbeddingsOptions, reference: Record<string, unknown>): Case {
  const w = normals(rows * width, rows + width, 0.05);
  const ids = BigInt64Array.from({ length: BATCH * SEQ }, (_, i) => BigInt((i * 7 + 3) % rows));
  const b = new GraphBuilder("e", { model: "e", dimBounds: { seq: 16 } });
  const input = b.input("input_ids", "int64", ["batch", "seq"]);
  b.output("y", b.op("embedding", [b.param("w", "float32", [rows, width], literal(w)), input]));
  const graph = quantizeEmbeddings.run(b.build(), options, { bindings: {} }).graph;
  return {
    name,
    graph,
    feeds: { input_ids: new ort.Tensor("int64", ids, [BATCH, SEQ]) },
    tolerance: 1e-6,
    quantizedParam: options.bits === 8 ? "w_quantized" : "w_int4",
    reference: { kind: options.bits === 8 ? "embedding8" : "embedding4", w: [...w], wShape: [rows, width], ids: [...ids].map(Number), ...reference },
  };
}

const int8 = (mode: "weight_only" | "dynamic" | "static", perChannel: boolean, symmetric: boolean): QuantizeMatmulOptions => ({ bits: 8, mode, perChannel, symmetric });
const int4 = (blockSize: 32 | 64 | 128, symmetric: boolean, accuracyLevel: number): QuantizeMatmulOptions => ({ bits: 4, blockSize, symmetric, accuracyLevel });

const cases: Case[] = [
  linearCase("int8 weight-only, per channel, symmetric", 48, 20, false, int8("weight_only", true, true), { perChannel: true, symmetric: true }, 1e-5),
  linearCase("int8 weight-only, per tensor, asymmetric", 48, 20, false, int8("weight_only", false, false), { perChannel: false, symmetric: false }, 1e-5),
  linearCase("int8 dynamic, per channel, symmetric", 48, 20, false, int8("dynamic", true, true), { perChannel: true, symmetric: true, mode: "dynamic" }, 1e-5),
  linearCase("int8 dynamic, per tensor, asymmetric", 48, 20, false, int8("dynamic", false, false), { perChannel: false, symmetric: false, mode: "dynamic" }, 1e-5),
  linearCase("int8 dynamic, transposed weight (tied head)", 48, 20, true, int8("dynamic", true, true), { perChannel: true, symmetric: true, mode: "dynamic" }, 1e-5),
  linearCase("int8 static QDQ, per channel, symmetric", 48, 20, false, int8("static", true, true), { perChannel: true, symmetric: true, mode: "static" }, 1e-5),
  linearCase("int8 static QDQ, per tensor, asymmetric", 48, 20, false, int8("static", false, false), { perChannel: false, symmetric: false, mode: "static" }, 1e-5),
  linearCase("int4 block 32, symmetric, accuracy 0", 64, 24, false, int4(32, true, 0), { blockSize: 32, symmetric: true }, 1e-5),
  linearCase("int4 block 64, asymmetric, accuracy 0", 128, 24, false, int4(64, false, 0), { blockSize: 64, symmetric: false }, 1e-5),
  linearCase("int4 block 32, K not a multiple of the block", 40, 24, true, int4(32, false, 0), { blockSize: 32, symmetric: false }, 1e-5),
  // Level 4 quantizes x to int8 per block inside the kernel: close to, not equal to, the fp32 product.
  linearCase("int4 block 128, symmetric, accuracy 4", 256, 24, false, int4(128, true, 4), { blockSize: 128, symmetric: true }, 2e-2),
  embeddingCase("embedding int8 per row, symmetric", 30, 16, { bits: 8, perRow: true, symmetric: true }, { perChannel: true, symmetric: true }),
  embeddingCase("embedding int8 per table, asymmetric", 30, 16, { bits: 8, perRow: false, symmetric: false }, { perChannel: false, symmetric: false }),
  embeddingCase("embedding int4 block 32, asymmetric", 30, 96, { bits: 4, blockSize: 32, symmetric: false }, { blockSize: 32, symmetric: false }),
];

// JSON has no −0 or ∞: those are checked apart.
const HALF_PROBES = Float32Array.from([0, 1, -2.5, 65504, 65519, 65520, 1e5, 6e-8, 3e-8, 2.98e-8, 1 / 3, 0.1, 1.0009765625, 1.00048828125, 1.0014648, -7.3e-6, 6.1e-5, 6.097e-5]);

let dir = "";
let reference: { cases: { q?: number[]; y?: number[]; half_bits?: number[] }[] };
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "tfc-quant-ref-"));
  const input = join(dir, "in.json");
  const output = join(dir, "out.json");
  const all = [...cases.map((c) => c.reference), { kind: "fp16", w: [...HALF_PROBES], wShape: [1, HALF_PROBES.length], x: [0], xShape: [1] }];
  await writeFile(input, JSON.stringify({ cases: all }));
  await promisify(execFile)("/usr/bin/python3", ["test/reference/quant_reference.py", input, output]);
  reference = JSON.parse(await readFile(output, "utf8"));
}, 60_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("quantized ops against the numpy reference", () => {
  cases.forEach((c, index) => {
    test(c.name, async () => {
      const want = reference.cases[index];
      const param = c.graph.params.find((p) => p.name === c.quantizedParam);
      expect(param, c.quantizedParam).toBeDefined();
      const stored = materialize(param!.init, param!.value.type);
      // 4-bit values: unpack the nibbles (low first) to compare with numpy's unpacked levels.
      const levels = param!.value.type.dtype === "uint8" && c.quantizedParam.endsWith("int4") ? [...stored as Uint8Array].flatMap((byte) => [byte & 15, byte >> 4]) : [...stored].map(Number);
      expect(levels).toEqual(want.q);

      // ORT rewrites DequantizeLinear → MatMul into MatMulNBits with 8 bits, whose accuracy level
      // (a session setting, 4 by default) quantizes x per block: level 0 keeps the fp32 product.
      const exact = { extra: { session: { qdq_matmulnbits_accuracy_level: "0" } } };
      const expected = want.y!;
      for (const [options, tolerance] of [[exact, c.tolerance], [{}, Math.max(c.tolerance, 2e-2)]] as const) {
        const session = await ort.InferenceSession.create(emitOnnx(c.graph), options);
        const y = (await session.run(c.feeds)).y.data as Float32Array;
        expect(y.length).toBe(expected.length);
        let worst = 0;
        for (let i = 0; i < y.length; i++) worst = Math.max(worst, Math.abs(y[i] - expected[i]) / Math.max(1, Math.abs(expected[i])));
        expect(worst, `largest relative error ${worst}`).toBeLessThanOrEqual(tolerance);
        await session.release();
      }
    });
  });

  test("float32 → float16 rounds as numpy does", () => {
    const want = reference.cases[cases.length].half_bits!;
    expect([...HALF_PROBES].map(float16Bits)).toEqual(want);
    expect([-0, Infinity, -Infinity, NaN].map(float16Bits)).toEqual([0x8000, 0x7c00, 0xfc00, 0x7e00]);
  });
});
