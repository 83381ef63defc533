import { printString } from "../../grammar/format.js";
import { Codes, type Diagnostic } from "../../grammar/diagnostics.js";
import { didYouMean } from "../../grammar/suggest.js";
import type { Activation, HfLayout, ModelSpec, OutputSpec } from "../spec.js";
import { ConfigReader } from "./hf-config-reader.js";

/**
 * `tfc import config.json`: the .tfx of a Hugging Face config (model_type bert, gpt2 or llama).
 * Each field of the config becomes the spec field that computes the same thing; a value tfc cannot
 * express is an error at its key, never silently dropped.
 */

export interface ImportOptions {
  /** The model's name in the spec (an identifier). */
  readonly name: string;
  /** The checkpoint as the spec should name it (relative to the .tfx); without it, random weights. */
  readonly weights?: string;
}

/** A config read into the spec fields it sets (the rest of the spec keeps its defaults). */
export interface ImportedModel extends Pick<ModelSpec, "kind" | "vocab" | "context" | "width" | "layers" | "heads" | "kvHeads" | "headDim" | "ffn" | "norm"> {
  readonly layout: HfLayout;
  /** The Hugging Face classes, for the header comment. */
  readonly architecture: string;
  readonly position: "learned" | { readonly theta: number };
  readonly bias: boolean;
  readonly tokenTypes: number;
  readonly output: OutputSpec;
}

export type ImportResult =
  | { readonly ok: true; readonly tfx: string; readonly model: ImportedModel; readonly defaulted: readonly string[] }
  | { readonly ok: false; readonly diagnostics: readonly Diagnostic[] };

export const MODEL_TYPES = ["bert", "gpt2", "llama"] as const;

export function importHfConfig(text: string, file: string, options: ImportOptions): ImportResult {
  const config = new ConfigReader(text, file);
  if (!config.ok) return { ok: false, diagnostics: config.diagnostics };
  const modelType = config.raw("model_type");
  let model: ImportedModel | undefined;
  if (modelType === "bert") model = readBert(config);
  else if (modelType === "gpt2") model = readGpt2(config);
  else if (modelType === "llama") model = readLlama(config);
  else if (typeof modelType === "string") {
    const suggestion = didYouMean(modelType, MODEL_TYPES);
    config.unsupported(
      "model_type",
      `model_type ${JSON.stringify(modelType)} is not supported`,
      suggestion ? `did you mean "${suggestion}"?` : `tfc imports ${MODEL_TYPES.map((t) => `"${t}"`).join(", ")} configs`,
    );
  } else {
    config.fail(
      Codes.MissingField,
      config.has("model_type") ? "model_type" : undefined,
      "the config has no string `model_type`",
      `Hugging Face configs name their architecture in "model_type": ${MODEL_TYPES.map((t) => `"${t}"`).join(", ")}`,
    );
  }
  if (!model || config.diagnostics.length > 0) return { ok: false, diagnostics: config.diagnostics };
  return { ok: true, tfx: printSpec(model, options, file, config.defaulted), model, defaulted: config.defaulted };
}

/** Hugging Face activation names → tfc's ungated activations (ACT2FN's names). */
const PLAIN_ACTIVATIONS: Readonly<Record<string, Activation>> = {
  gelu: "gelu",
  gelu_new: "gelu_tanh",
  gelu_pytorch_tanh: "gelu_tanh",
  relu: "relu",
  silu: "silu",
  swish: "silu",
};

/** LLaMA's MLP is `down(act(gate(x)) * up(x))`: the gated form of the activation. */
const GATED_ACTIVATIONS: Readonly<Record<string, Activation>> = {
  silu: "swiglu",
  swish: "swiglu",
  gelu: "geglu",
};

function readBert(config: ConfigReader): ImportedModel | undefined {
  const width = config.integer("hidden_size", 768);
  const heads = config.integer("num_attention_heads", 12);
  const positions = config.string("position_embedding_type", "absolute");
  if (positions !== undefined && positions !== "absolute") {
    config.unsupported("position_embedding_type", `position_embedding_type ${JSON.stringify(positions)} is not supported`, 'tfc imports BERT with "absolute" (learned) positions');
  }
  for (const key of ["is_decoder", "add_cross_attention"]) {
    if (config.raw(key) === true) config.unsupported(key, `\`${key}\` is not supported`, "tfc imports BERT as a bidirectional encoder without cross-attention");
  }
  const architectures = architecturesOf(config);
  const classifier = architectures.includes("BertForSequenceClassification");
  const classes = classifier ? classCount(config) : undefined;
  const fields = {
    vocab: config.integer("vocab_size", 30522),
    context: config.integer("max_position_embeddings", 512),
    layers: config.integer("num_hidden_layers", 12),
    ffnSize: config.integer("intermediate_size", 3072),
    activation: config.choice("hidden_act", "gelu", PLAIN_ACTIVATIONS, "hidden_act"),
    eps: config.positive("layer_norm_eps", 1e-12),
    tokenTypes: config.integer("type_vocab_size", 2),
  };
  if (width === undefined || heads === undefined || !allDefined(fields) || (classifier && classes === undefined)) return undefined;
  if (!dividesWidth(config, width, heads, "hidden_size", "num_attention_heads")) return undefined;
  return {
    layout: "hf-bert",
    architecture: classifier ? "BertForSequenceClassification" : "BertModel",
    kind: "encoder",
    vocab: fields.vocab,
    context: fields.context,
    width,
    layers: fields.layers,
    heads,
    kvHeads: heads,
    headDim: width / heads,
    ffn: { size: fields.ffnSize, activation: fields.activation },
    norm: { kind: "layernorm", placement: "post", eps: fields.eps },
    position: "learned",
    bias: true,
    tokenTypes: fields.tokenTypes,
    output: classes !== undefined ? { kind: "classifier", classes } : { kind: "pooler" },
  };
}

function readGpt2(config: ConfigReader): ImportedModel | undefined {
  const width = config.integer("n_embd", 768);
  const heads = config.integer("n_head", 12);
  if (config.raw("scale_attn_weights") === false) {
    config.unsupported("scale_attn_weights", "`scale_attn_weights: false` is not supported", "tfc scales attention scores by 1/sqrt(head_dim), as GPT-2 does by default");
  }
  if (config.raw("scale_attn_by_inverse_layer_idx") === true) {
    config.unsupported("scale_attn_by_inverse_layer_idx", "`scale_attn_by_inverse_layer_idx` is not supported", "tfc scales every layer's scores by 1/sqrt(head_dim) only");
  }
  const fields = {
    vocab: config.integer("vocab_size", 50257),
    context: config.integer("n_positions", () => (config.has("n_ctx") ? config.integer("n_ctx") : 1024)),
    layers: config.integer("n_layer", 12),
    activation: config.choice("activation_function", "gelu_new", PLAIN_ACTIVATIONS, "activation_function"),
    eps: config.positive("layer_norm_epsilon", 1e-5),
    tied: config.boolean("tie_word_embeddings", true),
  };
  const ffnSize = config.integer("n_inner", () => (width === undefined ? undefined : 4 * width));
  if (width === undefined || heads === undefined || ffnSize === undefined || !allDefined(fields)) return undefined;
  if (!dividesWidth(config, width, heads, "n_embd", "n_head")) return undefined;
  const base = architecturesOf(config).includes("GPT2Model") && !architecturesOf(config).includes("GPT2LMHeadModel");
  return {
    layout: "hf-gpt2",
    architecture: base ? "GPT2Model" : "GPT2LMHeadModel",
    kind: "decoder",
    vocab: fields.vocab,
    context: fields.context,
    width,
    layers: fields.layers,
    heads,
    kvHeads: heads,
    headDim: width / heads,
    ffn: { size: ffnSize, activation: fields.activation },
    norm: { kind: "layernorm", placement: "pre", eps: fields.eps },
    position: "learned",
    bias: true,
    tokenTypes: 0,
    output: base ? { kind: "none" } : { kind: "lm", tied: fields.tied },
  };
}

function readLlama(config: ConfigReader): ImportedModel | undefined {
  const width = config.integer("hidden_size", 4096);
  const heads = config.integer("num_attention_heads", 32);
  const kvHeads = config.integer("num_key_value_heads", () => heads);
  const headDim = config.integer("head_dim", () => (width !== undefined && heads !== undefined && width % heads === 0 ? width / heads : undefined));
  const scaling = config.raw("rope_scaling");
  if (scaling !== undefined && scaling !== null) {
    config.unsupported("rope_scaling", "`rope_scaling` is not supported", "tfc's rotary embedding is the unscaled one (`rope_scaling: null`); scaled variants (linear, dynamic, llama3, yarn) are not implemented");
  }
  const attentionBias = config.boolean("attention_bias", false);
  const mlpBias = config.boolean("mlp_bias", () => attentionBias ?? false);
  if (attentionBias !== undefined && mlpBias !== undefined && attentionBias !== mlpBias) {
    config.unsupported("mlp_bias", "`attention_bias` and `mlp_bias` differ", "tfc's `bias` applies to every linear layer; it imports configs where both are true or both false");
  }
  const fields = {
    vocab: config.integer("vocab_size", 32000),
    context: config.integer("max_position_embeddings", 2048),
    layers: config.integer("num_hidden_layers", 32),
    ffnSize: config.integer("intermediate_size", 11008),
    activation: config.choice("hidden_act", "silu", GATED_ACTIVATIONS, "hidden_act"),
    eps: config.positive("rms_norm_eps", 1e-6),
    theta: config.positive("rope_theta", 10000),
    tied: config.boolean("tie_word_embeddings", false),
  };
  if (width === undefined || heads === undefined || kvHeads === undefined || headDim === undefined || attentionBias === undefined || !allDefined(fields)) {
    return undefined;
  }
  if (heads % kvHeads !== 0) {
    config.fail(Codes.BadValue, "num_key_value_heads", `num_attention_heads (${heads}) is not a multiple of num_key_value_heads (${kvHeads})`, "each key/value head serves a whole group of query heads");
    return undefined;
  }
  const base = architecturesOf(config).includes("LlamaModel") && !architecturesOf(config).includes("LlamaForCausalLM");
  return {
    layout: "hf-llama",
    architecture: base ? "LlamaModel" : "LlamaForCausalLM",
    kind: "decoder",
    vocab: fields.vocab,
    context: fields.context,
    width,
    layers: fields.layers,
    heads,
    kvHeads,
    headDim,
    ffn: { size: fields.ffnSize, activation: fields.activation },
    norm: { kind: "rmsnorm", placement: "pre", eps: fields.eps },
    position: { theta: fields.theta },
    bias: attentionBias,
    tokenTypes: 0,
    output: base ? { kind: "none" } : { kind: "lm", tied: fields.tied },
  };
}

function architecturesOf(config: ConfigReader): string[] {
  const value = config.raw("architectures");
  return Array.isArray(value) ? value.filter((item): item is string => typeof item === "string") : [];
}

/** A sequence classifier's classes: `num_labels`, else the size of `id2label` (Hugging Face's default 2). */
function classCount(config: ConfigReader): number | undefined {
  if (config.has("num_labels")) return config.integer("num_labels", undefined, { min: 2 });
  const labels = config.raw("id2label");
  if (labels !== null && typeof labels === "object" && !Array.isArray(labels)) {
    const count = Object.keys(labels).length;
    if (count >= 2) return count;
  }
  return config.integer("num_labels", 2, { min: 2 });
}

function dividesWidth(config: ConfigReader, width: number, heads: number, widthKey: string, headsKey: string): boolean {
  if (width % heads === 0) return true;
  config.fail(Codes.BadValue, headsKey, `${widthKey} (${width}) is not divisible by ${headsKey} (${heads})`, "each head takes an equal slice of the width");
  return false;
}

function allDefined<T extends Record<string, unknown>>(fields: T): fields is { [K in keyof T]: Exclude<T[K], undefined> } {
  return Object.values(fields).every((value) => value !== undefined);
}

/** The spec text: one field a line, in the order docs/language.md lists them. */
export function printSpec(model: ImportedModel, options: ImportOptions, file: string, defaulted: readonly string[]): string {
  const lines = [
    `// Imported by \`tfc import\` from ${file} (${model.architecture}).`,
    ...(defaulted.length > 0 ? [`// Not set in the config, so the class defaults: ${defaulted.join(", ")}.`] : []),
    `model ${options.name} {`,
    `  kind ${model.kind}`,
    `  vocab ${model.vocab}`,
    `  context ${model.context}`,
    `  width ${model.width}`,
    `  layers ${model.layers}`,
    `  heads ${model.heads}`,
    ...(model.kvHeads !== model.heads ? [`  kv_heads ${model.kvHeads}`] : []),
    ...(model.headDim * model.heads !== model.width ? [`  head_dim ${model.headDim}`] : []),
    `  ffn ${model.ffn.size} ${model.ffn.activation}`,
    `  norm ${model.norm.kind} ${model.norm.placement} eps ${number(model.norm.eps)}`,
    `  position ${model.position === "learned" ? "learned" : `rotary theta ${number(model.position.theta)}`}`,
    `  bias ${model.bias}`,
    ...(model.tokenTypes > 0 ? [`  token_types ${model.tokenTypes}`] : []),
    `  output ${output(model.output)}`,
    options.weights === undefined
      ? `  weights random seed 0  // or: weights "model.safetensors" layout ${model.layout}`
      : `  weights ${printString(options.weights)} layout ${model.layout}`,
    "}",
  ];
  return `${lines.join("\n")}\n`;
}

function output(spec: OutputSpec): string {
  switch (spec.kind) {
    case "lm":
      return spec.tied ? "lm tied" : "lm";
    case "classifier":
      return `classifier ${spec.classes}`;
    case "pooler":
      return "pooler";
    case "none":
      return "none";
  }
}

/** A number as the .tfx lexer reads it back exactly: `1e-12`, `1e-5`, `0.5`, `500000`. */
function number(value: number): string {
  return value !== 0 && Math.abs(value) < 1e-3 ? value.toExponential() : String(value);
}
