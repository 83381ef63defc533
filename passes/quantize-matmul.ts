import type { GraphBuilder } from "../compiler/ir/builder.js";
import { IrError, type Graph, type Node, type Parameter, type Value } from "../compiler/ir/graph.js";
import type { Pass, PassResult } from "../compiler/ir/pass.js";
import { affineParams, UINT8, type RangeMethod } from "../compiler/ir/quant/math.js";
import { rewriteNodes } from "./quantize-rewrite.js";
import { addQuantizedWeight, quantizedLookup, type QuantizedWeight, type WeightFormat } from "./quantize-weights.js";

/** Activation ranges observed on calibration inputs, by the id of the linear node reading them. */
export interface ActivationRanges {
  readonly method: RangeMethod;
  readonly byNode: ReadonlyMap<number, { readonly min: number; readonly max: number }>;
}

export type QuantizeMatmulOptions =
  | {
      readonly bits: 8;
      /** weight_only: int8 storage, fp32 arithmetic; dynamic: x quantized per run; static: x's scale calibrated. */
      readonly mode: "weight_only" | "dynamic" | "static";
      readonly perChannel: boolean;
      readonly symmetric: boolean;
      /** Required by `static`: see calibration.ts. */
      readonly ranges?: ActivationRanges;
    }
  | {
      readonly bits: 4;
      readonly blockSize: 32 | 64 | 128;
      readonly symmetric: boolean;
      /** MatMulNBits' accuracy_level: 4 = int8 activations and integer dot products on CPU (default), 0 = fp32. */
      readonly accuracyLevel: number;
    };

/**
 * Quantizes the weights of every `linear` whose weight is a float32 parameter. A weight shared by
 * several linears is quantized once. A table tied between the token embedding and the LM head is
 * quantized once too, by rows, and the lookup reads the quantized table (a tied table is one tensor).
 * Weights read by anything else are left as they are, with a note saying why.
 */
export const quantizeMatmul: Pass<QuantizeMatmulOptions> = {
  name: "quantize-matmul",
  summary: "int8 (weight-only, dynamic, static QDQ) or int4 block-wise weights for linear layers",
  run(graph, options): PassResult {
    if (options.bits === 8 && options.mode === "static" && !options.ranges) {
      throw new IrError("quantize-matmul static needs activation ranges: calibrate first (calibrationGraph + collectRanges)");
    }
    const format: WeightFormat =
      options.bits === 8 ? { bits: 8, perChannel: options.perChannel, symmetric: options.symmetric } : { bits: 4, blockSize: options.blockSize, symmetric: options.symmetric };
    const params = new Map(graph.params.map((p) => [p.value, p]));
    const decision = decide(graph, params, format);
    const notes = [...decision.notes];
    const quantized = new Map<Parameter, QuantizedWeight>();
    const weightFor = (b: GraphBuilder, p: Parameter, axis: 0 | 1) => {
      let q = quantized.get(p);
      if (!q) quantized.set(p, (q = addQuantizedWeight(b, p, format, axis)));
      return q;
    };
    let linears = 0;
    let lookups = 0;
    const result = rewriteNodes(graph, (node, inputs, b) => {
      const p = node.op === "linear" || node.op === "embedding" ? params.get(node.inputs[node.op === "linear" ? 1 : 0]) : undefined;
      if (!p || !decision.quantize.has(p)) return undefined;
      if (node.op === "embedding") {
        lookups++;
        return [quantizedLookup(b, weightFor(b, p, 0), inputs[1])];
      }
      linears++;
      const transposed = node.attrs.transposed === true;
      const q = weightFor(b, p, transposed ? 0 : 1);
      const y = quantizedLinear(b, node, inputs[0], q, transposed, options);
      return [inputs[2] ? b.op("add", [y, inputs[2]]) : y];
    });
    if (linears === 0) notes.push("no float32 linear weight to quantize");
    return {
      graph: result,
      changed: linears > 0,
      lossy: true,
      notes,
      statistics: { linearsQuantized: linears, weightsQuantized: quantized.size, tiedLookupsQuantized: lookups, linearsLeft: decision.left },
    };
  },
};

function quantizedLinear(b: GraphBuilder, node: Node, x: Value, q: QuantizedWeight, transposed: boolean, options: QuantizeMatmulOptions): Value {
  if (options.bits === 4) {
    return b.op("matmul_nbits", [x, q.values, q.scale, q.zeroPoint], { k: q.k, n: q.n, blockSize: options.blockSize, accuracyLevel: options.accuracyLevel });
  }
  const inputs = [x, q.values, q.scale, q.zeroPoint];
  const attrs = { transposed, perChannel: options.perChannel };
  if (options.mode === "weight_only") return b.op("dequantized_linear", inputs, attrs);
  if (options.mode === "dynamic") return b.op("dynamic_quantized_linear", inputs, attrs);
  const range = options.ranges!.byNode.get(node.id);
  if (!range) throw new IrError(`no calibration range for the linear in \`${node.scope}\` (node ${node.id}): calibrate on this graph`);
  const { scale, zeroPoint } = affineParams(range.min, range.max, UINT8, false);
  return b.op("static_quantized_linear", inputs, { ...attrs, inputScale: scale, inputZeroPoint: zeroPoint });
}

/** Which weights to quantize, and a note for each left alone. */
function decide(graph: Graph, params: ReadonlyMap<Value, Parameter>, format: WeightFormat): { quantize: Set<Parameter>; notes: string[]; left: number } {
  const users = new Map<Parameter, Node[]>();
  for (const node of graph.nodes) {
    for (const v of node.inputs) {
      const p = params.get(v);
      if (p) users.set(p, [...(users.get(p) ?? []), node]);
    }
  }
  const quantize = new Set<Parameter>();
  const notes: string[] = [];
  let left = 0;
  for (const [p, readers] of users) {
    const linears = readers.filter((n) => n.op === "linear" && n.inputs[1] === p.value);
    if (linears.length === 0) continue;
    const why = refusal(p, readers, linears, format);
    if (why) {
      notes.push(`${p.name}: left fp32 (${why})`);
      left += linears.length;
    } else {
      quantize.add(p);
    }
  }
  return { quantize, notes, left };
}

function refusal(p: Parameter, readers: readonly Node[], linears: readonly Node[], format: WeightFormat): string | undefined {
  if (p.value.type.dtype !== "float32") return `it is ${p.value.type.dtype}`;
  const orientations = new Set(linears.map((n) => n.attrs.transposed === true));
  if (orientations.size > 1) return "read both as [in, out] and [out, in]";
  const others = readers.filter((n) => !linears.includes(n));
  if (others.length === 0) return undefined;
  if (others.some((n) => n.op !== "embedding" || n.inputs[0] !== p.value)) return `also read by ${[...new Set(others.map((n) => n.op))].join(", ")}`;
  // A table tied to a head: rows are the head's output channels, so one quantization serves both.
  if (!orientations.has(true)) return "an embedding table read as [in, out] by a linear";
  if (format.bits === 4 && (p.value.type.shape[1] as number) % format.blockSize !== 0) return `its width is not a multiple of block ${format.blockSize}`;
  return undefined;
}
