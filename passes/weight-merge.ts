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
        for (const p of sources.slice(1)) {
          const data = floats(p);
          for (let i = 0; i < data.length; i++) sum[i] += data[i];
        }
        const out = new Float32Array(sum.length);
        for (let i = 0; i < sum.length; i++) out[i] = sum[i] / sources.length;
        return out;
      }),
    },
    lossy: true,
  };
}
