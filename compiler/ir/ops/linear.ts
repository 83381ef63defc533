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
    const weight = boolAttr(attrs, "transposed") ? b.node("Transpose", [w], 1, { perm: { ints: [1, 0] } })[0] : w;
    if (bias) {
      const [product] = b.node("MatMul", [x, weight], 1);
      b.node("Add", [product, bias], [y]);
    } else {
      b.node("MatMul", [x, weight], [y]);
    }
  },
};

export const linearOps: OpDef[] = [linear];
