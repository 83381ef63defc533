import { describe, expect, test } from "vitest";
import type { ModelSpec } from "../../spec.js";
import { checkSource, readExample } from "../testing.js";

/** A model with 4 layers of 4 heads over 16 blocks of 16 tokens (the default block for `window 16`). */
function model(attention: string, options: { kind?: string; context?: number; extra?: string } = {}): string {
  const { kind = "encoder", context = 256, extra = "" } = options;
  return `model m {\n  kind ${kind} vocab 100 context ${context} width 32 layers 4 heads 4 ${extra}\n  attention {\n    ${attention}\n  }\n}\n`;
}

function specOf(source: string, files?: Record<string, string>): ModelSpec {
  const checked = checkSource(source, { files });
  expect(checked.brief).toEqual([]);
  return checked.spec!;
}

/** Per layer: undefined (dense) or the pattern text of each head. */
function patterns(spec: ModelSpec): (readonly string[] | undefined)[] | undefined {
  return spec.attention?.layers.map((layer) => layer?.patterns);
}

const W = ["window 16", "window 16", "window 16", "window 16"];
const D = ["dense", "dense", "dense", "dense"];

describe("selectors", () => {
  test("`layers a..b` includes both ends; layers without a rule stay dense (no layout)", () => {
    expect(patterns(specOf(model("layers 1..2 : window 16")))).toEqual([undefined, W, W, undefined]);
  });

  test("lists (with ranges inside), single numbers, `all`, `odd`, `even`", () => {
    expect(patterns(specOf(model("layers [0, 2..3] : window 16")))).toEqual([W, undefined, W, W]);
    expect(patterns(specOf(model("layers 3 : window 16")))).toEqual([undefined, undefined, undefined, W]);
    expect(patterns(specOf(model("layers all : window 16")))).toEqual([W, W, W, W]);
    expect(patterns(specOf(model("layers odd : window 16")))).toEqual([undefined, W, undefined, W]);
    expect(patterns(specOf(model("layers even : window 16")))).toEqual([W, undefined, W, undefined]);
  });

  test("a later `heads` part keeps the rule's layers; heads a layer's rules leave out are dense", () => {
    const spec = specOf(model("layers 1..2 heads 0..1 : strided 32, heads 3 : window 16"));
    const split = ["strided 32", "strided 32", "dense", "window 16"];
    expect(patterns(spec)).toEqual([undefined, split, split, undefined]);
    const layer = spec.attention!.layers[1]!;
    expect(layer.heads[2].keys.every((row) => row.length === 16)).toBe(true);
  });

  test("`heads` alone selects those heads in every layer", () => {
    const first = ["window 16", "dense", "dense", "dense"];
    expect(patterns(specOf(model("heads 0 : window 16")))).toEqual([first, first, first, first]);
  });

  test("a later rule overrides an earlier one for the same (layer, head)", () => {
    const spec = specOf(model("layers all : window 16\n    layers 1 heads 2..3 : strided 32"));
    expect(patterns(spec)).toEqual([W, ["window 16", "window 16", "strided 32", "strided 32"], W, W]);
  });

  test("strided S at a block of S is every block: dense, so no layout", () => {
    expect(specOf(model("default : strided 32")).attention).toBeUndefined();
    expect(specOf(model("default : strided 64 block 16")).attention!.layers[0]!.blocks).toBe(16);
  });

  test("`default` covers what no other rule does, wherever it is written", () => {
    const after = specOf(model("layers 1 : blocked 32\n    default : window 16"));
    const before = specOf(model("default : window 16\n    layers 1 : blocked 32"));
    const blocked = ["blocked 32", "blocked 32", "blocked 32", "blocked 32"];
    expect(patterns(after)).toEqual([W, blocked, W, W]);
    expect(patterns(before)).toEqual(patterns(after));
    expect(patterns(specOf(model("layers 1 : blocked 32, default : window 16")))).toEqual([W, blocked, W, W]);
  });

  test("expressions over fields and lets: ranges, sizes and bigbird's block", () => {
    const source = `let block = 16\nlet last = 3\n${model("layers 0..layers - 2 : window context / 16\n    layers last : bigbird(block block, window 3, global 1, random 1, seed 7)")}`;
    const spec = specOf(source);
    expect(patterns(spec)?.slice(0, 3)).toEqual([W, W, W]);
    expect(spec.attention!.layers[3]!.patterns[0]).toBe("bigbird(block 16, window 3, global 1, random 1, seed 7)");
    expect(spec.attention!.layers[3]!.blockSize).toBe(16);
  });

  test("`window w dilation 2` with a `let w`: the parser's name/value split is undone", () => {
    const spec = specOf(`let w = 32\n${model("default : window w dilation 2")}`);
    expect(spec.attention!.layers[0]!.patterns[0]).toBe("window 32 dilation 2");
    expect(specOf(`let block = 32\n${model("default : window block")}`).attention!.layers[0]!.patterns[0]).toBe("window 32");
  });

  test("space and parenthesised forms, named positional arguments", () => {
    const a = specOf(model("default : window 32 dilation 2 + global [0]"));
    const b = specOf(model("default : window(size 32, dilation 2) + global(positions [0])"));
    expect(b.attention).toEqual(a.attention);
    expect(a.attention!.layers[0]!.patterns[0]).toBe("window 32 dilation 2 + global [0]");
  });
});

describe("what spec.attention holds", () => {
  test("absent without an attention block, or when every head is dense", () => {
    expect(checkSource(model("").replace("attention {\n    \n  }", "")).spec?.attention).toBeUndefined();
    expect(specOf(model("default : dense")).attention).toBeUndefined();
    expect(specOf(model("default : window 16 + dense")).attention).toBeUndefined();
    // A window wider than the context is every block: dense, so no layout.
    expect(specOf(model("default : window 512")).attention).toBeUndefined();
    expect(specOf(model("")).attention).toBeUndefined();
  });

  test("block size: the default rule, an explicit `block`, a layout file's", () => {
    expect(specOf(model("default : window 16")).attention!.layers[0]!.blockSize).toBe(16);
    expect(specOf(model("default : window 64 + random 1", { context: 4096 })).attention!.layers[0]!.blockSize).toBe(64);
    expect(specOf(model("default : window 96", { context: 4096 })).attention!.layers[0]!.blockSize).toBe(32);
    expect(specOf(model("default : global 1 + blocked block 8")).attention!.layers[0]!.blockSize).toBe(8);
    const layer = specOf(model("layers 0 : window 32, layers 1 : window 16")).attention!.layers;
    expect([layer[0]!.blockSize, layer[1]!.blockSize]).toEqual([32, 16]);
  });

  test("decoders are causal; heads with one pattern share one layout object, random heads do not", () => {
    const spec = specOf(model("heads 0..1 : window 16, heads 2..3 : window 16 + random 2 seed 3", { kind: "decoder" }));
    const layer = spec.attention!.layers[0]!;
    expect(layer.causal).toBe(true);
    expect(layer.heads[0]).toBe(layer.heads[1]);
    expect(spec.attention!.layers[1]!.heads[0]).toBe(layer.heads[0]);
    expect(layer.heads[2]).not.toEqual(layer.heads[3]);
    expect(specOf(model("heads 0..1 : window 16, heads 2..3 : window 16 + random 2 seed 3", { kind: "decoder" })).attention).toEqual(spec.attention);
  });

  test("extends: a child inherits the parent's block, its own replaces it, an empty one clears it", () => {
    const parent = model("default : window 16");
    const variants = `${parent}model child extends m { context 512 }\nmodel other extends m { attention { layers 0 : strided 64 block 16 } }\nmodel plain extends m { attention { } }\n`;
    const child = checkSource(variants, { model: "child" });
    expect(child.brief).toEqual([]);
    expect(child.spec!.attention!.layers[0]!.blocks).toBe(32);
    const other = checkSource(variants, { model: "other" }).spec!;
    const strided = "strided 64 block 16";
    expect(patterns(other)).toEqual([[strided, strided, strided, strided], undefined, undefined, undefined]);
    expect(checkSource(variants, { model: "plain" }).spec!.attention).toBeUndefined();
  });

  test("layout files: the keys as written, per layer and head", () => {
    const keys = (shift: number) => Array.from({ length: 4 }, (_, i) => [...new Set([0, i, Math.max(0, i - shift)])].sort((a, b) => a - b));
    const file = JSON.stringify({
      format: "tfc-attention-layout",
      version: 1,
      blockSize: 64,
      context: 256,
      layers: [0, 1].map((layer) => ({ layer, heads: [0, 1, 2, 3].map((head) => ({ head, keys: keys(head) })) })),
    });
    const spec = specOf(model('layers 0..1 : layout "learned/l.json"', { kind: "decoder" }), { "learned/l.json": file });
    const layer = spec.attention!.layers[1]!;
    expect(layer.blockSize).toBe(64);
    expect(layer.heads[2].keys).toEqual(keys(2));
    expect(layer.patterns[0]).toBe('layout "learned/l.json"');
  });

  test("the design notes' example checks clean", () => {
    const source = [
      "model gpt2_small {",
      "  kind decoder  vocab 50257  context 1024",
      "  width 768     layers 12    heads 12",
      "  ffn 4 * width gelu_tanh",
      "}",
      "model gpt2_long extends gpt2_small {",
      "  context 8192",
      "  attention {",
      "    layers 0..5  : window 256 + global [0]",
      "    layers 6..11 heads 0..5 : strided 128, heads 6..11 : window 128",
      "  }",
      "}",
    ].join("\n");
    const checked = checkSource(source, { model: "gpt2_long" });
    expect(checked.brief).toEqual([]);
    const layers = checked.spec!.attention!.layers;
    expect(layers.map((layer) => layer!.blocks)).toEqual(new Array(12).fill(128));
    expect(layers[6]!.patterns).toEqual([...new Array(6).fill("strided 128"), ...new Array(6).fill("window 128")]);
  });
});

describe("the bundled sparse examples", () => {
  test("bigbird-long: BigBird in every layer, 64 blocks of 64 tokens, distinct random blocks per head", () => {
    const spec = specOf(readExample("bigbird-long.tfx"));
    const layers = spec.attention!.layers;
    expect(layers).toHaveLength(12);
    for (const layer of layers) {
      expect(layer).toMatchObject({ blockSize: 64, blocks: 64, causal: false });
      expect(new Set(layer!.patterns)).toEqual(new Set(["bigbird(block 64, window 3, global 2, random 3, seed 7)"]));
      // Global rows are full; every other row is 2 global + 3 window + 3 random blocks (fewer at the ends).
      expect(layer!.heads[0].keys[0]).toHaveLength(64);
      expect(layer!.heads[0].keys[30]).toHaveLength(8);
    }
    expect(layers[0]!.heads[0]).not.toEqual(layers[0]!.heads[1]);
    expect(layers[0]!.heads[0]).not.toEqual(layers[1]!.heads[0]);
  });

  test("sparse-gpt: window + global, then the strided / local split", () => {
    const spec = specOf(readExample("sparse-gpt.tfx"));
    const layers = spec.attention!.layers;
    expect(layers.every((layer) => layer?.causal && layer.blockSize === 64)).toBe(true);
    expect(layers[0]!.patterns).toEqual(new Array(12).fill("window 256 + global [0]"));
    expect(layers[11]!.patterns).toEqual([...new Array(6).fill("strided 512"), ...new Array(6).fill("window 512")]);
    expect(layers[0]!.heads[0].keys[40]).toEqual([0, 36, 37, 38, 39, 40]);
  });
});
