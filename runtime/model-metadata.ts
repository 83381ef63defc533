import { closeSync, fstatSync, openSync, readSync } from "node:fs";
import { ModelRunError } from "./errors.js";

/**
 * `ModelProto.metadata_props` of an ONNX file, read without parsing the graph. ONNX Runtime's
 * JavaScript API does not expose model metadata, and the runtime may not import the emitter, so this
 * walks the top-level protobuf fields itself and skips the graph (field 7) by its length: only the few
 * bytes of field headers and metadata are read, however large the inline weights are.
 */
export function readModelMetadata(model: string | Uint8Array): Record<string, string> {
  const source = typeof model === "string" ? FileSource.open(model) : new BytesSource(model);
  try {
    return scanMetadata(source);
  } finally {
    source.close();
  }
}

/** ModelProto.metadata_props; StringStringEntryProto is { key = 1, value = 2 }. */
const METADATA_PROPS = 14;
const VARINT = 0;
const FIXED64 = 1;
const LENGTH_DELIMITED = 2;
const FIXED32 = 5;

interface ByteSource {
  readonly size: number;
  read(offset: number, length: number): Uint8Array;
  close(): void;
}

class BytesSource implements ByteSource {
  constructor(private readonly bytes: Uint8Array) {}
  get size(): number {
    return this.bytes.byteLength;
  }
  read(offset: number, length: number): Uint8Array {
    return this.bytes.subarray(offset, Math.min(offset + length, this.bytes.byteLength));
  }
  close(): void {}
}

class FileSource implements ByteSource {
  private constructor(
    private readonly fd: number,
    readonly size: number,
    private readonly path: string,
  ) {}

  static open(path: string): FileSource {
    let fd: number;
    try {
      fd = openSync(path, "r");
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      const reason = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "it is a directory" : (e as Error).message;
      throw new ModelRunError(`cannot read ${path}: ${reason}`);
    }
    const stat = fstatSync(fd);
    if (!stat.isFile()) {
      closeSync(fd);
      throw new ModelRunError(`cannot read ${path}: not a regular file`);
    }
    return new FileSource(fd, stat.size, path);
  }

  read(offset: number, length: number): Uint8Array {
    const buffer = new Uint8Array(Math.max(0, Math.min(length, this.size - offset)));
    let done = 0;
    while (done < buffer.byteLength) {
      const n = readSync(this.fd, buffer, done, buffer.byteLength - done, offset + done);
      if (n === 0) throw new ModelRunError(`${this.path} ended while being read`);
      done += n;
    }
    return buffer;
  }

  close(): void {
    closeSync(this.fd);
  }
}

function scanMetadata(source: ByteSource): Record<string, string> {
  const metadata: Record<string, string> = {};
  let offset = 0;
  while (offset < source.size) {
    // A key and a length are at most 10 bytes each.
    const head = source.read(offset, 20);
    const key = readVarint(head, 0);
    const field = Math.floor(key.value / 8);
    const wireType = key.value % 8;
    let cursor = key.next;
    switch (wireType) {
      case VARINT:
        cursor = readVarint(head, cursor).next;
        offset += cursor;
        break;
      case FIXED64:
        offset += cursor + 8;
        break;
      case FIXED32:
        offset += cursor + 4;
        break;
      case LENGTH_DELIMITED: {
        const length = readVarint(head, cursor);
        const start = offset + length.next;
        if (start + length.value > source.size) throw notOnnx();
        if (field === METADATA_PROPS) {
          const entry = readEntry(source.read(start, length.value));
          metadata[entry.key] = entry.value;
        }
        offset = start + length.value;
        break;
      }
      default:
        throw notOnnx();
    }
  }
  if (offset > source.size) throw notOnnx();
  return metadata;
}

function readEntry(bytes: Uint8Array): { key: string; value: string } {
  const decoder = new TextDecoder();
  let key = "";
  let value = "";
  let offset = 0;
  while (offset < bytes.byteLength) {
    const tag = readVarint(bytes, offset);
    if (tag.value % 8 !== LENGTH_DELIMITED) throw notOnnx();
    const length = readVarint(bytes, tag.next);
    const end = length.next + length.value;
    if (end > bytes.byteLength) throw notOnnx();
    const text = decoder.decode(bytes.subarray(length.next, end));
    if (Math.floor(tag.value / 8) === 1) key = text;
    else if (Math.floor(tag.value / 8) === 2) value = text;
    offset = end;
  }
  return { key, value };
}

function readVarint(bytes: Uint8Array, offset: number): { value: number; next: number } {
  let value = 0;
  let scale = 1;
  for (let i = offset; i < bytes.byteLength && i < offset + 10; i++) {
    const byte = bytes[i];
    value += (byte & 0x7f) * scale;
    scale *= 128;
    if ((byte & 0x80) === 0) return { value, next: i + 1 };
  }
  throw notOnnx();
}

function notOnnx(): ModelRunError {
  return new ModelRunError("the file is not a well-formed ONNX model (its protobuf framing is broken)");
}
