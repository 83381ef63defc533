import { describe, expect, test } from "vitest";
import { checkSource, textAt } from "./testing.js";

describe("fields checked against each other", () => {
  test("width not divisible by heads: the example of language.md", () => {
    const source = "model gpt {\n  kind decoder  vocab 50257  context 1024\n  width 770   layers 12   heads 12\n}\n";
    const checked = checkSource(source);
    expect(checked.brief).toEqual(["E0310 3:3 `width` (770) is not divisible by `heads` (12)"]);
    const [diagnostic] = checked.diagnostics;
    expect(textAt(source, diagnostic)).toBe("width 770");
    expect(diagnostic.labels).toHaveLength(1);
    expect(diagnostic.labels![0].message).toBe("heads declared here");
    expect(textAt(source, diagnostic.labels![0])).toBe("heads 12");
    expect(diagnostic.help).toBe("the nearest widths that divide evenly are 768 and 780");
    expect(checked.spec).toBeUndefined();
  });

  test("a width below heads suggests the smallest that divides", () => {
    const checked = checkSource("model m { kind decoder vocab 10 context 8 width 5 layers 1 heads 8 }");
    expect(checked.diagnostics[0].help).toBe("the smallest width that divides evenly is 8");
  });

  test("an explicit head_dim allows any width", () => {
    const checked = checkSource("model m { kind decoder vocab 10 context 8 width 30 layers 1 heads 4 head_dim 16 }");
    expect(checked.brief).toEqual([]);
    expect(checked.spec).toMatchObject({ width: 30, heads: 4, headDim: 16 });
  });

  test("heads not divisible by kv_heads", () => {
    const source = "model m {\n  kind decoder vocab 10 context 8 width 48 layers 1 heads 12\n  kv_heads 5\n}\n";
    const checked = checkSource(source);
    expect(checked.brief).toEqual(["E0311 3:3 `heads` (12) is not divisible by `kv_heads` (5)"]);
    expect(textAt(source, checked.diagnostics[0].labels![0])).toBe("heads 12");
    expect(checked.diagnostics[0].help).toBe(
      "each key/value head serves the same number of query heads, so `kv_heads` must divide 12: 1, 2, 3, 4, 6 or 12",
    );
    expect(checkSource(source.replace("kv_heads 5", "kv_heads 24")).brief).toEqual([
      "E0311 3:3 `heads` (12) is not divisible by `kv_heads` (24)",
    ]);
  });

  test("rotary positions need an even head_dim", () => {
    const source = "model m {\n  kind decoder vocab 10 context 8 width 66 layers 1 heads 2\n  position rotary\n}\n";
    const checked = checkSource(source);
    expect(checked.brief).toEqual(["E0314 3:12 rotary positions need an even `head_dim`, but it is 33"]);
    expect(textAt(source, checked.diagnostics[0])).toBe("rotary");
    expect(checked.diagnostics[0].labels![0].message).toBe("head_dim is width / heads = 66 / 2 = 33");

    const explicit = checkSource("model m { kind decoder vocab 10 context 8 width 64 layers 1 heads 2 head_dim 7 position rotary }");
    expect(explicit.brief).toEqual(["E0314 1:89 rotary positions need an even `head_dim`, but it is 7"]);
    expect(explicit.diagnostics[0].help).toBe("use an even head_dim, such as 6 or 8");
  });

  test("a bad value does not cascade into checks that use it", () => {
    const checked = checkSource("model m { kind decoder vocab 10 context 8 width 0 layers 1 heads 3 position rotary }");
    expect(checked.brief).toEqual(["E0302 1:49 `width` must be positive, got 0"]);
  });
});
