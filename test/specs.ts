import type { ModelSpec } from "../compiler/spec.js";

/** Hand-written checked specs for tests that should not depend on the parser and checker. */
const base: ModelSpec = {
  name: "tiny",
  kind: "decoder",
  vocab: 97,
  context: 32,
  width: 32,
  layers: 2,
  heads: 4,
  kvHeads: 4,
  headDim: 8,
  ffn: { size: 64, activation: "gelu" },
  norm: { kind: "layernorm", placement: "pre", eps: 1e-5 },
  position: { kind: "learned" },
  bias: true,
  tokenTypes: 0,
  output: { kind: "lm", tied: true },
  weights: { kind: "random", seed: 0 },
  target: { opset: 17, devices: ["cpu"], precision: "fp32" },
  spans: {},
};

export function tinySpec(overrides: Partial<ModelSpec> = {}): ModelSpec {
  return { ...base, ...overrides };
}

export const tinyGpt = tinySpec({ name: "tiny_gpt", ffn: { size: 64, activation: "gelu_tanh" } });

export const tinyBert = tinySpec({
  name: "tiny_bert",
  kind: "encoder",
  vocab: 101,
  tokenTypes: 2,
  norm: { kind: "layernorm", placement: "post", eps: 1e-12 },
  output: { kind: "classifier", classes: 3 },
});

export const tinyLlama = tinySpec({
  name: "tiny_llama",
  vocab: 89,
  kvHeads: 2,
  ffn: { size: 48, activation: "swiglu" },
  norm: { kind: "rmsnorm", placement: "pre", eps: 1e-6 },
  position: { kind: "rotary", theta: 10000 },
  bias: false,
  output: { kind: "lm", tied: false },
});
