import { test } from "vitest";
import { tfxParser } from "./parser.js";
import { lex } from "./lexer.js";
import { LineIndex } from "./source-text.js";
test("scratch", () => {
const src = `model gpt2_long extends gpt2_small {
  context 8192
  ffn 4 * width gelu kind encoder
  attention {
    layers 0..5  : window 256 + global [0]
    layers 6..11 heads 0..5 : strided 128, heads 6..11 : window 128
    default : bigbird(block block, window 3, global 2, random 3, seed 7)
  }
  optimize { quantize matmul int8 dynamic per_channel prune heads 20% by l2 }
  target onnx { opset 17  device cuda, cpu }
}`;
const t0 = performance.now();
const lx = lex(new LineIndex(src, "x"));
tfxParser.input = lx.tokens;
const cst = tfxParser.modelDecl();
console.log(performance.now() - t0, tfxParser.errors, lx.diagnostics);
console.log(JSON.stringify(cst, (k, v) => (k === "tokenType" || k==="location" ? undefined : v)).slice(0, 1500));
});
