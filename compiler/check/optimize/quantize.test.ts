import { describe, expect, test } from "vitest";
import { checkSource, textAt } from "../testing.js";

const BASE = "kind decoder vocab 100 context 64 width 64 layers 2 heads 4";
const model = (directives: string) => `model m {\n  ${BASE}\n  optimize {\n    ${directives}\n  }\n}\n`;

describe("quantize directives", () => {
  test("each form reads into its directive, defaults filled in, in the order written", () => {
    const checked = checkSource(
      model("quantize matmul int8 dynamic\n    quantize matmul int8 weight_only per_tensor asymmetric\n    quantize matmul int4 block 64 asymmetric accuracy fp32\n    quantize embeddings int8 per_tensor\n    quantize embeddings int4 block 32\n    quantize fp16"),
    );
    expect(checked.brief).toEqual([]);
    const found = checked.spec?.optimize?.map(({ span: _span, ...rest }) => rest);
    expect(found).toEqual([
      { kind: "quantize", target: "matmul", bits: 8, mode: "dynamic", perChannel: true, symmetric: true },
      { kind: "quantize", target: "matmul", bits: 8, mode: "weight_only", perChannel: false, symmetric: false },
      { kind: "quantize", target: "matmul", bits: 4, blockSize: 64, symmetric: false, accuracyLevel: 0 },
      { kind: "quantize", target: "embeddings", bits: 8, perRow: false, symmetric: true },
      { kind: "quantize", target: "embeddings", bits: 4, blockSize: 32, symmetric: true },
      { kind: "quantize", target: "fp16" },
    ]);
  });

  test("mistakes point at the word, suggest a fix, and say what fits", () => {
    const cases: [string, string, string, RegExp][] = [
      ["quantize matmul int8 dynamc", "E0204", "dynamc", /did you mean `dynamic`/],
      ["quantize matmul int3", "E0204", "int3", /did you mean `int8`|`int8` or `int4`/],
      ["quantize matmul int4 block 48", "E0205", "48", /32, 64 or 128/],
      ["quantize matmul int4", "", "", /block/],
      ["quantize fp16 now", "", "now", /quantize fp16/],
    ];
    for (const [text, code, at, help] of cases) {
      const source = model(text);
      const checked = checkSource(source);
      expect(checked.diagnostics.length, text).toBe(1);
      const d = checked.diagnostics[0];
      if (code) expect(d.code, text).toBe(code);
      if (at) expect(textAt(source, d), text).toBe(at);
      expect(`${d.message} ${d.help ?? ""}`, text).toMatch(help);
    }
  });
});
