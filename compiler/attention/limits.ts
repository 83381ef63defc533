/**
 * Limits on attention layouts, checked before anything is allocated: a typo such as `block 1` with a
 * context of 2^20 becomes a diagnostic, not an out-of-memory crash.
 *
 * | what                          | limit         | why                                                          |
 * |-------------------------------|---------------|--------------------------------------------------------------|
 * | blocks per layer              | 65,536        | a row holds at most this many key blocks                      |
 * | key-block entries in a model  | 2^25          | ≈ 256 MiB as JavaScript arrays; 33 M index entries is far above any layout worth gathering |
 * | layout file                   | 64 MiB        | a 4096-token, 144-head learned layout is a few MiB            |
 * | layers, heads in a file       | 1,024 each    | the model limits (compiler/check/limits.ts)                   |
 * | context in a file             | 2^20          | the model limit                                               |
 */
export const ATTENTION_LIMITS = {
  blocks: 65_536,
  entries: 2 ** 25,
  fileBytes: 64 * 2 ** 20,
  layers: 1_024,
  heads: 1_024,
  context: 1_048_576,
} as const;
