import { mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { GraphBuilder, computed, fill, normal, type Graph, type Value } from "../ir/index.js";
import { emitOnnx } from "./emit.js";
import { EXTERNAL_MIN_BYTES, layoutModel } from "./layout.js";
import { resolveOptions } from "./options.js";
import { onnxSchema } from "./schema.js";
import { externalDataPath, writeOnnxFile } from "./write.js";

/** Matrices of 1 MiB and more (aligned to 64 KiB), small ones (64 bytes) and tiny biases (kept in the model). */
function layeredGraph(): Graph {
  const b = new GraphBuilder("layered", { model: "layered", dimBounds: { seq: 8 } });
  let h: Value = b.input("x", "float32", ["batch", "seq", 64]);
  let width = 64;
  [4096, 64, 100, 640, 64].forEach((out, i) => {
    h = b.withScope(`layers.${i}`, () => {
      const w = b.param(`layers.${i}.weight`, "float32", [width, out], normal(9, `layers.${i}.weight`, 0.05));
      const bias = b.param(`layers.${i}.bias`, "float32", [out], fill(0.01 * i));
      return b.op("tanh", [b.op("linear", [h, w, bias], { transposed: false })]);
    });
    width = out;
  });
  b.output("y", h);
  return b.build();
}

interface TensorMessage {
  name: string;
  raw_data?: Uint8Array;
  data_location?: number;
  external_data?: { key: string; value: string }[];
}

async function initializers(path: string): Promise<TensorMessage[]> {
  const model = onnxSchema().ModelProto.decode(await readFile(path)) as unknown as { graph: { initializer: TensorMessage[] } };
  return model.graph.initializer;
}

let dir = "";
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "tfc-onnx-external-"));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe("ONNX external data", () => {
  test("holds the same tensors as the embedded model, at aligned offsets, and the model file holds none", async () => {
    const embedded = join(dir, "embedded.onnx");
    const external = join(dir, "external.onnx");
    await writeOnnxFile(layeredGraph(), embedded, { threads: 0 });
    await writeOnnxFile(layeredGraph(), external, { externalData: true, threads: 2 });
    expect((await readdir(dir)).filter((f) => f.startsWith("external"))).toEqual(["external.onnx", "external.onnx.data"]);

    const data = await readFile(externalDataPath(external));
    const inline = new Map((await initializers(embedded)).map((t) => [t.name, t.raw_data!]));
    let externalBytes = 0;
    for (const tensor of await initializers(external)) {
      const expected = inline.get(tensor.name)!;
      if (expected.length < EXTERNAL_MIN_BYTES) {
        expect(tensor.raw_data, tensor.name).toEqual(expected);
        continue;
      }
      expect(tensor.data_location, tensor.name).toBe(1);
      expect(tensor.raw_data?.length ?? 0).toBe(0);
      const entries = Object.fromEntries(tensor.external_data!.map((e) => [e.key, e.value]));
      expect(entries.location).toBe("external.onnx.data");
      const [offset, length] = [Number(entries.offset), Number(entries.length)];
      expect(length).toBe(expected.length);
      expect(offset % (length >= 1 << 20 ? 1 << 16 : 64), tensor.name).toBe(0);
      expect(data.subarray(offset, offset + length).equals(expected), tensor.name).toBe(true);
      externalBytes += length;
    }
    expect(externalBytes).toBeGreaterThan(1 << 20);
    expect((await readFile(external)).length).toBeLessThan(16 << 10);
  });

  test("runs in ONNX Runtime with outputs identical to the embedded model", async () => {
    const embedded = join(dir, "run-embedded.onnx");
    const external = join(dir, "run-external.onnx");
    await writeOnnxFile(layeredGraph(), embedded);
    await writeOnnxFile(layeredGraph(), external, { externalData: true });
    const x = new ort.Tensor("float32", Float32Array.from({ length: 2 * 5 * 64 }, (_, i) => Math.sin(i)), [2, 5, 64]);
    const [a, b] = await Promise.all([embedded, external].map(async (path) => (await (await ort.InferenceSession.create(path)).run({ x })).y));
    expect(b.dims).toEqual([2, 5, 64]);
    expect(Buffer.from((b.data as Float32Array).buffer).equals(Buffer.from((a.data as Float32Array).buffer))).toBe(true);
  });

  test("is deterministic and replaces both files", async () => {
    const first = join(dir, "det-a.onnx");
    const second = join(dir, "det-b.onnx");
    await writeFile(externalDataPath(second), "stale data");
    await writeOnnxFile(layeredGraph(), first, { externalData: true, threads: 0 });
    await writeOnnxFile(layeredGraph(), second, { externalData: true, threads: 3, lookaheadBytes: 1 << 16 });
    expect((await readFile(externalDataPath(first))).equals(await readFile(externalDataPath(second)))).toBe(true);
    // The models differ only in the data file's name they point to.
    const normalize = async (path: string, name: string) => (await readFile(path)).toString("latin1").replaceAll(name, "X");
    expect(await normalize(second, "det-b.onnx.data")).toBe(await normalize(first, "det-a.onnx.data"));
    expect((await readdir(dir)).filter((f) => f.includes(".tmp-"))).toEqual([]);
  });

  test("a failure leaves neither file behind and keeps the old ones", async () => {
    const b = new GraphBuilder("poisoned", { model: "poisoned", dimBounds: {} });
    const x = b.input("x", "float32", [1024]);
    const w = b.param("w", "float32", [1024, 1024], normal(1, "w", 0.1));
    const bad = b.param("bad", "float32", [1024], computed("poison", () => {
      throw new Error("poisoned parameter");
    }));
    b.output("y", b.op("add", [b.op("linear", [x, w], { transposed: false }), bad]));
    const path = join(dir, "poisoned.onnx");
    await writeFile(path, "old model");
    await writeFile(externalDataPath(path), "old data");
    await expect(writeOnnxFile(b.build(), path, { externalData: true })).rejects.toThrow("poisoned parameter");
    expect(await readFile(path, "utf8")).toBe("old model");
    expect(await readFile(externalDataPath(path), "utf8")).toBe("old data");
    expect((await readdir(dir)).filter((f) => f.includes(".tmp-"))).toEqual([]);
  });

  test("is chosen past the 2 GiB limit without materializing a weight", () => {
    const b = new GraphBuilder("huge", { model: "huge", dimBounds: {} });
    const x = b.input("x", "float32", [1 << 16]);
    const w = b.param("w", "float32", [1 << 16, 1 << 13], computed("never", () => {
      throw new Error("materialized");
    }));
    b.output("y", b.op("linear", [x, w], { transposed: false }));
    const graph = b.build();
    const layout = layoutModel(graph, resolveOptions(), { kind: "external", location: "huge.onnx.data", when: "over-limit" });
    expect(layout.externalData).toEqual({ location: "huge.onnx.data", totalBytes: 2 ** 31 });
    expect(layout.totalBytes).toBeLessThan(4096);
    // Under the limit, "over-limit" keeps the weights in the model.
    expect(layoutModel(layeredGraph(), resolveOptions(), { kind: "external", location: "l.data", when: "over-limit" }).externalData).toBeUndefined();
    expect(() => emitOnnx(graph)).toThrow(/over the 2 GiB limit/);
  });
});
