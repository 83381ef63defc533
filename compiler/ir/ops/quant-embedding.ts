import type { OnnxBuilder } from "../onnx-builder.js";
import type { TensorType } from "../types.js";
import { boolAttr, expectRank, fail, numberAttr, type OpDef } from "./op.js";

/**
 * Row lookups in quantized tables. Only the rows read are dequantized, so a 50k-row vocabulary
 * costs its lookups, not a float copy of the table.
 *
 * `quantized_embedding` with 8 bits: table int8/uint8 [V, W], scale [] or [V] (per row), zero point
 * likewise or absent. With 4 bits the table is MatMulNBits' layout ([V, W / block, block / 2] with
 * scales [V · blocks]), so a tied LM head's MatMulNBits and the token lookup share one table.
 */
function checkTable8(op: string, table: TensorType, scale: TensorType, zeroPoint: TensorType | undefined, perRow: boolean): void {
  expectRank(op, "table", table, 2);
  if (table.dtype !== "int8" && table.dtype !== "uint8") fail(op, `table must be int8 or uint8, got ${table.dtype}`);
  if (scale.dtype !== "float32") fail(op, `scale must be float32, got ${scale.dtype}`);
  if (scale.shape.length !== 0 && (scale.shape.length !== 1 || scale.shape[0] !== table.shape[0])) {
    fail(op, `scale must be [] or [${table.shape[0]}] (per row), got [${scale.shape.join(",")}]`);
  }
  if (perRow !== (scale.shape.length === 1)) fail(op, `perRow is ${perRow} but the scale is [${scale.shape.join(",")}]`);
  if (zeroPoint && (zeroPoint.dtype !== table.dtype || zeroPoint.shape.join(",") !== scale.shape.join(","))) {
    fail(op, `zero point must be ${table.dtype} shaped like the scale`);
  }
}

const quantizedEmbedding: OpDef = {
  name: "quantized_embedding",
  summary: "dequantize(table)[ids]: 8-bit rows with per-row scales, or 4-bit blocks",
  inputs: ["table", "ids", "scale", "zeroPoint?"],
  attrs: ["bits", "blockSize", "perRow"],
  infer([table, ids, scale, zeroPoint], attrs) {
    const op = "quantized_embedding";
    if (ids.dtype !== "int64" && ids.dtype !== "int32") fail(op, `ids must be integers, got ${ids.dtype}`);
    const bits = numberAttr(attrs, "bits");
    if (bits === 8) {
      checkTable8(op, table, scale, zeroPoint, boolAttr(attrs, "perRow"));
      return [{ dtype: "float32", shape: [...ids.shape, table.shape[1]] }];
    }
    if (bits !== 4) fail(op, `bits must be 8 or 4, got ${bits}`);
    expectRank(op, "table", table, 3);
    expectRank(op, "ids", ids, 2);
    const [rows, blocks, half] = table.shape as number[];
    if (table.dtype !== "uint8" || half * 2 !== numberAttr(attrs, "blockSize")) fail(op, `a 4-bit table must be uint8[V, blocks, blockSize/2]`);
    if (scale.dtype !== "float32" || scale.shape.join(",") !== String(rows * blocks)) fail(op, `scales must be float32[${rows * blocks}]`);
    if (zeroPoint && (zeroPoint.dtype !== "uint8" || zeroPoint.shape.join(",") !== String(rows * Math.ceil(blocks / 2)))) {
      fail(op, `zero points must be uint8[${rows * Math.ceil(blocks / 2)}]`);
    }
    return [{ dtype: "float32", shape: [...ids.shape, blocks * half * 2] }];
  },
  flops: (_in, [y]) => 2 * (y.shape as number[]).reduce((a, d) => a * d, 1),
  lower(b, [table, ids, scale, zeroPoint], [y], attrs) {
    if (numberAttr(attrs, "bits") === 8) {
      lowerRows8(b, table, scale, zeroPoint, boolAttr(attrs, "perRow"), (t) => b.node("Gather", [t, ids], 1, { axis: { int: 0 } })[0], y);
    }
    else lowerRows4(b, table, ids, scale, zeroPoint, numberAttr(attrs, "blockSize"), y);
  },
};

/**
 * The first `seq` rows of an 8-bit [context, W] table (positions), `seq` read from `like` at run
 * time, as `leading_rows` does for float tables.
 */
const quantizedLeadingRows: OpDef = {
  name: "quantized_leading_rows",
  summary: "dequantize(table)[0 : seq], seq = dim 1 of `like`",
  inputs: ["table", "like", "scale", "zeroPoint?"],
  attrs: ["perRow"],
  infer([table, like, scale, zeroPoint], attrs) {
    checkTable8("quantized_leading_rows", table, scale, zeroPoint, boolAttr(attrs, "perRow"));
    if (like.shape.length < 2) fail("quantized_leading_rows", `like must have a sequence dim, got [${like.shape.join(",")}]`);
    return [{ dtype: "float32", shape: [like.shape[1], table.shape[1]] }];
  },
  flops: (_in, [y]) => 2 * (y.shape as number[]).reduce((a, d) => a * d, 1),
  lower(b, [table, like, scale, zeroPoint], [y], attrs) {
    const [seq] = b.node("Shape", [like], 1, { start: { int: 1 }, end: { int: 2 } });
    lowerRows8(b, table, scale, zeroPoint, boolAttr(attrs, "perRow"), (t) => b.node("Slice", [t, b.int64s([0]), seq, b.int64s([0])], 1)[0], y);
  },
};

/**
 * (rows(table) − rows(zeroPoint)) · rows(scale), where `rows` picks the same rows of each. A
 * per-tensor scale is one DequantizeLinear; per-row scales are picked with the rows and broadcast.
 */
function lowerRows8(b: OnnxBuilder, table: string, scale: string, zeroPoint: string | undefined, perRow: boolean, rows: (t: string) => string, y: string): void {
  const picked = rows(table);
  if (!perRow) {
    b.node("DequantizeLinear", zeroPoint ? [picked, scale, zeroPoint] : [picked, scale], [y]);
    return;
  }
  const [floats] = b.node("Cast", [picked], 1, { to: { int: 1 } });
  const pick = (t: string) => b.node("Unsqueeze", [rows(t), b.int64s([-1])], 1)[0];
  const [shifted] = zeroPoint ? b.node("Sub", [floats, b.node("Cast", [pick(zeroPoint)], 1, { to: { int: 1 } })[0]], 1) : [floats];
  b.node("Mul", [shifted, pick(scale)], [y]);
}

/** Gathers packed rows, splits each byte into its two nibbles, and applies each block's scale and zero point. */
function lowerRows4(b: OnnxBuilder, table: string, ids: string, scales: string, zeroPoints: string | undefined, blockSize: number, y: string): void {
  const gather = (t: string) => b.node("Gather", [t, ids], 1, { axis: { int: 0 } })[0];
  const nibbles = (bytes: string) => {
    // (byte mod 16, byte div 16) in int32: opset 17 has no BitwiseAnd, and integer Div/Mod are universal.
    const [wide] = b.node("Cast", [bytes], 1, { to: { int: 6 } });
    const [high] = b.node("Div", [wide, b.tensor("int32", Int32Array.of(16), [])], 1);
    const [low] = b.node("Sub", [wide, b.node("Mul", [high, b.tensor("int32", Int32Array.of(16), [])], 1)[0]], 1);
    const pair = (t: string) => b.node("Unsqueeze", [t, b.int64s([-1])], 1)[0];
    const [both] = b.node("Concat", [pair(low), pair(high)], 1, { axis: { int: -1 } });
    return b.node("Cast", [both], 1, { to: { int: 1 } })[0]; // [..., bytes, 2] float
  };
  // [B, S, blocks, block/2, 2] → [B, S, blocks, block]
  const [values] = b.node("Reshape", [nibbles(gather(table)), b.int64s([0, 0, 0, blockSize])], 1);
  const [blocks] = b.node("Shape", [table], 1, { start: { int: 1 }, end: { int: 2 } });
  const [scaleShape] = b.node("Concat", [b.int64s([-1]), blocks], 1, { axis: { int: 0 } });
  const perBlock = (t: string) => b.node("Unsqueeze", [t, b.int64s([-1])], 1)[0]; // [B, S, blocks, 1]
  const [rowScales] = b.node("Reshape", [scales, scaleShape], 1);
  let zero: string;
  if (zeroPoints) {
    // Zero points: ⌈blocks/2⌉ bytes a row; unpacked to 2·⌈blocks/2⌉ and cut to `blocks`.
    const [zpRows] = b.node("Reshape", [zeroPoints, b.node("Concat", [b.node("Shape", [table], 1, { start: { int: 0 }, end: { int: 1 } })[0], b.int64s([-1])], 1, { axis: { int: 0 } })[0]], 1);
    const [unpacked] = b.node("Reshape", [nibbles(gather(zpRows)), b.int64s([0, 0, -1])], 1);
    const [cut] = b.node("Slice", [unpacked, b.int64s([0]), blocks, b.int64s([-1])], 1);
    zero = perBlock(cut);
  } else {
    zero = b.float(8);
  }
  const [shifted] = b.node("Sub", [values, zero], 1);
  const [scaled] = b.node("Mul", [shifted, perBlock(gather(rowScales))], 1);
  b.node("Reshape", [scaled, b.int64s([0, 0, -1])], [y]);
}

export const quantEmbeddingOps: OpDef[] = [quantizedEmbedding, quantizedLeadingRows];
