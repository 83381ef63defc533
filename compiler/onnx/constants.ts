import type { TensorData } from "../ir/initializer.js";
import type { DType } from "../ir/types.js";
import { OnnxEmitError } from "./errors.js";
import type { NameTable } from "./names.js";
import { rawBytes } from "./tensor-bytes.js";

/** A small initializer made during lowering (shapes, axes, scalars, tables). */
export interface ConstantTensor {
  readonly name: string;
  readonly dtype: DType;
  readonly dims: readonly number[];
  readonly bytes: Uint8Array;
}

/** Lists longer than this are named by a hash of their contents instead of the values themselves. */
const MAX_LISTED_VALUES = 16;

/**
 * The constants an op lowering asks for, deduplicated by value: equal values give the same name
 * (`const.i64.[0,0,12,64]`, `const.f32.0.5`), so a 12-layer model has one `[0,0,12,64]`, not 24.
 */
export class ConstantPool {
  private readonly byKey = new Map<string, ConstantTensor[]>();
  readonly tensors: ConstantTensor[] = [];

  constructor(private readonly names: NameTable) {}

  int64s(values: readonly number[]): string {
    checkInt64s(values);
    const listed = values.length <= MAX_LISTED_VALUES;
    const text = values.join(",");
    const bytes = rawBytes(BigInt64Array.from(values, (v) => BigInt(v)), "int64", "int64 constant");
    const base = listed ? `const.i64.[${text}]` : `const.i64[${values.length}].${hashHex(bytes)}`;
    return this.intern(`i64s:${text}`, base, "int64", [values.length], bytes);
  }

  int64(value: number): string {
    checkInt64s([value]);
    return this.intern(`i64:${value}`, `const.i64.${value}`, "int64", [], rawBytes(BigInt64Array.of(BigInt(value)), "int64", "int64 constant"));
  }

  float(value: number): string {
    const bytes = rawBytes(Float32Array.of(value), "float32", "float constant");
    // Keyed by the stored float32 bits: 0 and -0 stay apart, doubles that round alike share.
    const key = `f32:${Array.from(bytes).join(".")}`;
    return this.intern(key, `const.f32.${Object.is(value, -0) ? "-0" : String(value)}`, "float32", [], bytes);
  }

  floats(values: Float32Array, dims: readonly number[]): string {
    const count = dims.reduce((a, d) => a * d, 1);
    if (!dims.every((d) => Number.isInteger(d) && d >= 0) || count !== values.length) {
      throw new OnnxEmitError(`float constant of shape [${dims.join(",")}] given ${values.length} values`);
    }
    const bytes = rawBytes(values, "float32", "float constant").slice();
    const hash = hashHex(bytes);
    return this.intern(`f32[${dims.join(",")}]:${hash}`, `const.f32[${dims.join("x")}].${hash}`, "float32", dims, bytes);
  }

  /** Any dtype: named by dtype, shape and a hash of the bytes (`const.uint8[].1a2b3c4d`). */
  tensor(dtype: DType, data: TensorData, dims: readonly number[]): string {
    const count = dims.reduce((a, d) => a * d, 1);
    if (!dims.every((d) => Number.isInteger(d) && d >= 0) || count !== data.length) {
      throw new OnnxEmitError(`${dtype} constant of shape [${dims.join(",")}] given ${data.length} values`);
    }
    const bytes = rawBytes(data, dtype, `${dtype} constant`).slice();
    const hash = hashHex(bytes);
    return this.intern(`${dtype}[${dims.join(",")}]:${hash}`, `const.${dtype}[${dims.join("x")}].${hash}`, dtype, dims, bytes);
  }

  private intern(key: string, base: string, dtype: DType, dims: readonly number[], bytes: Uint8Array): string {
    const candidates = this.byKey.get(key) ?? [];
    const same = candidates.find((c) => sameBytes(c.bytes, bytes));
    if (same) return same.name;
    const tensor: ConstantTensor = { name: this.names.fresh(base), dtype, dims: [...dims], bytes };
    candidates.push(tensor);
    this.byKey.set(key, candidates);
    this.tensors.push(tensor);
    return tensor.name;
  }
}

function checkInt64s(values: readonly number[]): void {
  for (const v of values) if (!Number.isSafeInteger(v)) throw new OnnxEmitError(`int64 constant ${v} is not a safe integer`);
}

function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** FNV-1a, 32 bits, as 8 hex digits: a short stable name for a table's contents. */
function hashHex(bytes: Uint8Array): string {
  let h = 0x811c9dc5;
  for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i], 0x01000193);
  return (h >>> 0).toString(16).padStart(8, "0");
}
