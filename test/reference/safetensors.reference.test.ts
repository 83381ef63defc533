/**
 * tfc's safetensors reader and writer against an independent one (safetensors_ref.py: json + struct
 * + torch), both ways: files python writes are read (F16/BF16 widened bit-exactly) and rewritten byte
 * for byte; files tfc writes are read by python, and tfc's F16/BF16 narrowing equals torch's.
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { openSafetensors, writeSafetensors, type TensorToWrite } from "../../compiler/weights/safetensors.js";

const dir = mkdtempSync(join(tmpdir(), "tfc-safetensors-ref-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const python = (...args: string[]) => JSON.parse(execFileSync("/usr/bin/python3", ["test/reference/safetensors_ref.py", ...args], { encoding: "utf8", maxBuffer: 64 << 20 }));
const fromBase64 = (text: string) => new Uint8Array(Buffer.from(text, "base64"));
const bytesOf = (a: Float32Array) => new Uint8Array(a.buffer, a.byteOffset, a.byteLength);

describe("safetensors against the python reference", () => {
  it("reads what python writes, and rewrites it byte for byte", async () => {
    const path = join(dir, "from-python.safetensors");
    const written = python("write", path, "--seed", "7") as Record<string, { dtype: string; shape: number[]; f32: string | null }>;
    const file = openSafetensors(path);
    const tensors: TensorToWrite[] = [];
    try {
      expect(file.metadata).toEqual({ format: "pt", source: "safetensors_ref.py" });
      expect(new Set(file.tensors.keys())).toEqual(new Set(Object.keys(written)));
      for (const [name, expected] of Object.entries(written)) {
        const entry = file.tensors.get(name)!;
        expect([entry.dtype, entry.shape], name).toEqual([expected.dtype, expected.shape]);
        if (expected.f32 !== null) expect(bytesOf(file.readFloat32(name)), name).toEqual(fromBase64(expected.f32));
        tensors.push({ name, dtype: entry.dtype, shape: entry.shape, data: file.readBytes(name) });
      }
    } finally {
      file.close();
    }
    const rewritten = join(dir, "rewritten.safetensors");
    await writeSafetensors(rewritten, tensors, { source: "safetensors_ref.py", format: "pt" });
    expect(readFileSync(rewritten).equals(readFileSync(path))).toBe(true);
  });

  it("writes what python reads, narrowing to F16 and BF16 as torch does", async () => {
    const values = edgeValues();
    const path = join(dir, "from-tfc.safetensors");
    await writeSafetensors(path, [
      { name: "x", dtype: "F32", shape: [values.length], data: values },
      { name: "x.f16", dtype: "F16", shape: [values.length], data: values },
      { name: "x.bf16", dtype: "BF16", shape: [values.length], data: () => values },
    ]);
    const read = python("read", path) as { tensors: Record<string, { dtype: string; shape: number[]; raw: string; f32: string; as_f16?: string; as_bf16?: string }> };
    const { x, "x.f16": half, "x.bf16": brain } = read.tensors;
    expect(fromBase64(x.f32)).toEqual(bytesOf(values));
    expectSameNarrowing(fromBase64(half.raw), fromBase64(x.as_f16!), values, 0x7c00);
    expectSameNarrowing(fromBase64(brain.raw), fromBase64(x.as_bf16!), values, 0x7f80);
    // And tfc widens them back as torch does.
    const file = openSafetensors(path);
    try {
      expectSameFloats(file.readFloat32("x.f16"), fromBase64(half.f32));
      expectSameFloats(file.readFloat32("x.bf16"), fromBase64(brain.f32));
    } finally {
      file.close();
    }
  });
});

/**
 * Bit-equal 16-bit patterns, except that a NaN only has to stay a NaN: its payload is not specified
 * (torch 1.13's vectorized bfloat16 path gives 0xffff, its scalar path and tfc 0x7fc0).
 */
function expectSameNarrowing(actualBytes: Uint8Array, expectedBytes: Uint8Array, source: Float32Array, exponentMask: number): void {
  const actual = new Uint16Array(actualBytes.buffer, actualBytes.byteOffset, actualBytes.length / 2);
  const expected = new Uint16Array(expectedBytes.buffer, expectedBytes.byteOffset, expectedBytes.length / 2);
  expect(actual.length).toBe(source.length);
  const isNaN16 = (bits: number) => (bits & exponentMask) === exponentMask && (bits & ~exponentMask & 0x7fff) !== 0;
  const mismatches: string[] = [];
  for (let i = 0; i < source.length; i++) {
    const ok = Number.isNaN(source[i]) ? isNaN16(actual[i]) && isNaN16(expected[i]) : actual[i] === expected[i];
    if (!ok) mismatches.push(`${source[i]}: tfc 0x${actual[i].toString(16)}, torch 0x${expected[i].toString(16)}`);
  }
  expect(mismatches).toEqual([]);
}

/** Bit-equal float32 values (so -0 ≠ 0), where any NaN equals any NaN. */
function expectSameFloats(actual: Float32Array, expectedBytes: Uint8Array): void {
  const expected = new Float32Array(expectedBytes.buffer, expectedBytes.byteOffset, expectedBytes.length / 4);
  expect(actual.length).toBe(expected.length);
  const mismatches = [...actual.keys()].filter((i) => !Object.is(actual[i], expected[i]));
  expect(mismatches.map((i) => `${i}: tfc ${actual[i]}, torch ${expected[i]}`)).toEqual([]);
}

/** Values that exercise rounding: ties, float16 subnormals and overflow, bfloat16's coarse steps, NaN. */
function edgeValues(): Float32Array {
  const special = [0, -0, 1, -1, 65504, 65519, 65520, 1e9, -1e9, Infinity, -Infinity, NaN, 2 ** -14, 2 ** -24, 2 ** -25, 3 * 2 ** -26, 2 ** -26, 1e-30,
    1 + 2 ** -11, 1 + 3 * 2 ** -11, 1 + 2 ** -8, 1 + 3 * 2 ** -8, 1 + 2 ** -8 + 2 ** -20, 3.4e38, -3.4e38, 1.17e-38, 1e-45];
  const out = new Float32Array(special.length + 4000);
  out.set(special);
  let state = 12345;
  for (let i = special.length; i < out.length; i++) {
    state = (Math.imul(state, 1103515245) + 12345) >>> 0;
    const u = new Uint32Array([state]);
    out[i] = new Float32Array(u.buffer)[0]; // every bit pattern is fair game
  }
  return out;
}
