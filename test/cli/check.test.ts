import { afterAll, describe, expect, it } from "vitest";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { example, STACK_LINE, tempDir, tfc } from "./tfc.js";

describe("tfc check", () => {
  const dir = tempDir("check");
  afterAll(() => dir.remove());

  it("prints ok with the model, its kind and parameter count", () => {
    const result = tfc(["check", example("tiny-gpt.tfx")]);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe("ok: tiny_gpt (decoder, 29,600 parameters)\n");
    expect(result.stderr).toBe("");
  });

  it("renders diagnostics with file:line:col, a caret and help, and exits 1", () => {
    const spec = join(dir.path, "typo.tfx");
    writeFileSync(spec, "model typo {\n  kind decoder  vocab 97  context 32\n  width 32  layers 2  heads 4\n  ffn 4 * width gleu\n}\n");
    const result = tfc(["check", spec]);
    expect(result.code).toBe(1);
    expect(result.stdout).toBe("");
    expect(result.stderr).toMatch(/typo\.tfx:4:\d+/);
    expect(result.stderr).toMatch(/^\s*\d*\s*\|\s*\^+/m);
    expect(result.stderr).toContain("help:");
    expect(result.stderr).toContain("gelu");
    expect(result.stderr).toMatch(/error: could not compile `.*typo\.tfx` due to 1 previous error\n$/);
    expect(result.stderr).not.toMatch(STACK_LINE);
  });

  it("colours diagnostics only when asked (FORCE_COLOR) and never under NO_COLOR", () => {
    const spec = join(dir.path, "colour.tfx");
    writeFileSync(spec, "model colour {\n  kind decoder  vocab 97  context 32\n  width 32  layers 2  heads 4\n  ffn 4 * width gleu\n}\n");
    expect(tfc(["check", spec]).stderr).not.toContain("\x1b[");
    expect(tfc(["check", spec], { env: { FORCE_COLOR: "1" } }).stderr).toContain("\x1b[");
    expect(tfc(["check", spec], { env: { FORCE_COLOR: "1", NO_COLOR: "1" } }).stderr).not.toContain("\x1b[");
  });

  it("reports every error of a file in one run", () => {
    const spec = join(dir.path, "two.tfx");
    writeFileSync(spec, "model two {\n  kind decoder  vocab 97  context 32\n  width 30  layers 2  heads 4\n  ffn 4 * width gleu\n}\n");
    const result = tfc(["check", spec]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/due to [2-9] previous errors/);
  });

  it("reports a missing file as a diagnostic, not a crash", () => {
    const result = tfc(["check", join(dir.path, "nope.tfx")]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("nope.tfx");
    expect(result.stderr).not.toMatch(STACK_LINE);
    expect(result.stderr).not.toContain("internal error");
  });

  it("asks for --model when a file declares several, and accepts it", () => {
    const spec = join(dir.path, "several.tfx");
    writeFileSync(
      spec,
      "model a {\n  kind decoder  vocab 97  context 32\n  width 32  layers 2  heads 4\n}\nmodel b extends a {\n  layers 3\n}\n",
    );
    expect(tfc(["check", spec]).code).toBe(1);
    const chosen = tfc(["check", spec, "--model", "b"]);
    expect(chosen.code).toBe(0);
    expect(chosen.stdout).toMatch(/^ok: b \(decoder, [\d,]+ parameters\)\n$/);
    const unknown = tfc(["check", spec, "--model", "c"]);
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).not.toMatch(STACK_LINE);
  });
});

describe("usage errors exit 2", () => {
  it.each([
    [["check", example("tiny-gpt.tfx"), "--frobnicate"], /unknown option '--frobnicate'/],
    [["frobnicate"], /unknown command 'frobnicate'/],
    [["check"], /missing required argument 'file'/],
    [["run", "x.onnx", "--seq", "zero"], /argument 'zero' is invalid/],
    [["run", "x.onnx", "--batch", "0"], /argument '0' is invalid/],
    [["run", "x.onnx", "--device", "tpu"], /Allowed choices are auto, cpu, cuda/],
    [["check", example("tiny-gpt.tfx"), "extra"], /too many arguments/],
    [[], /Usage: tfc/],
  ])("tfc %j", (args, message) => {
    const result = tfc(args);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).not.toMatch(STACK_LINE);
  });
});

describe("help and version", () => {
  it.each(["compile", "check", "explain", "run"])("tfc %s --help shows usage and examples", (command) => {
    const result = tfc([command, "--help"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain(`Usage: tfc ${command}`);
    expect(result.stdout).toContain("Examples:");
    expect(result.stdout).toContain(`$ tfc ${command}`);
  });

  it("tfc --help lists the commands and exit codes", () => {
    const result = tfc(["--help"]);
    expect(result.code).toBe(0);
    for (const command of ["compile", "check", "explain", "run"]) expect(result.stdout).toContain(command);
    expect(result.stdout).toContain("Exit codes:");
  });

  it("tfc --version prints the package version", () => {
    const result = tfc(["--version"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toBe("0.1.0\n");
  });
});
