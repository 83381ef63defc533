import type { GraphBuilder } from "../compiler/ir/builder.js";
import type { Parameter } from "../compiler/ir/graph.js";
import type { Pass, PassResult } from "../compiler/ir/pass.js";
import { rewriteNodes } from "./quantize-rewrite.js";
import { addQuantizedWeight, quantizedLookup, type QuantizedWeight, type WeightFormat } from "./quantize-weights.js";

export type QuantizeEmbeddingsOptions =
  | { readonly bits: 8; readonly perRow: boolean; readonly symmetric: boolean }
  | { readonly bits: 4; readonly blockSize: 32 | 64 | 128; readonly symmetric: boolean };

/**
 * Quantizes embedding tables (tokens, token types, learned positions): only the rows looked up are
 * dequantized at run time. 8 bits per row (or per table); 4 bits block-wise along the width. A
 * position table is read by slicing, which has no 4-bit form here: it takes 8 bits per row. A token
 * table tied to the LM head is quantized once by rows, and the head reads it too: weight-only int8
 * (dequantized, then Gemm) or MatMulNBits for 4 bits.
 */
export const quantizeEmbeddings: Pass<QuantizeEmbeddingsOptions> = {
  name: "quantize-embeddings",
  summary: "int8 per-row or int4 block-wise embedding tables",
  run(graph, options): PassResult {
    const params = new Map(graph.params.map((p) => [p.value, p]));
    const readers = new Map<Parameter, string[]>();
    for (const node of graph.nodes) for (const v of node.inputs) {
      const p = params.get(v);
      if (p) readers.set(p, [...(readers.get(p) ?? []), node.op === "linear" && node.attrs.transposed === true && node.inputs[1] === v ? "head" : node.op]);
    }
    const notes: string[] = [];
    const eligible = (p: Parameter | undefined): p is Parameter => {
      if (!p || p.value.type.dtype !== "float32" || p.value.type.shape.length !== 2) return false;
      const foreign = (readers.get(p) ?? []).filter((op) => op !== "embedding" && op !== "leading_rows" && op !== "head");
      if (foreign.length > 0) {
        notes.push(`${p.name}: left fp32 (also read by ${[...new Set(foreign)].join(", ")})`);
        return false;
      }
      return true;
    };
    const rowsFormat = (p: Parameter): WeightFormat => {
      const width = p.value.type.shape[1] as number;
      const lookupOnly = (readers.get(p) ?? []).every((op) => op === "embedding" || op === "head");
      if (options.bits === 4 && lookupOnly && width % options.blockSize === 0) return { bits: 4, blockSize: options.blockSize, symmetric: options.symmetric };
      if (options.bits === 4) notes.push(`${p.name}: 8 bits per row (${lookupOnly ? `width ${width} is not a multiple of block ${options.blockSize}` : "positions are read by slicing"})`);
      return { bits: 8, perChannel: options.bits === 4 || options.perRow, symmetric: options.symmetric };
    };
    const quantized = new Map<Parameter, QuantizedWeight>();
    const tableFor = (b: GraphBuilder, p: Parameter) => {
      let q = quantized.get(p);
      if (!q) quantized.set(p, (q = addQuantizedWeight(b, p, rowsFormat(p), 0)));
      return q;
    };
    const checked = new Map<Parameter, boolean>();
    const ok = (p: Parameter | undefined): p is Parameter => {
      if (!p) return false;
      if (!checked.has(p)) checked.set(p, eligible(p));
      return checked.get(p)!;
    };
    let heads = 0;
    const result = rewriteNodes(graph, (node, inputs, b) => {
      if (node.op === "embedding" && ok(params.get(node.inputs[0]))) {
        return [quantizedLookup(b, tableFor(b, params.get(node.inputs[0])!), inputs[1])];
      }
      if (node.op === "leading_rows" && ok(params.get(node.inputs[0]))) {
        const q = tableFor(b, params.get(node.inputs[0])!);
        const perRow = q.format.bits === 8 && q.format.perChannel;
        return [b.op("quantized_leading_rows", [q.values, inputs[1], q.scale, q.zeroPoint], { perRow })];
      }
      const head = node.op === "linear" && node.attrs.transposed === true ? params.get(node.inputs[1]) : undefined;
      if (head && (readers.get(head) ?? []).includes("embedding") && ok(head)) {
        heads++;
        const q = tableFor(b, head);
        const y =
          q.format.bits === 4
            ? b.op("matmul_nbits", [inputs[0], q.values, q.scale, q.zeroPoint], { k: q.k, n: q.n, blockSize: q.format.blockSize, accuracyLevel: 4 })
            : b.op("dequantized_linear", [inputs[0], q.values, q.scale, q.zeroPoint], { transposed: true, perChannel: q.format.perChannel });
        return [inputs[2] ? b.op("add", [y, inputs[2]]) : y];
      }
      return undefined;
    });
    if (heads > 0) notes.push("the LM head reads its tied table quantized (write `quantize matmul` first to give it the matmul scheme)");
    if (quantized.size === 0) notes.push("no float32 embedding table to quantize");
    return { graph: result, changed: quantized.size > 0, lossy: true, notes, statistics: { tablesQuantized: quantized.size, tiedHeadsQuantized: heads } };
  },
};
