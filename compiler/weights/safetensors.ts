import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { endianness } from "node:os";
import { FileWriter } from "../onnx/file-writer.js";
import { writeFileAtomically } from "../atomic-file.js";
import { READABLE_AS_FLOAT32, SAFETENSORS_DTYPE_BYTES, type SafetensorsDType } from "./dtypes.js";
import { SafetensorsError } from "./errors.js";
import { bfloat16BitsToFloat32, float16BitsToFloat32, float32ToBfloat16Bits, float32ToFloat16Bits } from "./half.js";
import { encodeHeader, headerLength, MAX_HEADER_BYTES, parseHeader, type SafetensorsEntry } from "./safetensors-header.js";

export { SafetensorsError } from "./errors.js";
export { SAFETENSORS_DTYPE_BYTES, type SafetensorsDType } from "./dtypes.js";
export type { SafetensorsEntry } from "./safetensors-header.js";

if (endianness() !== "LE") throw new Error("tfc's safetensors reader and writer assume a little-endian host");

/** Positional reads are split so no single read asks for more than this (Node caps one read near 2 GiB). */
const READ_CHUNK_BYTES = 1 << 30;
/** Bytes being written while the next tensor is produced. */
const WRITE_AHEAD_BYTES = 64 << 20;

/**
 * An open safetensors file whose header has been read and validated. Tensor data is read only when
 * asked for, one tensor at a time, by positional reads: the file is never loaded whole.
 */
export interface SafetensorsFile {
  readonly path: string;
  /** In data order; byteOffset counts from the start of the file. */
  readonly tensors: ReadonlyMap<string, SafetensorsEntry>;
  readonly metadata: Readonly<Record<string, string>>;
  /** The tensor's elements as float32 (F16 and BF16 widened exactly). */
  readFloat32(name: string): Float32Array;
  /** The tensor's bytes as stored (little-endian). */
  readBytes(name: string): Uint8Array;
  close(): void;
}

/** Opens `path` and validates its header (see `parseHeader`); throws SafetensorsError naming the file and tensor. */
export function openSafetensors(path: string): SafetensorsFile {
  let fd: number;
  try {
    fd = openSync(path, "r");
  } catch (error) {
    throw new SafetensorsError(path, undefined, `cannot open: ${(error as NodeJS.ErrnoException).code ?? (error as Error).message}`);
  }
  try {
    const fileBytes = fstatSync(fd).size;
    const prefix = new Uint8Array(Math.min(8, fileBytes));
    readExactly(fd, prefix, 0, path);
    const length = headerLength(prefix, fileBytes, path);
    const json = new Uint8Array(length);
    readExactly(fd, json, 8, path);
    const header = parseHeader(json, fileBytes, path);
    return new OpenSafetensors(path, fd, header.tensors, header.metadata);
  } catch (error) {
    closeSync(fd);
    throw error;
  }
}

class OpenSafetensors implements SafetensorsFile {
  private closed = false;

  constructor(
    readonly path: string,
    private readonly fd: number,
    readonly tensors: ReadonlyMap<string, SafetensorsEntry>,
    readonly metadata: Readonly<Record<string, string>>,
  ) {}

  readFloat32(name: string): Float32Array {
    const entry = this.entry(name);
    if (!READABLE_AS_FLOAT32.includes(entry.dtype)) {
      throw new SafetensorsError(this.path, name, `is ${entry.dtype}; tfc reads ${READABLE_AS_FLOAT32.join(", ")} tensors as float32`);
    }
    const count = entry.byteLength / SAFETENSORS_DTYPE_BYTES[entry.dtype];
    if (entry.dtype === "F32") {
      const out = new Float32Array(count);
      this.readInto(new Uint8Array(out.buffer), entry);
      return out;
    }
    const bits = new Uint16Array(count);
    this.readInto(new Uint8Array(bits.buffer), entry);
    return entry.dtype === "F16" ? float16BitsToFloat32(bits) : bfloat16BitsToFloat32(bits);
  }

  readBytes(name: string): Uint8Array {
    const entry = this.entry(name);
    const out = new Uint8Array(entry.byteLength);
    this.readInto(out, entry);
    return out;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    closeSync(this.fd);
  }

  private entry(name: string): SafetensorsEntry {
    if (this.closed) throw new SafetensorsError(this.path, name, "read after the file was closed");
    const entry = this.tensors.get(name);
    if (!entry) throw new SafetensorsError(this.path, name, "no such tensor in this file");
    return entry;
  }

  private readInto(out: Uint8Array, entry: SafetensorsEntry): void {
    readExactly(this.fd, out, entry.byteOffset, this.path);
  }
}

function readExactly(fd: number, out: Uint8Array, position: number, path: string): void {
  for (let done = 0; done < out.length; ) {
    const want = Math.min(out.length - done, READ_CHUNK_BYTES);
    const got = readSync(fd, out, done, want, position + done);
    if (got === 0) throw new SafetensorsError(path, undefined, `file ended at byte ${position + done} while reading ${out.length} bytes at ${position}: was it truncated while open?`);
    done += got;
  }
}

/** Data of a tensor to write: float32 values (narrowed for F16/BF16), or the raw little-endian bytes of any dtype. */
export type TensorDataToWrite = Float32Array | Uint16Array | Uint8Array | Int32Array | BigInt64Array | Int8Array;

export interface TensorToWrite {
  readonly name: string;
  readonly dtype: SafetensorsDType;
  readonly shape: readonly number[];
  /** The data, or a function producing it when its turn comes (so a model streams tensor by tensor). */
  readonly data: TensorDataToWrite | (() => TensorDataToWrite | Promise<TensorDataToWrite>);
}

/**
 * Writes a safetensors file atomically (temp file + rename) and deterministically, byte for byte as
 * the reference implementation does: tensors sorted by dtype in its order, widest first (so every
 * offset is aligned to its element), then by name. Data is produced and written one tensor at a time.
 */
export async function writeSafetensors(path: string, tensors: Iterable<TensorToWrite>, metadata?: Readonly<Record<string, string>>): Promise<void> {
  const given = [...tensors];
  checkTensorsToWrite(given, path);
  const ordered = given.sort((a, b) => DTYPE_RANK[b.dtype] - DTYPE_RANK[a.dtype] || compareNames(a.name, b.name));
  const header = encodeHeader(ordered, metadata);
  if (header.bytes.length - 8 > MAX_HEADER_BYTES) {
    throw new SafetensorsError(path, undefined, `the header of ${ordered.length} tensors would take ${header.bytes.length - 8} bytes, over the format's limit of ${MAX_HEADER_BYTES}: readers would refuse the file`);
  }
  await writeFileAtomically(path, async (handle) => {
    const out = new FileWriter(handle, WRITE_AHEAD_BYTES);
    try {
      await out.write(header.bytes);
      for (const tensor of ordered) await out.write(await tensorBytes(tensor, path));
      await out.finish();
    } catch (error) {
      await out.abandon();
      throw error;
    }
    if (out.length !== header.bytes.length + header.dataBytes) throw new Error(`internal: wrote ${out.length} of ${header.bytes.length + header.dataBytes} bytes to ${path}`);
  });
}

/** The reference implementation's dtype order (its enum's): narrow to wide, BF16 after F16. */
const DTYPE_RANK = Object.fromEntries(Object.keys(SAFETENSORS_DTYPE_BYTES).map((name, rank) => [name, rank])) as Record<SafetensorsDType, number>;

/** Names compare by their UTF-8 bytes, as Rust's strings do: independent of locale. */
function compareNames(a: string, b: string): number {
  return Buffer.compare(Buffer.from(a, "utf8"), Buffer.from(b, "utf8"));
}

function checkTensorsToWrite(tensors: readonly TensorToWrite[], path: string): void {
  const seen = new Set<string>();
  for (const t of tensors) {
    if (t.name === "__metadata__") throw new SafetensorsError(path, t.name, "this name is reserved for the file's metadata");
    if (seen.has(t.name)) throw new SafetensorsError(path, t.name, "appears twice");
    seen.add(t.name);
    if (!Object.hasOwn(SAFETENSORS_DTYPE_BYTES, t.dtype)) throw new SafetensorsError(path, t.name, `unknown dtype \`${t.dtype}\``);
    if (!t.shape.every((d) => Number.isSafeInteger(d) && d >= 0)) throw new SafetensorsError(path, t.name, `shape [${t.shape.join(", ")}] must hold non-negative whole numbers`);
  }
}

async function tensorBytes(tensor: TensorToWrite, path: string): Promise<Uint8Array> {
  const data = typeof tensor.data === "function" ? await tensor.data() : tensor.data;
  let bytes: Uint8Array;
  if (data instanceof Float32Array && tensor.dtype === "F16") bytes = asBytes(float32ToFloat16Bits(data));
  else if (data instanceof Float32Array && tensor.dtype === "BF16") bytes = asBytes(float32ToBfloat16Bits(data));
  else bytes = asBytes(data);
  const expected = SAFETENSORS_DTYPE_BYTES[tensor.dtype] * tensor.shape.reduce((n, d) => n * d, 1);
  if (bytes.length !== expected) {
    throw new SafetensorsError(path, tensor.name, `shape [${tensor.shape.join(", ")}] of ${tensor.dtype} needs ${expected} bytes, but its data (${data.constructor.name} of ${data.length}) has ${bytes.length}`);
  }
  return bytes;
}

function asBytes(data: TensorDataToWrite): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}
