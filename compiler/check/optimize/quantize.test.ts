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

  test("static: range method, layout and calibration samples, seeded by default or from a file", () => {
    const read = (text: string, files?: Record<string, string>) => {
      const checked = checkSource(model(text), { files });
      expect(checked.brief, text).toEqual([]);
      const [{ span: _span, ...rest }] = checked.spec!.optimize!;
      return rest;
    };
    expect(read("quantize matmul int8 static minmax")).toEqual({
      kind: "quantize", target: "matmul", bits: 8, mode: "static", perChannel: true, symmetric: true,
      method: { kind: "minmax" }, calibration: { kind: "seeded", samples: 8, seq: 64, seed: 0 },
    });
    expect(read("quantize matmul int8 static percentile 99.9% per_tensor asymmetric seed 3 samples 4 seq 16")).toMatchObject({
      perChannel: false, symmetric: false, method: { kind: "percentile", percentile: 99.9 }, calibration: { kind: "seeded", samples: 4, seq: 16, seed: 3 },
    });
    expect(read('quantize matmul int8 static minmax calibrate "ids.json"', { "ids.json": "[[1, 2, 3], [4, 5, 99]]" })).toMatchObject({
      calibration: { kind: "file", path: "ids.json", tokens: [[1, 2, 3], [4, 5, 99]] },
    });
    expect(read('quantize matmul int8 static minmax calibrate "ids.json"', { "ids.json": '{"input_ids": [[7]], "attention_mask": [[1]]}' })).toMatchObject({
      calibration: { kind: "file", tokens: [[7]] },
    });
  });

  test("static: a bad calibration clause or file is reported at what names it", () => {
    const files = {
      "ragged.json": "[[1, 2], [3]]",
      "vocab.json": "[[1, 100]]",
      "broken.json": "[[1, 2]",
      "long.json": JSON.stringify([Array.from({ length: 65 }, () => 1)]),
    };
    const cases: [string, string, string, RegExp][] = [
      ['quantize matmul int8 static minmax calibrate "missing.json"', "E0601", '"missing.json"', /cannot read the calibration file/],
      ['quantize matmul int8 static minmax calibrate "ragged.json"', "E0607", '"ragged.json"', /\[1\] has 1 tokens but \[0\] has 2/],
      ['quantize matmul int8 static minmax calibrate "vocab.json"', "E0607", '"vocab.json"', /\[0\]\[1\] is 100: token ids are whole numbers below the vocabulary \(100\)/],
      ['quantize matmul int8 static minmax calibrate "broken.json"', "E0607", '"broken.json"', /not JSON/],
      ['quantize matmul int8 static minmax calibrate "long.json"', "E0607", '"long.json"', /65 tokens, more than the model's context \(64\)/],
      ['quantize matmul int8 static minmax samples 4 calibrate "ragged.json"', "E0313", "calibrate", /do not go together/],
      ["quantize matmul int8 static minmax seq 65", "E0325", "65", /longer than the model's context/],
      ["quantize matmul int8 static minmax samples 64", "E0401", "samples", /4096 tokens; calibration runs at most 2048/],
      ["quantize matmul int8 static percentile 40%", "E0325", "40%", /above 50%/],
      ["quantize matmul int8 static minmx", "E0204", "minmx", /did you mean `minmax`/],
      ["quantize matmul int8 static minmax calibrate samples", "E0206", "samples", /a file of token ids/],
    ];
    for (const [text, code, at, message] of cases) {
      const source = model(text);
      const checked = checkSource(source, { files });
      expect(checked.diagnostics.length, text).toBe(1);
      const d = checked.diagnostics[0];
      expect(d.code, text).toBe(code);
      expect(textAt(source, d), text).toBe(at);
      expect(`${d.message} ${d.help ?? ""}`, text).toMatch(message);
    }
  });
});
