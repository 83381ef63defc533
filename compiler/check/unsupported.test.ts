import { describe, expect, test } from "vitest";
import { checkSource, textAt } from "./testing.js";

const BASE = "kind decoder vocab 100 context 64 width 32 layers 2 heads 4";

function model(extra: string): string {
  return `model m {\n  ${BASE}\n  ${extra}\n}\n`;
}

describe("not supported yet (E0501), at the exact span", () => {
  test("attention blocks are checked, not rejected (compiler/check/attention)", () => {
    const source = model(
      "attention {\n    layers 0..0 : window 16 + global [0]\n    layers 1..1 heads 0..1 : strided 8, heads 2..3 : window 8\n  }",
    );
    const checked = checkSource(source);
    expect(checked.brief).toEqual([]);
    expect(checked.spec?.attention?.layers).toHaveLength(2);
  });

  test("recompute, and a suggestion for an unknown one (share, prune and quantize, static included, are checked)", () => {
    const source = model("optimize {\n    share layers groups of 2\n    prune weights 20% magnitude\n    quantize matmul int8 static minmax\n    recompute every 2 layers\n    prnue ffn 30% by l2\n  }");
    const checked = checkSource(source);
    expect(checked.brief).toEqual(["E0501 7:5 `recompute` is not supported yet", "E0204 8:5 unknown optimization `prnue`"]);
    expect(textAt(source, checked.diagnostics[0])).toBe("recompute every 2 layers");
    expect(checked.diagnostics[1].help).toBe("did you mean `prune`?");
  });

  test("embedding factor", () => {
    const source = model("embedding factor 16");
    const checked = checkSource(source);
    expect(checked.brief).toEqual(["E0501 3:3 factorized embeddings (`embedding factor`) are not supported yet"]);
    expect(textAt(source, checked.diagnostics[0])).toBe("embedding factor 16");
    expect(checked.diagnostics[0].help).toMatch(/share pass, which is planned/);
  });

  test("position alibi", () => {
    const source = model("position alibi");
    const checked = checkSource(source);
    expect(checked.brief).toEqual(["E0501 3:12 `position alibi` is not supported yet"]);
    expect(textAt(source, checked.diagnostics[0])).toBe("alibi");
    expect(checked.diagnostics[0].help).toBe(
      "supported today: learned, sinusoidal, rotary [theta X] and none; ALiBi attention biases are planned",
    );
  });

  test("weights from a file are read now: a missing file is reported at its string (compiler/check/checkpoint.test.ts)", () => {
    const source = model('weights "gpt2/model.safetensors" layout hf-gpt2');
    const checked = checkSource(source);
    expect(checked.brief).toEqual(['E0601 3:11 cannot read the checkpoint `"gpt2/model.safetensors"`']);
    expect(textAt(source, checked.diagnostics[0])).toBe('"gpt2/model.safetensors"');
  });

  test("target precision other than fp32, and other targets", () => {
    const precision = checkSource(model("target onnx { precision fp16 }"));
    expect(precision.brief).toEqual(["E0501 3:27 precision `fp16` is not supported yet"]);
    expect(precision.diagnostics[0].help).toMatch(/only fp32 is supported today/);
    expect(checkSource(model("target tensorrt { opset 17 }")).brief).toEqual(["E0501 3:10 target `tensorrt` is not supported yet"]);
    expect(checkSource(model("target onxx { opset 17 }")).brief).toEqual(["E0204 3:10 unknown target `onxx`"]);
    expect(checkSource(model("target onnx { threads 4 }")).brief).toEqual(["E0501 3:17 `threads` in a target is not supported yet"]);
  });
});

describe("the onnx target", () => {
  test("opset, devices and precision go into spec.target", () => {
    const checked = checkSource(model("target onnx { opset 19  device cuda, cpu  precision fp32 }"));
    expect(checked.brief).toEqual([]);
    expect(checked.spec?.target).toEqual({ opset: 19, devices: ["cuda", "cpu"], precision: "fp32" });
    expect(checkSource(model("target onnx { device [cuda, cpu] }")).spec?.target.devices).toEqual(["cuda", "cpu"]);
  });

  test("opsets outside 17..21", () => {
    const old = checkSource(model("target onnx { opset 16 }"));
    expect(old.brief).toEqual(["E0205 3:23 opset 16 is not supported"]);
    expect(old.diagnostics[0].help).toBe("tfc emits ONNX opsets 17 to 21; 17 (the default) is the one the ONNX checker of python3-onnx 1.12 validates");
    expect(checkSource(model("target onnx { opset 22 }")).brief).toEqual(["E0205 3:23 opset 22 is not supported"]);
  });

  test("devices: unknown, planned, repeated", () => {
    expect(checkSource(model("target onnx { device cdua }")).brief).toEqual(["E0204 3:24 unknown device `cdua`"]);
    expect(checkSource(model("target onnx { device rocm }")).brief).toEqual(["E0501 3:24 device `rocm` is not supported yet"]);
    expect(checkSource(model("target onnx { device cpu, cpu }")).brief).toEqual(["E0205 3:29 `cpu` is listed twice in `device`"]);
  });

  test("unknown and duplicate target fields", () => {
    const unknown = checkSource(model("target onnx { opsett 17 }"));
    expect(unknown.brief).toEqual(["E0201 3:17 unknown target field `opsett`"]);
    expect(unknown.diagnostics[0].help).toBe("did you mean `opset`?");
    expect(checkSource(model("target onnx { opset 18 opset 17 }")).brief).toEqual(["E0208 3:26 `opset` is set twice in `m`"]);
    expect(checkSource(model("target onnx { opset 18 }\n  target onnx { opset 17 }")).brief).toEqual([
      "E0208 4:3 `target` is given twice in `m`",
    ]);
  });
});
