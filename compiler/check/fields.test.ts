import { describe, expect, test } from "vitest";
import { MODEL_FIELD_NAMES, TARGET_FIELD_NAMES } from "../../grammar/ast.js";
import { FIELD_NAMES } from "./fields.js";
import { TARGET_FIELD_NAMES as CHECKED_TARGET_FIELDS } from "./target.js";
import { checkSource, textAt } from "./testing.js";

/** A complete small decoder; tests append or replace lines. */
function model(extra: string, base = "kind decoder vocab 100 context 16 width 32 layers 2 heads 4"): string {
  return `model m {\n  ${base}\n  ${extra}\n}\n`;
}

describe("field table", () => {
  test("the checker and the parser agree on the field names", () => {
    expect([...FIELD_NAMES].sort()).toEqual([...MODEL_FIELD_NAMES].sort());
    expect([...CHECKED_TARGET_FIELDS].sort()).toEqual([...TARGET_FIELD_NAMES].sort());
  });

  test("defaults per language.md", () => {
    const checked = checkSource(model(""));
    expect(checked.brief).toEqual([]);
    expect(checked.spec).toMatchObject({
      kvHeads: 4,
      headDim: 8,
      ffn: { size: 128, activation: "gelu" },
      norm: { kind: "layernorm", placement: "pre", eps: 1e-5 },
      position: { kind: "learned" },
      bias: true,
      tokenTypes: 0,
      output: { kind: "lm", tied: true },
      weights: { kind: "random", seed: 0 },
      target: { opset: 17, devices: ["cpu"], precision: "fp32" },
    });
    const encoder = checkSource(model("", "kind encoder vocab 100 context 16 width 32 layers 2 heads 4"));
    expect(encoder.spec?.output).toEqual({ kind: "none" });
  });

  test("keyword values in any order, and every form of each field", () => {
    const checked = checkSource(
      model(
        "norm eps 1e-6 post rmsnorm  ffn swiglu 96  position rotary theta 500000  bias false\n" +
          "  token_types 3  kv_heads 2  head_dim 16  weights random seed 42  output classifier 5",
      ),
    );
    expect(checked.brief).toEqual([]);
    expect(checked.spec).toMatchObject({
      norm: { kind: "rmsnorm", placement: "post", eps: 1e-6 },
      ffn: { size: 96, activation: "swiglu" },
      position: { kind: "rotary", theta: 500000 },
      bias: false,
      tokenTypes: 3,
      kvHeads: 2,
      headDim: 16,
      weights: { kind: "random", seed: 42 },
      output: { kind: "classifier", classes: 5 },
    });
    expect(checkSource(model("ffn 4 * width")).spec?.ffn).toEqual({ size: 128, activation: "gelu" });
    expect(checkSource(model("ffn relu")).spec?.ffn).toEqual({ size: 128, activation: "relu" });
    expect(checkSource(model("norm rmsnorm")).spec?.norm).toEqual({ kind: "rmsnorm", placement: "pre", eps: 1e-5 });
    expect(checkSource(model("position rotary")).spec?.position).toEqual({ kind: "rotary", theta: 10000 });
    expect(checkSource(model("position sinusoidal")).spec?.position).toEqual({ kind: "sinusoidal" });
    expect(checkSource(model("position none")).spec?.position).toEqual({ kind: "none" });
    expect(checkSource(model("output lm")).spec?.output).toEqual({ kind: "lm", tied: false });
    expect(checkSource(model("output none")).spec?.output).toEqual({ kind: "none" });
    expect(checkSource(model("output pooler")).spec?.output).toEqual({ kind: "pooler" });
  });
});

describe("field diagnostics", () => {
  test("unknown activation, with a suggestion and a fix", () => {
    const source = model("ffn 4 * width gleu");
    const checked = checkSource(source);
    expect(checked.brief).toEqual(["E0204 3:17 unknown activation `gleu`"]);
    const diagnostic = checked.diagnostics[0];
    expect(diagnostic.label).toBe("not an activation");
    expect(diagnostic.help).toBe("did you mean `gelu`?");
    expect(diagnostic.fix).toEqual({ span: diagnostic.span, replacement: "gelu" });
    expect(checked.spec).toBeUndefined();
  });

  test("unknown keyword with nothing close lists the choices", () => {
    const checked = checkSource(model("ffn 3072 quadratic"));
    expect(checked.brief).toEqual(["E0204 3:12 unknown activation `quadratic`"]);
    expect(checked.diagnostics[0].help).toBe("expected `relu`, `gelu`, `gelu_tanh`, `silu`, `swiglu` or `geglu`");
  });

  test("unknown norm kind, placement and option", () => {
    expect(checkSource(model("norm layrnorm pre")).brief).toEqual(["E0204 3:8 unknown norm kind `layrnorm`"]);
    expect(checkSource(model("norm layernorm pots")).brief).toEqual(["E0204 3:18 unknown norm placement `pots`"]);
    const option = checkSource(model("norm layernorm post esp 1e-12"));
    expect(option.brief).toEqual(["E0204 3:23 unknown keyword `esp` in `norm`"]);
    expect(option.diagnostics[0].help).toBe("did you mean `eps`?");
  });

  test("an unknown field name, with a suggestion", () => {
    const checked = checkSource(model("hedas 4"));
    expect(checked.brief).toEqual(["E0201 3:3 unknown field `hedas`"]);
    expect(checked.diagnostics[0].help).toBe("did you mean `heads`?");
  });

  test("a target field or a directive written as a model field says where it belongs", () => {
    expect(checkSource(model("opset 17")).diagnostics[0].help).toBe("`opset` belongs in a target block: `target onnx { opset … }`");
    expect(checkSource(model("quantize 8")).diagnostics[0].help).toBe("`quantize` belongs in an `optimize { … }` block");
  });

  test("a misspelled field among another field's values", () => {
    const source = "model m {\n  kind encoder widht 768\n  vocab 100 context 16 width 32 layers 2 heads 4\n}\n";
    const checked = checkSource(source);
    expect(checked.brief).toEqual(["E0201 2:16 unknown field `widht`"]);
    expect(checked.diagnostics[0].help).toBe("did you mean `width`?");
    expect(textAt(source, checked.diagnostics[0])).toBe("widht");
  });

  test("one value too many", () => {
    const source = model("bias false 3");
    const checked = checkSource(source);
    expect(checked.brief).toEqual(["E0207 3:14 unexpected value `3` in `bias`"]);
    expect(checked.diagnostics[0].help).toBe("`bias` is written `bias true|false`");
  });

  test("two keywords for one part", () => {
    const source = model("norm layernorm rmsnorm");
    const checked = checkSource(source);
    expect(checked.brief).toEqual(["E0207 3:18 `norm` is given two norm kinds, `layernorm` and `rmsnorm`"]);
    expect(textAt(source, checked.diagnostics[0].labels![0])).toBe("layernorm");
  });

  test("an option without its number", () => {
    const checked = checkSource(model("norm rmsnorm eps pre"));
    expect(checked.brief).toEqual(["E0206 3:16 `eps` needs a number"]);
  });

  test("a variant missing its number", () => {
    const source = model("output classifier");
    const checked = checkSource(source);
    expect(checked.brief).toEqual(["E0206 3:3 `output classifier` needs the number of classes"]);
    expect(textAt(source, checked.diagnostics[0])).toBe("output classifier");
    expect(checked.diagnostics[0].help).toBe("write `output lm [tied]|classifier N|pooler|none`");
  });

  test("an unknown variant keyword", () => {
    const checked = checkSource(model("position rotray"));
    expect(checked.brief).toEqual(["E0204 3:12 unknown position encoding `rotray`"]);
    expect(checked.diagnostics[0].help).toBe("did you mean `rotary`?");
  });

  test("a string where a number is needed", () => {
    const checked = checkSource(model('token_types "2"'));
    expect(checked.brief).toEqual(['E0205 3:15 `token_types` takes a number, not the string "2"']);
  });

  test("classifier needs at least two classes", () => {
    const checked = checkSource(model("output classifier 1"));
    expect(checked.brief).toEqual(["E0205 3:21 `output classifier` needs at least 2 classes, got 1"]);
  });

  test("a field set twice is an error, labelled at the first", () => {
    const source = model("width 64");
    const checked = checkSource(source);
    expect(checked.brief).toEqual(["E0208 3:3 `width` is set twice in `m`"]);
    expect(textAt(source, checked.diagnostics[0].labels![0])).toBe("width 32");
  });

  test("missing required fields are listed at the model name", () => {
    const source = "model tiny {\n  kind decoder width 32 layers 2\n}\n";
    const checked = checkSource(source);
    expect(checked.brief).toEqual(["E0301 1:7 model `tiny` is missing `vocab`, `context` and `heads`"]);
    expect(textAt(source, checked.diagnostics[0])).toBe("tiny");
  });

  test("non-integers, zero and negative sizes", () => {
    expect(checkSource(model("layers 2.5", "kind decoder vocab 100 context 16 width 32 heads 4")).brief).toEqual([
      "E0210 3:10 `layers` must be a whole number, got 2.5",
    ]);
    expect(checkSource(model("layers 0", "kind decoder vocab 100 context 16 width 32 heads 4")).brief).toEqual([
      "E0302 3:10 `layers` must be positive, got 0",
    ]);
    expect(checkSource(model("token_types -1")).brief).toEqual(["E0302 3:15 `token_types` must not be negative, got -1"]);
    expect(checkSource(model("norm eps 0")).brief).toEqual(["E0302 3:12 `eps` must be positive, got 0"]);
    expect(checkSource(model("weights random seed 1.5")).brief).toEqual(["E0210 3:23 `seed` must be a whole number, got 1.5"]);
  });
});
