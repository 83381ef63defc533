import { readdirSync } from "node:fs";
import { describe, expect, test } from "vitest";
import type { ModelSpec } from "../spec.js";
import { countParameters } from "./count.js";
import { EXAMPLES_DIR, checkSource, readExample } from "./testing.js";

function specOf(name: string): ModelSpec {
  const checked = checkSource(readExample(name));
  expect(checked.parseDiagnostics).toEqual([]);
  expect(checked.brief).toEqual([]);
  expect(checked.spec).toBeDefined();
  return checked.spec!;
}

const target = { opset: 17, devices: ["cpu"], precision: "fp32" };

describe("examples", () => {
  test.each(readdirSync(EXAMPLES_DIR).filter((file) => file.endsWith(".tfx")))("%s checks clean", (name) => {
    const checked = checkSource(readExample(name));
    expect(checked.parseDiagnostics).toEqual([]);
    expect(checked.brief).toEqual([]);
    expect(checked.models).toHaveLength(1);
    expect(checked.spec?.name).toBe(checked.models[0]);
  });

  test("bert-base", () => {
    expect(specOf("bert-base.tfx")).toMatchObject({
      name: "bert_base",
      kind: "encoder",
      vocab: 30522,
      context: 512,
      width: 768,
      layers: 12,
      heads: 12,
      kvHeads: 12,
      headDim: 64,
      ffn: { size: 3072, activation: "gelu" },
      norm: { kind: "layernorm", placement: "post", eps: 1e-12 },
      position: { kind: "learned" },
      bias: true,
      tokenTypes: 2,
      output: { kind: "pooler" },
      weights: { kind: "random", seed: 0 },
      target,
    });
  });

  test("gpt2-small", () => {
    expect(specOf("gpt2-small.tfx")).toMatchObject({
      name: "gpt2_small",
      kind: "decoder",
      vocab: 50257,
      context: 1024,
      width: 768,
      layers: 12,
      heads: 12,
      kvHeads: 12,
      headDim: 64,
      ffn: { size: 3072, activation: "gelu_tanh" },
      norm: { kind: "layernorm", placement: "pre", eps: 1e-5 },
      position: { kind: "learned" },
      bias: true,
      tokenTypes: 0,
      output: { kind: "lm", tied: true },
      target,
    });
  });

  test("llama-style", () => {
    expect(specOf("llama-style.tfx")).toMatchObject({
      name: "llama_tiny",
      kind: "decoder",
      vocab: 32000,
      context: 2048,
      width: 512,
      layers: 8,
      heads: 8,
      kvHeads: 2,
      headDim: 64,
      ffn: { size: 1408, activation: "swiglu" },
      norm: { kind: "rmsnorm", placement: "pre", eps: 1e-6 },
      position: { kind: "rotary", theta: 10000 },
      bias: false,
      output: { kind: "lm", tied: false },
    });
  });

  test("tiny-bert", () => {
    expect(specOf("tiny-bert.tfx")).toMatchObject({
      kind: "encoder",
      vocab: 101,
      context: 32,
      width: 32,
      layers: 2,
      heads: 4,
      headDim: 8,
      ffn: { size: 64, activation: "gelu" },
      norm: { kind: "layernorm", placement: "post", eps: 1e-12 },
      tokenTypes: 2,
      output: { kind: "classifier", classes: 3 },
    });
  });

  test("tiny-gpt", () => {
    expect(specOf("tiny-gpt.tfx")).toMatchObject({
      kind: "decoder",
      vocab: 97,
      context: 32,
      width: 32,
      layers: 2,
      heads: 4,
      ffn: { size: 128, activation: "gelu_tanh" },
      norm: { kind: "layernorm", placement: "pre", eps: 1e-5 },
      output: { kind: "lm", tied: true },
    });
  });

  test("tiny-llama", () => {
    expect(specOf("tiny-llama.tfx")).toMatchObject({
      kind: "decoder",
      vocab: 89,
      context: 32,
      width: 32,
      layers: 2,
      heads: 4,
      kvHeads: 2,
      headDim: 8,
      ffn: { size: 48, activation: "swiglu" },
      norm: { kind: "rmsnorm", placement: "pre", eps: 1e-6 },
      position: { kind: "rotary", theta: 10000 },
      bias: false,
      output: { kind: "lm", tied: false },
    });
  });

  test("llama-7b: a 7B spec is checked without allocating anything", () => {
    const before = process.memoryUsage().heapUsed;
    const spec = specOf("llama-7b.tfx");
    const grown = process.memoryUsage().heapUsed - before;
    expect(spec).toMatchObject({ width: 4096, layers: 32, heads: 32, ffn: { size: 11008, activation: "swiglu" } });
    expect(countParameters(spec).total).toBe(6_738_415_616);
    expect(JSON.stringify(spec).length).toBeLessThan(10_000);
    expect(grown).toBeLessThan(64 * 1024 * 1024); // 6.7e9 fp32 weights would be 27 GB
  });

  test("spans point at the fields as written", () => {
    const source = readExample("bert-base.tfx");
    const spec = specOf("bert-base.tfx");
    const text = (key: string) => source.slice(spec.spans[key].start.offset, spec.spans[key].end.offset);
    expect(text("model")).toBe("bert_base");
    expect(text("width")).toBe("width 768");
    expect(text("norm")).toBe("norm layernorm post eps 1e-12");
    expect(text("output")).toBe("output pooler");
    expect(spec.spans.kv_heads).toBeUndefined(); // a default has no span
  });
});
