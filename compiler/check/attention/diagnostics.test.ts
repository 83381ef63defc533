import { describe, expect, test } from "vitest";
import { ATTENTION_LIMITS } from "../../attention/limits.js";
import { checkSource, textAt } from "../testing.js";

/** The rule is on line 4, from column 5. 4 layers, 4 heads, 256 tokens (16 blocks of 16 for `window 16`). */
function model(rule: string, options: { kind?: string; context?: number | string; layers?: number } = {}): string {
  const { kind = "encoder", context = 256, layers = 4 } = options;
  return `model m {\n  kind ${kind} vocab 100 context ${context} width 32 layers ${layers} heads 4\n  attention {\n    ${rule}\n  }\n}\n`;
}

function diagnose(rule: string, options: Parameters<typeof model>[1] & { files?: Record<string, string> } = {}) {
  const source = model(rule, options);
  const checked = checkSource(source, { files: options.files });
  expect(checked.parseDiagnostics).toEqual([]);
  if (checked.brief.length > 0) expect(checked.spec).toBeUndefined();
  return { ...checked, source, at: (index = 0) => textAt(source, checked.diagnostics[index]) };
}

const layoutJson = (edit: (json: any) => void = () => {}, context = 256, blockSize = 64) => {
  const blocks = context / blockSize;
  const json: any = {
    format: "tfc-attention-layout",
    version: 1,
    blockSize,
    context,
    layers: [0, 1, 2, 3].map((layer) => ({
      layer,
      heads: [0, 1, 2, 3].map((head) => ({ head, keys: Array.from({ length: blocks }, (_, i) => [i]) })),
    })),
  };
  edit(json);
  return JSON.stringify(json);
};

describe("reading: names, arguments, selectors", () => {
  test("E0204 unknown pattern, with did-you-mean and a fix", () => {
    const d = diagnose("default : windwo 16");
    expect(d.brief).toEqual(["E0204 4:15 unknown attention pattern `windwo`"]);
    expect(d.diagnostics[0].help).toBe("did you mean `window`?");
    expect(d.diagnostics[0].fix).toEqual({ span: d.diagnostics[0].span, replacement: "window" });
    expect(diagnose("default : sparse 16").diagnostics[0].help).toBe(
      "the patterns are `dense`, `window`, `strided`, `fixed`, `global`, `random`, `bigbird`, `longformer`, `blocked` and `layout`",
    );
  });

  test("E0204 unknown argument, with did-you-mean; a pattern name says to join with `+`", () => {
    const d = diagnose("default : window 16 dilaton 2");
    expect(d.brief).toEqual(["E0204 4:25 unknown argument `dilaton` of `window`"]);
    expect(d.diagnostics[0].help).toBe("did you mean `dilation`?");
    const joined = diagnose("default : window 16 global [0]");
    expect(joined.brief).toEqual(["E0204 4:25 unknown argument `global` of `window`"]);
    expect(joined.diagnostics[0].help).toBe("`global` is a pattern of its own: join patterns with `+`, as in `window … + global …`");
    expect(diagnose("default : bigbird(blok 16)").brief).toEqual(["E0204 4:23 unknown argument `blok` of `bigbird`"]);
  });

  test("E0204 unknown range word, with did-you-mean", () => {
    const d = diagnose("layers evn : window 16");
    expect(d.brief).toEqual(["E0204 4:12 unknown range `evn`"]);
    expect(d.diagnostics[0].help).toBe("did you mean `even`?");
  });

  test("E0206 a missing argument, and an argument name without a value", () => {
    const d = diagnose("default : window");
    expect(d.brief).toEqual(["E0206 4:15 `window` needs the window size"]);
    expect(d.diagnostics[0].help).toBe("write `window SIZE [dilation D] [block B]`");
    expect(diagnose("default : window 16 dilation").brief).toEqual(["E0206 4:25 `dilation` needs a value"]);
    expect(diagnose('default : layout').brief).toEqual(["E0206 4:15 `layout` needs the layout file"]);
  });

  test("E0207 an argument too many", () => {
    expect(diagnose("default : window 16 32").brief).toEqual(["E0207 4:25 unexpected argument `32` in `window`"]);
  });

  test("E0208 an argument given twice, and two attention blocks", () => {
    const d = diagnose("default : window 16 size 32");
    expect(d.brief).toEqual(["E0208 4:25 `size` is given twice in `window`"]);
    expect(d.diagnostics[0].labels?.[0].message).toBe("first given here");
    const twice = checkSource("model m {\n  kind encoder vocab 100 context 256 width 32 layers 4 heads 4\n  attention { default : window 16 }\n  attention { default : window 32 }\n}\n");
    expect(twice.brief).toEqual(["E0208 4:3 `attention` is given twice in `m`"]);
  });

  test("E0205 values of the wrong kind", () => {
    expect(diagnose("default : window [16]").brief).toEqual(["E0205 4:22 `window` takes the window size as a number, not a list"]);
    expect(diagnose("default : layout 3").brief).toEqual(['E0205 4:22 `layout` takes the layout file as a string (`"FILE.json"`), not `3`']);
    expect(diagnose('layers "all" : window 16').brief).toEqual(['E0205 4:12 expected a range, not the string "all"']);
    expect(diagnose("layers [odd] : window 16").brief).toEqual(["E0205 4:13 `odd` cannot be an item of a list"]);
    expect(diagnose('default : global ["x"]').brief).toEqual(["E0205 4:23 a global position must be a number or a range"]);
  });
});

describe("resolving in the model", () => {
  test("E0325 layers and heads out of range, with the valid range", () => {
    const single = diagnose("layers 4 : window 16");
    expect(single.brief).toEqual(["E0325 4:12 layer 4 is out of range: `m` has 4 layers"]);
    expect(single.diagnostics[0].help).toBe("layers are numbered 0 to 3");
    const range = diagnose("layers 0..12 : window 16", { layers: 12 });
    expect(range.brief).toEqual(["E0325 4:12 `0..12` reaches layer 12, but `m` has 12 layers"]);
    expect(range.diagnostics[0].help).toBe("layers are numbered 0 to 11: write `0..11`");
    expect(range.diagnostics[0].fix?.replacement).toBe("11");
    expect(range.at()).toBe("0..12");
    expect(diagnose("layers 1 heads [0, 4] : window 16").brief).toEqual(["E0325 4:24 head 4 is out of range: `m` has 4 heads"]);
  });

  test("E0205 an empty range, and `odd` with a single layer", () => {
    const d = diagnose("layers 3..1 : window 16");
    expect(d.brief).toEqual(["E0205 4:12 the range `3..1` is empty"]);
    expect(d.diagnostics[0].fix?.replacement).toBe("1..3");
    expect(diagnose("layers odd : window 16", { layers: 1 }).brief).toEqual(["E0205 4:12 `odd` selects no layer: `m` has 1 layer"]);
  });

  test("E0210, E0302, E0401: numbers are checked like field values", () => {
    expect(diagnose("default : window 24 / 5").brief).toEqual(["E0210 4:22 the window size must be a whole number, but `24 / 5` is 4.8"]);
    expect(diagnose("default : window 16 + random 0").brief).toEqual(["E0302 4:34 the number of random blocks must be positive, got 0"]);
    expect(diagnose("default : window 16 + random 1 seed 1e16").brief).toEqual([
      "E0401 4:41 the random seed is 10,000,000,000,000,000, above the limit of 9,007,199,254,740,991",
    ]);
    expect(diagnose("default : window widht").brief).toEqual(["E0203 4:22 unknown name `widht`"]);
  });

  test("E0320 a block size that does not divide the context, with the nearest divisors", () => {
    const d = diagnose("default : bigbird(block 48)", { context: 4096 });
    expect(d.brief).toEqual(["E0320 4:29 the block size 48 does not divide the context (4096)"]);
    expect(d.diagnostics[0].help).toBe("the nearest block sizes that divide 4096 are 32 and 64");
    expect(d.at()).toBe("48");
    expect(d.diagnostics[0].labels?.[0].message).toBe("context 4096 set here");
  });

  test("E0321 a size that is not a multiple of the block size, with the nearest multiples", () => {
    const d = diagnose("default : window 100 + bigbird(block 64)", { context: 4096 });
    expect(d.brief).toEqual(["E0321 4:22 the window size (100 tokens) is not a multiple of the block size (64)"]);
    expect(d.diagnostics[0].help).toBe("the nearest multiples of 64 are 64 and 128");
    expect(d.diagnostics[0].labels?.[0]).toMatchObject({ message: "block size 64 set here" });
    expect(diagnose("default : strided 96 block 64", { context: 4096 }).brief).toEqual([
      "E0321 4:23 the stride (96 tokens) is not a multiple of the block size (64)",
    ]);
  });

  test("E0322 two block sizes in one layer", () => {
    const d = diagnose("heads 0..1 : window 64 block 32, heads 2..3 : window 64 block 16");
    expect(d.brief).toEqual(["E0322 4:67 layers 0..3 have two block sizes: 32 and 16"]);
    expect(d.diagnostics[0].labels?.[0].message).toBe("block size 32");
    expect(diagnose("layers 1 : window 64 block 32 + global 1 block 16").brief).toEqual(["E0322 4:52 layer 1 has two block sizes: 32 and 16"]);
  });

  test("E0323 a decoder layout file that reaches a future block names the layer, head and row", () => {
    const files = { "l.json": layoutJson((j) => (j.layers[2].heads[1].keys[1] = [1, 2])) };
    const d = diagnose('default : layout "l.json"', { kind: "decoder", files });
    expect(d.brief).toEqual([
      "E0323 4:15 `layout \"l.json\"` lets query block 1 (tokens 64..127) of layer 2, head 1 attend to key block 2, after it, in a decoder",
    ]);
    expect(diagnose('default : layout "l.json"', { kind: "encoder", files }).brief).toEqual([]);
  });

  test("E0324 a query block with no key block, or none at or before its own", () => {
    const empty = diagnose("default : global [100]", { kind: "decoder" });
    expect(empty.brief).toEqual(["E0324 4:15 `global [100]` leaves query block 0 (tokens 0..63) of layer 0, head 0 with no key block to attend to"]);
    expect(empty.diagnostics[0].label).toBe("attends to nothing, and 15 more query blocks in 16 heads");
    expect(empty.diagnostics[0].labels?.[0]).toMatchObject({ message: "for the layers and heads selected here" });
    const later = diagnose("layers 0 heads 1 : global [100]");
    expect(later.brief).toEqual(["E0324 4:24 `global [100]` leaves query block 0 (tokens 0..63) of layer 0, head 1 with no key block at or before its own"]);
    expect(later.diagnostics[0].help).toMatch(/^at a run-time length of 64 tokens the later blocks do not exist/);
    expect(diagnose("layers 0 heads 1 : global [100] + blocked").brief).toEqual([]);
    const files = { "l.json": layoutJson((j) => (j.layers[0].heads[3].keys[2] = [])) };
    expect(diagnose('default : layout "l.json"', { files }).brief).toEqual([
      "E0324 4:15 `layout \"l.json\"` leaves query block 2 (tokens 128..191) of layer 0, head 3 with no key block to attend to",
    ]);
  });

  test("E0325 global positions and block counts beyond the context", () => {
    const d = diagnose("default : window 16 + global [0, 256]");
    expect(d.brief).toEqual(["E0325 4:38 global position 256 is outside the context (0..255)"]);
    expect(d.at()).toBe("256");
    expect(diagnose("default : window 16 + global 17").brief).toEqual(["E0325 4:34 `global` asks for 17 leading global blocks, but the context has 16 blocks"]);
    expect(diagnose("default : window 16 + random 17").brief).toEqual(["E0325 4:34 `random 17` asks for 17 key blocks per query block, but the context has 16 blocks"]);
    expect(diagnose("default : window 16 + global [0..256]").brief).toEqual(["E0325 4:35 global position 256 is outside the context (0..255)"]);
  });

  test("E0205 pattern-specific values: BigBird's window, the fixed summary", () => {
    const even = diagnose("default : bigbird(window 4)", { context: 4096 });
    expect(even.brief).toEqual(["E0205 4:30 BigBird's window must be an odd number of blocks in an encoder, got 4"]);
    expect(even.diagnostics[0].help).toBe("the window is the query block and as many blocks on each side: 3 or 5");
    expect(diagnose("default : bigbird(window 4)", { context: 4096, kind: "decoder" }).brief).toEqual([]);
    expect(diagnose("default : fixed 64 summary 80", { context: 4096 }).brief).toEqual(["E0205 4:32 the summary (80 tokens) is longer than the chunk (64 tokens)"]);
  });

  test("E0326 a layout file for another context, or without the heads a rule selects", () => {
    const other = diagnose('default : layout "l.json"', { files: { "l.json": layoutJson(undefined, 512) } });
    expect(other.brief).toEqual(['E0326 4:22 "l.json" is a layout for a context of 512, but `m` has a context of 256']);
    const partial = layoutJson((j) => (j.layers[1].heads = j.layers[1].heads.slice(0, 2)));
    const missing = diagnose('layers 1 : layout "l.json"', { files: { "l.json": partial } });
    expect(missing.brief).toEqual(['E0326 4:23 "l.json" has no layout for layer 1, head 2']);
    expect(missing.diagnostics[0].label).toBe("missing for 2 heads");
    expect(diagnose('layers 1 heads 0..1 : layout "l.json"', { files: { "l.json": partial } }).brief).toEqual([]);
  });

  test("E0601, E0602, E0606: the layout file itself", () => {
    expect(diagnose('default : layout "nope.json"').brief).toEqual(['E0601 4:22 cannot read the layout file `"nope.json"`']);
    const huge = "x".repeat(ATTENTION_LIMITS.fileBytes + 1);
    expect(diagnose('default : layout "big.json"', { files: { "big.json": huge } }).brief).toEqual(['E0602 4:22 cannot read the layout file `"big.json"`']);
    const bad = diagnose('default : layout "l.json"', { files: { "l.json": layoutJson((j) => (j.layers[0].heads[2].keys[3] = [3, 9])) } });
    expect(bad.brief).toEqual(['E0606 4:22 layout file `"l.json"`: layers[0].heads[2].keys[3][1]: key block 9 is outside 0..3']);
    const many = diagnose('default : layout "l.json"', { files: { "l.json": layoutJson((j) => (j.layers[0].heads[0].keys = [[9], [9], [9], [9]]).toString() && (j.layers[1].heads[0].keys = [[9], [9], [9], [9]])) } });
    expect(many.brief).toHaveLength(6);
    expect(many.brief[5]).toBe('E0606 4:22 layout file `"l.json"`: 3 more problems');
  });

  test("E0401 limits, before anything is allocated", () => {
    const blocks = diagnose("default : window 64 block 8", { context: 1_048_576 });
    expect(blocks.brief).toEqual(["E0401 4:31 a block size of 8 cuts the context into 131072 blocks, above the limit of 65536"]);
    expect(blocks.diagnostics[0].help).toBe("use a block size of at least 16 (`block N`)");
    const entries = diagnose("heads 0 : window 64 block 16", { context: 1_048_576 });
    expect(entries.brief).toEqual(["E0401 4:15 the attention layouts would hold up to 4,295,294,976 key-block entries, above the limit of 33,554,432"]);
    // A layer of dense heads is dense attention, whatever its size: nothing to generate.
    expect(diagnose("default : dense block 16", { context: 1_048_576 }).brief).toEqual([]);
  });

  test("inherited problems name the model they were found in", () => {
    const source = `${model("layers 0..3 : window 16")}model small extends m { layers 2 }\n`;
    const checked = checkSource(source, { model: "small" });
    expect(checked.brief).toEqual(["E0325 4:12 `0..3` reaches layer 3, but `small` has 2 layers"]);
    expect(checked.diagnostics[0].labels?.at(-1)?.message).toBe("while checking `small`");
  });
});
