import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { readdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { PNG } from "pngjs";
import { readLayoutFile } from "../../compiler/attention/layout-file.js";
import { cellOrigin, pictureOf, runsOf, COLORS } from "../../compiler/attention/picture/index.js";
import type { LayerLayout } from "../../compiler/attention/layout.js";
import { checkFile } from "../../compiler/pipeline.js";
import type { ModelSpec } from "../../compiler/spec.js";
import { example, STACK_LINE, tempDir, tfc } from "./tfc.js";

function specOf(path: string): ModelSpec {
  const checked = checkFile(path);
  expect(checked.diagnostics).toEqual([]);
  return checked.spec!;
}

/** The colour at (x, y) as [r, g, b]. */
function pixel(png: PNG, x: number, y: number): [number, number, number] {
  const at = (y * png.width + x) * 4;
  return [png.data[at], png.data[at + 1], png.data[at + 2]];
}

const luminance = ([r, g, b]: [number, number, number]) => 0.2126 * r + 0.7152 * g + 0.0722 * b;
const hex = (color: string) => [1, 3, 5].map((i) => parseInt(color.slice(i, i + 2), 16));

describe("tfc layout", () => {
  const dir = tempDir("layout");
  afterAll(() => dir.remove());
  let bigbird: ModelSpec;
  let sparseGpt: ModelSpec;
  beforeAll(() => {
    bigbird = specOf(example("bigbird-long.tfx"));
    sparseGpt = specOf(example("sparse-gpt.tfx"));
  });

  it("draws every head of a layer as a PNG: expected size, attended cells dark, others light", () => {
    const out = join(dir.path, "bigbird.png");
    const result = tfc(["layout", example("bigbird-long.tfx"), "--layer", "0", "-o", out]);
    expect(result.stderr).toBe("");
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^wrote .*bigbird\.png \(\d+ × \d+ px, [\d.]+ KiB\): bigbird_long layer 0, 64 × 64 blocks of 64 tokens\n/);
    expect(result.stdout).toContain("head 11  bigbird(block 64, window 3, global 2, random 3, seed 7)");

    const layout = bigbird.attention!.layers[0]!;
    const picture = pictureOf(layout, { title: "bigbird_long · layer 0" });
    const png = PNG.sync.read(readFileSync(out));
    expect([png.width, png.height]).toEqual([picture.width, picture.height]);
    expect(picture.panels).toHaveLength(12);
    for (const panel of picture.panels) {
      const keys = layout.heads[panel.head].keys;
      const row = 20;
      const attended = keys[row][keys[row].length - 1];
      const missing = Array.from({ length: 64 }, (_, j) => j).find((j) => !keys[row].includes(j))!;
      const centre = (column: number) => {
        const { x, y } = cellOrigin(picture, panel, row, column);
        return pixel(png, x + Math.floor(picture.cell / 2), y + Math.floor(picture.cell / 2));
      };
      expect(centre(attended)).toEqual(hex(COLORS.attended));
      expect(luminance(centre(attended))).toBeLessThan(80);
      expect(centre(missing)).toEqual(hex(COLORS.empty));
      expect(luminance(centre(missing))).toBeGreaterThan(200);
    }
    // Written atomically: no temporary file is left beside it.
    expect(readdirSync(dir.path).filter((f) => f.endsWith(".tmp"))).toEqual([]);
  });

  it("half-shades the causal diagonal of a decoder: the lower-left half of the cell", () => {
    const out = join(dir.path, "gpt-head.png");
    const result = tfc(["layout", example("sparse-gpt.tfx"), "--layer", "6", "--head", "7", "--cell", "8", "-o", out]);
    expect(result.code).toBe(0);
    const layout = sparseGpt.attention!.layers[6]!;
    const picture = pictureOf(layout, { heads: [7], title: "", cell: 8 });
    const png = PNG.sync.read(readFileSync(out));
    expect([png.width, png.height]).toEqual([picture.width, picture.height]);
    const { x, y } = cellOrigin(picture, picture.panels[0], 10, 10);
    expect(pixel(png, x + 1, y + 6)).toEqual(hex(COLORS.attended));
    expect(pixel(png, x + 6, y + 1)).toEqual(hex(COLORS.empty));
    const past = cellOrigin(picture, picture.panels[0], 10, 9);
    expect(pixel(png, past.x + 6, past.y + 1)).toEqual(hex(COLORS.attended));
  });

  it("writes SVG by hand: one filled rect per run of attended key blocks, one triangle per causal diagonal", () => {
    const out = join(dir.path, "gpt.svg");
    const result = tfc(["layout", example("sparse-gpt.tfx"), "--layer", "0", "-o", out]);
    expect(result.code).toBe(0);
    const svg = readFileSync(out, "utf8");
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg.trimEnd().endsWith("</svg>")).toBe(true);
    const layout: LayerLayout = sparseGpt.attention!.layers[0]!;
    let runs = 0;
    let diagonals = 0;
    for (const head of layout.heads) {
      head.keys.forEach((row, i) => {
        // Runs of consecutive blocks, the diagonal block left out (it is drawn as a triangle).
        const rest = row.filter((j) => j !== i);
        runs += rest.filter((j, k) => k === 0 || rest[k - 1] !== j - 1 || j - 1 === i).length;
        if (row.includes(i)) diagonals++;
      });
    }
    expect(runs).toBe(layout.heads.reduce((sum, head) => sum + head.keys.reduce((s, row, i) => s + runsOf(row, i).length, 0), 0));
    expect(svg.match(/<rect class="k"/g)?.length).toBe(runs);
    expect(svg.match(/<path class="d"/g)?.length).toBe(diagonals);
    expect(svg.match(/<g data-head=/g)?.length).toBe(12);
    expect(svg).toContain("heads 0..11: window 256 + global [0]");
  });

  it("draws a dense layer too (a layer with no rule)", () => {
    const out = join(dir.path, "tiny.svg");
    const result = tfc(["layout", example("tiny-gpt.tfx"), "--layer", "0", "--head", "1", "-o", out]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("dense");
    expect(readFileSync(out, "utf8")).toContain("head 1: dense");
  });

  it("exports the layouts as a layout file that `layout \"FILE\"` reads back to the same layouts", () => {
    const out = join(dir.path, "sparse-gpt.layout.json");
    const result = tfc(["layout", example("sparse-gpt.tfx"), "-o", out]);
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/sparse_gpt, 12 layers, block 64\n$/);
    const read = readLayoutFile(readFileSync(out, "utf8"));
    if (!("file" in read)) throw new Error(JSON.stringify(read.problems));
    expect(read.file.layerNumbers()).toHaveLength(12);
    const spec = join(dir.path, "from-file.tfx");
    const text = readFileSync(example("sparse-gpt.tfx"), "utf8").replace(/attention \{[\s\S]*?\n  \}/, 'attention { default : layout "sparse-gpt.layout.json" }');
    writeFileSync(spec, text);
    const reread = specOf(spec);
    reread.attention!.layers.forEach((layer, index) => expect(layer!.heads).toEqual(sparseGpt.attention!.layers[index]!.heads));
    expect(tfc(["layout", example("sparse-gpt.tfx"), "--layer", "3", "-o", join(dir.path, "one.json")]).stdout).toMatch(/layer 3, block 64\n$/);
  });

  it("reports spec errors as diagnostics and exits 1", () => {
    const spec = join(dir.path, "typo.tfx");
    writeFileSync(spec, "model m {\n  kind encoder vocab 10 context 256 width 32 layers 2 heads 4\n  attention { default : windwo 64 }\n}\n");
    const result = tfc(["layout", spec, "--layer", "0", "-o", join(dir.path, "typo.png")]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/error\[E0204\]: unknown attention pattern `windwo`/);
    expect(result.stderr).toContain("did you mean `window`?");
    expect(result.stderr).not.toMatch(STACK_LINE);
  });

  it.each([
    [["--layer", "12", "-o", "x.png"], /error: layer 12 does not exist: `bigbird_long` has 12 layers\nhelp: layers are numbered 0 to 11/],
    [["--layer", "0", "--head", "12", "-o", "x.png"], /error: head 12 does not exist: `bigbird_long` has 12 heads/],
    [["-o", "x.png"], /error: --layer is required to draw a picture/],
    [["--layer", "0", "-o", "x.gif"], /Write a \.png, \.svg or \.json file\./],
    [["--layer", "0"], /required option '-o, --output <file>' not specified/],
    [["--layer", "-1", "-o", "x.png"], /argument '-1' is invalid/],
    [["--head", "0", "-o", "x.json"], /error: --head applies to pictures only/],
  ])("usage errors exit 2: %j", (args, message) => {
    const result = tfc(["layout", example("bigbird-long.tfx"), ...args], { cwd: dir.path });
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(message);
    expect(result.stderr).not.toMatch(STACK_LINE);
  });

  it("an unwritable output exits 1 with the reason", () => {
    const blocker = join(dir.path, "file");
    writeFileSync(blocker, "");
    const result = tfc(["layout", example("bigbird-long.tfx"), "--layer", "0", "-o", join(blocker, "x.png")]);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^error: cannot write .*x\.png: /);
    expect(result.stderr).not.toMatch(STACK_LINE);
  });

  it("--help explains the picture and shows examples", () => {
    const result = tfc(["layout", "--help"]);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain("Usage: tfc layout");
    expect(result.stdout.replace(/\s+/g, " ")).toContain("query blocks down, key blocks across");
    expect(result.stdout).toContain("$ tfc layout examples/bigbird-long.tfx --layer 0 -o bigbird-layer0.png");
    expect(tfc(["--help"]).stdout).toContain("layout");
  });
});
