import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { example, STACK_LINE, tempDir, tfc } from "./tfc.js";

const NOTICE = "CUDA execution provider not available; running on CPU";

/** The output table of `tfc run`: the rows between the header and the latency line. */
function outputRows(stdout: string): string[] {
  return stdout.split("\n").filter((l) => /^\s+(hidden_states|logits|pooled)\s/.test(l));
}

describe("tfc run", () => {
  const dir = tempDir("run");
  const gpt = join(dir.path, "tiny_gpt.onnx");
  const bert = join(dir.path, "tiny_bert.onnx");

  beforeAll(() => {
    for (const [file, out] of [
      ["tiny-gpt.tfx", gpt],
      ["tiny-bert.tfx", bert],
    ]) {
      const result = tfc(["compile", example(file), "-o", out, "--quiet"]);
      if (result.code !== 0) throw new Error(`compiling ${file} failed:\n${result.stderr}`);
    }
  });
  afterAll(() => dir.remove());

  it("prints each output's shape and checksum, and latency", () => {
    const result = tfc(["run", gpt, "--device", "cpu", "--runs", "3"]);
    expect(result.code).toBe(0);
    expect(result.stderr).toBe("");
    expect(result.stdout).toContain(`model    ${gpt} on cpu`);
    expect(result.stdout).toContain("inputs   input_ids [1, 16] (seed 0)");
    const rows = outputRows(result.stdout);
    expect(rows).toHaveLength(2);
    expect(rows[0]).toMatch(/^\s+hidden_states\s+float32\s+\[1, 16, 32\]\s+-?[\d.e+-]+\s+[\d.e+]+$/);
    expect(rows[1]).toMatch(/^\s+logits\s+float32\s+\[1, 16, 97\]\s+-?[\d.e+-]+\s+[\d.e+]+$/);
    expect(result.stdout).toMatch(/latency  median [\d.]+ ms, min [\d.]+ ms, p90 [\d.]+ ms over 3 runs/);
  });

  it("gives the same checksums for the same seed, and different ones for another", () => {
    const first = outputRows(tfc(["run", gpt, "--seed", "3", "--device", "cpu"]).stdout);
    const second = outputRows(tfc(["run", gpt, "--seed", "3", "--device", "cpu", "--threads", "1"]).stdout);
    const other = outputRows(tfc(["run", gpt, "--seed", "4", "--device", "cpu"]).stdout);
    expect(first).toHaveLength(2);
    expect(second).toEqual(first);
    expect(other[1]).not.toEqual(first[1]);
  });

  it("binds --batch and --seq, and feeds token types to an encoder", () => {
    const result = tfc(["run", bert, "--batch", "2", "--seq", "8", "--device", "cpu", "--runs", "1"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("input_ids [2, 8], token_type_ids [2, 8]");
    const rows = outputRows(result.stdout);
    expect(rows.map((r) => r.trim().split(/\s+/)[0])).toEqual(["hidden_states", "pooled", "logits"]);
    expect(rows[2]).toContain("[2, 3]");
  });

  it("falls back from CUDA to the CPU with a one-line notice", () => {
    const result = tfc(["run", gpt, "--runs", "1"]);
    expect(result.code).toBe(0);
    if (result.stdout.includes(" on cuda")) return; // a machine with a GPU and the CUDA provider
    expect(result.stderr).toBe(`note: ${NOTICE}\n`);
    expect(result.stdout).toContain(" on cpu");
  });

  it("refuses --device cuda without the CUDA provider as a user error", () => {
    const result = tfc(["run", gpt, "--device", "cuda", "--runs", "1"]);
    if (result.code === 0) return; // the CUDA provider is installed here
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error: the CUDA execution provider is not available/);
    expect(result.stderr).toContain("help:");
    expect(result.stderr).not.toMatch(STACK_LINE);
  });

  it("refuses a sequence longer than the model's context", () => {
    const result = tfc(["run", gpt, "--seq", "64", "--device", "cpu"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("error: seq 64 is longer than the model's context (32)");
    expect(result.stderr).toContain("help: use --seq 32 or less");
  });

  it("reports a file that is not an ONNX model as a user error", () => {
    const bad = join(dir.path, "garbage.onnx");
    writeFileSync(bad, "this is not a protobuf\n".repeat(10));
    for (const device of ["cpu", "auto"]) {
      const result = tfc(["run", bad, "--device", device]);
      expect(result.code).toBe(1);
      expect(result.stderr).toMatch(/^error: ONNX Runtime cannot load .*garbage\.onnx/m);
      expect(result.stderr).not.toMatch(STACK_LINE);
      expect(result.stderr).not.toContain(NOTICE);
    }
  });

  it("reports a missing model file as a user error", () => {
    const result = tfc(["run", join(dir.path, "missing.onnx"), "--device", "cpu"]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error: /);
    expect(result.stderr).not.toMatch(STACK_LINE);
  });
});
