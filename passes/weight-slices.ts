import type { Parameter } from "../compiler/ir/graph.js";
import { computed, materialize } from "../compiler/ir/initializer.js";
import type { ParamDefinition } from "./edit-graph.js";

/**
 * Reading and slicing parameter data for the prune and share passes. Data is materialized only
 * while a pass ranks it; the results are lazy (`computed`) initializers that slice or merge the
 * source when the model is emitted, so a pass holds at most one parameter's data at a time.
 */

export function floats(param: Parameter): Float32Array {
  const data = materialize(param.init, param.value.type);
  if (!(data instanceof Float32Array)) throw new Error(`parameter \`${param.name}\` is not float32`);
  return data;
}

/** Sum of |w| (l1) or of w² (l2, squared so parts add up) over columns [from, from + count) of a [rows, cols] matrix. */
export function columnBlockMass(data: Float32Array, cols: number, from: number, count: number, norm: "l1" | "l2"): number {
  const rows = data.length / cols;
  let sum = 0;
  for (let r = 0; r < rows; r++) {
    const base = r * cols + from;
    for (let c = 0; c < count; c++) {
      const w = data[base + c];
      sum += norm === "l1" ? Math.abs(w) : w * w;
    }
  }
  return sum;
}

/** The same over rows [from, from + count). */
export function rowBlockMass(data: Float32Array, cols: number, from: number, count: number, norm: "l1" | "l2"): number {
  let sum = 0;
  for (let i = from * cols; i < (from + count) * cols; i++) {
    const w = data[i];
    sum += norm === "l1" ? Math.abs(w) : w * w;
  }
  return sum;
}

/** Per column of a [rows, cols] matrix: Σ|w| or Σw². */
export function columnMasses(data: Float32Array, cols: number, norm: "l1" | "l2"): Float64Array {
  const out = new Float64Array(cols);
  for (let i = 0; i < data.length; i++) {
    const w = data[i];
    out[i % cols] += norm === "l1" ? Math.abs(w) : w * w;
  }
  return out;
}

/** Per row of a [rows, cols] matrix: Σ|w| or Σw². */
export function rowMasses(data: Float32Array, cols: number, norm: "l1" | "l2"): Float64Array {
  const rows = data.length / cols;
  const out = new Float64Array(rows);
  for (let r = 0; r < rows; r++) out[r] = rowBlockMass(data, cols, r, 1, norm);
  return out;
}

/** The columns `keep` (ascending) of a [rows, cols] parameter (a bias is one row). */
export function keepColumns(param: Parameter, keep: readonly number[], why: string): ParamDefinition {
  const shape = param.value.type.shape as readonly number[];
  const cols = shape[shape.length - 1];
  const rows = shape.length === 2 ? shape[0] : 1;
  const source = param;
  return {
    shape: shape.length === 2 ? [rows, keep.length] : [keep.length],
    init: computed(`${why}: ${keep.length} of ${cols} columns of ${param.name}`, () => {
      const data = floats(source);
      const out = new Float32Array(rows * keep.length);
      for (let r = 0; r < rows; r++) for (let j = 0; j < keep.length; j++) out[r * keep.length + j] = data[r * cols + keep[j]];
      return out;
    }),
  };
}

/** The rows `keep` (ascending) of a [rows, cols] parameter. */
export function keepRows(param: Parameter, keep: readonly number[], why: string): ParamDefinition {
  const [rows, cols] = param.value.type.shape as readonly number[];
  const source = param;
  return {
    shape: [keep.length, cols],
    init: computed(`${why}: ${keep.length} of ${rows} rows of ${param.name}`, () => {
      const data = floats(source);
      const out = new Float32Array(keep.length * cols);
      keep.forEach((r, j) => out.set(data.subarray(r * cols, (r + 1) * cols), j * cols));
      return out;
    }),
  };
}

/** Indices 0..n-1 ordered by ascending score, ties by index (deterministic). */
export function byScore(scores: ArrayLike<number>): number[] {
  return Array.from({ length: scores.length }, (_, i) => i).sort((a, b) => scores[a] - scores[b] || a - b);
}

export function complement(count: number, removed: Iterable<number>): number[] {
  const gone = new Set(removed);
  return Array.from({ length: count }, (_, i) => i).filter((i) => !gone.has(i));
}
