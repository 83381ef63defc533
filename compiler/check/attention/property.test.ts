import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { Codes } from "../../../grammar/diagnostics.js";
import { checkSource } from "../testing.js";

const RUNS = Number(process.env.FUZZ_RUNS ?? 100);

const SELECTORS = ["default", "layers 0..1", "layers odd", "layers even", "heads 0", "layers 1 heads 0..1", "layers [0, 3]", "layers 5", "layers all heads 3"];
const NUMBERS = ["0", "1", "2", "3", "16", "32", "64", "100", "128", "256", "1e9", "-3", "2.5", "context / 4", "block"];
const number = fc.constantFrom(...NUMBERS);
const term = fc.oneof(
  fc.constant("dense"),
  fc.tuple(number, fc.option(number)).map(([w, d]) => `window ${w}${d ? ` dilation ${d}` : ""}`),
  number.map((s) => `strided ${s}`),
  fc.tuple(number, fc.option(number)).map(([s, c]) => `fixed ${s}${c ? ` summary ${c}` : ""}`),
  fc.constantFrom("global [0]", "global [0, 100..103]", "global 1", "global [300]", "global 2"),
  fc.tuple(number, number).map(([r, s]) => `random ${r} seed ${s}`),
  fc.tuple(number, number, number, number).map(([b, w, g, r]) => `bigbird(block ${b}, window ${w}, global ${g}, random ${r})`),
  number.map((w) => `longformer(window ${w}, global [0])`),
  fc.option(number).map((s) => `blocked${s ? ` ${s}` : ""}`),
  fc.constantFrom('layout "l.json"', 'layout "none.json"', "windwo 16", "window 16 global [0]"),
  number.map((b) => `window 64 block ${b}`),
);
const pattern = fc.array(term, { minLength: 1, maxLength: 3 }).map((terms) => terms.join(" + "));
const rule = fc.tuple(fc.constantFrom(...SELECTORS), pattern).map(([selector, p]) => `${selector} : ${p}`);

const LAYOUT = JSON.stringify({
  format: "tfc-attention-layout",
  version: 1,
  blockSize: 64,
  context: 256,
  layers: [0, 1, 2, 3].map((layer) => ({ layer, heads: [0, 1, 2, 3].map((head) => ({ head, keys: [[0], [0, 1], [2], [1, 3]] })) })),
});

describe("property: any attention block", () => {
  test("is checked without an internal error, and a spec that comes out satisfies every rule of the canonical form", () => {
    fc.assert(
      fc.property(fc.array(rule, { minLength: 1, maxLength: 4 }), fc.constantFrom("encoder", "decoder"), (rules, kind) => {
        const source = `let block = 16\nmodel m {\n  kind ${kind} vocab 100 context 256 width 32 layers 4 heads 4\n  attention {\n    ${rules.join("\n    ")}\n  }\n}\n`;
        const checked = checkSource(source, { files: { "l.json": LAYOUT } });
        expect(checked.diagnostics.filter((d) => d.code === Codes.Internal)).toEqual([]);
        if (!checked.spec) {
          expect(checked.brief.length).toBeGreaterThan(0);
          return;
        }
        for (const layer of checked.spec.attention?.layers ?? []) {
          if (!layer) continue;
          expect(layer.blocks * layer.blockSize).toBe(256);
          expect(layer.causal).toBe(kind === "decoder");
          expect(layer.heads).toHaveLength(4);
          expect(layer.patterns).toHaveLength(4);
          for (const head of layer.heads) {
            expect(head.keys).toHaveLength(layer.blocks);
            head.keys.forEach((row, i) => {
              expect(row.length).toBeGreaterThan(0);
              expect(row[0]).toBeLessThanOrEqual(i);
              for (let k = 1; k < row.length; k++) expect(row[k]).toBeGreaterThan(row[k - 1]);
              expect(row[row.length - 1]).toBeLessThan(layer.blocks);
              if (layer.causal) expect(row[row.length - 1]).toBeLessThanOrEqual(i);
            });
          }
        }
      }),
      { numRuns: RUNS },
    );
  });
});
