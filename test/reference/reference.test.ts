/**
 * Reference tier: every model family, emitted by tfc and run by ONNX Runtime, against the
 * independent PyTorch model in test/reference/torch_model.py (float64), and through the official
 * ONNX checker. One python process serves all cases so torch is imported once.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkFile } from "../../compiler/pipeline.js";
import { lowerModel } from "../../compiler/lower/lower.js";
import { writeOnnxFile } from "../../compiler/onnx/index.js";
import type { ModelSpec } from "../../compiler/spec.js";
import { tinySpec } from "../specs.js";
import { seededIds } from "./seeded-ids.js";

const PYTHON = "/usr/bin/python3";
/** Float32 ORT against a float64 oracle: relative to the output's own scale. */
const RELATIVE_TOLERANCE = 1e-4;

interface Case {
  readonly label: string;
  readonly spec: ModelSpec;
  readonly batch: number;
  readonly seq: number;
}

function exampleSpec(file: string): ModelSpec {
  const result = checkFile(file);
  if (!result.spec) throw new Error(`${file} did not check: ${JSON.stringify(result.diagnostics.map((d) => d.message))}`);
  return result.spec;
}

const cases: Case[] = [
  // The three families of the issue, from the bundled examples, at a short and the full length.
  ...["tiny-bert", "tiny-gpt", "tiny-llama"].flatMap((name) => [
    { label: `${name} seq 7`, spec: exampleSpec(`examples/${name}.tfx`), batch: 2, seq: 7 },
    { label: `${name} full context`, spec: exampleSpec(`examples/${name}.tfx`), batch: 1, seq: 32 },
  ]),
  { label: "encoder sinusoidal relu pooler", batch: 2, seq: 9, spec: tinySpec({ kind: "encoder", position: { kind: "sinusoidal" }, ffn: { size: 64, activation: "relu" }, norm: { kind: "layernorm", placement: "post", eps: 1e-12 }, output: { kind: "pooler" } }) },
  { label: "decoder silu untied lm", batch: 1, seq: 12, spec: tinySpec({ ffn: { size: 40, activation: "silu" }, output: { kind: "lm", tied: false } }) },
  { label: "encoder geglu none", batch: 2, seq: 5, spec: tinySpec({ kind: "encoder", ffn: { size: 48, activation: "geglu" }, output: { kind: "none" } }) },
  { label: "rmsnorm post decoder, classifier without bias", batch: 2, seq: 6, spec: tinySpec({ norm: { kind: "rmsnorm", placement: "post", eps: 1e-6 }, bias: false, output: { kind: "classifier", classes: 5 } }) },
  { label: "multi-query (kv_heads 1) rotary", batch: 1, seq: 11, spec: tinySpec({ kvHeads: 1, position: { kind: "rotary", theta: 500 }, norm: { kind: "rmsnorm", placement: "pre", eps: 1e-6 } }) },
  // Opset 18 moves ReduceMean's axes to an input (the rms_norm lowering); numerics only, since the
  // bundled python3-onnx 1.12 checker knows opsets up to 17.
  { label: "opset 18 rmsnorm", batch: 1, seq: 4, spec: tinySpec({ target: { opset: 18, devices: ["cpu"], precision: "fp32" }, norm: { kind: "rmsnorm", placement: "pre", eps: 1e-5 } }) },
  { label: "head_dim 16 × 4 heads ≠ width, no positions", batch: 1, seq: 8, spec: tinySpec({ headDim: 16, position: { kind: "none" }, kind: "encoder", output: { kind: "classifier", classes: 2 } }) },
];

interface Outputs {
  [name: string]: { shape: number[]; data: number[] };
}

let dir: string;
const ortOutputs = new Map<string, Outputs>();
const referenceOutputs = new Map<string, Outputs>();
const checkerResults = new Map<string, string>();

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "tfc-reference-"));
  const manifest: { float64: boolean; cases: object[] } = { float64: true, cases: [] };
  for (const [index, c] of cases.entries()) {
    const onnxPath = join(dir, `case${index}.onnx`);
    await writeOnnxFile(lowerModel(c.spec), onnxPath, { opset: c.spec.target.opset });
    const rows = (limit: number, salt: number) =>
      Array.from({ length: c.batch }, (_, b) => seededIds(c.seq, limit, 1 + index * 97 + b * 13 + salt));
    const inputs: Record<string, number[][]> = { input_ids: rows(c.spec.vocab, 0) };
    if (c.spec.tokenTypes > 0) inputs.token_type_ids = rows(c.spec.tokenTypes, 5);

    const session = await ort.InferenceSession.create(onnxPath);
    const feeds: Record<string, ort.Tensor> = {};
    for (const [name, data] of Object.entries(inputs)) {
      feeds[name] = new ort.Tensor("int64", BigInt64Array.from(data.flat().map(BigInt)), [c.batch, c.seq]);
    }
    const results = await session.run(feeds);
    const outputs: Outputs = {};
    for (const name of session.outputNames) {
      outputs[name] = { shape: results[name].dims.map(Number), data: Array.from(results[name].data as Float32Array) };
    }
    ortOutputs.set(c.label, outputs);
    const { name: _n, weights: _w, target: _t, spans: _s, ...config } = c.spec;
    manifest.cases.push({ config, onnx: onnxPath, inputs, out: join(dir, `case${index}.out.json`) });
  }
  const manifestPath = join(dir, "manifest.json");
  writeFileSync(manifestPath, JSON.stringify(manifest));
  execFileSync(PYTHON, ["test/reference/run_many.py", manifestPath], { stdio: ["ignore", "inherit", "inherit"] });
  for (const [index, c] of cases.entries()) {
    const result = JSON.parse(readFileSync(join(dir, `case${index}.out.json`), "utf8"));
    referenceOutputs.set(c.label, result.outputs);
    checkerResults.set(c.label, result.checker);
  }
}, 300_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

describe.each(cases.map((c) => [c.label, c] as const))("%s", (label, c) => {
  it.runIf(c.spec.target.opset <= 17)("passes onnx.checker.check_model(full_check=True)", () => {
    expect(checkerResults.get(label)).toBe("ok");
  });

  it("matches the PyTorch reference to 1e-4 relative", () => {
    const ours = ortOutputs.get(label)!;
    const reference = referenceOutputs.get(label)!;
    expect(Object.keys(ours)).toEqual(Object.keys(reference));
    for (const [name, expected] of Object.entries(reference)) {
      const actual = ours[name];
      expect(actual.shape, name).toEqual(expected.shape);
      const scale = Math.sqrt(expected.data.reduce((s, v) => s + v * v, 0) / expected.data.length);
      let worst = 0;
      for (let i = 0; i < expected.data.length; i++) {
        const error = Math.abs(actual.data[i] - expected.data[i]) / Math.max(Math.abs(expected.data[i]), scale);
        worst = Math.max(worst, error);
      }
      expect(worst, `${name}: worst relative error`).toBeLessThan(RELATIVE_TOLERANCE);
      expect(scale, `${name} is not trivially zero`).toBeGreaterThan(1e-3);
    }
  });
});
