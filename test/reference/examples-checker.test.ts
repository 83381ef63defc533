/**
 * Every bundled example, emitted at full size, passes the official ONNX checker with full_check
 * (the tiny examples are checked, and compared with PyTorch, in reference.test.ts).
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readdirSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { checkFile, compileSpec } from "../../compiler/pipeline.js";
import { writeOnnxFile } from "../../compiler/onnx/index.js";

const dir = mkdtempSync(join(tmpdir(), "tfc-examples-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** Examples of gigabytes are not emitted here (too slow for the suite); the weights bench compiles gpt2-xl. */
const PLAN_ONLY = new Set(["llama-7b.tfx", "gpt2-xl.tfx"]);

describe("bundled examples", () => {
  const files = readdirSync("examples").filter((f) => f.endsWith(".tfx") && !PLAN_ONLY.has(f)).sort();

  it("include the three families at full size", () => {
    expect(files).toEqual(expect.arrayContaining(["bert-base.tfx", "gpt2-small.tfx", "llama-style.tfx"]));
  });

  it("pass onnx.checker.check_model(full_check=True)", async () => {
    const paths: string[] = [];
    for (const file of files) {
      const checked = checkFile(join("examples", file));
      expect(checked.diagnostics, file).toEqual([]);
      const path = join(dir, file.replace(/\.tfx$/, ".onnx"));
      await writeOnnxFile(compileSpec(checked.spec!).graph, path);
      paths.push(path);
    }
    const lines = execFileSync("/usr/bin/python3", ["test/reference/check_onnx.py", ...paths], { encoding: "utf8" })
      .trim()
      .split("\n")
      .map((line) => JSON.parse(line));
    expect(lines.map((l) => [l.file, l.ok, l.error])).toEqual(paths.map((p) => [p, true, undefined]));
  }, 240_000);
});
