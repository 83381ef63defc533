import { formatDensity } from "../describe.js";
import { headDensity, type LayerLayout } from "../layout.js";
import { textWidth } from "./font.js";

/**
 * Where everything of a layout picture goes, in pixels, shared by the PNG and SVG renderers (and by
 * tests, to find a cell). One panel per head: query blocks down, key blocks across, one square cell
 * per (query block, key block). Above the panels a title; below them, the pattern of each head.
 */

export interface TextLine {
  readonly text: string;
  /** Top-left corner of the text. */
  readonly x: number;
  readonly y: number;
  readonly scale: 1 | 2;
}

export interface Panel {
  readonly head: number;
  /** Top-left corner of the cell area. */
  readonly x: number;
  readonly y: number;
  readonly title: TextLine;
}

export interface Picture {
  readonly layout: LayerLayout;
  readonly width: number;
  readonly height: number;
  /** Pixels per block. */
  readonly cell: number;
  readonly panels: readonly Panel[];
  readonly lines: readonly TextLine[];
}

export interface PictureOptions {
  /** The heads to draw; all by default. */
  readonly heads?: readonly number[];
  /** The first line: `bigbird_long · layer 0`. */
  readonly title: string;
  /** Pixels per block; by default panels are about 512 px for one head and 200 px in a grid. */
  readonly cell?: number;
}

export const COLORS = {
  background: "#ffffff",
  empty: "#e9edf3",
  attended: "#1d3557",
  text: "#222222",
  border: "#b8c0cc",
} as const;

const MARGIN = 16;
const GAP = 20;
const LINE = 12;
const TITLE_LINE = 22;
const PANEL_TITLE = 12;

export function pictureOf(layout: LayerLayout, options: PictureOptions): Picture {
  const heads = options.heads ?? layout.heads.map((_, index) => index);
  const n = layout.blocks;
  const single = heads.length === 1;
  const cell = options.cell ?? Math.min(16, Math.max(1, Math.floor((single ? 512 : 200) / n)));
  const side = n * cell;
  const columns = Math.max(1, Math.ceil(Math.sqrt(heads.length)));
  const rows = Math.ceil(heads.length / columns);

  const lines: TextLine[] = [];
  let y = MARGIN;
  lines.push({ text: options.title, x: MARGIN, y, scale: 2 });
  y += TITLE_LINE;
  const kind = layout.causal ? "decoder: the diagonal blocks are causal inside" : "encoder";
  lines.push({ text: `${n} × ${n} blocks of ${layout.blockSize} tokens · ${kind}`, x: MARGIN, y, scale: 1 });
  y += LINE;
  lines.push({ text: "rows: query blocks (down) · columns: key blocks (across) · dark: attended", x: MARGIN, y, scale: 1 });
  y += LINE + 8;

  const panels: Panel[] = heads.map((head, index) => {
    const column = index % columns;
    const row = Math.floor(index / columns);
    const left = MARGIN + column * (side + GAP);
    const top = y + row * (PANEL_TITLE + side + GAP);
    return {
      head,
      x: left,
      y: top + PANEL_TITLE,
      title: { text: `head ${head} · ${formatDensity(headDensity(layout, head))}`, x: left, y: top, scale: 1 },
    };
  });
  y += rows * (PANEL_TITLE + side + GAP) - GAP + 14;

  // The patterns, grouped: `heads 0..5: strided 128`.
  const groups = new Map<string, number[]>();
  for (const head of heads) {
    const text = layout.patterns[head] ?? "";
    groups.set(text, [...(groups.get(text) ?? []), head]);
  }
  for (const [text, members] of groups) {
    const who = members.length === 1 ? `head ${members[0]}` : `heads ${ranges(members)}`;
    lines.push({ text: `${who}: ${text}`, x: MARGIN, y, scale: 1 });
    y += LINE;
  }
  const panelsWidth = MARGIN + columns * side + (columns - 1) * GAP + MARGIN;
  const textsWidth = Math.max(...[...lines, ...panels.map((panel) => panel.title)].map((line) => line.x + textWidth(line.text, line.scale) + MARGIN));
  return { layout, width: Math.max(panelsWidth, textsWidth), height: y + MARGIN - LINE + 8, cell, panels, lines };
}

/** Top-left pixel of the cell of (query block `row`, key block `column`) in `panel`. */
export function cellOrigin(picture: Picture, panel: Panel, row: number, column: number): { readonly x: number; readonly y: number } {
  return { x: panel.x + column * picture.cell, y: panel.y + row * picture.cell };
}

/** [0, 1, 2, 5] → "0..2, 5". */
function ranges(numbers: readonly number[]): string {
  const parts: string[] = [];
  for (let i = 0; i < numbers.length; ) {
    let j = i;
    while (j + 1 < numbers.length && numbers[j + 1] === numbers[j] + 1) j++;
    parts.push(j > i ? `${numbers[i]}..${numbers[j]}` : String(numbers[i]));
    i = j + 1;
  }
  return parts.join(", ");
}

/** Maximal runs of consecutive key blocks in a row, leaving out `skip` (the causal diagonal block). */
export function runsOf(row: readonly number[], skip?: number): { readonly from: number; readonly to: number }[] {
  const runs: { from: number; to: number }[] = [];
  for (const j of row) {
    if (j === skip) continue;
    const last = runs[runs.length - 1];
    if (last && last.to === j - 1 && skip !== j - 1) last.to = j;
    else runs.push({ from: j, to: j });
  }
  return runs;
}
