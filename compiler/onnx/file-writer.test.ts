import type { FileHandle } from "node:fs/promises";
import { expect, test } from "vitest";
import { FileWriter } from "./file-writer.js";

/** A FileHandle stand-in: writes land in `file` after a tick, at most `step` bytes per call. */
function fakeHandle(options: { step?: number; failAt?: number } = {}) {
  const file = new Uint8Array(16 << 20);
  let inFlight = 0;
  let maxInFlight = 0;
  const handle = {
    async write(bytes: Uint8Array, offset: number, length: number, position: number) {
      inFlight++;
      maxInFlight = Math.max(maxInFlight, inFlight);
      await new Promise((resolve) => setTimeout(resolve, 1));
      inFlight--;
      if (options.failAt !== undefined && position >= options.failAt) throw new Error("ENOSPC: no space left on device");
      const n = Math.min(length, options.step ?? length);
      file.set(bytes.subarray(offset, offset + n), position);
      return { bytesWritten: n, buffer: bytes };
    },
  };
  return { handle: handle as unknown as FileHandle, file, maxInFlight: () => maxInFlight };
}

const pieces = [1, 300_000, 7, 2 << 20, 5, 900_000, 1 << 20, 3].map((n, i) => new Uint8Array(n).fill(i + 1));
const expected = Buffer.concat(pieces);

test("small and large pieces land in order, partial writes continued", async () => {
  for (const step of [undefined, 65_536]) {
    const fake = fakeHandle({ step });
    const out = new FileWriter(fake.handle, 4 << 20);
    for (const piece of pieces) await out.write(piece);
    await out.finish();
    expect(out.length).toBe(expected.length);
    expect(Buffer.from(fake.file.subarray(0, expected.length)).equals(expected)).toBe(true);
    expect(fake.maxInFlight()).toBeGreaterThan(1); // writes overlap
  }
});

test("writes in flight stay within the byte bound, one at a time when it is zero", async () => {
  const fake = fakeHandle();
  const out = new FileWriter(fake.handle, 0);
  for (const piece of pieces) await out.write(piece);
  await out.finish();
  expect(fake.maxInFlight()).toBe(1);
  expect(Buffer.from(fake.file.subarray(0, expected.length)).equals(expected)).toBe(true);
});

test("a failed write is thrown by finish; abandon waits without throwing", async () => {
  const fake = fakeHandle({ failAt: 1 << 20 });
  const out = new FileWriter(fake.handle, 64 << 20);
  for (const piece of pieces) await out.write(piece);
  await expect(out.finish()).rejects.toThrow(/ENOSPC/);
  await expect(out.abandon()).resolves.toBeUndefined();
});
