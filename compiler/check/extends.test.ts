import { describe, expect, test } from "vitest";
import { checkSource, textAt } from "./testing.js";

const GPT2 = `model gpt2_small {
  kind decoder  vocab 50257  context 1024
  width 768     layers 12    heads 12
  ffn 4 * width gelu_tanh
}
`;

describe("extends", () => {
  test("the child's fields override the parent's; expressions see the child's values", () => {
    const source = `${GPT2}model gpt2_wide extends gpt2_small {\n  width 1024  heads 16\n  target onnx { opset 18 }\n}\n`;
    const checked = checkSource(source, { model: "gpt2_wide" });
    expect(checked.brief).toEqual([]);
    expect(checked.models).toEqual(["gpt2_small", "gpt2_wide"]);
    expect(checked.spec).toMatchObject({
      name: "gpt2_wide",
      vocab: 50257,
      width: 1024,
      heads: 16,
      headDim: 64,
      ffn: { size: 4096, activation: "gelu_tanh" },
      target: { opset: 18 },
    });
    // Inherited fields keep their spans in the parent.
    expect(textAt(source, { span: checked.spec!.spans.vocab })).toBe("vocab 50257");
    expect(textAt(source, { span: checked.spec!.spans.width })).toBe("width 1024");
  });

  test("target fields are overridden one by one", () => {
    const source =
      "model a { kind decoder vocab 10 context 8 width 8 layers 1 heads 2 target onnx { opset 19 device cuda } }\n" +
      "model b extends a { target onnx { opset 18 } }\n";
    expect(checkSource(source, { model: "b" }).spec?.target).toEqual({ opset: 18, devices: ["cuda"], precision: "fp32" });
  });

  test("a parent that is only extended need not be complete", () => {
    const source =
      "model base { kind decoder width 32 layers 2 heads 4 ffn 4 * width swiglu }\n" +
      "model small extends base { vocab 100 context 16 }\n";
    const checked = checkSource(source, { model: "small" });
    expect(checked.brief).toEqual([]);
    expect(checked.spec?.ffn).toEqual({ size: 128, activation: "swiglu" });
    // ... unless it is the model asked for.
    expect(checkSource(source, { model: "base" }).brief).toEqual(["E0301 1:7 model `base` is missing `vocab` and `context`"]);
  });

  test("an unknown parent, with a suggestion", () => {
    const source = `${GPT2}model gpt2_long extends gpt2_smal {\n  context 8192\n}\n`;
    const checked = checkSource(source, { model: "gpt2_long" });
    expect(checked.brief).toEqual(["E0202 6:25 unknown model `gpt2_smal`"]);
    expect(checked.diagnostics[0].help).toBe("did you mean `gpt2_small`?");
  });

  test("cycles are reported once", () => {
    const source = "model a extends c { kind decoder }\nmodel b extends a { }\nmodel c extends b { }\nmodel d extends d { }\n";
    const checked = checkSource(source, { model: "a" });
    expect(checked.brief).toEqual([
      "E0212 1:17 model `a` extends itself: a → c → b → a",
      "E0212 4:17 model `d` extends itself: d → d",
    ]);
  });

  test("a problem that depends on the child is reported in the parent's field, naming the child", () => {
    const source =
      "model base { kind decoder vocab 10 context 8 width 64 layers 1 heads 4 ffn width / 3 }\n" +
      "model odd extends base { width 96 }\n" +
      "model bad extends base { width 80 }\n";
    const checked = checkSource(source, { model: "odd" });
    expect(checked.brief).toEqual(["E0210 1:76 the `ffn` size must be a whole number, but `width / 3` is 21.333333333333332"].concat(
      ["E0210 1:76 the `ffn` size must be a whole number, but `width / 3` is 26.666666666666668"],
    ));
    expect(checked.diagnostics[0].labels).toEqual([]);
    expect(checked.diagnostics[1].labels?.at(-1)?.message).toBe("while checking `bad`");
  });
});
