import { SafetensorsError } from "./errors.js";
import { openSafetensors } from "./safetensors.js";
import type { TensorTransform } from "./hf-layout.js";
import { applyTransforms, type Tensor } from "./transform.js";

/**
 * One tensor of a safetensors file as float32, transformed: what a `checkpoint` initializer
 * materializes to. Only that tensor's bytes are read.
 */
export function readCheckpointTensor(file: string, name: string, transforms: readonly TensorTransform[]): Tensor {
  const checkpoint = openSafetensors(file);
  try {
    const entry = checkpoint.tensors.get(name);
    if (!entry) throw new SafetensorsError(file, name, "no such tensor (was the file changed after checking?)");
    return applyTransforms({ data: checkpoint.readFloat32(name), shape: entry.shape }, transforms);
  } finally {
    checkpoint.close();
  }
}
