import { expectRank, fail, stringAttr, type OpDef } from "./op.js";

/** Row lookup: table[ids]. */
const embedding: OpDef = {
  name: "embedding",
  summary: "rows of a table by integer ids",
  inputs: ["table", "ids"],
  attrs: [],
  infer([table, ids]) {
    expectRank("embedding", "table", table, 2);
    if (ids.dtype !== "int64" && ids.dtype !== "int32") fail("embedding", `ids must be integers, got ${ids.dtype}`);
    return [{ dtype: table.dtype, shape: [...ids.shape, table.shape[1]] }];
  },
  flops: () => 0,
  lower: (b, inputs, outputs) => void b.node("Gather", inputs, outputs, { axis: { int: 0 } }),
};

/**
 * The first `seq` rows of a [context, width] table, where `seq` is the run-time length of `like`
 * ([batch, seq]). Positions are read from the run-time shape, so no length is frozen at compile time.
 */
const leadingRows: OpDef = {
  name: "leading_rows",
  summary: "table[0 : seq] where seq is dim 1 of `like`",
  inputs: ["table", "like"],
  attrs: [],
  infer([table, like]) {
    expectRank("leading_rows", "table", table, 2);
    if (like.shape.length < 2) fail("leading_rows", `like must have a sequence dim, got [${like.shape.join(",")}]`);
    return [{ dtype: table.dtype, shape: [like.shape[1], table.shape[1]] }];
  },
  flops: () => 0,
  lower(b, [table, like], [y]) {
    const [seq] = b.node("Shape", [like], 1, { start: { int: 1 }, end: { int: 2 } });
    b.node("Slice", [table, b.int64s([0]), seq, b.int64s([0])], [y]);
  },
};

/** One token's vector per sequence: the first (`first`) or the last (`last`) position. */
const takeToken: OpDef = {
  name: "take_token",
  summary: "x[:, 0] or x[:, -1]",
  inputs: ["x"],
  attrs: ["position"],
  infer([x], attrs) {
    expectRank("take_token", "x", x, 3);
    const position = stringAttr(attrs, "position");
    if (position !== "first" && position !== "last") fail("take_token", `position must be first or last, got ${position}`);
    return [{ dtype: x.dtype, shape: [x.shape[0], x.shape[2]] }];
  },
  flops: () => 0,
  lower(b, [x], [y], attrs) {
    const index = stringAttr(attrs, "position") === "first" ? 0 : -1;
    b.node("Gather", [x, b.int64(index)], [y], { axis: { int: 1 } });
  },
};

export const embeddingOps: OpDef[] = [embedding, leadingRows, takeToken];
