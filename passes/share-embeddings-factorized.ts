import { IrError, type Graph } from "../compiler/ir/graph.js";
import { literal } from "../compiler/ir/initializer.js";
import type { Pass, PassContext, PassResult } from "../compiler/ir/pass.js";
import { editGraph } from "./edit-graph.js";
import { lowRank } from "./low-rank.js";
import { floats } from "./weight-slices.js";

export interface FactorizedEmbeddingOptions {
  /** The embedding width E, below the model width. */
  readonly size: number;
}

/**
 * ALBERT's factorized embedding: the token table [vocab, width] becomes [vocab, E] and a projection
 * `embed.project.weight` [E, width]; a tied LM head reads both transposed. Weights that were not
 * trained factorized are replaced by their best rank-E approximation (truncated SVD), which is
 * lossy: the report gives the energy kept and the deviation is measured.
 */
export const shareEmbeddingsFactorized: Pass<FactorizedEmbeddingOptions> = {
  name: "share-embeddings-factorized",
  summary: "factorize the token embedding into [vocab, E] × [E, width]",
  run(graph: Graph, options: FactorizedEmbeddingOptions, _context: PassContext): PassResult {
    const tokens = graph.params.find((p) => p.name === "embed.tokens");
    if (!tokens) return { graph, changed: false, notes: ["no `embed.tokens` to factorize"] };
    const [vocab, width] = tokens.value.type.shape as number[];
    const E = options.size;
    if (!Number.isInteger(E) || E < 1 || E >= width) throw new IrError(`share-embeddings-factorized: size must be an integer in 1..${width - 1}, got ${E}`);
    const factors = lowRank(floats(tokens), vocab, width, E);
    const lookups = graph.nodes.filter((n) => n.op === "embedding" && n.inputs[0] === tokens.value);
    const heads = graph.nodes.filter((n) => n.op === "linear" && n.inputs[1] === tokens.value);
    if (heads.some((n) => n.attrs.transposed !== true)) throw new IrError("share-embeddings-factorized: a linear reads embed.tokens untransposed");
    const edited = editGraph(graph, {
      params: new Map([["embed.tokens", { shape: [vocab, E], init: literal(factors.left) }]]),
      newParams: new Map([["embed.project.weight", { shape: [E, width], init: literal(factors.right) }]]),
      rewrite: (node, inputs, { emit, param }) => {
        if (lookups.includes(node)) return [emit("linear", [emit("embedding", inputs), param("embed.project.weight")], { transposed: false })];
        if (heads.includes(node)) {
          const narrowed = emit("linear", [inputs[0], param("embed.project.weight")], { transposed: true });
          return [emit("linear", [narrowed, inputs[1], ...inputs.slice(2)], { transposed: true })];
        }
        return undefined;
      },
    });
    return {
      graph: edited,
      changed: true,
      lossy: true,
      notes: [
        `embed.tokens [${vocab}, ${width}] → [${vocab}, ${E}] × embed.project.weight [${E}, ${width}]${heads.length > 0 ? "; the tied LM head reads both transposed" : ""}`,
        `rank-${E} approximation keeps ${(factors.energyKept * 100).toFixed(1)}% of the table's energy (random weights spread it evenly)`,
      ],
      statistics: { embeddingWidth: E, energyKept: factors.energyKept },
    };
  },
};
