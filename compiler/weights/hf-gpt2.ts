import type { ModelSpec } from "../spec.js";
import {
  AS_STORED,
  TRANSPOSED,
  isGated,
  layerIndices,
  norm,
  plainHeads,
  requirement,
  tensor,
  type ExpectedTensor,
  type HfLayoutDefinition,
  type TensorTarget,
} from "./hf-layout.js";

/**
 * GPT2Model / GPT2LMHeadModel. Every matrix is a `Conv1D`, stored `[in, out]` as tfc stores it, so
 * nothing is transposed; `attn.c_attn` fuses q, k and v along its last axis and is split by columns.
 */
export const hfGpt2: HfLayoutDefinition = {
  name: "hf-gpt2",
  classes: "GPT2Model, GPT2LMHeadModel",
  basePrefix: "transformer.",
  architecture: (spec) => [
    ...requirement("kind", spec.kind === "decoder", "kind decoder", `kind ${spec.kind}`),
    ...requirement(
      "norm",
      spec.norm.kind === "layernorm" && spec.norm.placement === "pre",
      "norm layernorm pre",
      `norm ${spec.norm.kind} ${spec.norm.placement}`,
    ),
    ...requirement("position", spec.position.kind === "learned", "position learned", `position ${spec.position.kind}`),
    ...requirement("bias", spec.bias, "bias true", "bias false"),
    ...requirement("ffn", !isGated(spec), "an ungated activation (gelu_tanh is GPT-2's gelu_new)", `ffn ${spec.ffn.activation}`),
    ...requirement("token_types", spec.tokenTypes === 0, "token_types 0", `token_types ${spec.tokenTypes}`),
    ...requirement("output", spec.output.kind === "lm" || spec.output.kind === "none", "output lm tied or none", `output ${spec.output.kind}`),
    ...plainHeads(spec),
  ],
  tensors: (spec) => {
    const W = spec.width;
    const F = spec.ffn.size;
    const fused = (suffix: "weight" | "bias", layer: number): TensorTarget[] =>
      (["q", "k", "v"] as const).map((part, index) => ({
        param: `layers.${layer}.attn.${part}.${suffix}`,
        transforms: [{ kind: "columns", start: index * W, end: (index + 1) * W }],
      }));
    const conv1d = (name: string, input: number, output: number, param: string): ExpectedTensor[] => [
      tensor(`${name}.weight`, [input, output], `${param}.weight`),
      tensor(`${name}.bias`, [output], `${param}.bias`),
    ];
    const layers = layerIndices(spec).flatMap((layer): ExpectedTensor[] => {
      const h = `h.${layer}`;
      const tfc = `layers.${layer}`;
      return [
        ...norm(`${h}.ln_1`, W, `${tfc}.attn_norm`, true),
        { name: `${h}.attn.c_attn.weight`, inBase: true, shape: [W, 3 * W], targets: fused("weight", layer) },
        { name: `${h}.attn.c_attn.bias`, inBase: true, shape: [3 * W], targets: fused("bias", layer) },
        ...conv1d(`${h}.attn.c_proj`, W, W, `${tfc}.attn.o`),
        ...norm(`${h}.ln_2`, W, `${tfc}.ffn_norm`, true),
        ...conv1d(`${h}.mlp.c_fc`, W, F, `${tfc}.ffn.up`),
        ...conv1d(`${h}.mlp.c_proj`, F, W, `${tfc}.ffn.down`),
      ];
    });
    return [
      tensor("wte.weight", [spec.vocab, W], "embed.tokens", AS_STORED),
      tensor("wpe.weight", [spec.context, W], "embed.positions", AS_STORED),
      ...layers,
      ...norm("ln_f", W, "final_norm", true),
      ...(untiedLm(spec) ? [tensor("lm_head.weight", [spec.vocab, W], "head.lm.weight", TRANSPOSED, false)] : []),
    ];
  },
  ignored: (spec) => [
    { pattern: /^h\.\d+\.attn\.(bias|masked_bias)$/, reason: "the causal-mask buffers of older transformers versions; tfc builds its own mask" },
    ...(untiedLm(spec) ? [] : [{ pattern: /^lm_head\.weight$/, reason: "the tied copy of `wte.weight` (GPT-2 ties them), or a head `output none` does not compute" }]),
  ],
};

function untiedLm(spec: ModelSpec): boolean {
  return spec.output.kind === "lm" && !spec.output.tied;
}
