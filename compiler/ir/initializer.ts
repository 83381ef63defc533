import type { TensorTransform } from "../weights/hf-layout.js";
import { readCheckpointTensor } from "../weights/checkpoint-read.js";
import { SafetensorsError } from "../weights/errors.js";
import { fillNormal } from "./random.js";
import { elementCount, type TensorType } from "./types.js";

/**
 * Where a parameter's data comes from. Data is produced only when `materialize` is called (by the
 * emitter or a pass that needs numbers), so a 7B-parameter graph is a few kilobytes until emitted.
 */
export type Initializer =
  /** normal(mean, std), from the stream named by (seed, key); `key` is the parameter's original name. */
  | { readonly kind: "normal"; readonly seed: number; readonly key: string; readonly mean: number; readonly std: number }
  /** Every element equal to `value` (norm weights, zero biases). */
  | { readonly kind: "fill"; readonly value: number }
  /**
   * A table computed from a formula (sinusoidal positions, rotary cos/sin) or from other parameters
   * (a pass's quantized copy); `describe` is printed. Its array type must match the dtype.
   */
  | { readonly kind: "computed"; readonly describe: string; readonly compute: () => TensorData }
  /**
   * A tensor of a safetensors checkpoint, read only when materialized (never the whole file), then
   * sliced and transposed by `transforms` (compiler/weights/transform.ts).
   */
  | {
      readonly kind: "checkpoint";
      readonly file: string;
      readonly tensor: string;
      readonly transforms: readonly TensorTransform[];
    }
  /** Data already in memory (results of passes, small constants). */
  | { readonly kind: "data"; readonly data: TensorData };

/** A tensor's elements; float16 and bfloat16 are held as their bit patterns in a Uint16Array. */
export type TensorData = Float32Array | BigInt64Array | Int32Array | Int8Array | Uint8Array | Uint16Array;

export function normal(seed: number, key: string, std: number, mean = 0): Initializer {
  return { kind: "normal", seed, key, mean, std };
}

export function fill(value: number): Initializer {
  return { kind: "fill", value };
}

export function computed(describe: string, compute: () => TensorData): Initializer {
  return { kind: "computed", describe, compute };
}

export function checkpoint(file: string, tensor: string, transforms: readonly TensorTransform[] = []): Initializer {
  return { kind: "checkpoint", file, tensor, transforms };
}

export function literal(data: TensorData): Initializer {
  return { kind: "data", data };
}

/** Produces the parameter's data. Only float32 parameters may use normal/fill. */
export function materialize(init: Initializer, type: TensorType): TensorData {
  const count = elementCount(type.shape);
  switch (init.kind) {
    case "normal": {
      const out = new Float32Array(count);
      fillNormal(out, init.seed, init.key, init.mean, init.std);
      return out;
    }
    case "fill":
      return new Float32Array(count).fill(init.value);
    case "computed": {
      const out = init.compute();
      if (out.length !== count) throw new Error(`computed table has ${out.length} elements, expected ${count}`);
      return out;
    }
    case "checkpoint": {
      const out = readCheckpointTensor(init.file, init.tensor, init.transforms);
      if (out.data.length !== count) {
        throw new SafetensorsError(init.file, init.tensor, `gives ${out.data.length} elements, the parameter needs ${count} (was the file changed after checking?)`);
      }
      return out.data;
    }
    case "data":
      if (init.data.length !== count) throw new Error(`data has ${init.data.length} elements, expected ${count}`);
      return init.data;
  }
}

/** How the printer shows an initializer: `normal(0, 0.02)`, `fill(1)`, `sinusoidal(...)`. */
export function describeInitializer(init: Initializer): string {
  switch (init.kind) {
    case "normal":
      return `normal(${init.mean}, ${init.std}; seed ${init.seed})`;
    case "fill":
      return `fill(${init.value})`;
    case "computed":
      return init.describe;
    case "checkpoint":
      return `checkpoint(${JSON.stringify(init.tensor)}${init.transforms.map(describeTransform).join("")})`;
    case "data":
      return `data(${init.data.length} elements)`;
  }
}

function describeTransform(transform: TensorTransform): string {
  return transform.kind === "transpose" ? ".T" : `[..., ${transform.start}:${transform.end}]`;
}
