import { readFileSync } from "node:fs";
import { describe, expect, test } from "vitest";
import { PatternArguments, type ArgumentValue } from "./arguments.js";
import { asciiLayout } from "./describe.js";
import { PATTERNS } from "./terms.js";

/**
 * The pictures in docs/attention.md are drawn by the generators: each is checked here, so the
 * documentation cannot drift from the code. `PRINT_PICTURES=1` prints them for pasting.
 */
export const PICTURES: readonly {
  readonly text: string;
  readonly name: string;
  readonly args: Readonly<Record<string, ArgumentValue>>;
  readonly causal: boolean;
  readonly blocks: number;
}[] = [
  { text: "dense", name: "dense", args: {}, causal: false, blocks: 8 },
  { text: "dense", name: "dense", args: {}, causal: true, blocks: 8 },
  { text: "window 128", name: "window", args: { size: 128 }, causal: false, blocks: 8 },
  { text: "window 128", name: "window", args: { size: 128 }, causal: true, blocks: 8 },
  { text: "window 128 dilation 2", name: "window", args: { size: 128, dilation: 2 }, causal: false, blocks: 8 },
  { text: "strided 192", name: "strided", args: { stride: 192 }, causal: true, blocks: 10 },
  { text: "fixed 192", name: "fixed", args: { stride: 192 }, causal: false, blocks: 9 },
  { text: "fixed 192 summary 128", name: "fixed", args: { stride: 192, summary: 128 }, causal: true, blocks: 9 },
  { text: "global [0, 200]", name: "global", args: { positions: { positions: [0, 200] } }, causal: false, blocks: 8 },
  { text: "global [0, 200]", name: "global", args: { positions: { positions: [0, 200] } }, causal: true, blocks: 8 },
  { text: "global 2", name: "global", args: { positions: { leadingBlocks: 2 } }, causal: false, blocks: 8 },
  { text: "random 2 seed 7", name: "random", args: { count: 2, seed: 7 }, causal: false, blocks: 8 },
  { text: "bigbird(window 3, global 1, random 2, seed 7)", name: "bigbird", args: { window: 3, global: 1, random: 2, seed: 7 }, causal: false, blocks: 8 },
  { text: "bigbird(window 3, global 1, random 2, seed 7)", name: "bigbird", args: { window: 3, global: 1, random: 2, seed: 7 }, causal: true, blocks: 8 },
  { text: "longformer(window 128, global [0])", name: "longformer", args: { window: 128, global: { positions: [0] } }, causal: false, blocks: 8 },
  { text: "blocked", name: "blocked", args: {}, causal: false, blocks: 8 },
  { text: "blocked 256", name: "blocked", args: { size: 256 }, causal: true, blocks: 8 },
];

export function pictureText(picture: (typeof PICTURES)[number]): string {
  const grid = { blocks: picture.blocks, blockSize: 64, causal: picture.causal };
  const layout = PATTERNS.get(picture.name)!.generate(grid, PatternArguments.of(picture.args), { layer: 0, head: 0 });
  const title = `${picture.text} — ${picture.causal ? "decoder" : "encoder"}, ${picture.blocks} blocks of 64 tokens`;
  return [title, ...asciiLayout(layout, picture.causal)].join("\n");
}

describe("docs/attention.md", () => {
  const docs = readFileSync(new URL("../../docs/attention.md", import.meta.url), "utf8");
  test.each(PICTURES.map((picture) => [pictureText(picture).split("\n")[0], picture] as const))("shows %s as the generator draws it", (_, picture) => {
    if (process.env.PRINT_PICTURES) console.log(`${pictureText(picture)}\n`);
    expect(docs).toContain(pictureText(picture));
  });
});
