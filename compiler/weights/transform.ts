import type { TensorTransform } from "./hf-layout.js";

/** A checkpoint tensor's data with its shape, row-major. */
export interface Tensor {
  readonly data: Float32Array;
  readonly shape: readonly number[];
}

/** Applies a layout's transforms in order (column slice of a fused tensor, then a transpose). */
export function applyTransforms(tensor: Tensor, transforms: readonly TensorTransform[]): Tensor {
  return transforms.reduce((current, transform) => (transform.kind === "transpose" ? transpose(current) : columns(current, transform.start, transform.end)), tensor);
}

export function transpose({ data, shape }: Tensor): Tensor {
  if (shape.length !== 2) throw new Error(`cannot transpose a tensor of shape [${shape.join(", ")}]: only matrices`);
  const [rows, cols] = shape;
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) {
    const from = r * cols;
    for (let c = 0; c < cols; c++) out[c * rows + r] = data[from + c];
  }
  return { data: out, shape: [cols, rows] };
}

/** Columns [start, end) of the last axis. */
function columns({ data, shape }: Tensor, start: number, end: number): Tensor {
  const width = shape[shape.length - 1];
  if (!(0 <= start && start < end && end <= width)) throw new Error(`columns ${start}..${end} outside a last axis of ${width}`);
  const rows = data.length / width;
  const taken = end - start;
  const out = new Float32Array(rows * taken);
  for (let r = 0; r < rows; r++) out.set(data.subarray(r * width + start, r * width + end), r * taken);
  return { data: out, shape: [...shape.slice(0, -1), taken] };
}
