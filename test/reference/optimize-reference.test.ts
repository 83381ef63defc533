/**
 * Reference tier for the optimize passes: each model is compiled with its `optimize` block, emitted,
 * run by ONNX Runtime, and compared with the PyTorch reference built for the pruned / shared
 * architecture (test/reference/structure.ts) from the same file's weights; the file also passes
 * onnx.checker.check_model(full_check=True).
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkSource, compileSpec } from "../../compiler/pipeline.js";
import { writeOnnxFile } from "../../compiler/onnx/index.js";
import type { ModelSpec } from "../../compiler/spec.js";
import { referenceConfig } from "./structure.js";

const PYTHON = "/usr/bin/python3";
const RELATIVE_TOLERANCE = 1e-4;

function spec(source: string): ModelSpec {
  const checked = checkSource(source, "optimize.tfx");
  if (!checked.spec) throw new Error(checked.diagnostics.map((d) => d.message).join("\n"));
  return checked.spec;
}

const BERT = "kind encoder vocab 101 context 32 token_types 2 width 32 layers 4 heads 4 ffn 64 gelu norm layernorm post eps 1e-12 output classifier 3";
const LLAMA = "kind decoder vocab 89 context 32 width 32 layers 3 heads 4 kv_heads 2 ffn 48 swiglu norm rmsnorm pre eps 1e-6 position rotary bias false output lm";
const GPT = "kind decoder vocab 97 context 32 width 32 layers 4 heads 4 ffn 128 gelu_tanh";

const cases = [
  { label: "bert: heads 25% l2, ffn 50% l1, layer 3 removed", source: `model m { ${BERT} optimize { prune heads 25% by l2  prune ffn 50% by l1  prune layers [3] } }` },
  { label: "llama GQA + rotary: heads 50% l1 global, ffn 25% l2 global", source: `model m { ${LLAMA} optimize { prune heads 50% by l1 global  prune ffn 25% by l2 global } }` },
  { label: "llama GQA: explicit heads, layer 0 removed, magnitude 70%", source: `model m { ${LLAMA} optimize { prune heads layers 1..2 [0, 3]  prune layers [0]  prune weights 70% magnitude global } }` },
  { label: "gpt tied: share layers groups of 2", source: `model m { ${GPT} output lm tied optimize { share layers groups of 2 } }` },
  { label: "gpt untied: tie, factorize 8, share attn all, ffn groups of 3", source: `model m { ${GPT} output lm optimize { share embeddings tied  share embeddings factorized 8  share attn all  share ffn groups of 3 } }` },
  { label: "dense-masked layouts: heads pruned with their layouts", source: `model m { kind decoder vocab 97 context 64 width 32 layers 2 heads 4 ffn 64 gelu output lm tied attention { layers all heads 0..1 : window 16, heads 2..3 : dense } optimize { prune heads layers 0 [0, 3] layers 1 [2] } }`, seq: 64 },
  { label: "block-sparse layouts: heads pruned with their layouts", source: `model m { kind decoder vocab 97 context 256 width 32 layers 2 heads 4 ffn 64 gelu output lm tied attention { layers all heads 0..1 : window 32, heads 2..3 : window 64 + global [0] } optimize { prune heads layers 0 [1, 2] layers 1 [3] } }`, seq: 200 },
];

interface Outputs {
  [name: string]: { shape: number[]; data: number[] };
}

let dir: string;
const ours = new Map<string, Outputs>();
const reference = new Map<string, Outputs & { checker?: string }>();
const checker = new Map<string, string>();

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "tfc-optimize-reference-"));
  const manifest: { float64: boolean; cases: object[] } = { float64: true, cases: [] };
  for (const [index, c] of cases.entries()) {
    const s = spec(c.source);
    const { graph } = compileSpec(s);
    const onnxPath = join(dir, `case${index}.onnx`);
    await writeOnnxFile(graph, onnxPath, { opset: 17 });
    const batch = 2;
    const seq = "seq" in c ? (c.seq as number) : 13;
    const ids = Array.from({ length: batch }, (_, b) => Array.from({ length: seq }, (_, i) => (i * 31 + b * 7 + index) % s.vocab));
    const inputs: Record<string, number[][]> = { input_ids: ids };
    if (s.tokenTypes > 0) inputs.token_type_ids = ids.map((row) => row.map((v) => v % s.tokenTypes));
    const session = await ort.InferenceSession.create(onnxPath);
    const feeds: Record<string, ort.Tensor> = {};
    for (const [name, rows] of Object.entries(inputs)) feeds[name] = new ort.Tensor("int64", BigInt64Array.from(rows.flat().map(BigInt)), [batch, seq]);
    const results = await session.run(feeds);
    const outputs: Outputs = {};
    for (const name of session.outputNames) outputs[name] = { shape: results[name].dims.map(Number), data: Array.from(results[name].data as Float32Array) };
    ours.set(c.label, outputs);
    await session.release();
    manifest.cases.push({ config: referenceConfig(s, graph), onnx: onnxPath, inputs, out: join(dir, `case${index}.out.json`) });
  }
  const manifestPath = join(dir, "manifest.json");
  writeFileSync(manifestPath, JSON.stringify(manifest));
  execFileSync(PYTHON, ["test/reference/run_many.py", manifestPath], { stdio: ["ignore", "inherit", "inherit"] });
  for (const [index, c] of cases.entries()) {
    const result = JSON.parse(readFileSync(join(dir, `case${index}.out.json`), "utf8"));
    reference.set(c.label, result.outputs);
    checker.set(c.label, result.checker);
    // Every weight in the file is read by the reference (lowering's small constants are `const.*`).
    const unusedWeights = (result.unused_initializers as string[]).filter((n) => !n.startsWith("const."));
    if (unusedWeights.length > 0) throw new Error(`${c.label}: the reference did not use ${unusedWeights.join(", ")}`);
  }
}, 300_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe.each(cases.map((c) => [c.label] as const))("%s", (label) => {
  it("passes onnx.checker.check_model(full_check=True)", () => {
    expect(checker.get(label)).toBe("ok");
  });

  it("matches the PyTorch reference of the optimized architecture to 1e-4 relative", () => {
    const actual = ours.get(label)!;
    const expected = reference.get(label)!;
    expect(Object.keys(actual)).toEqual(Object.keys(expected));
    for (const [name, want] of Object.entries(expected)) {
      const got = actual[name];
      expect(got.shape, name).toEqual(want.shape);
      const scale = Math.sqrt(want.data.reduce((s, v) => s + v * v, 0) / want.data.length);
      let worst = 0;
      for (let i = 0; i < want.data.length; i++) worst = Math.max(worst, Math.abs(got.data[i] - want.data[i]) / Math.max(Math.abs(want.data[i]), scale));
      expect(worst, `${name}: worst relative error`).toBeLessThan(RELATIVE_TOLERANCE);
      expect(scale, `${name} is not trivially zero`).toBeGreaterThan(1e-3);
    }
  });
});
