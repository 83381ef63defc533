import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, test } from "vitest";
import { checkpoint, materialize } from "../ir/initializer.js";
import { SafetensorsError } from "./errors.js";
import { writeSafetensors } from "./safetensors.js";

const dir = mkdtempSync(join(tmpdir(), "tfc-checkpoint-read-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("checkpoint initializers read one tensor when materialized", () => {
  const file = join(dir, "model.safetensors");
  const fused = Float32Array.from({ length: 2 * 6 }, (_, i) => i);

  test("a fused [in, 3·out] tensor's columns, a transposed nn.Linear weight, a BF16 tensor", async () => {
    await writeSafetensors(file, [
      { name: "c_attn.weight", dtype: "F32", shape: [2, 6], data: fused },
      { name: "q_proj.weight", dtype: "F32", shape: [3, 2], data: Float32Array.from([1, 2, 3, 4, 5, 6]) },
      { name: "norm.weight", dtype: "BF16", shape: [2], data: Float32Array.from([1.5, -0.25]) },
    ]);
    const floats = (data: ReturnType<typeof materialize>) => Array.from(data as Float32Array);
    const k = materialize(checkpoint(file, "c_attn.weight", [{ kind: "columns", start: 2, end: 4 }]), { dtype: "float32", shape: [2, 2] });
    expect(floats(k)).toEqual([2, 3, 8, 9]);
    const q = materialize(checkpoint(file, "q_proj.weight", [{ kind: "transpose" }]), { dtype: "float32", shape: [2, 3] });
    expect(floats(q)).toEqual([1, 3, 5, 2, 4, 6]);
    expect(floats(materialize(checkpoint(file, "norm.weight"), { dtype: "float32", shape: [2] }))).toEqual([1.5, -0.25]);
  });

  test("a file changed after checking is a SafetensorsError naming the file and tensor, not a crash", () => {
    expect(() => materialize(checkpoint(file, "c_attn.weight"), { dtype: "float32", shape: [2, 2] })).toThrow(SafetensorsError);
    expect(() => materialize(checkpoint(file, "gone.weight"), { dtype: "float32", shape: [2] })).toThrow(/tensor `gone.weight`: no such tensor/);
    expect(() => materialize(checkpoint(join(dir, "moved.safetensors"), "x"), { dtype: "float32", shape: [1] })).toThrow(SafetensorsError);
  });
});
