/**
 * `export-weights` checkpoints load into Hugging Face's module tree (hf_models.py, strict: every
 * parameter from the file, nothing left over) and compute what tfc's ONNX model computes; under
 * tfc's names each tensor is exactly the parameter the graph holds.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import * as ort from "onnxruntime-node";
import { afterAll, describe, expect, it } from "vitest";
import { materialize } from "../../compiler/ir/initializer.js";
import { writeOnnxFile } from "../../compiler/onnx/index.js";
import { checkFile, compileSpec } from "../../compiler/pipeline.js";
import { exportWeights, namingFor } from "../../compiler/weights/export.js";
import { openSafetensors } from "../../compiler/weights/safetensors.js";

const dir = mkdtempSync(join(tmpdir(), "tfc-export-weights-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const CASES = [
  {
    spec: "examples/tiny-gpt.tfx",
    layout: "hf-gpt2",
    config: { model_type: "gpt2", architectures: ["GPT2LMHeadModel"], vocab_size: 97, n_positions: 32, n_embd: 32, n_layer: 2, n_head: 4, activation_function: "gelu_new", layer_norm_epsilon: 1e-5, tie_word_embeddings: true },
  },
  {
    spec: "examples/tiny-llama.tfx",
    layout: "hf-llama",
    config: { model_type: "llama", architectures: ["LlamaForCausalLM"], vocab_size: 89, hidden_size: 32, intermediate_size: 48, num_hidden_layers: 2, num_attention_heads: 4, num_key_value_heads: 2, max_position_embeddings: 32, rms_norm_eps: 1e-6, rope_theta: 10000, tie_word_embeddings: false },
  },
] as const;

describe("export-weights against Hugging Face's modules", () => {
  it.each(CASES)("$spec in the $layout layout loads strictly and computes tfc's logits", async ({ spec: file, layout, config }) => {
    const { spec } = checkFile(file);
    const { graph } = compileSpec(spec!);
    const stem = join(dir, layout);
    const summary = await exportWeights(graph, spec!, `${stem}.safetensors`, { naming: namingFor(spec!, layout) });
    expect(summary.parameters).toBe(graph.params.filter((p) => p.trainable).reduce((n, p) => n + materialize(p.init, p.value.type).length, 0));
    await writeOnnxFile(graph, `${stem}.onnx`);

    const ids = [[3, 14, 15, 9, 2, 6, 5, 35, 8, 9, 7, 9, 3, 2, 38, 4]];
    writeFileSync(`${stem}.config.json`, JSON.stringify(config));
    writeFileSync(`${stem}.inputs.json`, JSON.stringify({ input_ids: ids }));
    execFileSync("/usr/bin/python3", ["test/reference/hf_load_export.py", `${stem}.config.json`, `${stem}.safetensors`, `${stem}.inputs.json`, `${stem}.out.json`], { stdio: ["ignore", "inherit", "inherit"] });
    const reference = JSON.parse(readFileSync(`${stem}.out.json`, "utf8")).outputs.logits as { shape: number[]; data: number[] };

    const session = await ort.InferenceSession.create(`${stem}.onnx`);
    const logits = (await session.run({ input_ids: new ort.Tensor("int64", BigInt64Array.from(ids.flat().map(BigInt)), [1, ids[0].length]) })).logits;
    expect(logits.dims.map(Number)).toEqual(reference.shape);
    const scale = Math.max(...reference.data.map(Math.abs));
    const worst = Math.max(...Array.from(logits.data as Float32Array, (v, i) => Math.abs(v - reference.data[i])));
    expect(worst / scale).toBeLessThan(1e-4);
  });

  it("writes tfc's names and the graph's own values by default", async () => {
    const { spec } = checkFile("examples/tiny-llama.tfx");
    const { graph } = compileSpec(spec!);
    const path = join(dir, "tfc-names.safetensors");
    await exportWeights(graph, spec!, path, { naming: namingFor(spec!) });
    const file = openSafetensors(path);
    try {
      expect(file.metadata).toEqual({ format: "pt", "tfc.model": "tiny_llama", "tfc.names": "tfc" });
      const trainable = graph.params.filter((p) => p.trainable);
      expect(new Set(file.tensors.keys())).toEqual(new Set(trainable.map((p) => p.name)));
      expect(graph.params.some((p) => !p.trainable)).toBe(true); // rotary tables are left out
      for (const p of trainable) {
        expect(file.tensors.get(p.name)!.shape, p.name).toEqual(p.value.type.shape);
        expect(file.readFloat32(p.name), p.name).toEqual(materialize(p.init, p.value.type));
      }
    } finally {
      file.close();
    }
  });
});

describe("import then export", () => {
  it("gives back the checkpoint it read: same names, shapes and values", async () => {
    const first = join(dir, "round-trip.safetensors");
    const { spec } = checkFile("examples/tiny-gpt.tfx");
    await exportWeights(compileSpec(spec!).graph, spec!, first, { naming: namingFor(spec!, "hf-gpt2") });
    const reading = join(dir, "round-trip.tfx");
    writeFileSync(reading, readFileSync("examples/tiny-gpt.tfx", "utf8").replace("output lm tied", 'output lm tied\n  weights "round-trip.safetensors" layout hf-gpt2'));
    const imported = checkFile(reading);
    expect(imported.diagnostics).toEqual([]);
    const second = join(dir, "round-trip-again.safetensors");
    await exportWeights(compileSpec(imported.spec!).graph, imported.spec!, second, { naming: namingFor(imported.spec!) });
    const [a, b] = [openSafetensors(first), openSafetensors(second)];
    try {
      expect([...b.tensors.entries()]).toEqual([...a.tensors.entries()]);
      for (const name of a.tensors.keys()) expect(b.readBytes(name), name).toEqual(a.readBytes(name));
    } finally {
      a.close();
      b.close();
    }
  });
});
