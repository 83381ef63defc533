import { describe, expect, it } from "vitest";
import { checkSource, compileSpec } from "../compiler/pipeline.js";
import { emitOnnx } from "../compiler/onnx/index.js";
import { verifyGraph } from "../compiler/ir/verify.js";
import type { ModelSpec } from "../compiler/spec.js";
import { measureDeviation } from "../runtime/deviation.js";

function spec(source: string): ModelSpec {
  const checked = checkSource(source, "t.tfx");
  if (!checked.spec) throw new Error(checked.diagnostics.map((d) => d.message).join("\n"));
  return checked.spec;
}

const GPT = "kind decoder vocab 97 context 32 width 32 layers 4 heads 4 ffn 64 gelu_tanh";
const LLAMA = "kind decoder vocab 89 context 32 width 32 layers 2 heads 4 kv_heads 2 ffn 48 swiglu norm rmsnorm pre eps 1e-6 position rotary bias false output lm";
const model = (base: string, directives: string) => `model m { ${base} optimize { ${directives} } }`;

function shapeOf(graph: ReturnType<typeof compileSpec>["graph"], name: string): readonly (number | string)[] | undefined {
  return graph.params.find((p) => p.name === name)?.value.type.shape;
}

/** Initializer names in an emitted model, read back from the protobuf (field 5 of GraphProto). */
function initializerCount(bytes: Uint8Array, name: string): number {
  const needle = new TextEncoder().encode(name);
  let count = 0;
  outer: for (let i = 0; i + needle.length < bytes.length; i++) {
    for (let j = 0; j < needle.length; j++) if (bytes[i + j] !== needle[j]) continue outer;
    count++;
  }
  return count;
}

describe("prune passes shrink real shapes", () => {
  it("heads: q/k/v columns, o rows and the attention node's head counts", () => {
    const { graph, optimizations } = compileSpec(spec(model(`${GPT} output lm tied`, "prune heads 25% by l2")));
    expect(shapeOf(graph, "layers.0.attn.q.weight")).toEqual([32, 24]);
    expect(shapeOf(graph, "layers.0.attn.k.weight")).toEqual([32, 24]);
    expect(shapeOf(graph, "layers.0.attn.o.weight")).toEqual([24, 32]);
    expect(graph.nodes.filter((n) => n.op === "attention").map((n) => [n.attrs.heads, n.attrs.kvHeads])).toEqual([[3, 3], [3, 3], [3, 3], [3, 3]]);
    const [step] = optimizations;
    expect(step.report.after!.flops).toBeLessThan(step.report.before!.flops);
    expect(step.report.after!.parameters).toBe(step.report.before!.parameters - 4 * (4 * 32 * 8 + 3 * 8));
  });

  it("heads under GQA: every kv group keeps its kv head and loses the same number of query heads", () => {
    const { graph } = compileSpec(spec(model(LLAMA, "prune heads 50% by l2")));
    expect(graph.nodes.filter((n) => n.op === "attention").map((n) => [n.attrs.heads, n.attrs.kvHeads])).toEqual([[2, 2], [2, 2]]);
    expect(shapeOf(graph, "layers.0.attn.k.weight")).toEqual([32, 16]);
    expect(graph.nodes.filter((n) => n.op === "rotary").map((n) => n.attrs.heads)).toEqual([2, 2, 2, 2]);
  });

  it("ffn: up/gate columns and down rows", () => {
    const { graph } = compileSpec(spec(model(LLAMA, "prune ffn 50% by l1")));
    expect(shapeOf(graph, "layers.1.ffn.up.weight")).toEqual([32, 24]);
    expect(shapeOf(graph, "layers.1.ffn.gate.weight")).toEqual([32, 24]);
    expect(shapeOf(graph, "layers.1.ffn.down.weight")).toEqual([24, 32]);
  });

  it("the plan's activation estimate follows the pruned FFN width, not the spec's", () => {
    const base = GPT.replace("ffn 64", "ffn 512"); // the FFN's hidden state is the layer's largest activation
    const full = compileSpec(spec(`model m { ${base} }`)).plan.graphs[0].activationMemory.peakBytes;
    const pruned = compileSpec(spec(model(base, "prune ffn 50% by l2"))).plan.graphs[0].activationMemory.peakBytes;
    // 256 fewer hidden features × 32 tokens × 4 bytes, for the linear's output and the activation's.
    expect(full - pruned).toBe(256 * 32 * 4 * 2);
  });

  it("layers: nodes and parameters go; the plan lists the layers left", () => {
    const { graph, plan } = compileSpec(spec(model(`${GPT} output lm tied`, "prune layers [1, 2]")));
    expect(graph.params.some((p) => p.name.startsWith("layers.1."))).toBe(false);
    expect(graph.nodes.some((n) => n.scope.startsWith("layers.2."))).toBe(false);
    expect(plan.graphs[0].layers.map((l) => l.layer)).toEqual([0, 3]);
  });

  it("a pruned head's block layout disappears with it", () => {
    const source = `model m { kind decoder vocab 97 context 64 width 32 layers 1 heads 4 ffn 64 gelu output lm tied attention { layers all heads 0..1 : window 16, heads 2..3 : dense } optimize { prune heads layers 0 [0, 1] } }`;
    const { graph } = compileSpec(spec(source), { sparseAttention: false });
    const attention = graph.nodes.find((n) => n.op === "attention")!;
    expect(attention.attrs.heads).toBe(2);
    expect(attention.attrs.blockHeads).toEqual([0, 0]); // the two dense heads, one shared layout
  });

  it("weights: magnitude pruning reports per-layer sparsity and keeps shapes", () => {
    const { optimizations } = compileSpec(spec(model(`${GPT} output lm tied`, "prune weights 80% magnitude")));
    const { statistics, after, before } = optimizations[0].report;
    for (let layer = 0; layer < 4; layer++) expect(statistics[`layers.${layer}.sparsity`]).toBeCloseTo(0.8, 3);
    expect(after!.parameters).toBe(before!.parameters);
  });
});

describe("share passes store each shared tensor once", () => {
  it("layers groups of 2: one initializer per group, and the file shrinks by the merged bytes", () => {
    const base = spec(`model m { ${GPT} output lm tied }`);
    const shared = spec(model(`${GPT} output lm tied`, "share layers groups of 2"));
    const before = emitOnnx(compileSpec(base).graph);
    const compiled = compileSpec(shared);
    const after = emitOnnx(compiled.graph);
    expect(initializerCount(after, "layers.1.attn.q.weight")).toBe(0);
    expect(initializerCount(after, "layers.0.attn.q.weight")).toBeGreaterThan(0);
    const mergedBytes = compiled.optimizations[0].report.before!.weightBytes - compiled.optimizations[0].report.after!.weightBytes;
    expect(mergedBytes).toBeGreaterThan(0);
    // The file holds the weights plus names and structure: the difference is the merged weights, within the names' size.
    expect(Math.abs(before.length - after.length - mergedBytes)).toBeLessThan(4096);
    const qReaders = compiled.graph.nodes.filter((n) => n.inputs.some((v) => v.name === "layers.0.attn.q.weight"));
    expect(qReaders).toHaveLength(2);
  });

  it("tied embeddings: the head reads embed.tokens, head.lm.weight is gone", () => {
    const { graph } = compileSpec(spec(model(`${GPT} output lm`, "share embeddings tied")));
    expect(shapeOf(graph, "head.lm.weight")).toBeUndefined();
    expect(graph.nodes.filter((n) => n.inputs.some((v) => v.name === "embed.tokens")).map((n) => n.op)).toEqual(["embedding", "linear"]);
  });

  it("factorized embedding: tokens [vocab, E] and a projection [E, width]", () => {
    const { graph, optimizations } = compileSpec(spec(model(`${GPT} output lm tied`, "share embeddings factorized 8")));
    expect(shapeOf(graph, "embed.tokens")).toEqual([97, 8]);
    expect(shapeOf(graph, "embed.project.weight")).toEqual([8, 32]);
    expect(optimizations[0].report.after!.parameters).toBe(optimizations[0].report.before!.parameters - 97 * 32 + 97 * 8 + 8 * 32);
  });
});

describe("composition", () => {
  const pairs = [
    ["prune heads 25% by l2", "prune ffn 50% by l2"],
    ["prune layers [3]", "share layers groups of 2"],
    ["share attn groups of 2", "prune ffn 25% by l1"],
    ["share ffn all", "prune weights 50% magnitude global"],
    ["prune heads 50% by l1 global", "prune layers [0]"],
  ];
  it.each(pairs)("%s, then %s: runs in order, the IR verifies after each step, emission is deterministic", (first, second) => {
    const s = spec(model(`${GPT} output lm tied`, `${first}  ${second}`));
    const compiled = compileSpec(s);
    expect(compiled.optimizations.map((o) => o.report.pass)).toHaveLength(2);
    for (const step of compiled.optimizations) expect(verifyGraph(step.graph)).toEqual([]);
    expect(compiled.optimizations[1].report.before).toEqual(compiled.optimizations[0].report.after);
    expect(Buffer.from(emitOnnx(compileSpec(s).graph)).equals(Buffer.from(emitOnnx(compiled.graph)))).toBe(true);
  });
});

describe("deviation (ONNX Runtime)", () => {
  it("is zero for the same model and measured for a pruned one, with top-1 agreement for LM logits", async () => {
    const compiled = compileSpec(spec(model(`${GPT} output lm tied`, "prune heads 50% by l2")));
    const baseline = emitOnnx(compiled.baseline);
    const same = await measureDeviation(baseline, baseline, { seq: 16 });
    expect(same.primary).toBe("logits");
    expect(same.outputs.logits).toEqual({ maxAbs: 0, meanRelative: 0, cosine: expect.closeTo(1, 6), top1Agreement: 1 });
    const pruned = await measureDeviation(baseline, emitOnnx(compiled.graph), { seq: 16 });
    expect(pruned.inputs).toEqual({ batch: 2, seq: 16, seed: 0 });
    expect(pruned.outputs.logits.maxAbs).toBeGreaterThan(0);
    expect(pruned.outputs.logits.cosine).toBeLessThan(1);
    expect(pruned.outputs.hidden_states.meanRelative).toBeGreaterThan(0);
  });
});
