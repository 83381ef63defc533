import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { layoutFileData, readLayoutFile, writeLayoutFile, type LayoutFileData, type LayoutFileProblem } from "./layout-file.js";
import { ATTENTION_LIMITS } from "./limits.js";
import { bigbirdLayout } from "./patterns/bigbird.js";

function problems(text: string): readonly LayoutFileProblem[] {
  const result = readLayoutFile(text);
  if ("file" in result) throw new Error("expected problems");
  return result.problems;
}

function brief(text: string): string[] {
  return problems(text).map((p) => `${p.path}: ${p.message}`);
}

const GOOD: LayoutFileData = {
  blockSize: 2,
  context: 6,
  layers: [
    {
      layer: 0,
      heads: [
        { head: 0, keys: [[0], [0, 1], [1, 2]] },
        { head: 3, keys: [[0, 2], [1], [0, 2]] },
      ],
    },
    { layer: 5, heads: [{ head: 1, keys: [[0, 1, 2], [1], [2]] }] },
  ],
};

/** The file of GOOD with one edit applied to the parsed JSON. */
function edited(edit: (json: any) => void): string {
  const json = JSON.parse(writeLayoutFile(GOOD));
  edit(json);
  return JSON.stringify(json);
}

describe("the layout file", () => {
  test("round trip: written text reads back to the same layouts, and writing again gives the same text", () => {
    const text = writeLayoutFile(GOOD);
    const result = readLayoutFile(text);
    if (!("file" in result)) throw new Error(JSON.stringify(result.problems));
    expect(result.file.toData()).toEqual(GOOD);
    expect(result.file.keysOf(0, 3)).toEqual([[0, 2], [1], [0, 2]]);
    expect(result.file.keysOf(0, 1)).toBeUndefined();
    expect(result.file.layerNumbers()).toEqual([0, 5]);
    expect(result.file.entries).toBe(15);
    expect(writeLayoutFile(result.file.toData())).toBe(text);
  });

  test("the documented shape: one row of key blocks per line", () => {
    expect(writeLayoutFile({ blockSize: 64, context: 128, source: "test", layers: [{ layer: 0, heads: [{ head: 0, keys: [[0], [0, 1]] }] }] })).toBe(
      [
        "{",
        '  "format": "tfc-attention-layout",',
        '  "version": 1,',
        '  "blockSize": 64,',
        '  "context": 128,',
        '  "source": "test",',
        '  "layers": [',
        '    { "layer": 0, "heads": [',
        '      { "head": 0, "keys": [',
        "        [0],",
        "        [0, 1]",
        "      ] }",
        "    ] }",
        "  ]",
        "}",
        "",
      ].join("\n"),
    );
  });

  test("property: any valid layout round-trips", () => {
    const data = fc.integer({ min: 1, max: 8 }).chain((blocks) => {
      const row = fc.uniqueArray(fc.nat({ max: blocks - 1 }), { maxLength: blocks }).map((r) => r.sort((a, b) => a - b));
      const head = fc.record({ head: fc.nat({ max: 20 }), keys: fc.array(row, { minLength: blocks, maxLength: blocks }) });
      const layer = fc.record({ layer: fc.nat({ max: 20 }), heads: fc.uniqueArray(head, { selector: (h) => h.head, maxLength: 4 }) });
      return fc.record({
        blockSize: fc.constantFrom(1, 16, 64),
        blocks: fc.constant(blocks),
        layers: fc.uniqueArray(layer, { selector: (l) => l.layer, maxLength: 4 }),
      });
    });
    fc.assert(
      fc.property(data, ({ blockSize, blocks, layers }) => {
        const written: LayoutFileData = { blockSize, context: blockSize * blocks, layers };
        const result = readLayoutFile(writeLayoutFile(written));
        if (!("file" in result)) throw new Error(JSON.stringify(result.problems));
        const sorted = [...layers].sort((a, b) => a.layer - b.layer).map((l) => ({ ...l, heads: [...l.heads].sort((a, b) => a.head - b.head) }));
        expect(result.file.toData()).toEqual({ ...written, layers: sorted });
      }),
      { numRuns: 200 },
    );
  });

  test("a model's layouts export and read back", () => {
    const grid = { blocks: 8, blockSize: 16, causal: false };
    const head = bigbirdLayout(grid, { window: 3, global: 1, random: 1, seed: 3, layer: 0, head: 0 });
    const layer = { ...grid, heads: [head, head], patterns: ["bigbird", "bigbird"] };
    const data = layoutFileData([undefined, layer], { context: 128 });
    if ("problem" in data) throw new Error(data.problem);
    expect(data.layers.map((l) => l.layer)).toEqual([1]);
    const result = readLayoutFile(writeLayoutFile(data));
    if (!("file" in result)) throw new Error("bad");
    expect(result.file.keysOf(1, 1)).toEqual(head.keys);
    expect(layoutFileData([undefined, layer], { context: 128, layers: [0] })).toEqual({ problem: "layer 0 has dense attention and no block layout" });
    const other = { ...layer, blockSize: 32, blocks: 4 };
    expect(layoutFileData([layer, other], { context: 128 })).toEqual({ problem: "the layers use different block sizes (16, 32); a layout file has one" });
  });
});

describe("layout file problems, each with a path into the JSON", () => {
  test("not JSON, not an object", () => {
    expect(brief("{")[0]).toMatch(/^: not valid JSON: /);
    expect(brief("[1]")).toEqual([': expected an object with "format": "tfc-attention-layout", not an array']);
  });

  test("format, version, unknown keys with a suggestion", () => {
    expect(brief(edited((j) => (j.format = "other")))).toEqual(['format: expected "tfc-attention-layout", not the string "other"']);
    expect(brief(edited((j) => delete j.format))).toEqual(['format: missing "format": "tfc-attention-layout"']);
    expect(brief(edited((j) => (j.version = 2)))).toEqual(["version: version 2 is not supported; this tfc reads version 1"]);
    expect(brief(edited((j) => (j.blocksize = 2)))).toEqual(['blocksize: unknown key "blocksize"; did you mean "blockSize"?']);
    expect(brief(edited((j) => (j.layers[0].heads[0].kyes = [])))).toEqual(['layers[0].heads[0].kyes: unknown key "kyes"; did you mean "keys"?']);
    expect(brief(edited((j) => (j.source = 3)))).toEqual(['source: "source" must be a string, not 3']);
  });

  test("context and block size", () => {
    expect(brief(edited((j) => (j.blockSize = 4)))).toEqual(["blockSize: the block size 4 does not divide the context 6"]);
    expect(brief(edited((j) => (j.blockSize = 0)))).toEqual(["blockSize: the block size 0 is outside 1..6"]);
    expect(brief(edited((j) => (j.context = 6.5)))).toEqual(["context: the context must be a whole number, not 6.5"]);
    expect(brief(edited((j) => (j.context = 2 ** 21)))).toEqual(["context: the context 2097152 is outside 1..1048576"]);
    expect(brief(edited((j) => ((j.context = 2 ** 20), (j.blockSize = 1))))).toEqual([
      "blockSize: context / blockSize is 1048576 blocks, above the limit of 65536",
    ]);
  });

  test("layers and heads", () => {
    expect(brief(edited((j) => (j.layers = {})))).toEqual(['layers: "layers" must be an array, not an object']);
    expect(brief(edited((j) => (j.layers[1].layer = 0)))).toEqual(["layers[1].layer: layer 0 is listed twice"]);
    expect(brief(edited((j) => (j.layers[0].layer = -1)))).toEqual(["layers[0].layer: the layer number -1 is outside 0..1023"]);
    expect(brief(edited((j) => (j.layers[0].heads[1].head = 0)))).toEqual(["layers[0].heads[1].head: head 0 of layer 0 is listed twice"]);
    expect(brief(edited((j) => delete j.layers[0].heads[0].keys))).toEqual(['layers[0].heads[0].keys: missing "keys"']);
    expect(brief(edited((j) => (j.layers = Array.from({ length: 1025 }, (_, layer) => ({ layer, heads: [] })))))).toEqual([
      "layers: 1025 layers, above the limit of 1024",
    ]);
  });

  test("rows: count, type, range, order, repeats — every problem, not just the first", () => {
    expect(brief(edited((j) => j.layers[0].heads[0].keys.pop()))).toEqual([
      "layers[0].heads[0].keys: expected 3 rows (one per query block: context / blockSize), found 2",
    ]);
    expect(
      brief(
        edited((j) => {
          j.layers[0].heads[0].keys[1] = [1, 0];
          j.layers[0].heads[0].keys[2] = [3, "x"];
          j.layers[1].heads[0].keys[0] = [1, 1];
          j.layers[1].heads[0].keys[1] = 7;
        }),
      ),
    ).toEqual([
      "layers[0].heads[0].keys[1][1]: key blocks must be ascending: 0 after 1",
      "layers[0].heads[0].keys[2][0]: key block 3 is outside 0..2",
      'layers[0].heads[0].keys[2][1]: a key block must be a whole number, not the string "x"',
      "layers[1].heads[0].keys[0][1]: key block 1 is listed twice",
      "layers[1].heads[0].keys[1]: a row must be an array of key blocks, not 7",
    ]);
  });

  test("stops after 20 problems", () => {
    const bad = [[5, 6, 7], [5, 6, 7], [5, 6, 7]];
    const list = brief(
      edited((j) => {
        j.layers[0].heads[0].keys = bad;
        j.layers[0].heads[1].keys = bad;
        j.layers[1].heads[0].keys = bad;
      }),
    );
    expect(list).toHaveLength(21);
    expect(list[20]).toBe(": stopped after 20 problems");
  });

  test("a text above the size limit is refused before it is parsed", () => {
    expect(brief("x".repeat(ATTENTION_LIMITS.fileBytes + 1))).toEqual([`: the file is ${ATTENTION_LIMITS.fileBytes + 1} characters long, above the limit of ${ATTENTION_LIMITS.fileBytes}`]);
  });
});
