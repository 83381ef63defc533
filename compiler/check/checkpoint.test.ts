import { describe, expect, test } from "vitest";
import { renderDiagnostics } from "../../grammar/render.js";
import type { HeaderTensor } from "../weights/hf-match.js";
import { checkSource, textAt } from "./testing.js";

/** A one-layer GPT-2 (width 32, ffn 128, vocab 50, context 16), written out by hand in Hugging Face's names. */
function gpt2Header(prefix = ""): Record<string, HeaderTensor> {
  const f32 = (...shape: number[]): HeaderTensor => ({ dtype: "F32", shape });
  const base: Record<string, HeaderTensor> = {
    "wte.weight": f32(50, 32),
    "wpe.weight": f32(16, 32),
    "h.0.ln_1.weight": f32(32),
    "h.0.ln_1.bias": f32(32),
    "h.0.attn.c_attn.weight": f32(32, 96),
    "h.0.attn.c_attn.bias": f32(96),
    "h.0.attn.c_proj.weight": f32(32, 32),
    "h.0.attn.c_proj.bias": f32(32),
    "h.0.ln_2.weight": f32(32),
    "h.0.ln_2.bias": f32(32),
    "h.0.mlp.c_fc.weight": f32(32, 128),
    "h.0.mlp.c_fc.bias": f32(128),
    "h.0.mlp.c_proj.weight": f32(128, 32),
    "h.0.mlp.c_proj.bias": f32(32),
    "ln_f.weight": f32(32),
    "ln_f.bias": f32(32),
  };
  return Object.fromEntries(Object.entries(base).map(([name, tensor]) => [`${prefix}${name}`, tensor]));
}

const GPT2 = "kind decoder vocab 50 context 16 width 32 layers 1 heads 4 ffn 128 gelu_tanh";

function model(fields: string, weights = 'weights "gpt2.safetensors" layout hf-gpt2'): string {
  return `model m {\n  ${fields}\n  ${weights}\n}\n`;
}

function withHeader(header: Record<string, HeaderTensor>, fields = GPT2, weights?: string) {
  const source = model(fields, weights);
  return { source, checked: checkSource(source, { checkpoints: { "gpt2.safetensors": header } }) };
}

describe("weights \"FILE\" layout hf-…: the checkpoint's header against the model", () => {
  test("a matching checkpoint binds: the absolute path, and no prefix for a base-model file", () => {
    const { checked } = withHeader(gpt2Header());
    expect(checked.brief).toEqual([]);
    expect(checked.spec?.weights).toEqual({ kind: "checkpoint", file: "/checkpoints/gpt2.safetensors", layout: "hf-gpt2", prefix: "" });
  });

  test("a GPT2LMHeadModel file: `transformer.` prefix, its tied lm_head and old mask buffers are not read", () => {
    const header = {
      ...gpt2Header("transformer."),
      "lm_head.weight": { dtype: "F32", shape: [50, 32] },
      "transformer.h.0.attn.bias": { dtype: "BOOL", shape: [1, 1, 16, 16] },
      "transformer.h.0.attn.masked_bias": { dtype: "F32", shape: [] },
    };
    const { checked } = withHeader(header);
    expect(checked.brief).toEqual([]);
    expect(checked.spec?.weights).toMatchObject({ prefix: "transformer." });
  });

  test("a missing tensor names the tensor, its expected shape and what reads it, at the file's string", () => {
    const header = gpt2Header();
    delete header["h.0.mlp.c_fc.bias"];
    const { source, checked } = withHeader(header);
    expect(checked.brief).toEqual(['E0611 3:11 checkpoint `"gpt2.safetensors"` has no tensor `h.0.mlp.c_fc.bias` (expected shape [128])']);
    expect(textAt(source, checked.diagnostics[0])).toBe('"gpt2.safetensors"');
    expect(checked.diagnostics[0].help).toMatch(/reads it into `layers\.0\.ffn\.up\.bias`/);
    expect(checked.spec).toBeUndefined();
  });

  test("a mis-shaped tensor names the tensor, the expected and the found shape", () => {
    const { checked } = withHeader({ ...gpt2Header(), "h.0.attn.c_attn.weight": { dtype: "F32", shape: [32, 64] } });
    expect(checked.brief).toEqual(["E0613 3:11 checkpoint tensor `h.0.attn.c_attn.weight` has shape [32, 64], expected [32, 96]"]);
  });

  test("an extra tensor names the tensor and its shape", () => {
    const { checked } = withHeader({ ...gpt2Header(), "h.1.ln_1.weight": { dtype: "F32", shape: [32] } });
    expect(checked.brief).toEqual([
      "E0612 3:11 checkpoint tensor `h.1.ln_1.weight` (F32 [32]) is not part of the model as layout `hf-gpt2` maps it",
    ]);
    expect(checked.diagnostics[0].help).toMatch(/`layers` and `output`/);
  });

  test("a tensor stored in a dtype tfc does not read", () => {
    const { checked } = withHeader({ ...gpt2Header(), "wte.weight": { dtype: "I64", shape: [50, 32] } });
    expect(checked.brief).toEqual(["E0614 3:11 checkpoint tensor `wte.weight` is stored as I64"]);
    expect(checked.diagnostics[0].help).toMatch(/F32, F16 or BF16/);
  });

  test("a checkpoint of another size: the first problems one by one, then a count", () => {
    const { checked } = withHeader(gpt2Header(), GPT2.replace("layers 1", "layers 3"));
    expect(checked.brief).toHaveLength(9);
    expect(checked.brief[0]).toBe('E0611 3:11 checkpoint `"gpt2.safetensors"` has no tensor `h.1.ln_1.weight` (expected shape [32])');
    expect(checked.brief[8]).toBe('E0611 3:11 checkpoint `"gpt2.safetensors"`: 16 more tensors do not match (16 missing)');
  });

  test("the rendered error: file, line, column, the line with a caret, and how to fix it", () => {
    const header = gpt2Header();
    delete header["ln_f.bias"];
    const { source, checked } = withHeader(header);
    const rendered = renderDiagnostics(checked.diagnostics, new Map([["main.tfx", source]]), { color: false });
    expect(rendered).toContain('error[E0611]: checkpoint `"gpt2.safetensors"` has no tensor `ln_f.bias` (expected shape [32])');
    expect(rendered).toContain("--> main.tfx:3:11");
    expect(rendered).toMatch(/weights "gpt2\.safetensors" layout hf-gpt2\n.*\^{18}/);
    expect(rendered).toMatch(/help: the model reads it into `final_norm\.bias`/);
  });
});

describe("the field itself", () => {
  test("an unknown layout gets a did-you-mean and a fix", () => {
    const { source, checked } = withHeader(gpt2Header(), GPT2, 'weights "gpt2.safetensors" layout hf-gtp2');
    expect(checked.brief).toEqual(["E0204 3:37 unknown checkpoint layout `hf-gtp2`"]);
    expect(textAt(source, checked.diagnostics[0])).toBe("hf-gtp2");
    expect(checked.diagnostics[0].help).toBe("did you mean `hf-gpt2`?");
    expect(checked.diagnostics[0].fix?.replacement).toBe("hf-gpt2");
  });

  test("a layout that is not close to any lists them all", () => {
    const { checked } = withHeader(gpt2Header(), GPT2, 'weights "gpt2.safetensors" layout onnx');
    expect(checked.brief).toEqual(["E0204 3:37 unknown checkpoint layout `onnx`"]);
    expect(checked.diagnostics[0].help).toMatch(/`hf-bert`, `hf-gpt2` and `hf-llama`/);
  });

  test("the layout is required", () => {
    const { checked } = withHeader(gpt2Header(), GPT2, 'weights "gpt2.safetensors"');
    expect(checked.brief).toEqual(["E0206 3:3 `weights` needs `layout`"]);
  });

  test("a file that does not exist, at the string, relative to the spec", () => {
    const { source, checked } = withHeader(gpt2Header(), GPT2, 'weights "models/gpt2.safetensors" layout hf-gpt2');
    expect(checked.brief).toEqual(['E0601 3:11 cannot read the checkpoint `"models/gpt2.safetensors"`']);
    expect(textAt(source, checked.diagnostics[0])).toBe('"models/gpt2.safetensors"');
    expect(checked.diagnostics[0].label).toBe("no such file");
  });

  test("a model whose architecture is not the layout's is told which field differs", () => {
    const { source, checked } = withHeader(gpt2Header(), `${GPT2} norm rmsnorm pre`);
    expect(checked.brief).toEqual(["E0330 2:80 layout `hf-gpt2` stores norm layernorm pre, but this model has norm rmsnorm pre"]);
    expect(textAt(source, checked.diagnostics[0])).toBe("norm rmsnorm pre");
  });

  test("hf-llama wants rotary, RMSNorm and a gated FFN", () => {
    const { checked } = withHeader(gpt2Header(), GPT2, 'weights "gpt2.safetensors" layout hf-llama');
    expect(checked.brief.map((line) => line.replace(/^(\S+) \S+ /, "$1 "))).toEqual([
      // ffn is written (its span, line 2); norm and position are defaults (the layout's span, line 3).
      "E0330 layout `hf-llama` stores a gated activation (swiglu for hidden_act silu, geglu for gelu), but this model has ffn gelu_tanh",
      "E0330 layout `hf-llama` stores norm rmsnorm pre, but this model has norm layernorm pre",
      "E0330 layout `hf-llama` stores position rotary, but this model has position learned",
    ]);
  });
});
