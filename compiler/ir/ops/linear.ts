import { boolAttr, expectFloat, fail, lastDim, product, type OpDef } from "./op.js";

/**
 * `y = x @ W (+ b)`, W stored [in, out]. With `transposed`, W is stored [out, in] and used
 * transposed: that is how a tied LM head reads the embedding table without a second copy.
 */
const linear: OpDef = {
  name: "linear",
  summary: "x @ W + b over the last axis",
  inputs: ["x", "weight", "bias?"],
  attrs: ["transposed"],
  infer([x, w, bias], attrs) {
    expectFloat("linear", "x", x);
    if (w.shape.length !== 2) fail("linear", `weight must be a matrix, got [${w.shape.join(",")}]`);
    const transposed = boolAttr(attrs, "transposed");
    const [rows, cols] = transposed ? [w.shape[1], w.shape[0]] : [w.shape[0], w.shape[1]];
    if (lastDim(x) !== rows) fail("linear", `x's last dim ${lastDim(x)} does not match the weight's input dim ${rows}`);
    if (bias && (bias.shape.length !== 1 || bias.shape[0] !== cols)) {
      fail("linear", `bias must be [${cols}], got [${bias.shape.join(",")}]`);
    }
    return [{ dtype: x.dtype, shape: [...x.shape.slice(0, -1), cols] }];
  },
  flops([x, w, bias]) {
    const rows = product(x.shape) / (lastDim(x) as number);
    return rows * (2 * product(w.shape) + (bias ? product(bias.shape) : 0));
  },
  lower(b, [x, w, bias], [y], attrs) {
    if (boolAttr(attrs, "transposed")) {
      // Gemm reads the [out, in] weight transposed in place. MatMul(x, Transpose(W)) would make
      // ONNX Runtime constant-fold a second copy of W: a tied LM head would hold its embedding twice.
      const [inDim] = b.node("Shape", [w], 1, { start: { int: 1 }, end: { int: 2 } });
      const [flatShape] = b.node("Concat", [b.int64s([-1]), inDim], 1, { axis: { int: 0 } });
      const [rows] = b.node("Reshape", [x, flatShape], 1);
      const [product] = b.node("Gemm", bias ? [rows, w, bias] : [rows, w], 1, { transB: { int: 1 } });
      const [leading] = b.node("Shape", [x], 1, { end: { int: -1 } });
      const [outDim] = b.node("Shape", [w], 1, { start: { int: 0 }, end: { int: 1 } });
      const [shape] = b.node("Concat", [leading, outDim], 1, { axis: { int: 0 } });
      b.node("Reshape", [product, shape], [y]);
    } else if (bias) {
      const [product] = b.node("MatMul", [x, w], 1);
      b.node("Add", [product, bias], [y]);
    } else {
      b.node("MatMul", [x, w], [y]);
    }
  },
};

export const linearOps: OpDef[] = [linear];
