import { IrError, type AttrValue, type Attrs } from "../graph.js";
import type { OnnxBuilder } from "../onnx-builder.js";
import type { Dim, TensorType } from "../types.js";

/**
 * One IR operation: its signature, shape and dtype rule, cost, and ONNX lowering in one place.
 * `flops` receives types whose symbolic dims are already bound to sizes.
 */
export interface OpDef {
  readonly name: string;
  readonly summary: string;
  /** Input names, in order; a trailing `?` marks an optional input. */
  readonly inputs: readonly string[];
  /** Attribute names this op requires (the verifier checks presence). */
  readonly attrs: readonly string[];
  infer(inputs: readonly TensorType[], attrs: Attrs): TensorType[];
  flops(inputs: readonly TensorType[], outputs: readonly TensorType[], attrs: Attrs): number;
  lower(b: OnnxBuilder, inputs: readonly string[], outputs: readonly string[], attrs: Attrs): void;
}

export function fail(op: string, message: string): never {
  throw new IrError(`${op}: ${message}`);
}

export function numberAttr(attrs: Attrs, key: string): number {
  const v = attrs[key];
  if (typeof v !== "number") throw new IrError(`attribute \`${key}\` must be a number, got ${String(v)}`);
  return v;
}

export function boolAttr(attrs: Attrs, key: string): boolean {
  const v = attrs[key];
  if (typeof v !== "boolean") throw new IrError(`attribute \`${key}\` must be a boolean, got ${String(v)}`);
  return v;
}

export function stringAttr(attrs: Attrs, key: string): string {
  const v = attrs[key];
  if (typeof v !== "string") throw new IrError(`attribute \`${key}\` must be a string, got ${String(v)}`);
  return v;
}

export function optional(attrs: Attrs, key: string): AttrValue | undefined {
  return attrs[key];
}

/** NumPy broadcasting over possibly symbolic dims: equal dims, or a 1 on either side. */
export function broadcastShapes(op: string, a: readonly Dim[], b: readonly Dim[]): Dim[] {
  const rank = Math.max(a.length, b.length);
  const out: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    const da = i < rank - a.length ? 1 : a[i - (rank - a.length)];
    const db = i < rank - b.length ? 1 : b[i - (rank - b.length)];
    if (da === db || db === 1) out.push(da);
    else if (da === 1) out.push(db);
    else fail(op, `cannot broadcast [${a.join(",")}] with [${b.join(",")}]`);
  }
  return out;
}

export function product(shape: readonly Dim[]): number {
  let n = 1;
  for (const d of shape) n *= typeof d === "number" ? d : NaN;
  return n;
}

export function expectRank(op: string, what: string, t: TensorType, rank: number): void {
  if (t.shape.length !== rank) fail(op, `${what} must have rank ${rank}, got [${t.shape.join(",")}]`);
}

export function expectFloat(op: string, what: string, t: TensorType): void {
  if (t.dtype !== "float32" && t.dtype !== "float16" && t.dtype !== "bfloat16") {
    fail(op, `${what} must be floating point, got ${t.dtype}`);
  }
}

export function lastDim(t: TensorType): Dim {
  return t.shape[t.shape.length - 1];
}
