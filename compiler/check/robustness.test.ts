import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { Codes } from "../../grammar/diagnostics.js";
import { checkSource } from "./testing.js";

const WORDS = [
  "model", "extends", "let", "import", "{", "}", "(", ")", "[", "]", ",", ":", "..", "+", "-", "*", "/", "%", "=",
  "kind", "encoder", "decoder", "vocab", "context", "width", "layers", "heads", "kv_heads", "head_dim", "ffn", "gelu",
  "swiglu", "norm", "rmsnorm", "layernorm", "pre", "post", "eps", "position", "rotary", "theta", "alibi", "bias", "true",
  "token_types", "embedding", "factor", "output", "lm", "tied", "classifier", "pooler", "none", "weights", "random",
  "seed", "layout", "attention", "optimize", "target", "onnx", "opset", "device", "cpu", "cuda", "precision", "fp32",
  "threads", "prune", "share", "default", "window", "0", "1", "2", "3", "12", "64", "768", "0.5", "1e-6", "1e400",
  '"x.tfx"', "m", "a", "widht", "gleu",
  // attention blocks
  "attention {", "layers 0..1 :", "heads 0 :", "all", "odd", "even", "dense", "strided", "fixed", "global", "bigbird(", "longformer",
  "blocked", "block", "dilation", "summary", "window 16", "global [0]", '"l.json"', "4096",
];

describe("robustness", () => {
  test("property: any token soup is checked without throwing or an internal error", () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...WORDS), { maxLength: 60 }), fc.boolean(), fc.option(fc.constantFrom("m", "a")), (words, wrap, model) => {
        // Wrapped in a model, the soup reaches the checker's field reader instead of stopping in the parser.
        const text = wrap ? `import "x.tfx"\nmodel m extends a {\n  ${words.join(" ")}\n}\n` : words.join(" ");
        const checked = checkSource(text, { model: model ?? undefined, files: { "x.tfx": "model a { kind decoder }", "l.json": "{}" } });
        expect(checked.diagnostics.filter((d) => d.code === Codes.Internal)).toEqual([]);
        if (checked.spec) expect(checked.diagnostics.filter((d) => d.severity === "error")).toEqual([]);
      }),
      { numRuns: 1000 },
    );
  });

  test("property: a valid model stays valid with its fields in any order", () => {
    const fields = [
      "kind decoder", "vocab 100", "context 16", "width 4 * 8", "layers 2", "heads width / 8", "kv_heads 2",
      "ffn 96 swiglu", "norm post rmsnorm eps 1e-6", "position rotary theta 500", "bias false", "output lm",
    ];
    fc.assert(
      fc.property(fc.shuffledSubarray(fields, { minLength: fields.length, maxLength: fields.length }), (order) => {
        const checked = checkSource(`model m {\n  ${order.join("\n  ")}\n}\n`);
        expect(checked.brief).toEqual([]);
        expect(checked.spec).toMatchObject({ width: 32, heads: 4, kvHeads: 2, headDim: 8, ffn: { size: 96 } });
      }),
      { numRuns: 100 },
    );
  });
});
