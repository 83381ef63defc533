import fc from "fast-check";
import { describe, expect, test } from "vitest";
import type { ModelSpec } from "../spec.js";
import { countParameters, type CountableSpec } from "./count.js";
import { checkSource, readExample } from "./testing.js";

function example(name: string): ModelSpec {
  const checked = checkSource(readExample(name));
  expect(checked.brief).toEqual([]);
  return checked.spec!;
}

/**
 * The parameter table of docs/model-conventions.md, written out name by name, as an independent
 * oracle for countParameters.
 */
function initializerShapes(spec: CountableSpec): Map<string, number[]> {
  const W = spec.width, D = spec.headDim, H = spec.heads, KV = spec.kvHeads, F = spec.ffn.size;
  const shapes = new Map<string, number[]>();
  const layernorm = spec.norm.kind === "layernorm";
  const addNorm = (name: string) => {
    shapes.set(`${name}.weight`, [W]);
    if (layernorm) shapes.set(`${name}.bias`, [W]);
  };
  shapes.set("embed.tokens", [spec.vocab, W]);
  if (spec.position.kind === "learned") shapes.set("embed.positions", [spec.context, W]);
  if (spec.tokenTypes > 0) shapes.set("embed.token_types", [spec.tokenTypes, W]);
  if (spec.norm.placement === "post") addNorm("embed.norm");
  for (let L = 0; L < spec.layers; L++) {
    const linear = (name: string, inputs: number, outputs: number) => {
      shapes.set(`layers.${L}.${name}.weight`, [inputs, outputs]);
      if (spec.bias) shapes.set(`layers.${L}.${name}.bias`, [outputs]);
    };
    linear("attn.q", W, H * D);
    linear("attn.k", W, KV * D);
    linear("attn.v", W, KV * D);
    linear("attn.o", H * D, W);
    addNorm(`layers.${L}.attn_norm`);
    linear("ffn.up", W, F);
    if (spec.ffn.activation === "swiglu" || spec.ffn.activation === "geglu") linear("ffn.gate", W, F);
    linear("ffn.down", F, W);
    addNorm(`layers.${L}.ffn_norm`);
  }
  if (spec.norm.placement === "pre") addNorm("final_norm");
  const output = spec.output;
  if (output.kind === "pooler" || (output.kind === "classifier" && spec.kind === "encoder")) {
    shapes.set("head.pooler.weight", [W, W]);
    shapes.set("head.pooler.bias", [W]);
  }
  if (output.kind === "classifier") {
    shapes.set("head.classifier.weight", [W, output.classes]);
    if (spec.bias || spec.kind === "encoder") shapes.set("head.classifier.bias", [output.classes]);
  }
  if (output.kind === "lm" && !output.tied) shapes.set("head.lm.weight", [W, spec.vocab]);
  return shapes;
}

function total(shapes: Map<string, number[]>): number {
  let sum = 0;
  for (const shape of shapes.values()) sum += shape.reduce((a, b) => a * b, 1);
  return sum;
}

describe("countParameters", () => {
  test("BERT-base with its pooler: 109,482,240 (Hugging Face bert-base-uncased)", () => {
    expect(countParameters(example("bert-base.tfx"))).toEqual({
      total: 109_482_240,
      perLayer: 7_087_872,
      embedding: 23_837_184,
      head: 590_592,
    });
  });

  test("GPT-2 small with a tied lm head: 124,439,808 (Hugging Face gpt2)", () => {
    expect(countParameters(example("gpt2-small.tfx"))).toEqual({
      total: 124_439_808,
      perLayer: 7_087_872,
      embedding: 39_383_808,
      head: 1_536, // the final norm; the tied lm head adds nothing
    });
  });

  test("LLaMA-7B: 6,738,415,616 (rotary tables are constants, not parameters)", () => {
    expect(countParameters(example("llama-7b.tfx"))).toEqual({
      total: 6_738_415_616,
      perLayer: 202_383_360,
      embedding: 131_072_000,
      head: 131_076_096,
    });
  });

  test("each example matches the conventions table, name by name", () => {
    for (const name of ["tiny-bert.tfx", "tiny-gpt.tfx", "tiny-llama.tfx", "llama-style.tfx", "bert-base.tfx"]) {
      const spec = example(name);
      expect(countParameters(spec).total, name).toBe(total(initializerShapes(spec)));
    }
  });

  test("sinusoidal positions are a constant table; an untied lm adds width × vocab", () => {
    const base = example("tiny-gpt.tfx");
    const sinusoidal = countParameters({ ...base, position: { kind: "sinusoidal" } });
    expect(countParameters(base).total - sinusoidal.total).toBe(32 * 32);
    const untied = countParameters({ ...base, output: { kind: "lm", tied: false } });
    expect(untied.total - countParameters(base).total).toBe(32 * 97);
  });

  test("property: total = embedding + layers × perLayer + head = the conventions table", () => {
    const spec = fc.record({
      kind: fc.constantFrom("encoder" as const, "decoder" as const),
      vocab: fc.integer({ min: 1, max: 300 }),
      context: fc.integer({ min: 1, max: 64 }),
      kvHeads: fc.integer({ min: 1, max: 4 }),
      group: fc.integer({ min: 1, max: 3 }),
      headDim: fc.integer({ min: 1, max: 16 }),
      width: fc.integer({ min: 1, max: 64 }),
      layers: fc.integer({ min: 1, max: 4 }),
      ffn: fc.record({
        size: fc.integer({ min: 1, max: 128 }),
        activation: fc.constantFrom("relu" as const, "gelu" as const, "gelu_tanh" as const, "silu" as const, "swiglu" as const, "geglu" as const),
      }),
      norm: fc.record({
        kind: fc.constantFrom("layernorm" as const, "rmsnorm" as const),
        placement: fc.constantFrom("pre" as const, "post" as const),
        eps: fc.constant(1e-5),
      }),
      position: fc.constantFrom({ kind: "learned" as const }, { kind: "sinusoidal" as const }, { kind: "rotary" as const, theta: 10000 }, { kind: "none" as const }),
      bias: fc.boolean(),
      tokenTypes: fc.integer({ min: 0, max: 3 }),
      output: fc.oneof(
        fc.record({ kind: fc.constant("lm" as const), tied: fc.boolean() }),
        fc.record({ kind: fc.constant("classifier" as const), classes: fc.integer({ min: 2, max: 5 }) }),
        fc.constant({ kind: "pooler" as const }),
        fc.constant({ kind: "none" as const }),
      ),
    });
    fc.assert(
      fc.property(spec, ({ group, ...rest }) => {
        const countable: CountableSpec = { ...rest, heads: rest.kvHeads * group };
        const count = countParameters(countable);
        expect(count.total).toBe(count.embedding + countable.layers * count.perLayer + count.head);
        expect(count.total).toBe(total(initializerShapes(countable)));
      }),
      { numRuns: 300 },
    );
  });
});
