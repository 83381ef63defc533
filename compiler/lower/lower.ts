import type { ModelSpec } from "../spec.js";
import type { LayerLayout } from "../attention/layout.js";
import { GraphBuilder } from "../ir/builder.js";
import { blockLayoutAttrs } from "../ir/ops/block-layout.js";
import { IrError, type Graph, type Value } from "../ir/graph.js";
import { computed, fill, normal, type Initializer } from "../ir/initializer.js";
import { checkpointSource } from "../weights/source.js";
import { rotaryTable, sinusoidalTable } from "./tables.js";

/** normal(0, 0.02): the initialization BERT and GPT-2 use for matrices and embeddings. */
const INIT_STD = 0.02;

/**
 * Lowers a checked spec to the IR graph described in docs/model-conventions.md. Parameters are
 * lazy (seeded initializers), so this allocates nothing proportional to the model's size.
 */
export function lowerModel(spec: ModelSpec): Graph {
  const b = new GraphBuilder(spec.name, {
    model: spec.name,
    kind: spec.kind,
    dimBounds: { seq: spec.context },
    context: spec.context,
    vocab: spec.vocab,
    tokenTypes: spec.tokenTypes,
    ...(spec.weights.kind === "random" ? { seed: spec.weights.seed } : { weights: spec.weights.layout }),
  });
  const seed = spec.weights.kind === "random" ? spec.weights.seed : 0;
  // A checkpoint supplies every matrix and vector; random weights follow docs/model-conventions.md.
  const fromCheckpoint = checkpointSource(spec);
  const init = (name: string, random: Initializer) => fromCheckpoint?.(name) ?? random;
  const matrix = (name: string, rows: number, cols: number) => b.param(name, "float32", [rows, cols], init(name, normal(seed, name, INIT_STD)));
  const vector = (name: string, size: number, value: number) => b.param(name, "float32", [size], init(name, fill(value)));
  const linear = (x: Value, name: string, input: number, output: number, withBias: boolean) =>
    b.op("linear", [x, matrix(`${name}.weight`, input, output), withBias ? vector(`${name}.bias`, output, 0) : undefined], {
      transposed: false,
    });
  const norm = (x: Value, name: string) => {
    const scale = vector(`${name}.weight`, spec.width, 1);
    const { kind, eps } = spec.norm;
    return kind === "layernorm"
      ? b.op("layer_norm", [x, scale, vector(`${name}.bias`, spec.width, 0)], { eps })
      : b.op("rms_norm", [x, scale], { eps });
  };

  const inputIds = b.input("input_ids", "int64", ["batch", "seq"]);
  const tokenTypeIds = spec.tokenTypes > 0 ? b.input("token_type_ids", "int64", ["batch", "seq"]) : undefined;

  let h = b.withScope("embed", () => {
    const tokens = matrix("embed.tokens", spec.vocab, spec.width);
    let x = b.op("embedding", [tokens, inputIds]);
    if (spec.position.kind === "learned" || spec.position.kind === "sinusoidal") {
      const table =
        spec.position.kind === "learned"
          ? matrix("embed.positions", spec.context, spec.width)
          : b.param(
              "embed.positions",
              "float32",
              [spec.context, spec.width],
              computed(`sinusoidal(${spec.context}, ${spec.width})`, () => sinusoidalTable(spec.context, spec.width)),
              { trainable: false },
            );
      x = b.op("add", [x, b.op("leading_rows", [table, inputIds])]);
    }
    if (tokenTypeIds) x = b.op("add", [x, b.op("embedding", [matrix("embed.token_types", spec.tokenTypes, spec.width), tokenTypeIds])]);
    if (spec.norm.placement === "post") x = norm(x, "embed.norm");
    return x;
  });

  const rope =
    spec.position.kind === "rotary"
      ? (() => {
          const { theta } = spec.position;
          const table = (name: string, fn: (x: number) => number) =>
            b.param(
              name,
              "float32",
              [spec.context, spec.headDim],
              computed(`rotary_${name.slice(5)}(${spec.context}, ${spec.headDim}, theta ${theta})`, () =>
                rotaryTable(spec.context, spec.headDim, theta, fn),
              ),
              { trainable: false },
            );
          return { cos: table("rope.cos", Math.cos), sin: table("rope.sin", Math.sin) };
        })()
      : undefined;

  const attention = (x: Value, layer: number) =>
    b.withScope(`layers.${layer}.attn`, () => {
      const prefix = `layers.${layer}.attn`;
      const qWidth = spec.heads * spec.headDim;
      const kvWidth = spec.kvHeads * spec.headDim;
      let q = linear(x, `${prefix}.q`, spec.width, qWidth, spec.bias);
      let k = linear(x, `${prefix}.k`, spec.width, kvWidth, spec.bias);
      const v = linear(x, `${prefix}.v`, spec.width, kvWidth, spec.bias);
      if (rope) {
        q = b.op("rotary", [q, rope.cos, rope.sin], { heads: spec.heads, headDim: spec.headDim });
        k = b.op("rotary", [k, rope.cos, rope.sin], { heads: spec.kvHeads, headDim: spec.headDim });
      }
      const layout = spec.attention?.layers[layer];
      // A layout rides on the dense op (computed as a −∞ mask); the sparse-attention pass decides
      // where computing only the listed blocks pays.
      const context = b.op("attention", [q, k, v], {
        heads: spec.heads,
        kvHeads: spec.kvHeads,
        headDim: spec.headDim,
        causal: spec.kind === "decoder",
        ...(layout ? blockLayoutAttrs(checkedLayout(spec, layer, layout)) : {}),
      });
      return linear(context, `${prefix}.o`, qWidth, spec.width, spec.bias);
    });

  const feedForward = (x: Value, layer: number) =>
    b.withScope(`layers.${layer}.ffn`, () => {
      const prefix = `layers.${layer}.ffn`;
      const { size, activation } = spec.ffn;
      const up = linear(x, `${prefix}.up`, spec.width, size, spec.bias);
      let hidden: Value;
      if (activation === "swiglu" || activation === "geglu") {
        const gate = linear(x, `${prefix}.gate`, spec.width, size, spec.bias);
        const gated = activation === "swiglu" ? b.op("silu", [gate]) : b.op("gelu", [gate], { approximate: "none" });
        hidden = b.op("mul", [gated, up]);
      } else if (activation === "gelu" || activation === "gelu_tanh") {
        hidden = b.op("gelu", [up], { approximate: activation === "gelu" ? "none" : "tanh" });
      } else {
        hidden = b.op(activation, [up]);
      }
      return linear(hidden, `${prefix}.down`, size, spec.width, spec.bias);
    });

  for (let layer = 0; layer < spec.layers; layer++) {
    const attnNorm = `layers.${layer}.attn_norm`;
    const ffnNorm = `layers.${layer}.ffn_norm`;
    if (spec.norm.placement === "pre") {
      h = b.op("add", [h, attention(b.withScope(`layers.${layer}.attn`, () => norm(h, attnNorm)), layer)]);
      h = b.op("add", [h, feedForward(b.withScope(`layers.${layer}.ffn`, () => norm(h, ffnNorm)), layer)]);
    } else {
      const afterAttention = b.op("add", [h, attention(h, layer)]);
      h = b.withScope(`layers.${layer}.attn`, () => norm(afterAttention, attnNorm));
      const afterFfn = b.op("add", [h, feedForward(h, layer)]);
      h = b.withScope(`layers.${layer}.ffn`, () => norm(afterFfn, ffnNorm));
    }
  }
  if (spec.norm.placement === "pre") h = b.withScope("final", () => norm(h, "final_norm"));
  b.output("hidden_states", h);

  b.withScope("head", () => {
    const pooler = () => b.op("tanh", [linear(b.op("take_token", [h], { position: "first" }), "head.pooler", spec.width, spec.width, true)]);
    const output = spec.output;
    switch (output.kind) {
      case "none":
        return;
      case "pooler":
        b.output("pooled", pooler());
        return;
      case "classifier":
        if (spec.kind === "encoder") {
          const pooled = pooler();
          b.output("pooled", pooled);
          b.output("logits", linear(pooled, "head.classifier", spec.width, output.classes, true));
        } else {
          const last = b.op("take_token", [h], { position: "last" });
          b.output("logits", linear(last, "head.classifier", spec.width, output.classes, spec.bias));
        }
        return;
      case "lm": {
        const weight = output.tied ? b.existingParam("embed.tokens")! : matrix("head.lm.weight", spec.width, spec.vocab);
        b.output("logits", b.op("linear", [h, weight], { transposed: output.tied }));
        return;
      }
    }
  });
  return b.build();
}

/** A checked spec's layouts fit its model; this guards lowering against a checker bug, naming the layer. */
function checkedLayout(spec: ModelSpec, layer: number, layout: LayerLayout): LayerLayout {
  const problem =
    layout.blocks * layout.blockSize !== spec.context
      ? `covers ${layout.blocks * layout.blockSize} positions, not the context ${spec.context}`
      : layout.heads.length !== spec.heads
        ? `has ${layout.heads.length} heads, the model ${spec.heads}`
        : layout.causal !== (spec.kind === "decoder")
          ? `is ${layout.causal ? "causal" : "not causal"} in ${spec.kind === "decoder" ? "a decoder" : "an encoder"}`
          : undefined;
  if (problem) throw new IrError(`internal: the attention layout of layer ${layer} ${problem}`);
  return layout;
}
