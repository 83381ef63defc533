/**
 * The seeded generator behind `random` and `bigbird`. A layout is a pure function of (seed, layer,
 * head), so a spec always compiles to the same model. The draws are part of the compiled output:
 * changing this file changes models, which `rng.test.ts` guards with golden values.
 */

/** MurmurHash3's 32-bit finaliser: a bijection that spreads every input bit over the output. */
function mix32(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

export interface Random {
  /** A whole number in [0, bound), bound ≤ 2^20. */
  below(bound: number): number;
}

/**
 * A splitmix32 stream keyed by `seed` (a whole number up to 2^53 − 1) and the numbers of `stream`
 * (layer, head, …), so every head draws its own blocks from one seed.
 */
export function seededRandom(seed: number, ...stream: readonly number[]): Random {
  const low = seed % 0x1_0000_0000 >>> 0;
  const high = Math.floor(seed / 0x1_0000_0000) >>> 0;
  let state = mix32(low ^ mix32(high ^ 0x9e3779b9));
  for (const part of stream) state = mix32(state ^ mix32((part + 0x7f4a7c15) >>> 0));
  const next = (): number => {
    state = (state + 0x9e3779b9) | 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
    z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
    return (z ^ (z >>> 15)) >>> 0;
  };
  return { below: (bound) => Math.floor((next() * bound) / 0x1_0000_0000) };
}

/**
 * `count` distinct blocks from [0, limit), none of them in `excluded`, drawn with `random`; all of
 * them when fewer are available. Deterministic for a given stream. Floyd's algorithm when nothing is
 * excluded; otherwise rejection, or an explicit pool when the pool is small.
 */
export function sampleBlocks(random: Random, limit: number, count: number, excluded: ReadonlySet<number> = new Set()): number[] {
  let excludedInRange = 0;
  for (const j of excluded) if (j >= 0 && j < limit) excludedInRange++;
  const available = limit - excludedInRange;
  if (count <= 0 || available <= 0) return [];
  if (available <= 2 * count) {
    const pool: number[] = [];
    for (let j = 0; j < limit; j++) if (!excluded.has(j)) pool.push(j);
    if (pool.length <= count) return pool;
    return floyd(random, pool.length, count).map((index) => pool[index]);
  }
  if (excludedInRange === 0) return floyd(random, limit, count);
  const chosen = new Set<number>();
  while (chosen.size < count) {
    const j = random.below(limit);
    if (!excluded.has(j)) chosen.add(j);
  }
  return [...chosen];
}

/** Floyd's sampling: `count` distinct numbers from [0, limit) in `count` draws. */
function floyd(random: Random, limit: number, count: number): number[] {
  const chosen = new Set<number>();
  for (let j = limit - count; j < limit; j++) {
    const t = random.below(j + 1);
    chosen.add(chosen.has(t) ? j : t);
  }
  return [...chosen];
}
