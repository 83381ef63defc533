import { IrError, type Graph } from "../compiler/ir/graph.js";
import { computed } from "../compiler/ir/initializer.js";
import type { Pass, PassContext, PassResult } from "../compiler/ir/pass.js";
import { editGraph } from "./edit-graph.js";
import { floats } from "./weight-slices.js";

/**
 * Ties the LM head to the token embedding: the head reads `embed.tokens` transposed (one tensor in
 * the ONNX file instead of two). The untied weights were not trained tied, so the shared table is
 * their mean, embed.tokens and head.lm.weightᵀ (lossy; the deviation is measured).
 */
export const shareEmbeddingsTied: Pass<Record<string, never>> = {
  name: "share-embeddings-tied",
  summary: "tie the LM head's weight to the token embedding, stored once",
  run(graph: Graph, _options: Record<string, never>, _context: PassContext): PassResult {
    const tokens = graph.params.find((p) => p.name === "embed.tokens");
    const head = graph.params.find((p) => p.name === "head.lm.weight");
    if (!tokens || !head) return { graph, changed: false, notes: ["no untied LM head (`head.lm.weight`) to tie"] };
    const [vocab, width] = tokens.value.type.shape as number[];
    if (head.value.type.shape[0] !== width || head.value.type.shape[1] !== vocab) {
      throw new IrError(`share-embeddings-tied: head.lm.weight is [${head.value.type.shape.join(", ")}], expected [${width}, ${vocab}]`);
    }
    const headNode = graph.nodes.find((n) => n.op === "linear" && n.inputs[1] === head.value);
    if (!headNode) throw new IrError("share-embeddings-tied: no linear reads head.lm.weight");
    const init = computed("mean(embed.tokens, head.lm.weightᵀ)", () => {
      const table = floats(tokens);
      const lm = floats(head);
      const out = new Float32Array(table.length);
      for (let v = 0; v < vocab; v++) for (let w = 0; w < width; w++) out[v * width + w] = (table[v * width + w] + lm[w * vocab + v]) / 2;
      return out;
    });
    const graphOut = editGraph(graph, {
      params: new Map([["embed.tokens", { shape: [vocab, width], init }]]),
      rewrite: (node, inputs, { emit, param }) =>
        node === headNode ? [emit("linear", [inputs[0], param("embed.tokens"), ...inputs.slice(2)], { transposed: true })] : undefined,
    });
    return { graph: graphOut, changed: true, lossy: true, notes: ["LM head reads embed.tokens transposed; the table is the mean of both"], statistics: { tensorsMerged: 1 } };
  },
};
