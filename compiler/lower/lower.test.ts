import { describe, expect, it } from "vitest";
import { graphStats, printGraph, verifyGraph } from "../ir/index.js";
import { lowerModel } from "./lower.js";
import { tinyBert, tinyGpt, tinyLlama, tinySpec } from "../../test/specs.js";

describe("lowerModel", () => {
  it("produces a verified graph for each family", () => {
    for (const spec of [tinyGpt, tinyBert, tinyLlama]) {
      const graph = lowerModel(spec);
      expect(verifyGraph(graph)).toEqual([]);
    }
  });

  it("names inputs, outputs and parameters as the conventions say", () => {
    const bert = lowerModel(tinyBert);
    expect(bert.inputs.map((v) => v.name)).toEqual(["input_ids", "token_type_ids"]);
    expect(bert.outputs.map((o) => o.name)).toEqual(["hidden_states", "pooled", "logits"]);
    expect(bert.params.map((p) => p.name)).toContain("embed.norm.weight");
    expect(bert.params.map((p) => p.name)).not.toContain("final_norm.weight");
    const llama = lowerModel(tinyLlama);
    const names = llama.params.map((p) => p.name);
    expect(names).toContain("layers.1.ffn.gate.weight");
    expect(names).not.toContain("layers.0.attn.q.bias");
    expect(llama.params.find((p) => p.name === "layers.0.attn.k.weight")!.value.type.shape).toEqual([32, 16]);
    expect(llama.params.find((p) => p.name === "rope.cos")!.trainable).toBe(false);
  });

  it("counts parameters like the closed-form formula", () => {
    // tiny gpt: tokens 97*32 + positions 32*32 + per layer (4 attn linears + 2 norms + ffn) + final norm.
    const W = 32, F = 64, V = 97, C = 32;
    const perLayer = 4 * (W * W + W) + 2 * 2 * W + (W * F + F) + (F * W + W);
    const expected = V * W + C * W + 2 * perLayer + 2 * W;
    expect(graphStats(lowerModel(tinyGpt), { batch: 1, seq: C }).parameters).toBe(expected);
  });

  it("lowers a 7B-parameter spec without allocating its weights", () => {
    const spec = tinySpec({
      name: "llama_7b", vocab: 32000, context: 4096, width: 4096, layers: 32, heads: 32, kvHeads: 32, headDim: 128,
      ffn: { size: 11008, activation: "swiglu" }, norm: { kind: "rmsnorm", placement: "pre", eps: 1e-6 },
      position: { kind: "rotary", theta: 10000 }, bias: false, output: { kind: "lm", tied: false },
    });
    const heapBefore = process.memoryUsage().heapUsed;
    const graph = lowerModel(spec);
    const stats = graphStats(graph, { batch: 1, seq: 4096 });
    expect(stats.parameters).toBe(6_738_415_616);
    expect(process.memoryUsage().heapUsed - heapBefore).toBeLessThan(50e6);
  });

  it("prints stable text", () => {
    const text = printGraph(lowerModel(tinyLlama));
    expect(text).toBe(printGraph(lowerModel(tinyLlama)));
    expect(text).toContain("attention(");
    expect(text).toMatch(/input %input_ids: int64\[batch,seq\]/);
  });
});
