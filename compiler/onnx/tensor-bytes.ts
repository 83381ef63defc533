import { endianness } from "node:os";
import type { TensorData } from "../ir/initializer.js";
import type { DType } from "../ir/types.js";
import { OnnxEmitError } from "./errors.js";

/** The typed array each dtype's data must come in (16-bit floats as their bit patterns). */
const ARRAY_FOR: Partial<Record<DType, new (n: number) => TensorData>> = {
  float32: Float32Array,
  float16: Uint16Array,
  bfloat16: Uint16Array,
  int64: BigInt64Array,
  int32: Int32Array,
  int8: Int8Array,
  uint8: Uint8Array,
  bool: Uint8Array,
};

/** Whether tensors of `dtype` can be written. */
export function isEmittable(dtype: DType): boolean {
  return ARRAY_FOR[dtype] !== undefined;
}

const BIG_ENDIAN = endianness() === "BE";

/**
 * `data`'s bytes as ONNX `raw_data` wants them: little-endian, element after element. On a
 * little-endian host this is a view of the same memory, not a copy.
 */
export function rawBytes(data: TensorData, dtype: DType, what: string): Uint8Array {
  const expected = ARRAY_FOR[dtype];
  if (!expected) throw new OnnxEmitError(`${what}: ${dtype} tensors cannot be emitted`);
  if (!(data instanceof expected)) {
    throw new OnnxEmitError(`${what}: ${dtype} data must be a ${expected.name}, got ${data.constructor.name}`);
  }
  const bytes = new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
  return BIG_ENDIAN && data.BYTES_PER_ELEMENT > 1 ? swapBytes(bytes, data.BYTES_PER_ELEMENT) : bytes;
}

function swapBytes(bytes: Uint8Array, width: number): Uint8Array {
  const out = new Uint8Array(bytes.length);
  for (let i = 0; i < bytes.length; i += width) for (let j = 0; j < width; j++) out[i + j] = bytes[i + width - 1 - j];
  return out;
}
