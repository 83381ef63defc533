import { Codes, error } from "../../grammar/diagnostics.js";
import { hyphenatedName } from "../../grammar/format.js";
import { HF_LAYOUTS, type HfLayout, type ModelKind, type ModelSpec, type OutputSpec, type PositionSpec, type WeightsSpec } from "../spec.js";
import { listOf, quote } from "./format.js";
import type { LimitName } from "./limits.js";
import type { NumberRule } from "./numbers.js";
import { describe, type FieldGrammar, type ReadField, type Slot } from "./read.js";
import type { Report } from "./report.js";
import { didYouMean } from "./suggest.js";

/**
 * The model fields: one table entry per field, holding how its values are written, what it means,
 * and its default. Everything the checker knows about a single field is here; relations between
 * fields (width divisible by heads, …) are in consistency.ts.
 */

/** The value of each field once checked. */
export interface FieldValues {
  readonly kind: ModelKind;
  readonly vocab: number;
  readonly context: number;
  readonly width: number;
  readonly layers: number;
  readonly heads: number;
  readonly kv_heads: number;
  readonly head_dim: number;
  readonly ffn: ModelSpec["ffn"];
  readonly norm: ModelSpec["norm"];
  readonly position: PositionSpec;
  readonly bias: boolean;
  readonly token_types: number;
  readonly embedding: { readonly kind: "none" };
  readonly output: OutputSpec;
  readonly weights: WeightsSpec;
}

export type FieldName = keyof FieldValues;

/** What a field's `build` and `fallback` may ask of the model they are in. */
export interface BuildEnv {
  /** A number part of `read`, evaluated in this model and checked against `rule`; undefined if it is not valid. */
  number(read: ReadField, key: string, rule: NumberRule): number | undefined;
  /** Another field's value in this model (written, inherited or default); undefined when it has none. */
  field<K extends FieldName>(name: K): FieldValues[K] | undefined;
  readonly report: Report;
}

export interface FieldSchema<K extends FieldName> extends FieldGrammar {
  readonly name: K;
  /** Every model must have it (written or inherited). */
  readonly required: boolean;
  /** Usable by name in expressions (`4 * width`). */
  readonly numeric: boolean;
  /** The default, as the docs write it. */
  readonly defaultText?: string;
  /** The value of a written field. Only called when reading it raised no error. */
  readonly build: (read: ReadField, env: BuildEnv) => FieldValues[K] | undefined;
  /** The value when the field is not written. */
  readonly fallback?: (env: BuildEnv) => FieldValues[K] | undefined;
}

export const DEFAULT_EPS = 1e-5;
export const DEFAULT_ROTARY_THETA = 10_000;

export const ACTIVATIONS = ["relu", "gelu", "gelu_tanh", "silu", "swiglu", "geglu"] as const;

type NumericField = "vocab" | "context" | "width" | "layers" | "heads" | "kv_heads" | "head_dim" | "token_types";

function count<K extends NumericField>(
  name: K,
  options: {
    readonly required?: boolean;
    readonly sign?: NumberRule["sign"];
    readonly limit: LimitName;
    readonly defaultText?: string;
    readonly fallback?: (env: BuildEnv) => number | undefined;
  },
): FieldSchema<K> {
  return {
    name,
    syntax: `${name} N`,
    grammar: { kind: "set", parts: [{ kind: "number", key: "value", what: "a number" }], required: ["value"] },
    required: options.required ?? false,
    numeric: true,
    defaultText: options.defaultText,
    build: (read, env) =>
      env.number(read, "value", { what: quote(name), integer: true, sign: options.sign ?? "positive", limit: options.limit }) as
        | FieldValues[K]
        | undefined,
    fallback: options.fallback as ((env: BuildEnv) => FieldValues[K] | undefined) | undefined,
  };
}

function word(read: ReadField, key: string): string | undefined {
  const slot: Slot | undefined = read.slots.get(key);
  return slot?.kind === "word" ? slot.word : undefined;
}

export const FIELDS: { readonly [K in FieldName]: FieldSchema<K> } = {
  kind: {
    name: "kind",
    syntax: "kind encoder|decoder",
    grammar: {
      kind: "set",
      parts: [{ kind: "word", key: "kind", what: "model kind", words: ["encoder", "decoder"] }],
      required: ["kind"],
    },
    required: true,
    numeric: false,
    build: (read) => word(read, "kind") as ModelKind,
  },
  vocab: count("vocab", { required: true, limit: "vocab" }),
  context: count("context", { required: true, limit: "context" }),
  width: count("width", { required: true, limit: "width" }),
  layers: count("layers", { required: true, limit: "layers" }),
  heads: count("heads", { required: true, limit: "heads" }),
  kv_heads: count("kv_heads", { limit: "heads", defaultText: "heads", fallback: (env) => env.field("heads") }),
  head_dim: count("head_dim", {
    limit: "head_dim",
    defaultText: "width / heads",
    fallback: (env) => {
      const width = env.field("width");
      const heads = env.field("heads");
      // Uneven division is reported by the width/heads check, not here.
      return width !== undefined && heads !== undefined && width % heads === 0 ? width / heads : undefined;
    },
  }),
  ffn: {
    name: "ffn",
    syntax: "ffn SIZE relu|gelu|gelu_tanh|silu|swiglu|geglu",
    grammar: {
      kind: "set",
      parts: [
        { kind: "number", key: "size", what: "a size" },
        { kind: "word", key: "activation", what: "activation", words: ACTIVATIONS },
      ],
    },
    required: false,
    numeric: false,
    defaultText: "4 * width gelu",
    build: (read, env) => {
      const size = read.slots.has("size")
        ? env.number(read, "size", { what: "the `ffn` size", integer: true, sign: "positive", limit: "ffn" })
        : fourTimesWidth(env);
      const activation = (word(read, "activation") ?? "gelu") as FieldValues["ffn"]["activation"];
      return size === undefined ? undefined : { size, activation };
    },
    fallback: (env) => {
      const size = fourTimesWidth(env);
      return size === undefined ? undefined : { size, activation: "gelu" };
    },
  },
  norm: {
    name: "norm",
    syntax: "norm layernorm|rmsnorm pre|post [eps X]",
    grammar: {
      kind: "set",
      parts: [
        { kind: "word", key: "kind", what: "norm kind", words: ["layernorm", "rmsnorm"] },
        { kind: "word", key: "placement", what: "norm placement", words: ["pre", "post"] },
        { kind: "option", key: "eps", keyword: "eps", takes: "number" },
      ],
    },
    required: false,
    numeric: false,
    defaultText: "layernorm pre eps 1e-5",
    build: (read, env) => {
      const eps = read.slots.has("eps")
        ? env.number(read, "eps", { what: "`eps`", integer: false, sign: "positive" })
        : DEFAULT_EPS;
      if (eps === undefined) return undefined;
      return {
        kind: (word(read, "kind") ?? "layernorm") as FieldValues["norm"]["kind"],
        placement: (word(read, "placement") ?? "pre") as FieldValues["norm"]["placement"],
        eps,
      };
    },
    fallback: () => ({ kind: "layernorm", placement: "pre", eps: DEFAULT_EPS }),
  },
  position: {
    name: "position",
    syntax: "position learned|sinusoidal|rotary [theta X]|none",
    grammar: {
      kind: "variants",
      what: "position encoding",
      variants: [
        { head: "learned", parts: [] },
        { head: "sinusoidal", parts: [] },
        { head: "rotary", parts: [{ kind: "option", key: "theta", keyword: "theta", takes: "number" }] },
        {
          head: "alibi",
          parts: [],
          planned: {
            at: "head",
            message: "`position alibi` is not supported yet",
            help: "supported today: learned, sinusoidal, rotary [theta X] and none; ALiBi attention biases are planned",
          },
        },
        { head: "none", parts: [] },
      ],
    },
    required: false,
    numeric: false,
    defaultText: "learned",
    build: (read, env) => {
      switch (read.variant?.head) {
        case "learned":
          return { kind: "learned" };
        case "sinusoidal":
          return { kind: "sinusoidal" };
        case "none":
          return { kind: "none" };
        case "rotary": {
          const theta = read.slots.has("theta")
            ? env.number(read, "theta", { what: "`theta`", integer: false, sign: "positive" })
            : DEFAULT_ROTARY_THETA;
          return theta === undefined ? undefined : { kind: "rotary", theta };
        }
        default:
          return undefined;
      }
    },
    fallback: () => ({ kind: "learned" }),
  },
  bias: {
    name: "bias",
    syntax: "bias true|false",
    grammar: {
      kind: "set",
      parts: [{ kind: "word", key: "bias", what: "bias value", words: ["true", "false"] }],
      required: ["bias"],
    },
    required: false,
    numeric: false,
    defaultText: "true",
    build: (read) => word(read, "bias") === "true",
    fallback: () => true,
  },
  token_types: count("token_types", { sign: "nonNegative", limit: "token_types", defaultText: "0", fallback: () => 0 }),
  embedding: {
    name: "embedding",
    syntax: "embedding factor K",
    grammar: {
      kind: "variants",
      what: "embedding option",
      variants: [
        {
          head: "factor",
          parts: [{ kind: "number", key: "factor", what: "a size" }],
          required: ["factor"],
          planned: {
            at: "field",
            message: "factorized embeddings (`embedding factor`) are not supported yet",
            help: "today the token embedding is `vocab × width`; ALBERT-style factorization needs the share pass, which is planned",
          },
        },
      ],
    },
    required: false,
    numeric: false,
    defaultText: "none",
    build: () => undefined,
    fallback: () => ({ kind: "none" }),
  },
  output: {
    name: "output",
    syntax: "output lm [tied]|classifier N|pooler|none",
    grammar: {
      kind: "variants",
      what: "output head",
      variants: [
        { head: "lm", parts: [{ kind: "flag", key: "tied", keyword: "tied" }] },
        { head: "classifier", parts: [{ kind: "number", key: "classes", what: "the number of classes" }], required: ["classes"] },
        { head: "pooler", parts: [] },
        { head: "none", parts: [] },
      ],
    },
    required: false,
    numeric: false,
    defaultText: "decoder: lm tied; encoder: none",
    build: (read, env) => {
      switch (read.variant?.head) {
        case "lm":
          return { kind: "lm", tied: read.slots.has("tied") };
        case "pooler":
          return { kind: "pooler" };
        case "none":
          return { kind: "none" };
        case "classifier": {
          const rule = { what: "the number of classes", integer: true, sign: "positive", limit: "classes" } as const;
          const classes = env.number(read, "classes", rule);
          if (classes === undefined) return undefined;
          if (classes < 2) {
            const slot = read.slots.get("classes")!;
            env.report(
              error(Codes.BadValue, `\`output classifier\` needs at least 2 classes, got ${classes}`, slot.span, {
                label: "fewer than 2 classes",
                help: "use `classifier 2` for a yes/no decision; a single score has no classes to choose between",
              }),
            );
            return undefined;
          }
          return { kind: "classifier", classes };
        }
        default:
          return undefined;
      }
    },
    fallback: (env) => {
      const kind = env.field("kind");
      if (kind === undefined) return undefined;
      return kind === "decoder" ? { kind: "lm", tied: true } : { kind: "none" };
    },
  },
  weights: {
    name: "weights",
    syntax: `weights random [seed N] | weights "FILE.safetensors" layout ${HF_LAYOUTS.join("|")}`,
    grammar: {
      kind: "variants",
      what: "weights source",
      variants: [
        { head: "random", parts: [{ kind: "option", key: "seed", keyword: "seed", takes: "number" }] },
        { head: "FILE", string: true, parts: [{ kind: "option", key: "layout", keyword: "layout", takes: "value" }], required: ["layout"] },
      ],
    },
    required: false,
    numeric: false,
    defaultText: "random seed 0",
    build: (read, env) => {
      if (read.variant?.head === "FILE") return checkpointWeights(read, env);
      const seed = read.slots.has("seed")
        ? env.number(read, "seed", { what: "`seed`", integer: true, sign: "nonNegative", limit: "seed" })
        : 0;
      return seed === undefined ? undefined : { kind: "random", seed };
    },
    fallback: () => ({ kind: "random", seed: 0 }),
  },
};

/**
 * `weights "FILE" layout hf-…` as written: the path stays as the spec wrote it and the prefix
 * empty until the checker has read the file's header (compiler/check/checkpoint.ts).
 */
function checkpointWeights(read: ReadField, env: BuildEnv): WeightsSpec | undefined {
  const file = read.slots.get("FILE");
  const layout = read.slots.get("layout");
  if (file?.kind !== "value" || file.value.kind !== "StringLiteral" || layout?.kind !== "value") return undefined;
  const value = layout.value;
  const name = value.kind === "Name" ? value.name : value.kind === "Binary" ? hyphenatedName(value) : undefined;
  if (name !== undefined && (HF_LAYOUTS as readonly string[]).includes(name)) {
    if (file.value.value.trim() === "") {
      env.report(
        error(Codes.BadValue, "the checkpoint path is empty", file.span, {
          label: "empty path",
          help: 'write the path of a .safetensors file, relative to this spec: `weights "model.safetensors" layout hf-gpt2`',
        }),
      );
      return undefined;
    }
    return { kind: "checkpoint", file: file.value.value, layout: name as HfLayout, prefix: "" };
  }
  const written = name ?? describe(value);
  const suggestion = name === undefined ? undefined : didYouMean(name, HF_LAYOUTS);
  env.report(
    error(Codes.UnknownKeyword, `unknown checkpoint layout ${name === undefined ? written : quote(name)}`, layout.span, {
      label: "not a checkpoint layout",
      help: suggestion
        ? `did you mean ${quote(suggestion)}?`
        : `the layouts are ${listOf(HF_LAYOUTS.map(quote), "and")} (Hugging Face BertModel, GPT2LMHeadModel and LlamaForCausalLM names)`,
      fix: suggestion ? { span: layout.span, replacement: suggestion } : undefined,
    }),
  );
  return undefined;
}

export const FIELD_NAMES = Object.keys(FIELDS) as FieldName[];
export const REQUIRED_FIELDS = FIELD_NAMES.filter((name) => FIELDS[name].required);
export const NUMERIC_FIELDS = FIELD_NAMES.filter((name) => FIELDS[name].numeric);

export function isFieldName(name: string): name is FieldName {
  return Object.prototype.hasOwnProperty.call(FIELDS, name);
}

function fourTimesWidth(env: BuildEnv): number | undefined {
  const width = env.field("width");
  return width === undefined ? undefined : 4 * width;
}
