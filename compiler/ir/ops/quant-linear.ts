import type { Attrs } from "../graph.js";
import type { OnnxBuilder } from "../onnx-builder.js";
import type { TensorType } from "../types.js";
import { boolAttr, expectFloat, fail, lastDim, numberAttr, product, type OpDef } from "./op.js";

/**
 * Linear layers with int8/uint8 weights: `x @ dequantize(Wq)`. The weight is stored [in, out]
 * (or [out, in] with `transposed`, a tied head reading its int8 embedding table), its scale and
 * zero point are one value (per tensor) or one per output channel; a zero point left out is 0
 * (symmetric). Bias stays a separate `add`. Three ways to run it:
 *
 * - `dequantized_linear` (weight-only): DequantizeLinear → MatMul. Smaller file; the arithmetic is fp32.
 * - `dynamic_quantized_linear`: the activation is quantized to uint8 at run time (DynamicQuantizeLinear,
 *   emitted once per activation however many linears read it) and multiplied in integers
 *   (MatMulInteger), then rescaled; ONNX Runtime fuses the chain into its DynamicQuantizeMatMul kernel
 *   (u8s8, VNNI where the CPU has it), or MatMulIntegerToFloat where the quantization is shared.
 * - `static_quantized_linear`: the activation's scale and zero point were calibrated ahead of time:
 *   QuantizeLinear → DequantizeLinear pairs around MatMul (QDQ), which ONNX Runtime turns into
 *   MatMulIntegerToFloat.
 */
function inferQuantized(op: string, [x, w, scale, zeroPoint]: readonly TensorType[], attrs: Attrs): TensorType[] {
  expectFloat(op, "x", x);
  if (w.shape.length !== 2) fail(op, `weight must be a matrix, got [${w.shape.join(",")}]`);
  if (w.dtype !== "int8" && w.dtype !== "uint8") fail(op, `weight must be int8 or uint8, got ${w.dtype}`);
  const transposed = boolAttr(attrs, "transposed");
  const [rows, cols] = transposed ? [w.shape[1], w.shape[0]] : [w.shape[0], w.shape[1]];
  if (lastDim(x) !== rows) fail(op, `x's last dim ${lastDim(x)} does not match the weight's input dim ${rows}`);
  if (scale.dtype !== "float32") fail(op, `scale must be float32, got ${scale.dtype}`);
  const perChannel = scale.shape.length === 1 && scale.shape[0] === cols;
  if (scale.shape.length !== 0 && !perChannel) fail(op, `scale must be [] (per tensor) or [${cols}] (per channel), got [${scale.shape.join(",")}]`);
  if (boolAttr(attrs, "perChannel") !== perChannel) fail(op, `perChannel is ${attrs.perChannel} but the scale is [${scale.shape.join(",")}]`);
  if (zeroPoint) {
    if (zeroPoint.dtype !== w.dtype) fail(op, `zero point must be ${w.dtype} like the weight, got ${zeroPoint.dtype}`);
    if (zeroPoint.shape.length !== scale.shape.length || zeroPoint.shape[0] !== scale.shape[0]) fail(op, `zero point must have the scale's shape [${scale.shape.join(",")}]`);
  }
  return [{ dtype: x.dtype, shape: [...x.shape.slice(0, -1), cols] }];
}

const matmulFlops = ([x, w]: readonly TensorType[]) => (product(x.shape) / (lastDim(x) as number)) * 2 * product(w.shape);

/** DequantizeLinear of the weight; per-channel scales run along the output axis. */
function dequantizeWeight(b: OnnxBuilder, [w, scale, zeroPoint]: readonly string[], perChannelAxis: number | undefined): string {
  const inputs = zeroPoint ? [w, scale, zeroPoint] : [w, scale];
  return b.node("DequantizeLinear", inputs, 1, perChannelAxis === undefined ? {} : { axis: { int: perChannelAxis } })[0];
}

/** y = x @ Wᵀ for W [out, in] through Gemm(transB), as `linear` does for a tied head (no transposed copy). */
function matmulTransposedB(b: OnnxBuilder, x: string, w: string, y: string): void {
  const [inDim] = b.node("Shape", [w], 1, { start: { int: 1 }, end: { int: 2 } });
  const [flatShape] = b.node("Concat", [b.int64s([-1]), inDim], 1, { axis: { int: 0 } });
  const [rows] = b.node("Reshape", [x, flatShape], 1);
  const [product] = b.node("Gemm", [rows, w], 1, { transB: { int: 1 } });
  const [leading] = b.node("Shape", [x], 1, { end: { int: -1 } });
  const [outDim] = b.node("Shape", [w], 1, { start: { int: 0 }, end: { int: 1 } });
  const [shape] = b.node("Concat", [leading, outDim], 1, { axis: { int: 0 } });
  b.node("Reshape", [product, shape], [y]);
}

/**
 * The integer weight as [in, out]. A tied head's [out, in] table goes through a Transpose of the
 * int8 initializer, which ONNX Runtime constant-folds at load: the file keeps one copy, memory two.
 */
function weightInOut(b: OnnxBuilder, w: string, transposed: boolean): string {
  return transposed ? b.node("Transpose", [w], 1, { perm: { ints: [1, 0] } })[0] : w;
}

const dequantizedLinear: OpDef = {
  name: "dequantized_linear",
  summary: "x @ dequantize(Wq): int8 weights, fp32 arithmetic (weight-only)",
  inputs: ["x", "weight", "scale", "zeroPoint?"],
  attrs: ["transposed", "perChannel"],
  infer: (inputs, attrs) => inferQuantized("dequantized_linear", inputs, attrs),
  // The weight is dequantized on every run: one multiply-add per weight on top of the matmul.
  flops: (inputs) => matmulFlops(inputs) + 2 * product(inputs[1].shape),
  lower(b, [x, w, scale, zeroPoint], [y], attrs) {
    const transposed = boolAttr(attrs, "transposed");
    const weight = dequantizeWeight(b, [w, scale, zeroPoint], boolAttr(attrs, "perChannel") ? (transposed ? 0 : 1) : undefined);
    if (transposed) matmulTransposedB(b, x, weight, y);
    else b.node("MatMul", [x, weight], [y]);
  },
};

const dynamicQuantizedLinear: OpDef = {
  name: "dynamic_quantized_linear",
  summary: "uint8(x) @ int8 W in integers, x's scale found at run time",
  inputs: ["x", "weight", "scale", "zeroPoint?"],
  attrs: ["transposed", "perChannel"],
  infer: (inputs, attrs) => inferQuantized("dynamic_quantized_linear", inputs, attrs),
  // Quantizing x costs ~4 per element (min, max, scale, round); rescaling ~2 per output.
  flops: (inputs, [y]) => matmulFlops(inputs) + 4 * product(inputs[0].shape) + 2 * product(y.shape),
  lower(b, [x, w, scale, zeroPoint], [y], attrs) {
    // One quantization per activation: q, k and v (or gpt2's c_attn parts) reading x share it.
    const [xq, xScale, xZeroPoint] = b.sharedNode("DynamicQuantizeLinear", [x], 3);
    const weight = weightInOut(b, w, boolAttr(attrs, "transposed"));
    const [integers] = b.node("MatMulInteger", zeroPoint ? [xq, weight, xZeroPoint, zeroPoint] : [xq, weight, xZeroPoint], 1);
    const [floats] = b.node("Cast", [integers], 1, { to: { int: 1 } });
    const [outScale] = b.node("Mul", [xScale, scale], 1);
    b.node("Mul", [floats, outScale], [y]);
  },
};

const staticQuantizedLinear: OpDef = {
  name: "static_quantized_linear",
  summary: "QDQ: x quantized with a calibrated uint8 scale and zero point, int8 W",
  inputs: ["x", "weight", "scale", "zeroPoint?"],
  attrs: ["transposed", "perChannel", "inputScale", "inputZeroPoint"],
  infer(inputs, attrs) {
    const scale = numberAttr(attrs, "inputScale");
    const zeroPoint = numberAttr(attrs, "inputZeroPoint");
    if (!(scale > 0) || !Number.isFinite(scale)) fail("static_quantized_linear", `inputScale must be positive, got ${scale}`);
    if (!Number.isInteger(zeroPoint) || zeroPoint < 0 || zeroPoint > 255) fail("static_quantized_linear", `inputZeroPoint must be a uint8, got ${zeroPoint}`);
    return inferQuantized("static_quantized_linear", inputs, attrs);
  },
  flops: (inputs) => matmulFlops(inputs) + 4 * product(inputs[0].shape),
  lower(b, [x, w, scale, zeroPoint], [y], attrs) {
    const xScale = b.float(numberAttr(attrs, "inputScale"));
    const xZeroPoint = b.tensor("uint8", Uint8Array.of(numberAttr(attrs, "inputZeroPoint")), []);
    const [xq] = b.node("QuantizeLinear", [x, xScale, xZeroPoint], 1);
    const [xd] = b.node("DequantizeLinear", [xq, xScale, xZeroPoint], 1);
    const weight = weightInOut(b, w, boolAttr(attrs, "transposed"));
    const wd = dequantizeWeight(b, [weight, scale, zeroPoint], boolAttr(attrs, "perChannel") ? 1 : undefined);
    b.node("MatMul", [xd, wd], [y]);
  },
};

export const quantLinearOps: OpDef[] = [dequantizedLinear, dynamicQuantizedLinear, staticQuantizedLinear];
