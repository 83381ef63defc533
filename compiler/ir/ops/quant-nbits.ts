import { expectFloat, fail, lastDim, numberAttr, product, type OpDef } from "./op.js";

/**
 * `x @ Wᵀ` with W [N, K] quantized block-wise to 4 bits along K: com.microsoft MatMulNBits.
 * packed [N, K / blockSize, blockSize / 2] (two values a byte, first in the low nibble), scales
 * [N · K / blockSize], zero points [N · ⌈blocks / 2⌉] packed the same way or absent (8: symmetric).
 * `accuracyLevel` 4 lets the CPU kernel quantize x to int8 per block and use integer dot products.
 * ONNX has no standard op for this (opset 21's int4 DequantizeLinear is past the opset-17 target).
 */
const matmulNBits: OpDef = {
  name: "matmul_nbits",
  summary: "x @ dequantize4(W)ᵀ, W block-wise 4-bit [N, K] (com.microsoft MatMulNBits)",
  inputs: ["x", "packed", "scales", "zeroPoints?"],
  attrs: ["k", "n", "blockSize", "accuracyLevel"],
  infer([x, packed, scales, zeroPoints], attrs) {
    const op = "matmul_nbits";
    expectFloat(op, "x", x);
    const k = numberAttr(attrs, "k");
    const n = numberAttr(attrs, "n");
    const blockSize = numberAttr(attrs, "blockSize");
    const level = numberAttr(attrs, "accuracyLevel");
    if (![0, 1, 2, 3, 4].includes(level)) fail(op, `accuracyLevel must be 0..4, got ${level}`);
    if (blockSize < 16 || (blockSize & (blockSize - 1)) !== 0) fail(op, `blockSize must be a power of two ≥ 16, got ${blockSize}`);
    if (lastDim(x) !== k) fail(op, `x's last dim ${lastDim(x)} is not K = ${k}`);
    const blocks = Math.ceil(k / blockSize);
    const want = [n, blocks, blockSize / 2];
    if (packed.dtype !== "uint8" || packed.shape.join(",") !== want.join(",")) fail(op, `packed must be uint8[${want.join(",")}], got ${packed.dtype}[${packed.shape.join(",")}]`);
    if (scales.dtype !== x.dtype || scales.shape.join(",") !== String(n * blocks)) fail(op, `scales must be ${x.dtype}[${n * blocks}], got ${scales.dtype}[${scales.shape.join(",")}]`);
    if (zeroPoints) {
      const zp = n * Math.ceil(blocks / 2);
      if (zeroPoints.dtype !== "uint8" || zeroPoints.shape.join(",") !== String(zp)) fail(op, `zero points must be uint8[${zp}], got ${zeroPoints.dtype}[${zeroPoints.shape.join(",")}]`);
    }
    return [{ dtype: x.dtype, shape: [...x.shape.slice(0, -1), n] }];
  },
  flops: ([x], _out, attrs) => (product(x.shape) / (lastDim(x) as number)) * 2 * numberAttr(attrs, "k") * numberAttr(attrs, "n"),
  lower(b, inputs, [y], attrs) {
    b.node(
      "MatMulNBits",
      inputs,
      [y],
      {
        K: { int: numberAttr(attrs, "k") },
        N: { int: numberAttr(attrs, "n") },
        bits: { int: 4 },
        block_size: { int: numberAttr(attrs, "blockSize") },
        accuracy_level: { int: numberAttr(attrs, "accuracyLevel") },
      },
      "com.microsoft",
    );
  },
};

export const quantNBitsOps: OpDef[] = [matmulNBits];
