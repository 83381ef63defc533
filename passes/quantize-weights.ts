import type { GraphBuilder } from "../compiler/ir/builder.js";
import type { Parameter, Value } from "../compiler/ir/graph.js";
import { computed } from "../compiler/ir/initializer.js";
import { INT8, quantizeBlockwise4, quantizeMatrix, type Blockwise4, type QuantizedMatrix } from "../compiler/ir/quant/math.js";
import { matrixOf, SharedComputation } from "./quantize-rewrite.js";

/** How a weight matrix is stored after quantization. */
export type WeightFormat =
  | { readonly bits: 8; readonly perChannel: boolean; readonly symmetric: boolean }
  | { readonly bits: 4; readonly blockSize: number; readonly symmetric: boolean };

/** The parameters a quantized weight became. */
export interface QuantizedWeight {
  readonly format: WeightFormat;
  /** The axis of the source that scales run along: 1 for a linear's [in, out], 0 for a table's rows. */
  readonly channelAxis: 0 | 1;
  readonly values: Value;
  readonly scale: Value;
  readonly zeroPoint?: Value;
  /** For 4 bits: N (outputs), K (inputs) and blocks per row. */
  readonly n: number;
  readonly k: number;
}

/**
 * Adds the quantized copy of float32 matrix `p` to `b` as lazy parameters named after it
 * (`…_quantized`, `…_scale`, `…_zero_point`; `…_int4`, `…_scales`, `…_zero_points`), computed
 * when the model is emitted. Scales and zero points are not counted as parameters.
 */
export function addQuantizedWeight(b: GraphBuilder, p: Parameter, format: WeightFormat, channelAxis: 0 | 1): QuantizedWeight {
  const [rows, cols] = p.value.type.shape as number[];
  const [n, k] = channelAxis === 1 ? [cols, rows] : [rows, cols];
  const source = matrixOf(p, channelAxis);
  const how = format.bits === 8 ? `int8 ${format.perChannel ? "per_channel" : "per_tensor"} ${format.symmetric ? "symmetric" : "asymmetric"}` : `int4 block ${format.blockSize} ${format.symmetric ? "symmetric" : "asymmetric"}`;
  const describe = (part: string) => `${how} ${part} of ${p.name}`;
  const meta = { trainable: false };
  if (format.bits === 8) {
    const shared = new SharedComputation<QuantizedMatrix>(() => quantizeMatrix(source(), INT8, format), format.symmetric ? 2 : 3);
    const shape = format.perChannel ? [n] : [];
    const values = b.param(`${p.name}_quantized`, "int8", [rows, cols], computed(describe("values"), () => shared.take((q) => q.values)));
    const scale = b.param(`${p.name}_scale`, "float32", shape, computed(describe("scales"), () => shared.take((q) => q.scales)), meta);
    const zeroPoint = format.symmetric
      ? undefined
      : b.param(`${p.name}_zero_point`, "int8", shape, computed(describe("zero points"), () => shared.take((q) => q.zeroPoints)), meta);
    return { format, channelAxis, values, scale, ...(zeroPoint ? { zeroPoint } : {}), n, k };
  }
  const blocks = Math.ceil(k / format.blockSize);
  const shared = new SharedComputation<Blockwise4>(() => quantizeBlockwise4(source(), format.blockSize, format.symmetric), format.symmetric ? 2 : 3);
  const values = b.param(`${p.name}_int4`, "uint8", [n, blocks, format.blockSize / 2], computed(describe("values"), () => shared.take((q) => q.packed)), {
    valuesPerElement: 2,
  });
  const scale = b.param(`${p.name}_scales`, "float32", [n * blocks], computed(describe("scales"), () => shared.take((q) => q.scales)), meta);
  const zeroPoint = format.symmetric
    ? undefined
    : b.param(`${p.name}_zero_points`, "uint8", [n * Math.ceil(blocks / 2)], computed(describe("zero points"), () => shared.take((q) => q.zeroPoints!)), meta);
  return { format, channelAxis, values, scale, ...(zeroPoint ? { zeroPoint } : {}), n, k };
}

/** The quantized lookup that replaces `embedding(table, ids)` for a quantized table (rows = channels). */
export function quantizedLookup(b: GraphBuilder, q: QuantizedWeight, ids: Value): Value {
  const inputs = [q.values, ids, q.scale, q.zeroPoint];
  return q.format.bits === 8
    ? b.op("quantized_embedding", inputs, { bits: 8, blockSize: 0, perRow: q.format.perChannel })
    : b.op("quantized_embedding", inputs, { bits: 4, blockSize: q.format.blockSize, perRow: true });
}
