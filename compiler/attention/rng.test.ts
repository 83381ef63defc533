import { describe, expect, test } from "vitest";
import { randomLayout } from "./patterns/random.js";
import { sampleBlocks, seededRandom } from "./rng.js";

/**
 * The draws are part of every compiled model with `random` or `bigbird` blocks: a change here changes
 * models. These golden values make such a change deliberate (update them and say so in the changelog).
 */
describe("the seeded generator", () => {
  test("golden draws", () => {
    const draws = (seed: number, ...stream: number[]) => {
      const random = seededRandom(seed, ...stream);
      return Array.from({ length: 8 }, () => random.below(1000));
    };
    expect(draws(0)).toEqual([789, 571, 684, 478, 952, 342, 103, 599]);
    expect(draws(7, 3, 5)).toEqual([573, 618, 901, 451, 456, 218, 696, 782]);
    const largest = seededRandom(Number.MAX_SAFE_INTEGER);
    expect(Array.from({ length: 4 }, () => largest.below(1 << 20))).toEqual([628438, 840035, 83596, 803285]);
    expect(randomLayout({ blocks: 6, blockSize: 64, causal: false }, { count: 2, seed: 7, layer: 0, head: 0 }).keys).toEqual([
      [0, 4],
      [3, 4],
      [1, 4],
      [4, 5],
      [0, 2],
      [1, 3],
    ]);
  });

  test("seeds above 2^32 are not folded onto small ones", () => {
    const first = (seed: number) => seededRandom(seed).below(1 << 20);
    expect(first(2 ** 32)).not.toBe(first(0));
    expect(first(2 ** 32 + 1)).not.toBe(first(1));
  });

  test("below(n) stays in [0, n)", () => {
    const random = seededRandom(42);
    for (let i = 0; i < 10_000; i++) {
      const n = 1 + (i % 97);
      const x = random.below(n);
      expect(x >= 0 && x < n && Number.isInteger(x)).toBe(true);
    }
  });
});

describe("sampleBlocks", () => {
  test("distinct blocks, in range, outside the excluded set, as many as asked or all there are", () => {
    const random = seededRandom(1);
    for (let limit = 0; limit < 40; limit++) {
      for (const count of [0, 1, 3, 10, 50]) {
        const excluded = new Set([0, 5, 7, 100]);
        const drawn = sampleBlocks(random, limit, count, excluded);
        const available = Array.from({ length: limit }, (_, j) => j).filter((j) => !excluded.has(j));
        expect(new Set(drawn).size).toBe(drawn.length);
        expect(drawn.length).toBe(Math.min(count, available.length));
        for (const j of drawn) expect(available).toContain(j);
      }
    }
  });
});
