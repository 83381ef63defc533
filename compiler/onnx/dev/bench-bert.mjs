// Emission cost of a bert-base-sized graph (~110M float32 parameters), run against dist/:
//   npm run build && node compiler/onnx/dev/bench-bert.mjs [rng|emit|write|write1] [directory]
// `rng` only draws the random weights (the floor); `emit` builds the bytes in memory; `write`
// streams to <directory>/bert-bench.onnx with worker threads, `write1` without.
import { tmpdir } from "node:os";
import { join } from "node:path";
import { rm } from "node:fs/promises";
import { GraphBuilder, fill, normal } from "../../../dist/compiler/ir/index.js";
import { fillNormal } from "../../../dist/compiler/ir/random.js";
import { emitOnnx, writeOnnxFile } from "../../../dist/compiler/onnx/index.js";

const mode = process.argv[2] ?? "emit";
const directory = process.argv[3] ?? tmpdir();

function bertBase() {
  const W = 768, F = 3072, L = 12, H = 12;
  const b = new GraphBuilder("bert_base", { model: "bert-base", dimBounds: { seq: 512 } });
  const matrix = (name, rows, cols) => b.param(name, "float32", [rows, cols], normal(1, name, 0.02));
  const vector = (name, size, value) => b.param(name, "float32", [size], fill(value));
  const linear = (x, name, i, o) => b.op("linear", [x, matrix(`${name}.weight`, i, o), vector(`${name}.bias`, o, 0)], { transposed: false });
  const norm = (x, name) => b.op("layer_norm", [x, vector(`${name}.weight`, W, 1), vector(`${name}.bias`, W, 0)], { eps: 1e-12 });
  const ids = b.input("input_ids", "int64", ["batch", "seq"]);
  const types = b.input("token_type_ids", "int64", ["batch", "seq"]);
  let h = b.withScope("embed", () => {
    let x = b.op("embedding", [matrix("embed.tokens", 30522, W), ids]);
    x = b.op("add", [x, b.op("leading_rows", [matrix("embed.positions", 512, W), ids])]);
    x = b.op("add", [x, b.op("embedding", [matrix("embed.token_types", 2, W), types])]);
    return norm(x, "embed.norm");
  });
  for (let l = 0; l < L; l++) {
    h = b.withScope(`layers.${l}.attn`, () => {
      const p = (n) => linear(h, `layers.${l}.attn.${n}`, W, W);
      const a = b.op("attention", [p("q"), p("k"), p("v")], { heads: H, kvHeads: H, headDim: W / H, causal: false });
      return norm(b.op("add", [h, linear(a, `layers.${l}.attn.o`, W, W)]), `layers.${l}.attn_norm`);
    });
    h = b.withScope(`layers.${l}.ffn`, () => {
      const up = b.op("gelu", [linear(h, `layers.${l}.ffn.up`, W, F)], { approximate: "none" });
      return norm(b.op("add", [h, linear(up, `layers.${l}.ffn.down`, F, W)]), `layers.${l}.ffn_norm`);
    });
  }
  b.output("hidden_states", h);
  b.output("pooled", b.withScope("head", () => b.op("tanh", [linear(b.op("take_token", [h], { position: "first" }), "head.pooler", W, W)])));
  return b.build();
}

const graph = bertBase();
const parameters = graph.params.reduce((n, p) => n + p.value.type.shape.reduce((a, d) => a * d, 1), 0);
let peak = 0;
const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage.rss())), 2);
const file = join(directory, "bert-bench.onnx");
const start = performance.now();
let bytes = 0;
if (mode === "rng") {
  for (const p of graph.params) {
    if (p.init.kind !== "normal") continue;
    const out = new Float32Array(p.value.type.shape.reduce((a, d) => a * d, 1));
    fillNormal(out, p.init.seed, p.init.key, p.init.mean, p.init.std);
    bytes += out.byteLength;
  }
} else if (mode === "emit") {
  bytes = emitOnnx(graph).length;
} else {
  await writeOnnxFile(graph, file, { threads: mode === "write1" ? 1 : undefined });
}
const ms = performance.now() - start;
peak = Math.max(peak, process.memoryUsage.rss());
clearInterval(sampler);
if (mode.startsWith("write")) await rm(file, { force: true });
console.log(`${mode}: ${ms.toFixed(0)} ms, peak RSS ${(peak / 2 ** 20).toFixed(0)} MiB, ${(parameters / 1e6).toFixed(1)}M parameters${bytes ? `, ${bytes} bytes` : ""}`);
