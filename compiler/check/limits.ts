/**
 * Sanity limits, checked on the spec before anything is allocated, so a typo such as
 * `vocab 3200000000` is an error with a span instead of an out-of-memory crash minutes later.
 * They are far above any published transformer; raise one here if a real model needs it.
 *
 * | what          | limit               | why this number                                              |
 * |---------------|---------------------|--------------------------------------------------------------|
 * | `vocab`       | 10,000,000          | the largest real vocabularies are ~256k                      |
 * | `context`     | 1,048,576           | 2^20 tokens; position tables are `context × width`           |
 * | `width`       | 65,536              | the widest published models are ~25k                         |
 * | `layers`      | 1,024               | the deepest published models are ~120 layers                 |
 * | `heads`       | 1,024               | also bounds `kv_heads`, which must divide `heads`            |
 * | `head_dim`    | 65,536              | as `width`                                                   |
 * | `ffn` size    | 1,048,576           | 16 × the largest width                                        |
 * | `token_types` | 10,000              | BERT uses 2                                                  |
 * | classes       | 10,000,000          | as `vocab`                                                   |
 * | `seed`        | 2^53 − 1            | the largest integer a double holds exactly                    |
 * | block counts  | 65,536              | attention patterns: blocks per layer (compiler/attention/limits.ts) |
 * | parameters    | 1,000,000,000,000   | 10^12, counted in plain arithmetic by `countParameters`        |
 */
export const LIMITS = {
  vocab: { max: 10_000_000, noun: "vocabulary size" },
  context: { max: 1_048_576, noun: "context length" },
  width: { max: 65_536, noun: "width" },
  layers: { max: 1_024, noun: "number of layers" },
  heads: { max: 1_024, noun: "number of heads" },
  head_dim: { max: 65_536, noun: "head size" },
  ffn: { max: 1_048_576, noun: "ffn size" },
  token_types: { max: 10_000, noun: "number of token types" },
  classes: { max: 10_000_000, noun: "number of classes" },
  seed: { max: Number.MAX_SAFE_INTEGER, noun: "seed" },
  blocks: { max: 65_536, noun: "number of blocks" },
  parameters: { max: 1e12, noun: "parameter count" },
} as const satisfies Record<string, { readonly max: number; readonly noun: string }>;

export type LimitName = keyof typeof LIMITS;
