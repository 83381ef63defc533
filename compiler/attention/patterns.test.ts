import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { PatternArguments, type ArgumentValue } from "./arguments.js";
import { asciiLayout } from "./describe.js";
import type { BlockGrid } from "./grid.js";
import { headDensity, type HeadLayout } from "./layout.js";
import { bigbirdLayout } from "./patterns/bigbird.js";
import { blockedLayout } from "./patterns/blocked.js";
import { denseLayout } from "./patterns/dense.js";
import { fixedLayout } from "./patterns/fixed.js";
import { globalLayout } from "./patterns/global.js";
import { longformerLayout } from "./patterns/longformer.js";
import { randomLayout } from "./patterns/random.js";
import { stridedLayout } from "./patterns/strided.js";
import { unionLayouts } from "./patterns/union.js";
import { windowLayout } from "./patterns/window.js";
import { PATTERNS } from "./terms.js";

const RUNS = Number(process.env.FUZZ_RUNS ?? 300);
const encoder = (blocks: number, blockSize = 64): BlockGrid => ({ blocks, blockSize, causal: false });
const decoder = (blocks: number, blockSize = 64): BlockGrid => ({ blocks, blockSize, causal: true });
const picture = (grid: BlockGrid, layout: HeadLayout) => asciiLayout(layout, grid.causal);

describe("generators, drawn (the pictures of docs/attention.md)", () => {
  test("dense", () => {
    expect(picture(encoder(4), denseLayout(encoder(4)))).toEqual(["####", "####", "####", "####"]);
    expect(picture(decoder(4), denseLayout(decoder(4)))).toEqual(["\\...", "#\\..", "##\\.", "###\\"]);
  });

  test("window: W/2 tokens each side in an encoder, W back in a decoder, rounded out to whole blocks", () => {
    expect(picture(encoder(6), windowLayout(encoder(6), { size: 128 }))).toEqual(["##....", "###...", ".###..", "..###.", "...###", "....##"]);
    expect(picture(encoder(6), windowLayout(encoder(6), { size: 256 }))).toEqual(["###...", "####..", "#####.", ".#####", "..####", "...###"]);
    expect(picture(decoder(6), windowLayout(decoder(6), { size: 128 }))).toEqual(["\\.....", "#\\....", "##\\...", ".##\\..", "..##\\.", "...##\\"]);
    expect(picture(encoder(7), windowLayout(encoder(7), { size: 128, dilation: 2 }))).toEqual([
      "#.#....",
      ".#.#...",
      "#.#.#..",
      ".#.#.#.",
      "..#.#.#",
      "...#.#.",
      "....#.#",
    ]);
  });

  test("strided: the local window plus every block a multiple of S/b away", () => {
    expect(picture(decoder(10), stridedLayout(decoder(10), { stride: 192 }))).toEqual([
      "\\.........",
      "#\\........",
      "##\\.......",
      "###\\......",
      ".###\\.....",
      "..###\\....",
      "#..###\\...",
      ".#..###\\..",
      "..#..###\\.",
      "#..#..###\\",
    ]);
  });

  test("fixed: the query's chunk plus every chunk's summary block(s)", () => {
    expect(picture(encoder(9), fixedLayout(encoder(9), { stride: 192 }))).toEqual([
      "###..#..#",
      "###..#..#",
      "###..#..#",
      "..####..#",
      "..####..#",
      "..####..#",
      "..#..####",
      "..#..####",
      "..#..####",
    ]);
    expect(picture(decoder(6), fixedLayout(decoder(6), { stride: 192, summary: 128 }))).toEqual([
      "\\.....",
      "#\\....",
      "##\\...",
      ".##\\..",
      ".###\\.",
      ".####\\",
    ]);
  });

  test("global: rows and columns of the blocks holding the global tokens; decoders keep the past", () => {
    expect(picture(encoder(5), globalLayout(encoder(5), { positions: [0, 130] }))).toEqual(["#####", "#.#..", "#####", "#.#..", "#.#.."]);
    expect(picture(decoder(5), globalLayout(decoder(5), { positions: [0, 130] }))).toEqual(["\\....", "#....", "##\\..", "#.#..", "#.#.."]);
    expect(picture(encoder(4), globalLayout(encoder(4), { leadingBlocks: 2 }))).toEqual(["####", "####", "##..", "##.."]);
  });

  test("blocked: block-diagonal chunks", () => {
    expect(picture(encoder(4), blockedLayout(encoder(4)))).toEqual(["#...", ".#..", "..#.", "...#"]);
    expect(picture(decoder(4), blockedLayout(decoder(4), { size: 128 }))).toEqual(["\\...", "#\\..", "..\\.", "..#\\"]);
  });

  test("bigbird: global rows, window band, random blocks outside both", () => {
    const grid = encoder(10);
    const layout = bigbirdLayout(grid, { window: 3, global: 2, random: 2, seed: 7, layer: 0, head: 0 });
    const rows = picture(grid, layout);
    expect(rows.slice(0, 2)).toEqual(["##########", "##########"]);
    layout.keys.slice(2).forEach((row, index) => {
      const i = index + 2;
      const window = [i - 1, i, i + 1].filter((j) => j < 10);
      const random = row.filter((j) => j > 1 && !window.includes(j));
      expect(row).toEqual(expect.arrayContaining([0, 1, ...window]));
      expect(random).toHaveLength(Math.min(2, 10 - 2 - window.filter((j) => j > 1).length));
    });
  });

  test("longformer is window + global", () => {
    const grid = decoder(8);
    expect(longformerLayout(grid, { window: 128, global: { positions: [0] } })).toEqual(
      unionLayouts(grid, [windowLayout(grid, { size: 128 }), globalLayout(grid, { positions: [0] })]),
    );
  });
});

// ---- properties ------------------------------------------------------------------------------

const gridArbitrary = fc.record({
  blocks: fc.integer({ min: 1, max: 40 }),
  blockSize: fc.constantFrom(1, 2, 4, 16, 64),
  causal: fc.boolean(),
});

/** A pattern of the table with arguments valid for `grid` (as the validator would let through). */
function patternArbitrary(grid: BlockGrid): fc.Arbitrary<{ name: string; values: Record<string, ArgumentValue | undefined> }> {
  const b = grid.blockSize;
  const context = grid.blocks * b;
  const tokens = fc.integer({ min: 1, max: 24 }).map((k) => k * b);
  const seed = fc.oneof(fc.nat(), fc.constant(Number.MAX_SAFE_INTEGER));
  const positions = fc.array(fc.nat({ max: context - 1 }), { minLength: 1, maxLength: 5 }).map((p) => ({ positions: p }));
  const leading = fc.integer({ min: 1, max: grid.blocks }).map((n) => ({ leadingBlocks: n }));
  const pattern = (name: string, values: fc.Arbitrary<Record<string, ArgumentValue | undefined>>) => values.map((v) => ({ name, values: v }));
  return fc.oneof(
    pattern("dense", fc.constant({})),
    pattern("window", fc.record({ size: tokens, dilation: fc.integer({ min: 1, max: 4 }) })),
    pattern("strided", fc.record({ stride: tokens })),
    pattern("fixed", tokens.chain((stride) => fc.record({ stride: fc.constant(stride), summary: fc.integer({ min: 1, max: stride }) }))),
    pattern("global", fc.record({ positions: fc.oneof(positions, leading) })),
    pattern("random", fc.record({ count: fc.integer({ min: 1, max: grid.blocks }), seed })),
    pattern(
      "bigbird",
      fc.record({
        window: fc.integer({ min: 0, max: 3 }).map((k) => 2 * k + 1),
        global: fc.integer({ min: 0, max: Math.min(3, grid.blocks) }),
        random: fc.integer({ min: 0, max: 4 }),
        seed,
      }),
    ),
    pattern("longformer", fc.record({ window: tokens, global: fc.option(positions, { nil: undefined }) }, { requiredKeys: ["window"] })),
    pattern("blocked", fc.record({ size: tokens }, { requiredKeys: [] })),
  );
}

const casesArbitrary = gridArbitrary.chain((grid) =>
  fc.record({ grid: fc.constant(grid), pattern: patternArbitrary(grid), layer: fc.nat({ max: 50 }), head: fc.nat({ max: 50 }) }),
);

function generate(grid: BlockGrid, name: string, values: Record<string, ArgumentValue | undefined>, where = { layer: 0, head: 0 }): HeadLayout {
  return PATTERNS.get(name)!.generate(grid, argumentsOf(values), where);
}

function argumentsOf(values: Record<string, ArgumentValue | undefined>): PatternArguments {
  return PatternArguments.of(Object.fromEntries(Object.entries(values).filter((entry): entry is [string, ArgumentValue] => entry[1] !== undefined)));
}

/** Patterns whose every row holds the query's own block. */
const COVERS_DIAGONAL = new Set(["dense", "window", "strided", "fixed", "bigbird", "longformer", "blocked"]);

describe("properties of every generator", () => {
  test("rows are ascending, without repeats, in range; one per query block; causal rows never reach the future", () => {
    fc.assert(
      fc.property(casesArbitrary, ({ grid, pattern, layer, head }) => {
        const layout = generate(grid, pattern.name, pattern.values, { layer, head });
        expect(layout.keys).toHaveLength(grid.blocks);
        layout.keys.forEach((row, i) => {
          for (let k = 0; k < row.length; k++) {
            expect(Number.isInteger(row[k])).toBe(true);
            expect(row[k]).toBeGreaterThanOrEqual(0);
            expect(row[k]).toBeLessThan(grid.blocks);
            if (k > 0) expect(row[k]).toBeGreaterThan(row[k - 1]);
          }
          if (grid.causal && row.length > 0) expect(row[row.length - 1]).toBeLessThanOrEqual(i);
        });
      }),
      { numRuns: RUNS },
    );
  });

  test("every row is non-empty; patterns with a local part hold the query's own block", () => {
    fc.assert(
      fc.property(casesArbitrary, ({ grid, pattern }) => {
        const layout = generate(grid, pattern.name, pattern.values);
        layout.keys.forEach((row, i) => {
          if (COVERS_DIAGONAL.has(pattern.name)) expect(row).toContain(i);
          if (pattern.name === "random" || !grid.causal) expect(row.length).toBeGreaterThan(0);
        });
      }),
      { numRuns: RUNS },
    );
  });

  test("the size bound checked before allocating is never below the real size", () => {
    fc.assert(
      fc.property(casesArbitrary, ({ grid, pattern }) => {
        const args = argumentsOf(pattern.values);
        const layout = PATTERNS.get(pattern.name)!.generate(grid, args, { layer: 0, head: 0 });
        const entries = layout.keys.reduce((sum, row) => sum + row.length, 0);
        expect(PATTERNS.get(pattern.name)!.maxEntries(grid, args)).toBeGreaterThanOrEqual(entries);
        const density = headDensity({ blockSize: grid.blockSize, blocks: grid.blocks, causal: grid.causal, heads: [layout] }, 0);
        expect(density).toBeGreaterThan(0);
        expect(density).toBeLessThanOrEqual(1 + 1e-12);
      }),
      { numRuns: RUNS },
    );
  });

  test("union (`+`) is commutative and is the row-wise set union", () => {
    fc.assert(
      fc.property(
        gridArbitrary.chain((grid) => fc.record({ grid: fc.constant(grid), a: patternArbitrary(grid), b: patternArbitrary(grid) })),
        ({ grid, a, b }) => {
          const x = generate(grid, a.name, a.values);
          const y = generate(grid, b.name, b.values);
          const xy = unionLayouts(grid, [x, y]);
          expect(unionLayouts(grid, [y, x])).toEqual(xy);
          xy.keys.forEach((row, i) => expect(row).toEqual([...new Set([...x.keys[i], ...y.keys[i]])].sort((p, q) => p - q)));
        },
      ),
      { numRuns: RUNS },
    );
  });

  test("random layouts are a pure function of (seed, layer, head), and change with each", () => {
    const grid = encoder(24, 16);
    fc.assert(
      fc.property(fc.nat(), fc.nat({ max: 100 }), fc.nat({ max: 100 }), fc.integer({ min: 1, max: 8 }), (seed, layer, head, count) => {
        const draw = (s: number, l: number, h: number) => randomLayout(grid, { count, seed: s, layer: l, head: h });
        expect(draw(seed, layer, head)).toEqual(draw(seed, layer, head));
        expect(draw(seed + 1, layer, head)).not.toEqual(draw(seed, layer, head));
        expect(draw(seed, layer + 1, head)).not.toEqual(draw(seed, layer, head));
        expect(draw(seed, layer, head + 1)).not.toEqual(draw(seed, layer, head));
        for (const row of draw(seed, layer, head).keys) expect(row).toHaveLength(count);
        const bird = (s: number) => bigbirdLayout(grid, { window: 3, global: 2, random: count, seed: s, layer, head });
        expect(bird(seed)).toEqual(bird(seed));
        expect(bird(seed + 1)).not.toEqual(bird(seed));
      }),
      { numRuns: 100 },
    );
  });

  test("random rows in a decoder draw only from the past, and take every block when there are fewer than R", () => {
    const layout = randomLayout(decoder(8), { count: 3, seed: 1, layer: 0, head: 0 });
    expect(layout.keys[0]).toEqual([0]);
    expect(layout.keys[1]).toEqual([0, 1]);
    expect(layout.keys[2]).toEqual([0, 1, 2]);
    for (const row of layout.keys.slice(3)) expect(row).toHaveLength(3);
  });
});

describe("window and strided contain their token-level patterns, with nothing to spare", () => {
  const tokenBlock = (t: number, b: number) => Math.floor(t / b);

  test("window W: every token pair within the window is covered, and every block covered holds such a pair", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }),
        fc.constantFrom(1, 2, 4, 8),
        fc.integer({ min: 1, max: 6 }),
        fc.boolean(),
        (blocks, b, k, causal) => {
          const grid = { blocks, blockSize: b, causal };
          const size = k * b;
          const layout = windowLayout(grid, { size });
          const inWindow = (t: number, u: number) => (causal ? t - u >= 0 && t - u <= size : Math.abs(t - u) <= Math.floor(size / 2));
          const needed = Array.from({ length: blocks }, () => new Set<number>());
          for (let t = 0; t < blocks * b; t++) {
            for (let u = 0; u < blocks * b; u++) if (inWindow(t, u)) needed[tokenBlock(t, b)].add(tokenBlock(u, b));
          }
          layout.keys.forEach((row, i) => expect(row).toEqual([...needed[i]].sort((p, q) => p - q)));
        },
      ),
      { numRuns: RUNS },
    );
  });

  test("strided S: every key (i − j) a multiple of S tokens away is covered", () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 12 }), fc.constantFrom(1, 2, 4), fc.integer({ min: 1, max: 5 }), fc.boolean(), (blocks, b, k, causal) => {
        const grid = { blocks, blockSize: b, causal };
        const stride = k * b;
        const layout = stridedLayout(grid, { stride });
        for (let t = 0; t < blocks * b; t++) {
          for (let u = 0; u < blocks * b; u++) {
            if ((causal && u > t) || (t - u) % stride !== 0) continue;
            expect(layout.keys[tokenBlock(t, b)]).toContain(tokenBlock(u, b));
          }
        }
      }),
      { numRuns: RUNS },
    );
  });
});
