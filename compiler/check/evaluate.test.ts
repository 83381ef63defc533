import { describe, expect, test } from "vitest";
import { checkSource, textAt } from "./testing.js";

const HEAD = "kind decoder vocab 100 context 16 layers 2";

describe("expressions", () => {
  test("arithmetic over fields and lets, in any order of declaration", () => {
    const checked = checkSource(
      "let base = 16\nlet heads_per_group = base / 8\n" +
        `model m {\n  ffn (width - base) * 3 + 2 relu  ${HEAD}\n  width 2 * base  heads width / 8  kv_heads heads / heads_per_group\n}\n`,
    );
    expect(checked.brief).toEqual([]);
    expect(checked.spec).toMatchObject({ width: 32, heads: 4, kvHeads: 2, headDim: 8, ffn: { size: 50, activation: "relu" } });
  });

  test("a default can be used by name: head_dim = width / heads", () => {
    const checked = checkSource(`model m {\n  ${HEAD} width 64 heads 4\n  ffn 3 * head_dim\n}\n`);
    expect(checked.spec?.ffn.size).toBe(48);
  });

  test("a non-integer let is fine where a number may be fractional", () => {
    const checked = checkSource(`let eps = 1e-6\nmodel m {\n  ${HEAD} width 32 heads 4\n  norm rmsnorm eps eps\n}\n`);
    expect(checked.brief).toEqual([]);
    expect(checked.spec?.norm.eps).toBe(1e-6);
  });

  test("division must be exact where a whole number is needed", () => {
    const source = `model m {\n  ${HEAD} width 32 heads 4\n  ffn 4 * width / 5\n}\n`;
    const checked = checkSource(source);
    expect(checked.brief).toEqual(["E0210 3:7 the `ffn` size must be a whole number, but `4 * width / 5` is 25.6"]);
    expect(textAt(source, checked.diagnostics[0])).toBe("4 * width / 5");
    expect(checked.diagnostics[0].help).toBe("division must be exact where a whole number is needed: 128 / 5 = 25.6");
  });

  test("division by zero", () => {
    const source = `model m {\n  ${HEAD} width 32 heads 4\n  ffn width / (heads - 4)\n}\n`;
    const checked = checkSource(source);
    expect(checked.brief).toEqual(["E0211 3:7 division by zero in `width / (heads - 4)`"]);
    expect(textAt(source, checked.diagnostics[0].labels![0])).toBe("(heads - 4)");
  });

  test("unknown names, with suggestions over fields and lets", () => {
    const checked = checkSource(`let block = 64\nmodel m {\n  ${HEAD} width 32 heads 4\n  ffn 4 * widht  token_types blok / 32\n}\n`);
    expect(checked.brief).toEqual(["E0203 4:11 unknown name `widht`", "E0203 4:30 unknown name `blok`"]);
    expect(checked.diagnostics.map((d) => d.help)).toEqual(["did you mean `width`?", "did you mean `block`?"]);
  });

  test("a field that is not a number", () => {
    const checked = checkSource(`model m {\n  ${HEAD} width 32 heads 4\n  ffn 4 * kind\n}\n`);
    expect(checked.brief).toEqual(["E0205 3:11 `kind` is not a number"]);
  });

  test("fields defined in terms of each other", () => {
    const source = `model m {\n  ${HEAD}\n  width heads * 8\n  heads width / 8\n}\n`;
    const checked = checkSource(source);
    expect(checked.brief).toEqual(["E0212 3:3 `width` is defined in terms of itself: width → heads → width"]);
    expect(textAt(source, checked.diagnostics[0].labels![0])).toBe("heads width / 8");
  });

  test("a cycle through a default names the default", () => {
    const checked = checkSource(`model m {\n  ${HEAD} heads 4\n  width head_dim * 4\n}\n`);
    expect(checked.brief).toEqual(["E0212 3:3 `width` is defined in terms of itself: width → head_dim → width"]);
    expect(checked.diagnostics[0].help).toBe("`head_dim` defaults to width / heads; write one of these fields as a number");
  });

  test("lets defined in terms of each other, and lets cannot use fields", () => {
    const checked = checkSource(`let a = b + 1\nlet b = a * 2\nlet c = width\nmodel m {\n  ${HEAD} width 32 heads 4\n}\n`);
    expect(checked.brief).toEqual([
      "E0212 1:5 `let a` is defined in terms of itself: a → b → a",
      "E0203 3:9 `width` is a model field, which a `let` cannot use",
    ]);
  });

  test("an unused let is still checked", () => {
    expect(checkSource(`let unused = 1 / 0\nmodel m {\n  ${HEAD} width 32 heads 4\n}\n`).brief).toEqual([
      "E0211 1:14 division by zero in `1 / 0`",
    ]);
  });

  test("a let cannot take a field's name, nor be declared twice", () => {
    const checked = checkSource(`let width = 3\nlet x = 1\nlet x = 2\nmodel m {\n  ${HEAD} width 32 heads 4\n}\n`);
    expect(checked.brief).toEqual([
      "E0213 1:5 `width` is a model field and cannot be a `let`",
      "E0213 3:5 `let x` is declared twice",
    ]);
  });

  test("numbers too large for a double", () => {
    const checked = checkSource(`model m {\n  ${HEAD} width 32 heads 4\n  token_types 1e308 * 10\n}\n`);
    expect(checked.brief).toEqual(["E0401 3:15 `1e308 * 10` is too large to represent"]);
  });
});
