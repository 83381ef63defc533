/**
 * The one canonical form of an attention pattern (see ../shared/design "Attention patterns"):
 * for a block size b, per head, the set of key blocks each query block attends to. Decoders add
 * the in-block causal mask on the diagonal block and may not reach future blocks. Every fixed
 * pattern is a generator of this form, and learned patterns (SPION) will produce it too.
 */
export interface HeadLayout {
  /** keys[i]: the key blocks query block i attends to, ascending, without repeats. */
  readonly keys: readonly (readonly number[])[];
}

export interface LayerLayout {
  readonly blockSize: number;
  /** context / blockSize: the number of query blocks and of key blocks. */
  readonly blocks: number;
  /** Decoder layouts: no key block after the query block, and the diagonal block is causal inside. */
  readonly causal: boolean;
  /** One per attention head. */
  readonly heads: readonly HeadLayout[];
  /** What the spec wrote for each head, for reports ("window 256 + global [0]"). */
  readonly patterns: readonly string[];
}

/** Attention of a whole model: `layers[L]` undefined means plain dense attention in layer L. */
export interface AttentionLayouts {
  readonly layers: readonly (LayerLayout | undefined)[];
}

/** Fraction of (query, key) token pairs computed by one head, counting the causal diagonal exactly. */
export function headDensity(layout: Pick<LayerLayout, "blocks" | "blockSize" | "causal" | "heads">, head: number): number {
  const { blocks, blockSize, causal } = layout;
  let pairs = 0;
  layout.heads[head].keys.forEach((row, i) => {
    for (const j of row) pairs += causal && j === i ? (blockSize * (blockSize + 1)) / 2 : blockSize * blockSize;
  });
  const all = causal ? (blocks * blockSize * (blocks * blockSize + 1)) / 2 : (blocks * blockSize) ** 2;
  return pairs / all;
}

/** The most key blocks any query block of any head reads: the padded width of the gathered keys. */
export function maxKeysPerRow(layout: LayerLayout): number {
  let most = 0;
  for (const head of layout.heads) for (const row of head.keys) most = Math.max(most, row.length);
  return most;
}
