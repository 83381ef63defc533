import { describe, expect, test } from "vitest";
import { LIMITS } from "../check/limits.js";
import { describeHeads, describeLayer, formatDensity } from "./describe.js";
import { headDensity, maxKeysPerRow, type LayerLayout } from "./layout.js";
import { ATTENTION_LIMITS } from "./limits.js";
import { denseLayerLayout, denseLayout } from "./patterns/dense.js";
import { globalLayout } from "./patterns/global.js";
import { unionLayouts } from "./patterns/union.js";
import { windowLayout } from "./patterns/window.js";

describe("reports", () => {
  const grid = { blocks: 8, blockSize: 64, causal: true };
  const layer: LayerLayout = {
    ...grid,
    heads: [
      windowLayout(grid, { size: 128 }),
      unionLayouts(grid, [windowLayout(grid, { size: 128 }), globalLayout(grid, { positions: [0] })]),
      denseLayout(grid),
    ],
    patterns: ["window 128", "window 128 + global [0]", "dense"],
  };

  test("describeLayer: one line per head with its pattern, density and widest row", () => {
    expect(describeLayer(layer)).toEqual([
      "head 0  window 128                53.2% of dense, ≤ 3 key blocks per query block",
      "head 1  window 128 + global [0]   68.8% of dense, ≤ 4 key blocks per query block",
      "head 2  dense                      100% of dense, ≤ 8 key blocks per query block",
    ]);
    expect(describeHeads(layer)[1]).toMatchObject({ head: 1, maxKeys: 4 });
    expect(maxKeysPerRow(layer)).toBe(8);
  });

  test("density counts the causal diagonal exactly", () => {
    // window 128 in a decoder: rows of 1, 2, then 3 blocks; the diagonal block is half (plus the diagonal).
    const b = 64;
    const half = (b * (b + 1)) / 2;
    const pairs = half + (b * b + half) + 6 * (2 * b * b + half);
    expect(headDensity(layer, 0)).toBeCloseTo(pairs / ((8 * b * (8 * b + 1)) / 2), 12);
    expect(headDensity(layer, 2)).toBe(1);
  });

  test("formatDensity", () => {
    expect([1, 0.5, 0.123456, 0.0123, 0.000123, 0].map(formatDensity)).toEqual(["100%", "50.0%", "12.3%", "1.23%", "0.012%", "0%"]);
  });

  test("a dense layer for pictures shares one layout among its heads", () => {
    const dense = denseLayerLayout(256, 4, false, 64);
    expect(dense).toMatchObject({ blocks: 4, blockSize: 64, causal: false, patterns: ["dense", "dense", "dense", "dense"] });
    expect(dense.heads[0]).toBe(dense.heads[3]);
  });
});

test("the attention limits agree with the model limits", () => {
  expect(ATTENTION_LIMITS.context).toBe(LIMITS.context.max);
  expect(ATTENTION_LIMITS.layers).toBe(LIMITS.layers.max);
  expect(ATTENTION_LIMITS.heads).toBe(LIMITS.heads.max);
  expect(ATTENTION_LIMITS.blocks).toBe(LIMITS.blocks.max);
});
