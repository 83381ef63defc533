import { GraphBuilder } from "../compiler/ir/builder.js";
import type { Parameter, Value } from "../compiler/ir/graph.js";
import { computed, materialize } from "../compiler/ir/initializer.js";
import type { Pass, PassResult } from "../compiler/ir/pass.js";
import { toFloat16 } from "../compiler/ir/quant/math.js";
import type { DType } from "../compiler/ir/types.js";

/**
 * Ops that run in fp16: their lowerings use no float constants of their own, so they work on either
 * float type. Everything else stays an fp32 island: norms and attention's softmax by design (fp16
 * loses their sums and exponentials); gelu and rms_norm because their lowerings hold fp32 constants.
 */
const HALF_OPS: ReadonlySet<string> = new Set(["linear", "add", "mul", "relu", "tanh", "silu", "embedding", "leading_rows", "take_token", "rotary"]);

export interface QuantizeFp16Options {
  /** Ops to keep in fp32 besides those that must be (e.g. ["linear"] for a head-only test). */
  readonly keepFp32?: readonly string[];
}

/**
 * Stores weights in fp16 and runs the ops of HALF_OPS in fp16, with casts at the borders of the
 * fp32 islands (softmax inside attention, norms). A float32 parameter read only by fp16 ops is stored
 * as fp16; one read by both keeps fp32 and is cast where needed. Inputs and outputs keep their types.
 */
export const quantizeFp16: Pass<QuantizeFp16Options> = {
  name: "quantize-fp16",
  summary: "fp16 weights and arithmetic, fp32 kept for softmax and norms",
  run(graph, options): PassResult {
    const keep = new Set(options.keepFp32 ?? []);
    const half = (op: string) => HALF_OPS.has(op) && !keep.has(op);
    const params = new Map(graph.params.map((p) => [p.value, p]));
    const readers = new Map<Parameter, boolean[]>();
    for (const node of graph.nodes) for (const v of node.inputs) {
      const p = params.get(v);
      if (p) readers.set(p, [...(readers.get(p) ?? []), half(node.op)]);
    }
    const b = GraphBuilder.from(graph);
    const mapped = new Map<Value, Value>();
    const halfParams = new Map<Parameter, Value>();
    const casts = new Map<string, Value>();
    let converted = 0;
    let castCount = 0;
    const as = (v: Value, dtype: DType, scope: string): Value => {
      if (v.type.dtype === dtype || (v.type.dtype !== "float32" && v.type.dtype !== "float16")) return v;
      const p = params.get(v);
      if (p && dtype === "float16" && (readers.get(p) ?? []).every(Boolean)) {
        let h = halfParams.get(p);
        if (!h) {
          const source = p;
          h = b.param(`${p.name}_fp16`, "float16", p.value.type.shape as number[], computed(`fp16 of ${p.name}`, () => toFloat16(materialize(source.init, source.value.type) as Float32Array)), {
            trainable: p.trainable,
          });
          halfParams.set(p, h);
          converted++;
        }
        return h;
      }
      const key = `${v.id}:${dtype}`;
      let c = casts.get(key);
      if (!c) {
        c = b.withScope(scope, () => b.op("cast", [v], { to: dtype }));
        casts.set(key, c);
        castCount++;
      }
      return c;
    };
    for (const node of graph.nodes) {
      const dtype: DType = half(node.op) ? "float16" : "float32";
      const inputs = node.inputs.map((v) => as(mapped.get(v) ?? v, dtype, node.scope));
      const outputs = b.withScope(node.scope, () => b.opMulti(node.op, inputs, node.attrs));
      node.outputs.forEach((o, i) => mapped.set(o, outputs[i]));
    }
    for (const o of graph.outputs) b.output(o.name, as(mapped.get(o.value) ?? o.value, o.value.type.dtype, "output"));
    b.dropUnusedParams();
    return {
      graph: b.build(),
      changed: converted > 0,
      lossy: true,
      notes: converted > 0 ? [] : ["no float32 weight read only by fp16 ops"],
      statistics: { weightsToFp16: converted, casts: castCount },
    };
  },
};
