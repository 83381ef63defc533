import { IrError } from "../ir/graph.js";
import { checkpoint, type Initializer } from "../ir/initializer.js";
import type { ModelSpec } from "../spec.js";
import { HF_LAYOUT_DEFINITIONS } from "./hf-layouts.js";
import { checkpointBindings } from "./hf-match.js";

/**
 * For a spec with checkpoint weights, the initializer of each parameter (a lazy read of its
 * tensor); undefined for random weights. The checker has matched the file against the same
 * layout, so a parameter without a tensor is a bug in a layout, not a user error.
 */
export function checkpointSource(spec: ModelSpec): ((param: string) => Initializer) | undefined {
  const weights = spec.weights;
  if (weights.kind !== "checkpoint") return undefined;
  const bindings = checkpointBindings(HF_LAYOUT_DEFINITIONS[weights.layout], spec, weights.prefix);
  return (param) => {
    const binding = bindings.get(param);
    if (!binding) throw new IrError(`internal: layout \`${weights.layout}\` maps no checkpoint tensor to parameter \`${param}\``);
    return checkpoint(weights.file, binding.tensor, binding.transforms);
  };
}
