import { chmod, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { GraphBuilder, computed, fill, literal, normal, type Graph, type Value } from "../ir/index.js";
import { emitOnnx } from "./emit.js";
import { OnnxEmitError } from "./errors.js";
import { writeOnnxFile } from "./write.js";

/** Random matrices of many sizes with fills, tables and literals between them; `poison` fails to materialize. */
function mixedGraph(options: { poison?: boolean } = {}): Graph {
  const b = new GraphBuilder("mixed", { model: "mixed", dimBounds: { seq: 8 } });
  let h: Value = b.input("x", "float32", ["batch", "seq", 64]);
  const sizes = [64, 512, 96, 64, 1024, 64, 128, 64, 2048, 64];
  let width = 64;
  sizes.forEach((out, i) => {
    h = b.withScope(`layers.${i}`, () => {
      const w = b.param(`layers.${i}.weight`, "float32", [width, out], normal(5, `layers.${i}.weight`, 0.05));
      const bias =
        i % 3 === 0
          ? b.param(`layers.${i}.bias`, "float32", [out], fill(0.01))
          : i % 3 === 1
            ? b.param(`layers.${i}.bias`, "float32", [out], computed("ramp", () => Float32Array.from({ length: out }, (_, j) => j / out)))
            : b.param(`layers.${i}.bias`, "float32", [out], literal(new Float32Array(out).fill(-0.01)));
      return b.op("tanh", [b.op("linear", [h, w, bias], { transposed: false })]);
    });
    width = out;
  });
  if (options.poison) {
    const bad = b.param("poison", "float32", [64], computed("poison", () => {
      throw new Error("poisoned parameter");
    }));
    h = b.op("add", [h, bad]);
  }
  b.output("y", h);
  return b.build();
}

let dir = "";
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), "tfc-onnx-write-"));
});
afterAll(async () => {
  await chmod(dir, 0o755).catch(() => undefined);
  await rm(dir, { recursive: true, force: true });
});

async function entries(): Promise<string[]> {
  return (await readdir(dir)).sort();
}

describe("writeOnnxFile", () => {
  test("writes exactly emitOnnx's bytes and leaves no temporary file", async () => {
    const file = join(dir, "plain.onnx");
    await writeOnnxFile(mixedGraph(), file, { threads: 0 });
    expect((await readFile(file)).equals(Buffer.from(emitOnnx(mixedGraph())))).toBe(true);
    expect((await entries()).filter((name) => name.includes(".tmp-"))).toEqual([]);
    const session = await ort.InferenceSession.create(file);
    const out = await session.run({ x: new ort.Tensor("float32", new Float32Array(2 * 3 * 64).fill(0.5), [2, 3, 64]) });
    expect(out.y.dims).toEqual([2, 3, 64]);
  });

  test("worker threads draw the same weights, whatever the lookahead", async () => {
    const expected = Buffer.from(emitOnnx(mixedGraph()));
    for (const [threads, lookaheadBytes] of [
      [2, 0],
      [2, 300_000],
      [3, 1 << 30],
    ]) {
      const file = join(dir, `threads-${threads}-${lookaheadBytes}.onnx`);
      await writeOnnxFile(mixedGraph(), file, { threads, lookaheadBytes });
      expect((await readFile(file)).equals(expected), `${threads} threads, ${lookaheadBytes} bytes ahead`).toBe(true);
      await rm(file);
    }
  });

  test("replaces an existing file", async () => {
    const file = join(dir, "replace.onnx");
    await writeFile(file, "old model");
    await writeOnnxFile(mixedGraph(), file);
    expect((await readFile(file)).equals(Buffer.from(emitOnnx(mixedGraph())))).toBe(true);
  });

  for (const threads of [0, 2]) {
    test(`a failure while writing (${threads} threads) removes the temporary file and keeps the old model`, async () => {
      const file = join(dir, `failing-${threads}.onnx`);
      await writeFile(file, "previous model");
      const before = await entries();
      await expect(writeOnnxFile(mixedGraph({ poison: true }), file, { threads, lookaheadBytes: 1 << 20 })).rejects.toThrow("poisoned parameter");
      expect(await entries()).toEqual(before);
      expect(await readFile(file, "utf8")).toBe("previous model");
    });
  }

  test("a model over 2 GiB is refused before a file is created when external data is turned off", async () => {
    const b = new GraphBuilder("huge", { model: "huge", dimBounds: {} });
    const x = b.input("x", "float32", [1 << 16]);
    const w = b.param("w", "float32", [1 << 16, 1 << 13], computed("never", () => {
      throw new Error("materialized");
    }));
    b.output("y", b.op("linear", [x, w], { transposed: false }));
    const file = join(dir, "huge.onnx");
    await writeFile(file, "previous model");
    const before = await entries();
    await expect(writeOnnxFile(b.build(), file, { externalData: false })).rejects.toThrow(OnnxEmitError);
    await expect(writeOnnxFile(b.build(), file, { externalData: false })).rejects.toThrow(/over the 2 GiB limit .* unless told `externalData: false`/);
    expect(await entries()).toEqual(before);
    expect(await readFile(file, "utf8")).toBe("previous model");
  });

  test("a missing directory is an error and creates nothing", async () => {
    await expect(writeOnnxFile(mixedGraph(), join(dir, "missing", "model.onnx"))).rejects.toThrow(/ENOENT/);
    expect(await entries()).not.toContain("missing");
  });

  test.skipIf(process.getuid?.() === 0)("a read-only directory is an error and keeps the old model", async () => {
    const locked = join(dir, "locked");
    await mkdir(locked);
    await writeFile(join(locked, "model.onnx"), "previous model");
    await chmod(locked, 0o555);
    await expect(writeOnnxFile(mixedGraph(), join(locked, "model.onnx"))).rejects.toThrow(/EACCES/);
    await chmod(locked, 0o755);
    expect(await readdir(locked)).toEqual(["model.onnx"]);
    expect(await readFile(join(locked, "model.onnx"), "utf8")).toBe("previous model");
  });

  test("bad options are refused", async () => {
    await expect(writeOnnxFile(mixedGraph(), join(dir, "bad.onnx"), { threads: -1 })).rejects.toThrow(/threads must be a whole number/);
    await expect(writeOnnxFile(mixedGraph(), join(dir, "bad.onnx"), { lookaheadBytes: Number.NaN })).rejects.toThrow(/lookaheadBytes/);
    expect(await entries()).not.toContain("bad.onnx");
  });
});
