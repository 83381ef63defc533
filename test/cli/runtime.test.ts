import { afterAll, describe, expect, it } from "vitest";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { lowerModel } from "../../compiler/lower/index.js";
import { emitOnnx } from "../../compiler/onnx/index.js";
import { CUDA_FALLBACK_NOTICE, InputRandom, latencySummary, ModelRunError, modelFacts, openSession, readModelMetadata, runModel, sampleInputs } from "../../runtime/index.js";
import { tinyBert, tinyGpt } from "../specs.js";
import { tempDir } from "./tfc.js";

describe("runtime", () => {
  const dir = tempDir("runtime");
  afterAll(() => dir.remove());
  const gptBytes = emitOnnx(lowerModel(tinyGpt));
  const gptPath = join(dir.path, "tiny_gpt.onnx");
  writeFileSync(gptPath, gptBytes);

  it("reads the model's metadata without parsing the graph, from a file or bytes", () => {
    const fromFile = readModelMetadata(gptPath);
    expect(fromFile).toEqual(readModelMetadata(gptBytes));
    expect(fromFile["tfc.model"]).toBe("tiny_gpt");
    expect(modelFacts(fromFile)).toEqual({ vocab: 97, tokenTypes: 0, context: 32 });
  });

  it("refuses bytes that are not protobuf", () => {
    expect(() => readModelMetadata(new Uint8Array([0xff, 0xff, 0xff]))).toThrow(ModelRunError);
  });

  it("opens a CPU session, and with auto falls back to the CPU with the notice", async () => {
    const cpu = await openSession(gptBytes, { device: "cpu", threads: 1, graphOptimization: "basic" });
    expect(cpu.provider).toBe("cpu");
    expect(cpu.notice).toBeUndefined();
    await cpu.session.release();
    const auto = await openSession(gptPath);
    if (auto.provider === "cpu") expect(auto.notice).toBe(CUDA_FALLBACK_NOTICE);
    await auto.session.release();
  });

  it("draws seeded token ids below the vocabulary, per input", async () => {
    const bytes = emitOnnx(lowerModel(tinyBert));
    const { session } = await openSession(bytes, { device: "cpu" });
    try {
      const facts = modelFacts(readModelMetadata(bytes));
      const a = sampleInputs(session, facts, { batch: 2, seq: 5, seed: 9 });
      const b = sampleInputs(session, facts, { batch: 2, seq: 5, seed: 9 });
      expect(a.map((i) => [i.name, i.dims])).toEqual([
        ["input_ids", [2, 5]],
        ["token_type_ids", [2, 5]],
      ]);
      const ids = Array.from(a[0].tensor.data as BigInt64Array, Number);
      expect(ids).toEqual(Array.from(b[0].tensor.data as BigInt64Array, Number));
      expect(ids.every((t) => t >= 0 && t < 101)).toBe(true);
      expect(new Set(ids).size).toBeGreaterThan(1);
      expect(Array.from(a[1].tensor.data as BigInt64Array, Number).every((t) => t === 0 || t === 1)).toBe(true);
    } finally {
      await session.release();
    }
  });

  it("runs a model deterministically", async () => {
    const first = await runModel(gptPath, { device: "cpu", runs: 2, seed: 5 });
    const second = await runModel(gptPath, { device: "cpu", runs: 1, seed: 5 });
    expect(first.outputs.map((o) => [o.name, o.dims])).toEqual([
      ["hidden_states", [1, 16, 32]],
      ["logits", [1, 16, 97]],
    ]);
    expect(second.outputs).toEqual(first.outputs);
    expect(first.outputs[1].checksum.sumAbs).toBeGreaterThan(0);
    expect(first.latencyMs.min).toBeLessThanOrEqual(first.latencyMs.median);
  });

  it("summarizes latency", () => {
    expect(latencySummary([5, 1, 3, 2, 4])).toEqual({ median: 3, min: 1, p90: 5 });
    expect(latencySummary([4, 2])).toEqual({ median: 3, min: 2, p90: 4 });
  });

  it("seeds its generator per stream", () => {
    const a = new InputRandom(0, "input_ids");
    const b = new InputRandom(0, "token_type_ids");
    const xs = Array.from({ length: 8 }, () => a.below(1000));
    expect(xs).not.toEqual(Array.from({ length: 8 }, () => b.below(1000)));
    expect(xs).toEqual(Array.from({ length: 8 }, ((r) => () => r.below(1000))(new InputRandom(0, "input_ids"))));
  });
});
