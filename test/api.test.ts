import { describe, expect, it } from "vitest";
import {
  checkSource,
  compileSpec,
  emitOnnx,
  GraphBuilder,
  graphStats,
  modelFacts,
  openSession,
  PassManager,
  printGraph,
  readModelMetadata,
  sampleInputs,
  verifyGraph,
  type Graph,
  type ModelSpec,
  type Pass,
  type PassContext,
  type PassResult,
  type Value,
} from "../index.js";

/**
 * A pass written against the package root alone, as a user would: every erf-form GELU becomes the
 * tanh approximation. It rebuilds the graph node by node, mapping old values to new ones.
 */
const geluTanh: Pass<{ readonly scopes?: RegExp }> = {
  name: "gelu-tanh",
  summary: "use the tanh approximation for every erf-form GELU",
  run(graph: Graph, options, _context: PassContext): PassResult {
    const builder = GraphBuilder.from(graph);
    const replaced = new Map<Value, Value>();
    const use = (v: Value) => replaced.get(v) ?? v;
    let rewritten = 0;
    for (const node of graph.nodes) {
      const fires = node.op === "gelu" && node.attrs.approximate === "none" && (options.scopes?.test(node.scope) ?? true);
      if (fires) rewritten++;
      const attrs = fires ? { ...node.attrs, approximate: "tanh" } : node.attrs;
      const outputs = builder.withScope(node.scope, () => builder.opMulti(node.op, node.inputs.map(use), attrs));
      node.outputs.forEach((old, i) => replaced.set(old, outputs[i]));
    }
    for (const output of graph.outputs) builder.output(output.name, use(output.value));
    return {
      graph: builder.build(),
      changed: rewritten > 0,
      notes: rewritten > 0 ? [`${rewritten} GELU now use the tanh approximation`] : ["no erf-form GELU to rewrite"],
      statistics: { rewritten },
    };
  },
};

function specOf(text: string): ModelSpec {
  const front = checkSource(text, "api-test.tfx");
  expect(front.diagnostics).toEqual([]);
  return front.spec!;
}

const erfSpec = `
model api_gelu {
  kind decoder  vocab 50  context 16
  width 16      layers 2  heads 2
  ffn 32 gelu
}`;

async function run(bytes: Uint8Array): Promise<Map<string, Float32Array>> {
  const { session, provider } = await openSession(bytes, { device: "cpu" });
  expect(provider).toBe("cpu");
  try {
    const inputs = sampleInputs(session, modelFacts(readModelMetadata(bytes)), { batch: 2, seq: 8, seed: 1 });
    const results = await session.run(Object.fromEntries(inputs.map((i) => [i.name, i.tensor])));
    return new Map(session.outputNames.map((name) => [name, results[name].data as Float32Array]));
  } finally {
    await session.release();
  }
}

describe("the public API", () => {
  it("runs a user-written pass through PassManager, emits it and runs it in ONNX Runtime", async () => {
    const spec = specOf(erfSpec);
    const { graph } = compileSpec(spec);
    const context = { bindings: { batch: 1, seq: spec.context } };

    const manager = new PassManager({ verify: true }).add(geluTanh, {});
    const { graph: rewritten, reports } = manager.run(graph, context);

    expect(verifyGraph(rewritten)).toEqual([]);
    expect(reports).toHaveLength(1);
    expect(reports[0]).toMatchObject({ pass: "gelu-tanh", changed: true, statistics: { rewritten: 2 } });
    expect(reports[0].before!.parameters).toBe(reports[0].after!.parameters);
    expect(printGraph(graph)).toContain('approximate="none"');
    expect(printGraph(rewritten)).not.toContain('approximate="none"');
    expect(printGraph(rewritten).match(/approximate="tanh"/g)).toHaveLength(2);
    expect(graphStats(rewritten, context.bindings).parameters).toBe(graphStats(graph, context.bindings).parameters);

    const before = await run(emitOnnx(graph, { opset: 17 }));
    const after = await run(emitOnnx(rewritten, { opset: 17 }));
    expect([...after.keys()]).toEqual(["hidden_states", "logits"]);
    for (const [name, reference] of before) {
      const values = after.get(name)!;
      expect(values.length).toBe(reference.length);
      let maxDiff = 0;
      for (let i = 0; i < values.length; i++) maxDiff = Math.max(maxDiff, Math.abs(values[i] - reference[i]));
      // The two GELU forms differ by at most ~1e-3 per element; the model stays close but changes.
      expect(maxDiff).toBeLessThan(1e-2);
      if (name === "hidden_states") expect(maxDiff).toBeGreaterThan(0);
    }
  });

  it("leaves a graph unchanged when the pass has nothing to do", () => {
    const { graph } = compileSpec(specOf(erfSpec.replace("ffn 32 gelu", "ffn 32 gelu_tanh")));
    const { graph: result, reports } = new PassManager().add(geluTanh, {}).run(graph, { bindings: { batch: 1, seq: 16 } });
    expect(reports[0].changed).toBe(false);
    expect(reports[0].notes).toEqual(["no erf-form GELU to rewrite"]);
    expect(printGraph(result)).toBe(printGraph(graph));
  });

  it("honours pass options", () => {
    const { graph } = compileSpec(specOf(erfSpec));
    const { reports } = new PassManager().add(geluTanh, { scopes: /^layers\.1\./ }).run(graph, { bindings: { batch: 1, seq: 16 } });
    expect(reports[0].statistics).toEqual({ rewritten: 1 });
  });
});
