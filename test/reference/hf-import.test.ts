/**
 * Reference tier for checkpoint import (issue 5): for each Hugging Face layout, a random model in
 * torch with Hugging Face's module tree (hf_models.py) writes its checkpoint; `tfc import` writes
 * the spec of its config.json; tfc compiles it and ONNX Runtime's output is compared with the
 * torch model's (float64) to 1e-4 relative. One python process writes every case.
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { main } from "../../cli/program.js";
import { checkFile, compileSpec } from "../../compiler/pipeline.js";
import { writeOnnxFile } from "../../compiler/onnx/index.js";
import { seededIds } from "./seeded-ids.js";

const PYTHON = "/usr/bin/python3";
const RELATIVE_TOLERANCE = 1e-4;

interface Case {
  readonly label: string;
  /** The folder name, which `tfc import` makes the model's name. */
  readonly name: string;
  readonly config: Record<string, unknown>;
  readonly dtype: "F32" | "F16" | "BF16";
  /** Older transformers' persistent buffers in the file (GPT-2 attn.bias, BERT position_ids, LLaMA inv_freq). */
  readonly legacy: boolean;
  /** Tensors left out of the file, as save_pretrained leaves out a tied copy. */
  readonly drop?: readonly string[];
  readonly batch: number;
  readonly seq: number;
  readonly tokenTypes?: number;
}

const cases: Case[] = [
  {
    label: "hf-gpt2: GPT2LMHeadModel, F32, legacy buffers, tied lm_head saved",
    name: "gpt2_tiny",
    config: { model_type: "gpt2", architectures: ["GPT2LMHeadModel"], vocab_size: 101, n_positions: 32, n_embd: 48, n_layer: 2, n_head: 4, activation_function: "gelu_new", layer_norm_epsilon: 1e-5 },
    dtype: "F32",
    legacy: true,
    batch: 2,
    seq: 9,
  },
  {
    label: "hf-gpt2: GPT2LMHeadModel saved without the tied copy, full context",
    name: "gpt2_dropped",
    config: { model_type: "gpt2", vocab_size: 64, n_positions: 16, n_embd: 32, n_layer: 3, n_head: 2, n_inner: 80, layer_norm_epsilon: 1e-5, tie_word_embeddings: true },
    dtype: "F32",
    legacy: false,
    drop: ["lm_head.weight"],
    batch: 1,
    seq: 16,
  },
  {
    label: "hf-bert: BertForSequenceClassification (bert. prefix), F16, position_ids buffer",
    name: "bert_cls",
    config: { model_type: "bert", architectures: ["BertForSequenceClassification"], vocab_size: 99, hidden_size: 48, num_hidden_layers: 2, num_attention_heads: 4, intermediate_size: 96, hidden_act: "gelu", max_position_embeddings: 24, type_vocab_size: 2, layer_norm_eps: 1e-12, id2label: { "0": "a", "1": "b", "2": "c" } },
    dtype: "F16",
    legacy: true,
    batch: 2,
    seq: 11,
    tokenTypes: 2,
  },
  {
    label: "hf-bert: BertModel (no prefix), F32",
    name: "bert_base_tiny",
    config: { model_type: "bert", architectures: ["BertModel"], vocab_size: 77, hidden_size: 32, num_hidden_layers: 2, num_attention_heads: 2, intermediate_size: 64, max_position_embeddings: 20, type_vocab_size: 3, layer_norm_eps: 1e-12 },
    dtype: "F32",
    legacy: false,
    batch: 1,
    seq: 20,
    tokenTypes: 3,
  },
  {
    label: "hf-llama: LlamaForCausalLM, BF16, GQA, head_dim ≠ width/heads, theta 500000, inv_freq buffers",
    name: "llama_tiny",
    config: { model_type: "llama", architectures: ["LlamaForCausalLM"], vocab_size: 83, hidden_size: 48, intermediate_size: 112, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2, head_dim: 16, hidden_act: "silu", max_position_embeddings: 40, rms_norm_eps: 1e-5, rope_theta: 500000.0, tie_word_embeddings: false, attention_bias: false },
    dtype: "BF16",
    legacy: true,
    batch: 2,
    seq: 13,
  },
  {
    label: "hf-llama: tied embeddings, F32, full context",
    name: "llama_tied",
    config: { model_type: "llama", vocab_size: 50, hidden_size: 32, intermediate_size: 64, num_hidden_layers: 2, num_attention_heads: 4, max_position_embeddings: 24, rms_norm_eps: 1e-6, tie_word_embeddings: true },
    dtype: "F32",
    legacy: false,
    batch: 1,
    seq: 24,
  },
];

interface Outputs {
  [name: string]: { shape: number[]; data: number[] };
}

let dir: string;
const ours = new Map<string, Outputs>();
const reference = new Map<string, Outputs>();
const imported = new Map<string, string>();
const checker = new Map<string, string>();

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "tfc-hf-import-"));
  const manifest = { cases: [] as object[] };
  const inputs = new Map<string, Record<string, number[][]>>();
  for (const [index, c] of cases.entries()) {
    const folder = join(dir, c.name);
    mkdirSync(folder);
    writeFileSync(join(folder, "config.json"), JSON.stringify(c.config, null, 2));
    const vocab = (c.config.vocab_size ?? c.config.vocab) as number;
    const rows = (limit: number, salt: number) => Array.from({ length: c.batch }, (_, b) => seededIds(c.seq, limit, 1 + index * 31 + b * 7 + salt));
    const feed: Record<string, number[][]> = { input_ids: rows(vocab, 0) };
    if (c.tokenTypes) feed.token_type_ids = rows(c.tokenTypes, 3);
    inputs.set(c.label, feed);
    manifest.cases.push({
      config: join(folder, "config.json"),
      checkpoint: join(folder, "model.safetensors"),
      dtype: c.dtype,
      seed: 10 + index,
      legacy: c.legacy,
      drop: c.drop ?? [],
      inputs: feed,
      out: join(folder, "reference.json"),
    });
  }
  writeFileSync(join(dir, "manifest.json"), JSON.stringify(manifest));
  execFileSync(PYTHON, ["test/reference/hf_checkpoint.py", join(dir, "manifest.json")], { stdio: ["ignore", "inherit", "inherit"] });

  const onnxFiles: string[] = [];
  for (const c of cases) {
    const folder = join(dir, c.name);
    reference.set(c.label, JSON.parse(readFileSync(join(folder, "reference.json"), "utf8")).outputs);
    const err: string[] = [];
    const code = await main(["import", join(folder, "config.json"), "--quiet"], { out: () => {}, err: (text) => void err.push(text) });
    if (code !== 0) throw new Error(`tfc import failed for ${c.label}:\n${err.join("")}`);
    const tfx = join(folder, `${c.name}.tfx`);
    imported.set(c.label, readFileSync(tfx, "utf8"));
    const checked = checkFile(tfx);
    if (!checked.spec) throw new Error(`${tfx} did not check: ${checked.diagnostics.map((d) => d.message).join("; ")}`);
    const onnxPath = join(folder, "model.onnx");
    await writeOnnxFile(compileSpec(checked.spec).graph, onnxPath, { opset: checked.spec.target.opset });
    onnxFiles.push(onnxPath);

    const session = await ort.InferenceSession.create(onnxPath);
    const feeds: Record<string, ort.Tensor> = {};
    for (const [name, rows] of Object.entries(inputs.get(c.label)!)) {
      feeds[name] = new ort.Tensor("int64", BigInt64Array.from(rows.flat().map(BigInt)), [c.batch, c.seq]);
    }
    const results = await session.run(feeds);
    const outputs: Outputs = {};
    for (const name of session.outputNames) outputs[name] = { shape: results[name].dims.map(Number), data: Array.from(results[name].data as Float32Array) };
    ours.set(c.label, outputs);
  }
  const lines = execFileSync(PYTHON, ["test/reference/check_onnx.py", ...onnxFiles], { encoding: "utf8" }).trim().split("\n");
  for (const [index, c] of cases.entries()) {
    const result = JSON.parse(lines[index]);
    checker.set(c.label, result.ok ? "ok" : result.error);
  }
}, 300_000);

afterAll(() => {
  if (dir) rmSync(dir, { recursive: true, force: true });
});

/** The worst |ours − reference| / max(|reference|, rms(reference)) over an output. */
function worstRelativeError(actual: number[], expected: number[]): number {
  const scale = Math.sqrt(expected.reduce((s, v) => s + v * v, 0) / expected.length);
  let worst = 0;
  for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(actual[i] - expected[i]) / Math.max(Math.abs(expected[i]), scale));
  return worst;
}

describe.each(cases.map((c) => [c.label, c] as const))("%s", (label, c) => {
  it("imports as a spec that reads the checkpoint", () => {
    const layout = { bert: "hf-bert", gpt2: "hf-gpt2", llama: "hf-llama" }[c.config.model_type as string];
    expect(imported.get(label)).toContain(`weights "model.safetensors" layout ${layout}`);
  });

  it("passes onnx.checker.check_model(full_check=True)", () => {
    expect(checker.get(label)).toBe("ok");
  });

  it("matches the PyTorch model to 1e-4 relative", () => {
    const actual = ours.get(label)!;
    const expected = reference.get(label)!;
    expect(Object.keys(actual).sort()).toEqual(Object.keys(expected).sort());
    for (const [name, want] of Object.entries(expected)) {
      expect(actual[name].shape, name).toEqual(want.shape);
      expect(worstRelativeError(actual[name].data, want.data), `${name}: worst relative error`).toBeLessThan(RELATIVE_TOLERANCE);
      expect(Math.max(...want.data.map(Math.abs)), `${name} is not trivially small`).toBeGreaterThan(1e-2);
    }
  });
});
