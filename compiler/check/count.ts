import type { ModelSpec } from "../spec.js";

/** The spec fields that decide the parameter count. */
export type CountableSpec = Pick<
  ModelSpec,
  "kind" | "vocab" | "context" | "width" | "layers" | "heads" | "kvHeads" | "headDim" | "ffn" | "norm" | "position" | "bias" | "tokenTypes" | "output"
>;

export interface ParameterCount {
  /** embedding + layers × perLayer + head. */
  readonly total: number;
  /** One transformer layer: attention, ffn and their norms. */
  readonly perLayer: number;
  /** Token, learned position and token-type tables, and the embedding norm of post-norm models. */
  readonly embedding: number;
  /** Everything after the last layer: the final norm of pre-norm models and the output head. */
  readonly head: number;
}

/**
 * Counts parameters in plain arithmetic, following docs/model-conventions.md: the initializers that
 * hold trainable values. Sinusoidal and rotary tables are constants, and a tied lm head reuses
 * `embed.tokens`, so none of them count. Nothing is allocated, so this is safe on any checked spec.
 */
export function countParameters(spec: CountableSpec): ParameterCount {
  const W = spec.width;
  const D = spec.headDim;
  const H = spec.heads;
  const KV = spec.kvHeads;
  const F = spec.ffn.size;
  const bias = spec.bias;
  // LayerNorm has a weight and a bias; RMSNorm only a weight.
  const norm = spec.norm.kind === "layernorm" ? 2 * W : W;
  const post = spec.norm.placement === "post";

  const embedding =
    spec.vocab * W +
    (spec.position.kind === "learned" ? spec.context * W : 0) +
    spec.tokenTypes * W +
    (post ? norm : 0);

  const attention =
    W * H * D + // q
    2 * W * KV * D + // k, v
    H * D * W + // o
    (bias ? H * D + 2 * KV * D + W : 0);
  const gated = spec.ffn.activation === "swiglu" || spec.ffn.activation === "geglu";
  const ffn =
    (gated ? 2 : 1) * W * F + // up (and gate)
    F * W + // down
    (bias ? (gated ? 2 : 1) * F + W : 0);
  const perLayer = attention + ffn + 2 * norm;

  const finalNorm = post ? 0 : norm;
  const pooler = W * W + W;
  let output = 0;
  switch (spec.output.kind) {
    case "lm":
      output = spec.output.tied ? 0 : W * spec.vocab;
      break;
    case "pooler":
      output = pooler;
      break;
    case "classifier": {
      const classes = spec.output.classes;
      // Encoders classify the pooled first token (pooler and classifier always with bias);
      // decoders classify the last token directly.
      output = spec.kind === "encoder" ? pooler + W * classes + classes : W * classes + (bias ? classes : 0);
      break;
    }
    case "none":
      output = 0;
      break;
  }
  const head = finalNorm + output;

  return { total: embedding + spec.layers * perLayer + head, perLayer, embedding, head };
}
