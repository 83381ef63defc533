import { afterAll, describe, expect, it } from "vitest";
import { existsSync, readdirSync } from "node:fs";
import { join } from "node:path";
import { openSafetensors } from "../../compiler/weights/safetensors.js";
import { example, STACK_LINE, tempDir, tfc } from "./tfc.js";

describe("tfc export-weights", () => {
  const dir = tempDir("export-weights");
  afterAll(() => dir.remove());

  it("writes the compiled parameters as safetensors and says what it wrote", () => {
    const out = join(dir.path, "nested", "tiny.safetensors");
    const result = tfc(["export-weights", example("tiny-gpt.tfx"), "-o", out, "--names", "hf-gpt2", "--dtype", "bf16"]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^exported tiny_gpt in /);
    expect(result.stdout).toContain("tensors       28 (hf-gpt2 names under `transformer.`, BF16)");
    expect(result.stdout).toContain("parameters    29,600");
    const file = openSafetensors(out);
    try {
      expect(file.tensors.get("transformer.h.0.attn.c_attn.weight")).toMatchObject({ dtype: "BF16", shape: [32, 96] });
      expect(file.tensors.has("lm_head.weight")).toBe(false); // tied to wte, stored once
    } finally {
      file.close();
    }
    expect(readdirSync(join(dir.path, "nested"))).toEqual(["tiny.safetensors"]);
  });

  it("refuses a layout the spec does not fit, saying how to export instead", () => {
    const out = join(dir.path, "llama.safetensors");
    const result = tfc(["export-weights", example("tiny-llama.tfx"), "-o", out, "--names", "hf-gpt2"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("error: cannot export `tiny_llama`: the hf-gpt2 layout needs norm layernorm pre");
    expect(result.stderr).toContain("help: `--names tfc`");
    expect(result.stderr).not.toMatch(STACK_LINE);
    expect(existsSync(out)).toBe(false);
  });

  it("reports an unwritable output as a user error", () => {
    const result = tfc(["export-weights", example("tiny-gpt.tfx"), "-o", join(example("tiny-gpt.tfx"), "w.safetensors")]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error: cannot write /);
    expect(result.stderr).not.toMatch(STACK_LINE);
  });
});
