import {
  AS_STORED,
  TRANSPOSED,
  layerIndices,
  linear,
  norm,
  requirement,
  tensor,
  type ExpectedTensor,
  type HfLayoutDefinition,
} from "./hf-layout.js";
import type { ModelSpec } from "../spec.js";

/**
 * LlamaModel / LlamaForCausalLM (base under `model.`): pre-RMSNorm, rotary, a gated FFN, no biases
 * unless the config sets attention_bias and mlp_bias. Rotary is applied with Hugging Face's
 * `rotate_half`, which is what Hugging Face checkpoints are stored for (the conversion from Meta's
 * interleaved checkpoints permutes q_proj and k_proj for it), so q and k are read as they are.
 */
export const hfLlama: HfLayoutDefinition = {
  name: "hf-llama",
  classes: "LlamaModel, LlamaForCausalLM",
  basePrefix: "model.",
  architecture: (spec) => [
    ...requirement("kind", spec.kind === "decoder", "kind decoder", `kind ${spec.kind}`),
    ...requirement(
      "norm",
      spec.norm.kind === "rmsnorm" && spec.norm.placement === "pre",
      "norm rmsnorm pre",
      `norm ${spec.norm.kind} ${spec.norm.placement}`,
    ),
    ...requirement("position", spec.position.kind === "rotary", "position rotary", `position ${spec.position.kind}`),
    ...requirement(
      "ffn",
      spec.ffn.activation === "swiglu" || spec.ffn.activation === "geglu",
      "a gated activation (swiglu for hidden_act silu, geglu for gelu)",
      `ffn ${spec.ffn.activation}`,
    ),
    ...requirement("token_types", spec.tokenTypes === 0, "token_types 0", `token_types ${spec.tokenTypes}`),
    ...requirement("output", spec.output.kind === "lm" || spec.output.kind === "none", "output lm [tied] or none", `output ${spec.output.kind}`),
  ],
  tensors: (spec) => {
    const W = spec.width;
    const F = spec.ffn.size;
    const q = spec.heads * spec.headDim;
    const kv = spec.kvHeads * spec.headDim;
    const layers = layerIndices(spec).flatMap((layer): ExpectedTensor[] => {
      const hf = `layers.${layer}`;
      const tfc = `layers.${layer}`;
      return [
        ...norm(`${hf}.input_layernorm`, W, `${tfc}.attn_norm`, false),
        ...linear(`${hf}.self_attn.q_proj`, W, q, `${tfc}.attn.q`, spec.bias),
        ...linear(`${hf}.self_attn.k_proj`, W, kv, `${tfc}.attn.k`, spec.bias),
        ...linear(`${hf}.self_attn.v_proj`, W, kv, `${tfc}.attn.v`, spec.bias),
        ...linear(`${hf}.self_attn.o_proj`, q, W, `${tfc}.attn.o`, spec.bias),
        ...norm(`${hf}.post_attention_layernorm`, W, `${tfc}.ffn_norm`, false),
        ...linear(`${hf}.mlp.gate_proj`, W, F, `${tfc}.ffn.gate`, spec.bias),
        ...linear(`${hf}.mlp.up_proj`, W, F, `${tfc}.ffn.up`, spec.bias),
        ...linear(`${hf}.mlp.down_proj`, F, W, `${tfc}.ffn.down`, spec.bias),
      ];
    });
    return [
      tensor("embed_tokens.weight", [spec.vocab, W], "embed.tokens", AS_STORED),
      ...layers,
      ...norm("norm", W, "final_norm", false),
      ...(untiedLm(spec) ? [tensor("lm_head.weight", [spec.vocab, W], "head.lm.weight", TRANSPOSED, false)] : []),
    ];
  },
  ignored: (spec) => [
    { pattern: /^layers\.\d+\.self_attn\.rotary_emb\.inv_freq$/, reason: "the rotary frequency buffer of older transformers versions; tfc computes its own tables" },
    ...(untiedLm(spec) ? [] : [{ pattern: /^lm_head\.weight$/, reason: "the tied copy of `embed_tokens.weight`, or a head `output none` does not compute" }]),
  ],
};

function untiedLm(spec: ModelSpec): boolean {
  return spec.output.kind === "lm" && !spec.output.tied;
}
