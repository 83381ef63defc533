import type { Parameter } from "../compiler/ir/graph.js";
import { computed } from "../compiler/ir/initializer.js";
import type { ParamDefinition } from "./edit-graph.js";
import { floats } from "./weight-slices.js";

/**
 * The element-wise mean of same-shaped parameters, as `target`'s new definition. Lossy unless every
 * source holds the same data: equal `fill` initializers (fresh norm scales and zero biases) merge
 * exactly and keep their initializer.
 */
export function meanOf(sources: readonly Parameter[], target: Parameter): { readonly definition: ParamDefinition; readonly lossy: boolean } {
  const shape = target.value.type.shape as number[];
  const first = sources[0].init;
  if (first.kind === "fill" && sources.every((p) => p.init.kind === "fill" && p.init.value === first.value)) {
    return { definition: { shape, init: first }, lossy: false };
  }
  const names = sources.map((p) => p.name);
  return {
    definition: {
      shape,
      init: computed(`mean(${names.join(", ")})`, () => {
        const sum = new Float64Array(floats(sources[0]));
        for (const p of sources.slice(1)) floats(p).forEach((w, i) => (sum[i] += w));
        return Float32Array.from(sum, (s) => s / sources.length);
      }),
    },
    lossy: true,
  };
}
