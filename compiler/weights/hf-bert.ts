import {
  isGated,
  layerIndices,
  linear,
  norm,
  plainHeads,
  requirement,
  tensor,
  type ExpectedTensor,
  type HfLayoutDefinition,
} from "./hf-layout.js";

/**
 * BertModel (and the base of BertFor…, under `bert.`): post-norm, learned positions, token types,
 * every linear an `nn.Linear` (`[out, in]`, transposed to tfc's `[in, out]`).
 */
export const hfBert: HfLayoutDefinition = {
  name: "hf-bert",
  classes: "BertModel, BertForSequenceClassification",
  basePrefix: "bert.",
  architecture: (spec) => [
    ...requirement("kind", spec.kind === "encoder", "kind encoder", `kind ${spec.kind}`),
    ...requirement(
      "norm",
      spec.norm.kind === "layernorm" && spec.norm.placement === "post",
      "norm layernorm post",
      `norm ${spec.norm.kind} ${spec.norm.placement}`,
    ),
    ...requirement("position", spec.position.kind === "learned", "position learned", `position ${spec.position.kind}`),
    ...requirement("bias", spec.bias, "bias true", "bias false"),
    ...requirement("ffn", !isGated(spec), "an ungated activation (BERT's gelu is the erf form, `gelu`)", `ffn ${spec.ffn.activation}`),
    // BertModel adds token type 0's row when no token_type_ids are given, so the table is always there.
    ...requirement("token_types", spec.tokenTypes > 0, "token_types ≥ 1 (the config's type_vocab_size)", "token_types 0"),
    ...requirement("output", spec.output.kind !== "lm", "output pooler, classifier N or none", "output lm"),
    ...plainHeads(spec),
  ],
  tensors: (spec) => {
    const W = spec.width;
    const F = spec.ffn.size;
    const layers = layerIndices(spec).flatMap((layer): ExpectedTensor[] => {
      const hf = `encoder.layer.${layer}`;
      const tfc = `layers.${layer}`;
      return [
        ...linear(`${hf}.attention.self.query`, W, W, `${tfc}.attn.q`, true),
        ...linear(`${hf}.attention.self.key`, W, W, `${tfc}.attn.k`, true),
        ...linear(`${hf}.attention.self.value`, W, W, `${tfc}.attn.v`, true),
        ...linear(`${hf}.attention.output.dense`, W, W, `${tfc}.attn.o`, true),
        ...norm(`${hf}.attention.output.LayerNorm`, W, `${tfc}.attn_norm`, true),
        ...linear(`${hf}.intermediate.dense`, W, F, `${tfc}.ffn.up`, true),
        ...linear(`${hf}.output.dense`, F, W, `${tfc}.ffn.down`, true),
        ...norm(`${hf}.output.LayerNorm`, W, `${tfc}.ffn_norm`, true),
      ];
    });
    const output = spec.output;
    return [
      tensor("embeddings.word_embeddings.weight", [spec.vocab, W], "embed.tokens"),
      tensor("embeddings.position_embeddings.weight", [spec.context, W], "embed.positions"),
      tensor("embeddings.token_type_embeddings.weight", [spec.tokenTypes, W], "embed.token_types"),
      ...norm("embeddings.LayerNorm", W, "embed.norm", true),
      ...layers,
      ...(output.kind === "pooler" || output.kind === "classifier" ? linear("pooler.dense", W, W, "head.pooler", true) : []),
      ...(output.kind === "classifier" ? linear("classifier", W, output.classes, "head.classifier", true, false) : []),
    ];
  },
  ignored: (spec) => [
    { pattern: /^embeddings\.(position_ids|token_type_ids)$/, reason: "index buffers of some transformers versions" },
    // bert-base-uncased and most BERT checkpoints come from BertForPreTraining / BertForMaskedLM.
    { pattern: /^cls\.(predictions|seq_relationship)\./, reason: "the pretraining heads (masked LM, next sentence), which tfc does not build" },
    ...(spec.output.kind === "none" ? [{ pattern: /^pooler\.dense\.(weight|bias)$/, reason: "the pooler, which `output none` does not compute" }] : []),
  ],
};
