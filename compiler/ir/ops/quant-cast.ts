import { expectFloat, fail, product, stringAttr, type OpDef } from "./op.js";

/** TensorProto.DataType numbers of the float types a cast may produce. */
const FLOAT_TYPE_NUMBER: Readonly<Record<string, number>> = { float32: 1, float16: 10, bfloat16: 16 };

/** A float tensor in another float precision: the boundary of an fp16 region and its fp32 islands. */
const cast: OpDef = {
  name: "cast",
  summary: "x converted to another float dtype (`to`)",
  inputs: ["x"],
  attrs: ["to"],
  infer([x], attrs) {
    expectFloat("cast", "x", x);
    const to = stringAttr(attrs, "to");
    if (!(to in FLOAT_TYPE_NUMBER)) fail("cast", `to must be float32, float16 or bfloat16, got ${to}`);
    return [{ dtype: to as "float32" | "float16" | "bfloat16", shape: x.shape }];
  },
  flops: ([x]) => product(x.shape),
  lower: (b, inputs, outputs, attrs) => void b.node("Cast", inputs, outputs, { to: { int: FLOAT_TYPE_NUMBER[stringAttr(attrs, "to")] } }),
};

export const quantCastOps: OpDef[] = [cast];
