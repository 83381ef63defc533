import { existsSync } from "node:fs";
import { dirname, resolve } from "node:path";
import type { LoadCheckpoint } from "../check/checkpoint.js";
import type { HeaderTensor } from "./hf-match.js";
import { openSafetensors } from "./safetensors.js";

/**
 * The checker's checkpoint loader: the header of a safetensors file, relative to the spec that
 * names it. Reads the header only; never throws (a bad file is an error value).
 */
export const loadCheckpointHeader: LoadCheckpoint = (path, fromFile) => {
  const file = resolve(dirname(fromFile), path);
  if (!existsSync(file)) return { error: "no such file", notFound: true };
  try {
    const checkpoint = openSafetensors(file);
    try {
      const tensors = new Map<string, HeaderTensor>();
      for (const [name, entry] of checkpoint.tensors) tensors.set(name, { dtype: entry.dtype, shape: entry.shape });
      return { file, tensors };
    } finally {
      checkpoint.close();
    }
  } catch (thrown) {
    return { error: thrown instanceof Error ? thrown.message : String(thrown) };
  }
};
