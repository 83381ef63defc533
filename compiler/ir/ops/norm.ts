import { expectFloat, fail, lastDim, numberAttr, product, type OpDef } from "./op.js";

const layerNorm: OpDef = {
  name: "layer_norm",
  summary: "(x - mean) / sqrt(var + eps) * scale + bias over the last axis",
  inputs: ["x", "scale", "bias"],
  attrs: ["eps"],
  infer([x, scale, bias]) {
    expectFloat("layer_norm", "x", x);
    for (const [what, t] of [["scale", scale], ["bias", bias]] as const) {
      if (t.shape.length !== 1 || t.shape[0] !== lastDim(x)) {
        fail("layer_norm", `${what} must be [${lastDim(x)}], got [${t.shape.join(",")}]`);
      }
    }
    return [x];
  },
  flops: ([x]) => 8 * product(x.shape),
  lower(b, inputs, outputs, attrs) {
    b.node("LayerNormalization", inputs, outputs, { axis: { int: -1 }, epsilon: { float: numberAttr(attrs, "eps") } });
  },
};

/**
 * RMSNorm. Opset 17 has no RMSNormalization, so it is written as Pow → ReduceMean → Add → Sqrt →
 * Div → Mul: the subgraph ONNX Runtime's SimplifiedLayerNormFusion turns into one kernel.
 */
const rmsNorm: OpDef = {
  name: "rms_norm",
  summary: "x / sqrt(mean(x^2) + eps) * scale over the last axis",
  inputs: ["x", "scale"],
  attrs: ["eps"],
  infer([x, scale]) {
    expectFloat("rms_norm", "x", x);
    if (scale.shape.length !== 1 || scale.shape[0] !== lastDim(x)) {
      fail("rms_norm", `scale must be [${lastDim(x)}], got [${scale.shape.join(",")}]`);
    }
    return [x];
  },
  flops: ([x]) => 4 * product(x.shape),
  lower(b, [x, scale], [y], attrs) {
    const [squared] = b.node("Pow", [x, b.float(2)], 1);
    const [mean] =
      b.opset >= 18
        ? b.node("ReduceMean", [squared, b.int64s([-1])], 1, { keepdims: { int: 1 } })
        : b.node("ReduceMean", [squared], 1, { axes: { ints: [-1] }, keepdims: { int: 1 } });
    const [shifted] = b.node("Add", [mean, b.float(numberAttr(attrs, "eps"))], 1);
    const [root] = b.node("Sqrt", [shifted], 1);
    const [normalized] = b.node("Div", [x, root], 1);
    b.node("Mul", [normalized, scale], [y]);
  },
};

export const normOps: OpDef[] = [layerNorm, rmsNorm];
