import { describe, expect, it } from "vitest";
import { didYouMean, editDistance } from "./suggest.js";

const ACTIVATIONS = ["relu", "gelu", "gelu_tanh", "silu", "swiglu", "geglu"];

describe("didYouMean", () => {
  it("offers the closest candidate within max(1, ⌊len/3⌋) edits", () => {
    expect(didYouMean("gleu", ACTIVATIONS)).toBe("gelu");
    expect(didYouMean("modle", ["model", "let", "import"])).toBe("model");
    expect(didYouMean("widht", ["width", "heads"])).toBe("width");
    expect(didYouMean("swiglue", ACTIVATIONS)).toBe("swiglu");
    expect(didYouMean("Model", ["model"])).toBe("model");
  });

  it("offers nothing when every candidate is too far", () => {
    expect(didYouMean("tanh", ACTIVATIONS)).toBeUndefined();
    expect(didYouMean("x", ["width"])).toBeUndefined();
    expect(didYouMean("", ["a"])).toBe("a");
    expect(didYouMean("", ["ab"])).toBeUndefined();
  });

  it("never offers the word itself, and prefers the earlier of equally close candidates", () => {
    expect(didYouMean("gelu", ["gelu"])).toBeUndefined();
    expect(didYouMean("selu", ["silu", "gelu"])).toBe("silu");
    expect(didYouMean("selu", ["gelu", "silu"])).toBe("gelu");
  });

  it("counts a swap of adjacent letters as one edit", () => {
    expect(editDistance("gleu", "gelu")).toBe(1);
    expect(editDistance("abcd", "bacd")).toBe(1);
    expect(editDistance("abcd", "acdb")).toBe(2);
    expect(editDistance("kitten", "sitting")).toBe(3);
  });
});
