import { headDensity, type HeadLayout, type LayerLayout } from "./layout.js";

/** One head of a layer, for reports and titles. */
export interface HeadDescription {
  readonly head: number;
  /** What the spec wrote, with evaluated numbers: `window 256 + global [0]`. */
  readonly pattern: string;
  /** Fraction of (query, key) token pairs computed, against dense attention. */
  readonly density: number;
  /** The most key blocks one query block reads. */
  readonly maxKeys: number;
}

export function describeHeads(layout: LayerLayout): HeadDescription[] {
  return layout.heads.map((head, index) => ({
    head: index,
    pattern: layout.patterns[index] ?? "",
    density: headDensity(layout, index),
    maxKeys: head.keys.reduce((most, row) => Math.max(most, row.length), 0),
  }));
}

/** `12.5%`, `0.39%`, `100%`. */
export function formatDensity(density: number): string {
  const percent = density * 100;
  if (percent === 100 || percent === 0) return `${percent}%`;
  return `${percent >= 10 ? percent.toFixed(1) : percent >= 1 ? percent.toFixed(2) : percent.toPrecision(2)}%`;
}

/**
 * One line per head: its pattern, its density against dense attention and the widest row.
 * `head 3  window 256 + global [0]  9.38% of dense, ≤ 6 key blocks per query block`
 */
export function describeLayer(layout: LayerLayout): string[] {
  const heads = describeHeads(layout);
  const width = Math.max(...heads.map((h) => h.pattern.length));
  const label = String(layout.heads.length - 1).length;
  return heads.map(
    (h) =>
      `head ${String(h.head).padStart(label)}  ${h.pattern.padEnd(width)}  ${formatDensity(h.density).padStart(6)} of dense, ≤ ${h.maxKeys} key ${h.maxKeys === 1 ? "block" : "blocks"} per query block`,
  );
}

/**
 * A head as text, one line per query block: `#` an attended key block, `.` one not attended, and in a
 * causal layout `\` for the diagonal block (attended, causal inside). The pictures in docs/attention.md
 * and the golden tests are drawn with this.
 */
export function asciiLayout(head: HeadLayout, causal: boolean): string[] {
  const n = head.keys.length;
  return head.keys.map((row, i) => {
    const line = new Array<string>(n).fill(".");
    for (const j of row) line[j] = causal && j === i ? "\\" : "#";
    return line.join("");
  });
}
