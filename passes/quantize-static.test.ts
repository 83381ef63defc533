/**
 * Static int8 from a spec: compileSpecAsync calibrates the graph as it stands at the directive (after
 * the directives before it) on the directive's samples, and gives the same model, byte for byte, as
 * the API route (calibrationGraph → collectActivations → rangesFromActivations → quantizeMatmul).
 */
import { describe, expect, test } from "vitest";
import { checkSource, compileSpec, compileSpecAsync, CalibrationRequiredError } from "../compiler/pipeline.js";
import { emitOnnx } from "../compiler/onnx/index.js";
import { PassManager, type Pass } from "../compiler/ir/pass.js";
import type { Graph } from "../compiler/ir/graph.js";
import { collectActivations, type CalibrationOptions } from "../runtime/calibrate.js";
import { measureDeviation } from "../runtime/deviation.js";
import { calibrationGraph, rangesFromActivations } from "./quantize-calibration.js";
import { quantizeMatmul } from "./quantize-matmul.js";
import { check } from "../compiler/check/index.js";
import { parse } from "../grammar/index.js";
import type { RangeMethod } from "../compiler/ir/quant/math.js";

const BERT = "kind encoder vocab 97 context 64 width 64 layers 2 heads 4 token_types 2\n  ffn 128 gelu  norm layernorm post\n  output pooler";
const GPT = "kind decoder vocab 97 context 64 width 64 layers 2 heads 4\n  ffn 4 * width gelu_tanh\n  output lm tied";

function spec(body: string, directives: string[]) {
  const text = `model m {\n  ${body}\n${directives.length ? `  optimize {\n    ${directives.join("\n    ")}\n  }\n` : ""}}\n`;
  const checked = checkSource(text, "m.tfx");
  expect(checked.diagnostics.map((d) => d.message)).toEqual([]);
  return checked.spec!;
}

/** The API route, on `graph` (the graph the directive would see). */
async function staticByApi(graph: Graph, method: RangeMethod, samples: CalibrationOptions): Promise<Graph> {
  const plan = calibrationGraph(graph);
  const activations = await collectActivations(emitOnnx(plan.graph), [...plan.readers.keys()], samples);
  const ranges = rangesFromActivations(plan, activations, method);
  return new PassManager().add(quantizeMatmul as Pass<never>, { bits: 8, mode: "static", perChannel: true, symmetric: true, ranges } as never).run(graph, { bindings: { batch: 1, seq: 64 } }).graph;
}

const equalBytes = (a: Uint8Array, b: Uint8Array) => a.length === b.length && Buffer.from(a).equals(Buffer.from(b));

describe("quantize matmul int8 static from a spec", () => {
  test("the synchronous compileSpec says where the directive is and what to use instead", () => {
    const s = spec(GPT, ["quantize matmul int8 static minmax"]);
    expect(() => compileSpec(s)).toThrow(CalibrationRequiredError);
    expect(() => compileSpec(s)).toThrow(/m\.tfx:6:5.*compileSpecAsync/);
  });

  test("seeded samples: the spec-driven model equals the API-driven one byte for byte, and stays close to fp32", async () => {
    const compiled = await compileSpecAsync(spec(BERT, ["quantize matmul int8 static minmax samples 4 seq 16 seed 2"]), { collectActivations });
    const api = await staticByApi(compileSpec(spec(BERT, [])).graph, { kind: "minmax" }, { samples: 4, seq: 16, seed: 2 });
    const bytes = emitOnnx(compiled.graph);
    expect(equalBytes(bytes, emitOnnx(api))).toBe(true);
    expect(compiled.optimizations[0].directive).toBe("quantize matmul int8 static minmax per_channel symmetric samples 4 seq 16 seed 2");
    expect(compiled.optimizations[0].report.statistics).toMatchObject({ linearsQuantized: 13 });
    const deviation = await measureDeviation(emitOnnx(compiled.baseline), bytes, { batch: 2, seq: 32 });
    expect(deviation.outputs[deviation.primary].cosine).toBeGreaterThanOrEqual(0.99);
    // A plan made without calibrating (tfc compile --plan-only) has the same figures, and says so.
    const planOnly = await compileSpecAsync(spec(BERT, ["quantize matmul int8 static minmax samples 4 seq 16 seed 2"]), { uncalibrated: true });
    const figures = ({ parameters, weightBytes, flopsPerToken }: (typeof compiled.plan.graphs)[0]) => ({ parameters, weightBytes, flopsPerToken });
    expect(figures(planOnly.plan.graphs[0])).toEqual(figures(compiled.plan.graphs[0]));
    expect(planOnly.optimizations[0].report.notes[0]).toMatch(/not calibrated/);
    // Other seeds give other ranges: the samples are really used.
    const other = await compileSpecAsync(spec(BERT, ["quantize matmul int8 static minmax samples 4 seq 16 seed 3"]), { collectActivations });
    expect(equalBytes(bytes, emitOnnx(other.graph))).toBe(false);
  });

  test("a token file, after a prune: calibrated on the pruned graph, equal to the API route on it", async () => {
    const tokens = [
      [1, 5, 9, 13, 17, 21, 25, 29],
      [2, 4, 8, 16, 32, 64, 96, 3],
    ];
    // The file comes through check()'s loader (checkSource would read it from disk beside the spec).
    const text = `model m {\n  ${GPT}\n  optimize {\n    prune ffn 50% by l2\n    quantize matmul int8 static percentile 99% calibrate "ids.json"\n  }\n}\n`;
    const result = check(parse(text, "m.tfx").ast, { loadFile: (path) => (path === "ids.json" ? { text: JSON.stringify(tokens) } : { error: "no such file" }) });
    expect(result.diagnostics).toEqual([]);
    const compiled = await compileSpecAsync(result.spec!, { collectActivations });
    const pruned = compiled.optimizations[0].graph;
    const api = await staticByApi(pruned, { kind: "percentile", percentile: 99 }, { tokens });
    expect(equalBytes(emitOnnx(compiled.graph), emitOnnx(api))).toBe(true);
    const seeded = await staticByApi(pruned, { kind: "percentile", percentile: 99 }, { samples: 2, seq: 8, seed: 0 });
    expect(equalBytes(emitOnnx(compiled.graph), emitOnnx(seeded))).toBe(false);
  });
});
