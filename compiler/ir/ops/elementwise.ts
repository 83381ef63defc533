import { broadcastShapes, expectFloat, fail, product, stringAttr, type OpDef } from "./op.js";

function binary(name: string, onnx: string, summary: string): OpDef {
  return {
    name,
    summary,
    inputs: ["a", "b"],
    attrs: [],
    infer([a, b]) {
      if (a.dtype !== b.dtype) fail(name, `dtypes differ: ${a.dtype} and ${b.dtype}`);
      return [{ dtype: a.dtype, shape: broadcastShapes(name, a.shape, b.shape) }];
    },
    flops: (_in, [out]) => product(out.shape),
    lower: (b, inputs, outputs) => void b.node(onnx, inputs, outputs),
  };
}

function unary(
  name: string,
  summary: string,
  flopsPerElement: number,
  lower: OpDef["lower"],
): OpDef {
  return {
    name,
    summary,
    inputs: ["x"],
    attrs: [],
    infer([x]) {
      expectFloat(name, "x", x);
      return [x];
    },
    flops: (_in, [out]) => flopsPerElement * product(out.shape),
    lower,
  };
}

const SQRT_2 = Math.SQRT2;
const SQRT_2_OVER_PI = Math.sqrt(2 / Math.PI);

/**
 * GELU in the two forms users name. Opset 17 has no Gelu op, so these are written as the exact
 * subgraphs ONNX Runtime's GeluFusion / FastGeluFusion recognise and fuse into one kernel.
 */
const gelu: OpDef = {
  name: "gelu",
  summary: "GELU: erf form (`none`) or tanh approximation (`tanh`)",
  inputs: ["x"],
  attrs: ["approximate"],
  infer([x], attrs) {
    expectFloat("gelu", "x", x);
    const mode = stringAttr(attrs, "approximate");
    if (mode !== "none" && mode !== "tanh") fail("gelu", `approximate must be none or tanh, got ${mode}`);
    return [x];
  },
  flops: (_in, [out]) => 8 * product(out.shape),
  lower(b, [x], [y], attrs) {
    if (stringAttr(attrs, "approximate") === "none") {
      // 0.5 * x * (1 + erf(x / sqrt(2)))
      const [scaled] = b.node("Div", [x, b.float(SQRT_2)], 1);
      const [erf] = b.node("Erf", [scaled], 1);
      const [plusOne] = b.node("Add", [erf, b.float(1)], 1);
      const [times] = b.node("Mul", [x, plusOne], 1);
      b.node("Mul", [times, b.float(0.5)], [y]);
    } else {
      // 0.5 * x * (1 + tanh(sqrt(2/pi) * (x + 0.044715 * x^3)))
      const [cube] = b.node("Pow", [x, b.float(3)], 1);
      const [cubeScaled] = b.node("Mul", [cube, b.float(0.044715)], 1);
      const [inner] = b.node("Add", [x, cubeScaled], 1);
      const [innerScaled] = b.node("Mul", [inner, b.float(SQRT_2_OVER_PI)], 1);
      const [tanh] = b.node("Tanh", [innerScaled], 1);
      const [plusOne] = b.node("Add", [tanh, b.float(1)], 1);
      const [half] = b.node("Mul", [x, b.float(0.5)], 1);
      b.node("Mul", [half, plusOne], [y]);
    }
  },
};

export const elementwiseOps: OpDef[] = [
  binary("add", "Add", "elementwise sum with broadcasting"),
  binary("mul", "Mul", "elementwise product with broadcasting"),
  unary("relu", "max(x, 0)", 1, (b, inputs, outputs) => void b.node("Relu", inputs, outputs)),
  unary("tanh", "hyperbolic tangent", 4, (b, inputs, outputs) => void b.node("Tanh", inputs, outputs)),
  unary("silu", "x * sigmoid(x)", 4, (b, [x], [y]) => {
    const [sig] = b.node("Sigmoid", [x], 1);
    b.node("Mul", [x, sig], [y]);
  }),
  gelu,
];

