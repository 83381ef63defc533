import { readFileSync } from "node:fs";
import { fileURLToPath } from "node:url";
import { describe, expect, test } from "vitest";
import { importHfConfig } from "./hf-config.js";

const fixture = (name: string) => readFileSync(fileURLToPath(new URL(`../../test/fixtures/hf/${name}`, import.meta.url)), "utf8");

function imported(text: string, weights?: string) {
  const result = importHfConfig(text, "config.json", { name: "m", weights });
  if (!result.ok) throw new Error(result.diagnostics.map((d) => d.message).join("; "));
  return result;
}

function problems(config: Record<string, unknown> | string) {
  const text = typeof config === "string" ? config : JSON.stringify(config, null, 2);
  const result = importHfConfig(text, "config.json", { name: "m" });
  if (result.ok) throw new Error("expected the import to fail");
  return result.diagnostics.map((d) => `${d.code} ${d.span.start.line}:${d.span.start.column} ${d.message}${d.help ? ` | ${d.help}` : ""}`);
}

describe("tfc import: Hugging Face config.json → .tfx", () => {
  test("bert-base-uncased: post-norm encoder, erf gelu, eps 1e-12, token types, pooler", () => {
    const { tfx, model } = imported(fixture("bert-base-uncased.json"), "model.safetensors");
    expect(model.layout).toBe("hf-bert");
    expect(tfx).toBe(
      [
        "// Imported by `tfc import` from config.json (BertModel).",
        "model m {",
        "  kind encoder",
        "  vocab 30522",
        "  context 512",
        "  width 768",
        "  layers 12",
        "  heads 12",
        "  ffn 3072 gelu",
        "  norm layernorm post eps 1e-12",
        "  position learned",
        "  bias true",
        "  token_types 2",
        "  output pooler",
        '  weights "model.safetensors" layout hf-bert',
        "}",
        "",
      ].join("\n"),
    );
  });

  test("gpt2: gelu_new is gelu_tanh, tied head, ffn 4·n_embd by default", () => {
    const { tfx, defaulted } = imported(fixture("gpt2.json"));
    expect(tfx).toContain("  ffn 3072 gelu_tanh\n");
    expect(tfx).toContain("  norm layernorm pre eps 1e-5\n");
    expect(tfx).toContain("  output lm tied\n");
    expect(tfx).toContain('  weights random seed 0  // or: weights "model.safetensors" layout hf-gpt2\n');
    expect(defaulted).toEqual(["tie_word_embeddings", "n_inner"]);
  });

  test("TinyLlama: grouped-query attention, rotary theta, RMSNorm eps, swiglu, untied head", () => {
    const { tfx } = imported(fixture("tinyllama-1.1b.json"));
    for (const line of ["kind decoder", "vocab 32000", "context 2048", "width 2048", "layers 22", "heads 32", "kv_heads 4", "ffn 5632 swiglu", "norm rmsnorm pre eps 1e-5", "position rotary theta 10000", "bias false", "output lm\n"]) {
      expect(tfx).toContain(`  ${line}`);
    }
    expect(tfx).not.toContain("  head_dim");
  });

  test("a llama head_dim other than width / heads is written", () => {
    const { tfx } = imported(JSON.stringify({ model_type: "llama", hidden_size: 48, num_attention_heads: 4, head_dim: 16, intermediate_size: 96, num_hidden_layers: 1, vocab_size: 10 }));
    expect(tfx).toContain("  head_dim 16\n");
  });

  test("BertForSequenceClassification: a classifier with id2label's classes", () => {
    const { tfx } = imported(JSON.stringify({ model_type: "bert", architectures: ["BertForSequenceClassification"], id2label: { 0: "neg", 1: "neutral", 2: "pos" } }));
    expect(tfx).toContain("  output classifier 3\n");
  });
});

describe("configs tfc cannot import are errors at their key", () => {
  test("an unknown model_type, with a did-you-mean", () => {
    expect(problems({ model_type: "lama", hidden_size: 8 })).toEqual(['E0621 2:3 model_type "lama" is not supported | did you mean "llama"?']);
    expect(problems({ model_type: "mistral" })[0]).toMatch(/model_type "mistral" is not supported \| tfc imports "bert", "gpt2", "llama" configs/);
  });

  test("no model_type", () => {
    expect(problems({ hidden_size: 8 })).toEqual(['E0301 1:1 the config has no string `model_type` | Hugging Face configs name their architecture in "model_type": "bert", "gpt2", "llama"']);
  });

  test("not JSON: the line and column of the problem", () => {
    expect(problems('{\n  "model_type": "gpt2",\n  "n_embd": 768,\n}')).toEqual([
      "E0620 4:1 config.json is not valid JSON: property name expected | a config.json is one JSON object, as Hugging Face's `save_pretrained` writes it",
    ]);
  });

  test("scaled rotary, an unknown activation, differing biases, a bad value", () => {
    expect(problems({ model_type: "llama", rope_scaling: { type: "linear", factor: 2 }, hidden_act: "gelu_pytorch_tanh", attention_bias: true, mlp_bias: false })).toEqual([
      "E0621 3:3 `rope_scaling` is not supported | tfc's rotary embedding is the unscaled one (`rope_scaling: null`); scaled variants (linear, dynamic, llama3, yarn) are not implemented",
      "E0621 9:3 `attention_bias` and `mlp_bias` differ | tfc's `bias` applies to every linear layer; it imports configs where both are true or both false",
      'E0621 7:3 hidden_act "gelu_pytorch_tanh" is not supported | tfc supports "silu", "swish", "gelu"',
    ]);
    expect(problems({ model_type: "gpt2", n_embd: 770, n_head: 12 })).toEqual(["E0205 4:3 n_embd (770) is not divisible by n_head (12) | each head takes an equal slice of the width"]);
    expect(problems({ model_type: "bert", hidden_size: "768" })).toEqual(['E0205 3:3 `hidden_size` must be a whole number ≥ 1, not "768" | write a whole number ≥ 1']);
  });

  test("GPT-2 attention variants tfc does not compute", () => {
    expect(problems({ model_type: "gpt2", scale_attn_by_inverse_layer_idx: true })[0]).toMatch(/^E0621 3:3 `scale_attn_by_inverse_layer_idx` is not supported/);
  });
});
