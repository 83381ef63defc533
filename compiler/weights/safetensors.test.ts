import { closeSync, ftruncateSync, mkdtempSync, openSync, readFileSync, readdirSync, rmSync, writeFileSync, writeSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { afterAll, describe, expect, it } from "vitest";
import { SAFETENSORS_DTYPE_BYTES, type SafetensorsDType } from "./dtypes.js";
import { openSafetensors, SafetensorsError, writeSafetensors, type TensorToWrite } from "./safetensors.js";
import { MAX_HEADER_BYTES } from "./safetensors-header.js";

const dir = mkdtempSync(join(tmpdir(), "tfc-safetensors-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let counter = 0;
const freshPath = () => join(dir, `f${counter++}.safetensors`);

/** A file from a header object and a data section, written byte for byte as given. */
function rawFile(header: unknown, dataBytes: number, options: { lengthOverride?: bigint; headerText?: string } = {}): string {
  const text = Buffer.from(options.headerText ?? JSON.stringify(header), "utf8");
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(options.lengthOverride ?? BigInt(text.length));
  const path = freshPath();
  writeFileSync(path, Buffer.concat([prefix, text, Buffer.alloc(dataBytes, 7)]));
  return path;
}

function rejection(path: string): SafetensorsError {
  try {
    openSafetensors(path).close();
  } catch (error) {
    if (error instanceof SafetensorsError) return error;
    throw error;
  }
  throw new Error(`${path} was accepted`);
}

const f32 = (shape: number[], begin: number) => ({ dtype: "F32", shape, data_offsets: [begin, begin + 4 * shape.reduce((a, b) => a * b, 1)] });

describe("openSafetensors rejects corrupt files, naming the file and the tensor", () => {
  const cases: [string, () => string, RegExp, string | undefined][] = [
    ["a file shorter than the length prefix", () => { const p = freshPath(); writeFileSync(p, Buffer.from([1, 2, 3])); return p; }, /3 bytes is too short/, undefined],
    ["a header length past the end of the file", () => rawFile({ a: f32([2], 0) }, 8, { lengthOverride: 4096n }), /header length 4096 runs past the end of the \d+-byte file/, undefined],
    ["a header length over the format's limit", () => rawFile({}, 0, { lengthOverride: BigInt(MAX_HEADER_BYTES) + 1n }), /exceeds the format's limit/, undefined],
    ["a header length of 2^64 - 1", () => rawFile({}, 0, { lengthOverride: 2n ** 64n - 1n }), /exceeds the format's limit/, undefined],
    ["a header that is not JSON", () => rawFile(undefined, 0, { headerText: '{"a": {"dtype": "F32",' }), /header is not valid UTF-8 JSON/, undefined],
    ["a header that is not an object", () => rawFile(undefined, 0, { headerText: "[1, 2]" }), /does not start with `\{`/, undefined],
    ["an unknown dtype", () => rawFile({ w: { dtype: "F17", shape: [1], data_offsets: [0, 4] } }, 4), /unknown dtype `F17`/, "w"],
    ["a shape that does not match the byte range", () => rawFile({ w: { dtype: "F32", shape: [3], data_offsets: [0, 8] } }, 8), /shape \[3\] of F32 needs 12 bytes but data_offsets \[0, 8\] hold 8/, "w"],
    ["a bf16 tensor sized as f32", () => rawFile({ w: { dtype: "BF16", shape: [2], data_offsets: [0, 8] } }, 8), /needs 4 bytes/, "w"],
    ["a negative dimension", () => rawFile({ w: { dtype: "F32", shape: [-1], data_offsets: [0, 4] } }, 4), /shape must be a list of non-negative whole numbers/, "w"],
    ["a fractional offset", () => rawFile({ w: { dtype: "U8", shape: [1], data_offsets: [0, 1.5] } }, 2), /data_offsets must be \[begin, end\]/, "w"],
    ["offsets that end before they begin", () => rawFile({ w: { dtype: "U8", shape: [0], data_offsets: [4, 2] } }, 4), /end before they begin/, "w"],
    ["an offset past the data section", () => rawFile({ a: f32([2], 0), b: f32([2], 8) }, 12), /tensor `b`: data_offsets \[8, 16\] run past the 12-byte data section/, "b"],
    ["overlapping tensors", () => rawFile({ a: f32([2], 0), b: f32([2], 4) }, 12), /tensor `b`: data_offsets \[4, 12\] overlap tensor `a`, which ends at 8/, "b"],
    ["a gap between tensors", () => rawFile({ a: f32([2], 0), b: f32([2], 12) }, 20), /tensor `b`: data_offsets \[12, 20\] leave a gap: bytes 8..12 belong to no tensor/, "b"],
    ["a first tensor that does not start at 0", () => rawFile({ a: f32([1], 4) }, 8), /tensor `a`: .*leave a gap: bytes 0..4/, "a"],
    ["trailing bytes after the last tensor", () => rawFile({ a: f32([2], 0) }, 12), /data section has 12 bytes but its tensors cover 8/, undefined],
    ["metadata that is not a string map", () => rawFile({ __metadata__: { n: 1 } }, 0), /`__metadata__` must map strings to strings/, undefined],
    ["an entry that is not an object", () => rawFile({ w: [1, 2] }, 0), /entry is not an object/, "w"],
  ];
  for (const [what, make, message, tensor] of cases) {
    it(what, () => {
      const path = make();
      const error = rejection(path);
      expect(error.message).toMatch(message);
      expect(error.message.startsWith(`${path}: `)).toBe(true);
      expect(error.file).toBe(path);
      expect(error.tensor).toBe(tensor);
      if (tensor) expect(error.message).toContain(`tensor \`${tensor}\``);
    });
  }

  it("a missing file", () => {
    expect(() => openSafetensors(join(dir, "absent.safetensors"))).toThrow(/absent.safetensors: cannot open: ENOENT/);
  });
});

describe("writeSafetensors and openSafetensors", () => {
  it("write the reference implementation's bytes", async () => {
    // The byte string of the reference implementation's own serialization test.
    const path = freshPath();
    await writeSafetensors(path, [{ name: "attn.0", dtype: "F32", shape: [1, 2, 3], data: new Float32Array([0, 1, 2, 3, 4, 5]) }]);
    const expected = [64, 0, 0, 0, 0, 0, 0, 0, ...Buffer.from('{"attn.0":{"dtype":"F32","shape":[1,2,3],"data_offsets":[0,24]}}', "utf8"), 0, 0, 0, 0, 0, 0, 128, 63, 0, 0, 0, 64, 0, 0, 64, 64, 0, 0, 128, 64, 0, 0, 160, 64];
    expect([...readFileSync(path)]).toEqual(expected);
    const empty = freshPath();
    await writeSafetensors(empty, [], { framework: "pt" });
    expect(readFileSync(empty).subarray(8).toString("utf8")).toBe('{"__metadata__":{"framework":"pt"}}     ');
  });

  it("read one tensor without reading the others, widening F16 and BF16 exactly", async () => {
    const path = freshPath();
    await writeSafetensors(
      path,
      [
        { name: "a", dtype: "F16", shape: [4], data: new Float32Array([1, -2, 0.5, 65504]) },
        { name: "b", dtype: "BF16", shape: [2, 2], data: new Float32Array([1, -3, 256, 1 / 128]) },
        { name: "c", dtype: "F32", shape: [], data: () => new Float32Array([Math.PI]) },
        { name: "ids", dtype: "I64", shape: [2], data: new BigInt64Array([5n, -1n]) },
      ],
      { note: "x" },
    );
    const file = openSafetensors(path);
    try {
      expect([...file.tensors.keys()]).toEqual(["ids", "c", "b", "a"]);
      expect(file.metadata).toEqual({ note: "x" });
      expect([...file.readFloat32("a")]).toEqual([1, -2, 0.5, 65504]);
      expect([...file.readFloat32("b")]).toEqual([1, -3, 256, 1 / 128]);
      expect(file.readFloat32("c")[0]).toBe(Math.fround(Math.PI));
      expect(new BigInt64Array(file.readBytes("ids").buffer)).toEqual(new BigInt64Array([5n, -1n]));
      expect(() => file.readFloat32("ids")).toThrow(/tensor `ids`: is I64; tfc reads F32, F16, BF16 tensors as float32/);
      expect(() => file.readFloat32("nope")).toThrow(/tensor `nope`: no such tensor/);
    } finally {
      file.close();
    }
    expect(() => file.readFloat32("a")).toThrow(/read after the file was closed/);
  });

  it("read a tensor past 4 GiB into a file without loading the file (a sparse 4 GiB file)", () => {
    const big = 2 ** 30; // F32 elements: 4 GiB
    const header = { big: { dtype: "F32", shape: [big], data_offsets: [0, 4 * big] }, small: { dtype: "F32", shape: [2], data_offsets: [4 * big, 4 * big + 8] } };
    const text = Buffer.from(JSON.stringify(header));
    const path = freshPath();
    const fd = openSync(path, "w");
    try {
      const prefix = Buffer.alloc(8);
      prefix.writeBigUInt64LE(BigInt(text.length));
      writeSync(fd, Buffer.concat([prefix, text]));
      const dataStart = 8 + text.length;
      ftruncateSync(fd, dataStart + 4 * big + 8);
      writeSync(fd, Buffer.from(new Float32Array([1.5, -2]).buffer), 0, 8, dataStart + 4 * big);
    } finally {
      closeSync(fd);
    }
    const before = process.memoryUsage().rss;
    const file = openSafetensors(path);
    try {
      expect([...file.readFloat32("small")]).toEqual([1.5, -2]);
      expect(file.tensors.get("big")!.byteLength).toBe(4 * big);
    } finally {
      file.close();
    }
    expect(process.memoryUsage().rss - before).toBeLessThan(256 << 20);
    rmSync(path);
  });

  it("refuse data that does not match its shape, leaving no file behind", async () => {
    const path = freshPath();
    const tensors: TensorToWrite[] = [
      { name: "ok", dtype: "F32", shape: [2], data: new Float32Array(2) },
      { name: "short", dtype: "F32", shape: [3], data: () => new Float32Array(2) },
    ];
    await expect(writeSafetensors(path, tensors)).rejects.toThrow(/tensor `short`: shape \[3\] of F32 needs 12 bytes, but its data \(Float32Array of 2\) has 8/);
    expect(readdirSync(dir).filter((f) => f.startsWith(path.split("/").pop()!))).toEqual([]);
    await expect(writeSafetensors(path, [tensors[0], tensors[0]])).rejects.toThrow(/tensor `ok`: appears twice/);
    await expect(writeSafetensors(path, [{ ...tensors[0], name: "__metadata__" }])).rejects.toThrow(/reserved/);
  });

  const dtypes = Object.keys(SAFETENSORS_DTYPE_BYTES) as SafetensorsDType[];
  const tensorArb = fc.record({
    dtype: fc.constantFrom(...dtypes),
    shape: fc.array(fc.integer({ min: 0, max: 5 }), { maxLength: 3 }),
    seed: fc.integer({ min: 0, max: 255 }),
  });
  const filesArb = fc.uniqueArray(fc.tuple(fc.string({ minLength: 0, maxLength: 8, unit: "grapheme" }), tensorArb), { selector: ([name]) => name, maxLength: 6 })
    .map((entries) => entries.filter(([name]) => name !== "__metadata__"));

  it("round-trip any set of tensors byte for byte (property)", async () => {
    await fc.assert(
      fc.asyncProperty(filesArb, fc.option(fc.dictionary(fc.string({ maxLength: 5 }), fc.string({ maxLength: 5 })), { nil: undefined }), async (entries, metadata) => {
        const tensors = entries.map(([name, t]) => {
          const bytes = SAFETENSORS_DTYPE_BYTES[t.dtype] * t.shape.reduce((a, b) => a * b, 1);
          return { name, dtype: t.dtype, shape: t.shape, data: Uint8Array.from({ length: bytes }, (_, i) => (i * 31 + t.seed) & 255) };
        });
        const path = freshPath();
        await writeSafetensors(path, tensors, metadata);
        const file = openSafetensors(path);
        try {
          expect(file.tensors.size).toBe(tensors.length);
          expect(file.metadata).toEqual(metadata ?? {});
          for (const t of tensors) {
            const entry = file.tensors.get(t.name)!;
            expect(entry.dtype).toBe(t.dtype);
            expect(entry.shape).toEqual(t.shape);
            expect(entry.byteOffset % SAFETENSORS_DTYPE_BYTES[t.dtype]).toBe(0); // aligned to its element
            expect(file.readBytes(t.name)).toEqual(t.data);
          }
        } finally {
          file.close();
        }
        // Deterministic: the order tensors are given in does not change a byte.
        const again = freshPath();
        await writeSafetensors(again, [...tensors].reverse(), metadata);
        expect(readFileSync(again).equals(readFileSync(path))).toBe(true);
        rmSync(path);
        rmSync(again);
      }),
      { numRuns: 60 },
    );
  });

  it("reject any single corruption of a valid header's offsets or shapes (property)", async () => {
    const path = freshPath();
    await writeSafetensors(path, [
      { name: "a", dtype: "F32", shape: [3, 2], data: new Float32Array(6) },
      { name: "b", dtype: "F16", shape: [5], data: new Float32Array(5) },
      { name: "c", dtype: "U8", shape: [7], data: new Uint8Array(7) },
    ]);
    const bytes = readFileSync(path);
    const length = Number(bytes.readBigUInt64LE(0));
    const header = JSON.parse(bytes.subarray(8, 8 + length).toString("utf8")) as Record<string, { dtype: string; shape: number[]; data_offsets: number[] }>;
    const data = bytes.subarray(8 + length);
    const corruption = fc.record({
      tensor: fc.constantFrom("a", "b", "c"),
      field: fc.constantFrom("begin", "end", "dim", "dtype"),
      delta: fc.integer({ min: -9, max: 9 }).filter((d) => d !== 0),
    });
    fc.assert(
      fc.property(corruption, ({ tensor, field, delta }) => {
        const changed = structuredClone(header);
        const entry = changed[tensor];
        if (field === "begin") entry.data_offsets[0] += delta;
        else if (field === "end") entry.data_offsets[1] += delta;
        else if (field === "dim") entry.shape[0] += delta;
        else entry.dtype = "F64"; // wider than every tensor here
        const corrupt = rawFile(changed, data.length);
        const error = rejection(corrupt);
        expect(error.message.startsWith(corrupt)).toBe(true);
        rmSync(corrupt);
      }),
      { numRuns: 120 },
    );
  });
});
