import { afterAll, describe, expect, it } from "vitest";
import { copyFileSync, existsSync, mkdirSync, readFileSync, readdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { writeSafetensors, type TensorToWrite } from "../../compiler/weights/safetensors.js";
import { repoRoot, STACK_LINE, tempDir, tfc } from "./tfc.js";

const fixture = (name: string) => join(repoRoot, "test", "fixtures", "hf", name);

/** A one-layer GPT-2 checkpoint (n_embd 16, n_inner 32, vocab 20, n_positions 8) in GPT2LMHeadModel's names. */
function tinyGpt2Tensors(): TensorToWrite[] {
  const shapes: Record<string, number[]> = {
    "transformer.wte.weight": [20, 16],
    "transformer.wpe.weight": [8, 16],
    "transformer.h.0.ln_1.weight": [16],
    "transformer.h.0.ln_1.bias": [16],
    "transformer.h.0.attn.c_attn.weight": [16, 48],
    "transformer.h.0.attn.c_attn.bias": [48],
    "transformer.h.0.attn.c_proj.weight": [16, 16],
    "transformer.h.0.attn.c_proj.bias": [16],
    "transformer.h.0.ln_2.weight": [16],
    "transformer.h.0.ln_2.bias": [16],
    "transformer.h.0.mlp.c_fc.weight": [16, 32],
    "transformer.h.0.mlp.c_fc.bias": [32],
    "transformer.h.0.mlp.c_proj.weight": [32, 16],
    "transformer.h.0.mlp.c_proj.bias": [16],
    "transformer.ln_f.weight": [16],
    "transformer.ln_f.bias": [16],
  };
  return Object.entries(shapes).map(([name, shape], index) => ({
    name,
    dtype: "F32",
    shape,
    data: Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, (_, i) => Math.sin(i * 0.37 + index)),
  }));
}

const TINY_GPT2 = { model_type: "gpt2", architectures: ["GPT2LMHeadModel"], vocab_size: 20, n_positions: 8, n_embd: 16, n_layer: 1, n_head: 2, n_inner: 32 };

describe("tfc import", () => {
  const dir = tempDir("import");
  afterAll(() => dir.remove());

  it.each([
    ["bert-base-uncased", "bert-base-uncased.json", "ok: bert_base_uncased (encoder, 109,482,240 parameters)"],
    ["gpt2", "gpt2.json", "ok: gpt2 (decoder, 124,439,808 parameters)"],
    ["TinyLlama-1.1B", "tinyllama-1.1b.json", "ok: TinyLlama_1_1B (decoder, 1,100,048,384 parameters)"],
  ])("writes a spec for %s's config that checks, with Hugging Face's parameter count", (folder, file, ok) => {
    const model = join(dir.path, folder);
    mkdirSync(model, { recursive: true });
    copyFileSync(fixture(file), join(model, "config.json"));
    const result = tfc(["import", join(model, "config.json")]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    const name = ok.split(" ")[1];
    expect(result.stdout).toMatch(new RegExp(`^wrote .*${name}\\.tfx: model ${name} \\(`));
    const check = tfc(["check", join(model, `${name}.tfx`)]);
    expect(check.stdout).toBe(`${ok}\n`);
  });

  it("names the checkpoint beside the config, relative to the spec, and the spec compiles from it", async () => {
    const model = join(dir.path, "tiny-gpt2");
    mkdirSync(model);
    writeFileSync(join(model, "config.json"), JSON.stringify(TINY_GPT2));
    await writeSafetensors(join(model, "model.safetensors"), tinyGpt2Tensors());
    const out = join(dir.path, "specs", "tiny.tfx");
    const result = tfc(["import", join(model, "config.json"), "-o", out, "--name", "tiny"]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(readFileSync(out, "utf8")).toContain('  weights "../tiny-gpt2/model.safetensors" layout hf-gpt2\n');
    const compiled = tfc(["compile", out, "-o", join(dir.path, "tiny.onnx"), "--quiet"]);
    expect(compiled.stderr).toBe("");
    expect(compiled.code).toBe(0);
    const ran = tfc(["run", join(dir.path, "tiny.onnx"), "--seq", "8"]);
    expect(ran.code).toBe(0);
    expect(ran.stdout).toMatch(/logits\s+float32\s+\[1, 8, 20\]/);
  });

  it("refuses a checkpoint that does not fit the config, naming the tensor, and writes nothing", async () => {
    const model = join(dir.path, "broken-gpt2");
    mkdirSync(model);
    writeFileSync(join(model, "config.json"), JSON.stringify(TINY_GPT2));
    const tensors = tinyGpt2Tensors()
      .filter((t) => t.name !== "transformer.h.0.mlp.c_fc.bias")
      .map((t) => (t.name === "transformer.wpe.weight" ? { ...t, shape: [4, 16], data: new Float32Array(64) } : t));
    await writeSafetensors(join(model, "model.safetensors"), tensors);
    const result = tfc(["import", join(model, "config.json")]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("error[E0613]: checkpoint tensor `transformer.wpe.weight` has shape [4, 16], expected [8, 16]");
    expect(result.stderr).toContain('error[E0611]: checkpoint `"model.safetensors"` has no tensor `transformer.h.0.mlp.c_fc.bias` (expected shape [32])');
    expect(result.stderr).toMatch(/does not check; nothing was written\n$/);
    expect(result.stderr).not.toMatch(STACK_LINE);
    expect(readdirSync(model).sort()).toEqual(["config.json", "model.safetensors"]);
  });

  it("reports config errors at their line and column, with a caret, and exits 1", () => {
    const model = join(dir.path, "bad");
    mkdirSync(model);
    writeFileSync(join(model, "config.json"), '{\n  "model_type": "llama",\n  "rope_scaling": {"type": "dynamic", "factor": 2.0}\n}\n');
    const result = tfc(["import", join(model, "config.json")]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("error[E0621]: `rope_scaling` is not supported");
    expect(result.stderr).toMatch(/config\.json:3:3/);
    expect(result.stderr).toMatch(/^\s*\|\s*\^+/m);
    expect(result.stderr).toMatch(/could not import .* due to 1 previous error\n$/);
    expect(existsSync(join(model, "bad.tfx"))).toBe(false);
  });

  it("a missing --weights file and a missing config are errors, not crashes", () => {
    const missing = tfc(["import", join(dir.path, "nope", "config.json")]);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("no such file");
    const model = join(dir.path, "w");
    mkdirSync(model);
    writeFileSync(join(model, "config.json"), JSON.stringify(TINY_GPT2));
    const weights = tfc(["import", join(model, "config.json"), "--weights", join(model, "x.safetensors")]);
    expect(weights.code).toBe(1);
    expect(weights.stderr).toMatch(/x\.safetensors does not exist/);
    expect(tfc(["import", join(model, "config.json"), "--name", "model"]).code).toBe(2);
  });
});
