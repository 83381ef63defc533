/** Element types the IR knows. Names follow ONNX's TensorProto.DataType spelling in lower case. */
export type DType = "float32" | "float16" | "bfloat16" | "int64" | "int32" | "int8" | "uint8" | "bool";

/** A dimension: a size, or a symbol bound at run time (`batch`, `seq`). */
export type Dim = number | string;

export interface TensorType {
  readonly dtype: DType;
  readonly shape: readonly Dim[];
}

export const BYTES_PER_ELEMENT: Readonly<Record<DType, number>> = {
  float32: 4,
  float16: 2,
  bfloat16: 2,
  int64: 8,
  int32: 4,
  int8: 1,
  uint8: 1,
  bool: 1,
};

export function tensorType(dtype: DType, shape: readonly Dim[]): TensorType {
  return { dtype, shape: [...shape] };
}

export function isStatic(shape: readonly Dim[]): shape is readonly number[] {
  return shape.every((d) => typeof d === "number");
}

/** Number of elements of a static shape (a bigint-free count; exact below 2^53). */
export function elementCount(shape: readonly Dim[]): number {
  let n = 1;
  for (const d of shape) {
    if (typeof d !== "number") throw new Error(`elementCount of a symbolic shape [${shape.join(", ")}]`);
    n *= d;
  }
  return n;
}

/** Substitutes symbols with sizes, e.g. { batch: 1, seq: 1024 }. Unknown symbols stay symbolic. */
export function bindShape(shape: readonly Dim[], bindings: Readonly<Record<string, number>>): Dim[] {
  return shape.map((d) => (typeof d === "string" && d in bindings ? bindings[d] : d));
}

export function formatType(t: TensorType): string {
  return `${t.dtype}[${t.shape.join(",")}]`;
}

export function sameType(a: TensorType, b: TensorType): boolean {
  return a.dtype === b.dtype && a.shape.length === b.shape.length && a.shape.every((d, i) => d === b.shape[i]);
}
