import ort from "onnxruntime-node";
import { ModelRunError } from "./errors.js";
import { InputRandom } from "./random.js";

/** What a model's metadata says about its inputs (written by tfc's emitter; absent in other models). */
export interface ModelFacts {
  readonly vocab?: number;
  readonly tokenTypes?: number;
  readonly context?: number;
}

/**
 * Metadata keys the emitter writes from the graph's metadata. Each fact is looked up under the
 * spellings listed, first match wins.
 */
const FACT_KEYS: Readonly<Record<keyof ModelFacts, readonly string[]>> = {
  vocab: ["tfc.vocab", "vocab", "vocab_size"],
  tokenTypes: ["tfc.token_types", "tfc.tokenTypes", "token_types", "type_vocab_size"],
  context: ["tfc.context", "context", "max_position_embeddings"],
};

export function modelFacts(metadata: Readonly<Record<string, string>>): ModelFacts {
  const facts: Record<string, number> = {};
  for (const [fact, keys] of Object.entries(FACT_KEYS)) {
    for (const key of keys) {
      const n = Number(metadata[key]);
      if (metadata[key] !== undefined && Number.isSafeInteger(n) && n >= 0) {
        facts[fact] = n;
        break;
      }
    }
  }
  return facts;
}

export interface SampleInputOptions {
  readonly batch: number;
  readonly seq: number;
  readonly seed: number;
  /** Overrides the model's `tfc.vocab` (required when the model does not record it). */
  readonly vocab?: number;
}

export interface SampleInput {
  readonly name: string;
  readonly dims: readonly number[];
  readonly tensor: ort.Tensor;
}

/**
 * Seeded random inputs for every input the session declares. Symbolic dims `batch` and `seq` are
 * bound to the options; token ids are drawn below the vocabulary, token types below their count,
 * masks are all ones, position ids count up, and float inputs are uniform in [-1, 1). Each input
 * has its own stream seeded from (seed, input name).
 */
export function sampleInputs(session: ort.InferenceSession, facts: ModelFacts, options: SampleInputOptions): SampleInput[] {
  const vocab = options.vocab ?? facts.vocab;
  if (facts.context !== undefined && options.seq > facts.context) {
    throw new ModelRunError(`seq ${options.seq} is longer than the model's context (${facts.context})`, `use --seq ${facts.context} or less`);
  }
  return declaredInputs(session).map(({ name, type, shape }) => {
    const dims = shape.map((d, axis) => bindDim(name, d, axis, options));
    const count = dims.reduce((a, b) => a * b, 1);
    const random = new InputRandom(options.seed, name);
    if (type === "float32") {
      const data = new Float32Array(count);
      for (let i = 0; i < count; i++) data[i] = random.signedUnit();
      return { name, dims, tensor: new ort.Tensor("float32", data, dims) };
    }
    if (type !== "int64" && type !== "int32") {
      throw new ModelRunError(`input \`${name}\` has type ${type}; tfc run feeds int64, int32 and float32 inputs`);
    }
    const values = integerValues(name, count, dims, random, vocab, facts.tokenTypes);
    const tensor =
      type === "int64"
        ? new ort.Tensor("int64", BigInt64Array.from(values, (v) => BigInt(v)), dims)
        : new ort.Tensor("int32", Int32Array.from(values), dims);
    return { name, dims, tensor };
  });
}

interface DeclaredInput {
  readonly name: string;
  readonly type: string;
  readonly shape: readonly (number | string)[];
}

function declaredInputs(session: ort.InferenceSession): DeclaredInput[] {
  // inputMetadata arrived in onnxruntime-common 1.21; without it, assume tfc's [batch, seq] int64 ids.
  const metadata = (session as { inputMetadata?: readonly ort.InferenceSession.ValueMetadata[] }).inputMetadata;
  if (!metadata) return session.inputNames.map((name) => ({ name, type: "int64", shape: ["batch", "seq"] }));
  return metadata.map((m) => {
    if (!m.isTensor) throw new ModelRunError(`input \`${m.name}\` is not a tensor; tfc run feeds tensors only`);
    return { name: m.name, type: m.type, shape: m.shape.length > 0 ? m.shape : ["batch", "seq"] };
  });
}

function bindDim(input: string, dim: number | string, axis: number, options: SampleInputOptions): number {
  if (typeof dim === "number" && dim >= 0) return dim;
  const symbol = typeof dim === "string" ? dim : "";
  if (/batch/i.test(symbol) || (symbol === "" && axis === 0)) return options.batch;
  if (/^(seq|sequence|seq_len|sequence_length|length|tokens)$/i.test(symbol) || (symbol === "" && axis === 1)) return options.seq;
  throw new ModelRunError(
    `input \`${input}\` has a dimension \`${symbol || "?"}\` (axis ${axis}) that tfc run cannot size`,
    "tfc run binds only `batch` and `seq`; models compiled by tfc use just these",
  );
}

function integerValues(
  name: string,
  count: number,
  dims: readonly number[],
  random: InputRandom,
  vocab: number | undefined,
  tokenTypes: number | undefined,
): number[] {
  const values = new Array<number>(count);
  if (/mask/i.test(name)) return values.fill(1);
  if (/position/i.test(name)) {
    const seq = dims[dims.length - 1] ?? 1;
    for (let i = 0; i < count; i++) values[i] = i % seq;
    return values;
  }
  if (/token_?type/i.test(name)) {
    // Without a recorded count, type 0 is the one every model with token types has.
    const bound = tokenTypes !== undefined && tokenTypes > 0 ? tokenTypes : 1;
    for (let i = 0; i < count; i++) values[i] = random.below(bound);
    return values;
  }
  if (vocab === undefined || vocab < 1) {
    throw new ModelRunError(
      `the model does not record its vocabulary size, needed to draw \`${name}\``,
      "pass --vocab N (models compiled by tfc record it as `tfc.vocab`)",
    );
  }
  for (let i = 0; i < count; i++) values[i] = random.below(vocab);
  return values;
}
