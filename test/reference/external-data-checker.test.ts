/**
 * A model written with ONNX external data passes the official checker given its path (full_check),
 * and python onnx loads the same initializers from it as from the embedded model.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { checkFile, compileSpec } from "../../compiler/pipeline.js";
import { writeOnnxFile } from "../../compiler/onnx/index.js";

const dir = mkdtempSync(join(tmpdir(), "tfc-external-checker-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const SAME_INITIALIZERS = `
import sys, onnx
from onnx import numpy_helper
a, b = (onnx.load(p) for p in sys.argv[1:3])
ta = {t.name: numpy_helper.to_array(t) for t in a.graph.initializer}
tb = {t.name: numpy_helper.to_array(t) for t in b.graph.initializer}
assert ta.keys() == tb.keys(), "different initializer names"
bad = [n for n in ta if ta[n].dtype != tb[n].dtype or ta[n].shape != tb[n].shape or ta[n].tobytes() != tb[n].tobytes()]
external = sum(1 for t in onnx.load(sys.argv[2], load_external_data=False).graph.initializer if t.data_location == onnx.TensorProto.EXTERNAL)
print(len(ta), external, bad)
`;

describe("external data in python onnx", () => {
  it("passes check_model on the path and loads the same initializers as the embedded model", async () => {
    const checked = checkFile("examples/tiny-gpt.tfx");
    const graph = compileSpec(checked.spec!).graph;
    const embedded = join(dir, "tiny-embedded.onnx");
    const external = join(dir, "tiny-external.onnx");
    await writeOnnxFile(graph, embedded);
    await writeOnnxFile(graph, external, { externalData: true });
    const check = execFileSync("/usr/bin/python3", ["test/reference/check_onnx.py", external], { encoding: "utf8" });
    expect(JSON.parse(check)).toEqual({ file: external, ok: true });
    const [count, externalCount, bad] = execFileSync("/usr/bin/python3", ["-c", SAME_INITIALIZERS, embedded, external], { encoding: "utf8" }).trim().split(" ", 3);
    expect(Number(count)).toBeGreaterThanOrEqual(graph.params.length); // lowering may add constants
    expect(Number(externalCount)).toBeGreaterThan(0);
    expect(bad).toBe("[]");
  }, 60_000);
});
