import { afterEach, describe, expect, it } from "vitest";
import { ExitCode } from "../../cli/exit-codes.js";
import { internalFailure } from "../../cli/front-end.js";
import { InternalFailure } from "../../cli/internal-failure.js";
import { Codes, error } from "../../grammar/diagnostics.js";
import type { Io } from "../../cli/io.js";
import { guard, main } from "../../cli/program.js";
import { STACK_LINE } from "./tfc.js";

function capture(): Io & { stdout: string; stderr: string } {
  const io = {
    stdout: "",
    stderr: "",
    out: (text: string) => void (io.stdout += text),
    err: (text: string) => void (io.stderr += text),
  };
  return io;
}

describe("the top-level handler", () => {
  const saved = process.env.TFC_DEBUG;
  afterEach(() => {
    if (saved === undefined) delete process.env.TFC_DEBUG;
    else process.env.TFC_DEBUG = saved;
  });

  it("turns a thrown error into one line and exit 70, without a stack", async () => {
    delete process.env.TFC_DEBUG;
    const io = capture();
    const code = await guard(io, async () => {
      throw new TypeError("cannot read properties of undefined");
    });
    expect(code).toBe(ExitCode.Internal);
    expect(code).toBe(70);
    expect(io.stderr).toMatch(/^internal error: cannot read properties of undefined\nthis is a bug in tfc; please report it with the spec file\n/);
    expect(io.stderr).not.toMatch(STACK_LINE);
  });

  it("prints the stack with TFC_DEBUG=1", async () => {
    process.env.TFC_DEBUG = "1";
    const io = capture();
    await guard(io, async () => {
      throw new Error("boom");
    });
    expect(io.stderr).toMatch(STACK_LINE);
  });

  it("keeps an internal failure's detail for TFC_DEBUG only", async () => {
    delete process.env.TFC_DEBUG;
    const io = capture();
    await guard(io, async () => {
      throw new InternalFailure("internal error in the checker", "Error: x\n    at check (check.ts:1:1)");
    });
    expect(io.stderr).not.toMatch(STACK_LINE);
    process.env.TFC_DEBUG = "1";
    const debug = capture();
    await guard(debug, async () => {
      throw new InternalFailure("internal error in the checker", "Error: x\n    at check (check.ts:1:1)");
    });
    expect(debug.stderr).toContain("at check (check.ts:1:1)");
  });

  it("turns a crash the checker caught into an internal failure naming the stage", () => {
    const span = { file: "m.tfx", start: { offset: 0, line: 1, column: 1 }, end: { offset: 0, line: 1, column: 1 } };
    const stack = "TypeError: x is undefined\n    at resolve (resolve-model.ts:9:9)";
    const checker = internalFailure(error(Codes.Internal, "internal error in the checker", span, { help: stack }), "m.tfx");
    expect(checker.message).toBe("the checker failed on m.tfx");
    expect(checker.detail).toBe(stack);
    const parser = internalFailure(error(Codes.Internal, "internal error in the parser: token stream ended", span), "m.tfx");
    expect(parser.message).toBe("the parser failed on m.tfx: token stream ended");
  });

  it("runs in-process with captured output", async () => {
    const io = capture();
    expect(await main(["--version"], io)).toBe(ExitCode.Success);
    expect(io.stdout).toMatch(/^\d+\.\d+\.\d+/);
    const bad = capture();
    expect(await main(["--nope"], bad)).toBe(ExitCode.Usage);
    expect(bad.stderr).toContain("unknown option '--nope'");
  });
});
