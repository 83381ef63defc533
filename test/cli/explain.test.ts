import { describe, expect, it } from "vitest";
import { example, STACK_LINE, tfc } from "./tfc.js";

describe("tfc explain", () => {
  it("prints the IR graph", () => {
    const result = tfc(["explain", example("tiny-llama.tfx")]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^graph tiny_llama \{\n/);
    expect(result.stdout).toContain("input %input_ids: int64[batch,seq]");
    expect(result.stdout).toContain("attention(");
    expect(result.stdout).toMatch(/output logits = %\d+\n\}\n$/);
  });

  it("is deterministic", () => {
    expect(tfc(["explain", example("tiny-gpt.tfx")]).stdout).toBe(tfc(["explain", example("tiny-gpt.tfx")]).stdout);
  });

  it("explains a 7B-parameter spec without allocating its weights", () => {
    const result = tfc(["explain", example("llama-7b.tfx")]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^graph /);
    expect(result.stderr).not.toMatch(STACK_LINE);
  });
});
