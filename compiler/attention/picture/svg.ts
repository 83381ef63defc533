import { COLORS, runsOf, type Picture } from "./scene.js";

/** SVGs with more rectangles than this are refused (a PNG draws any size). */
export const MAX_SVG_RECTS = 1_000_000;

function escape(text: string): string {
  return text.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;").replace(/"/g, "&quot;");
}

/** The number of attended rectangles `renderSvg` draws: one per run of consecutive key blocks in a row. */
export function svgRectCount(picture: Picture): number {
  const { layout } = picture;
  let count = 0;
  for (const panel of picture.panels) {
    layout.heads[panel.head].keys.forEach((row, i) => (count += runsOf(row, layout.causal ? i : undefined).length));
  }
  return count;
}

/**
 * The picture as SVG text. Each run of consecutive attended key blocks in a row is one
 * `<rect class="k">`; a causal diagonal block is a `<path class="d">` triangle (its lower-left half).
 */
export function renderSvg(picture: Picture): string {
  const { width, height, cell, layout } = picture;
  const rects = svgRectCount(picture);
  if (rects > MAX_SVG_RECTS) throw new RangeError(`the SVG would hold ${rects} rectangles, above the limit of ${MAX_SVG_RECTS}`);
  const side = layout.blocks * cell;
  const out: string[] = [
    `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}">`,
    "<style>",
    `text{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;fill:${COLORS.text}}`,
    `.k,.d{fill:${COLORS.attended}}.e{fill:${COLORS.empty};stroke:${COLORS.border};stroke-width:1}`,
    "</style>",
    `<rect width="${width}" height="${height}" fill="${COLORS.background}"/>`,
  ];
  const text = (line: { text: string; x: number; y: number; scale: number }) =>
    `<text x="${line.x}" y="${line.y + 7 * line.scale}" font-size="${10 * line.scale}">${escape(line.text)}</text>`;
  for (const line of picture.lines) out.push(text(line));
  for (const panel of picture.panels) {
    out.push(`<g data-head="${panel.head}">`, text(panel.title));
    out.push(`<rect class="e" x="${panel.x - 0.5}" y="${panel.y - 0.5}" width="${side + 1}" height="${side + 1}"/>`);
    layout.heads[panel.head].keys.forEach((row, i) => {
      const y = panel.y + i * cell;
      for (const run of runsOf(row, layout.causal ? i : undefined)) {
        out.push(`<rect class="k" x="${panel.x + run.from * cell}" y="${y}" width="${(run.to - run.from + 1) * cell}" height="${cell}"/>`);
      }
      if (layout.causal && row.includes(i)) {
        const x = panel.x + i * cell;
        out.push(`<path class="d" d="M${x} ${y}V${y + cell}H${x + cell}Z"/>`);
      }
    });
    out.push("</g>");
  }
  out.push("</svg>", "");
  return out.join("\n");
}
