import { PNG } from "pngjs";
import { rasterizeText } from "./font.js";
import { COLORS, type Picture } from "./scene.js";

/** Pictures larger than this many pixels are refused before allocating (≈ 200 MB of RGBA). */
export const MAX_PNG_PIXELS = 50_000_000;

function rgb(hex: string): readonly [number, number, number] {
  return [parseInt(hex.slice(1, 3), 16), parseInt(hex.slice(3, 5), 16), parseInt(hex.slice(5, 7), 16)];
}

/** The picture as PNG bytes. */
export function renderPng(picture: Picture): Buffer {
  const { width, height, cell, layout } = picture;
  if (width * height > MAX_PNG_PIXELS) throw new RangeError(`a ${width} × ${height} picture is above the limit of ${MAX_PNG_PIXELS} pixels`);
  const png = new PNG({ width, height, colorType: 2 });
  const data = png.data;
  const fill = (x: number, y: number, w: number, h: number, color: readonly [number, number, number]): void => {
    for (let yy = Math.max(0, y); yy < Math.min(height, y + h); yy++) {
      for (let xx = Math.max(0, x); xx < Math.min(width, x + w); xx++) {
        const at = (yy * width + xx) * 4;
        data[at] = color[0];
        data[at + 1] = color[1];
        data[at + 2] = color[2];
        data[at + 3] = 255;
      }
    }
  };
  const background = rgb(COLORS.background);
  const empty = rgb(COLORS.empty);
  const attended = rgb(COLORS.attended);
  const border = rgb(COLORS.border);
  const ink = rgb(COLORS.text);
  fill(0, 0, width, height, background);

  const side = layout.blocks * cell;
  for (const panel of picture.panels) {
    fill(panel.x - 1, panel.y - 1, side + 2, side + 2, border);
    fill(panel.x, panel.y, side, side, empty);
    layout.heads[panel.head].keys.forEach((row, i) => {
      for (const j of row) {
        const x = panel.x + j * cell;
        const y = panel.y + i * cell;
        if (layout.causal && j === i) {
          // The diagonal block is causal inside: queries attend to keys at or before them.
          for (let dy = 0; dy < cell; dy++) fill(x, y + dy, dy + 1, 1, attended);
        } else {
          fill(x, y, cell, cell, attended);
        }
      }
    });
    drawText(panel.title.text, panel.title.x, panel.title.y, panel.title.scale);
  }
  for (const line of picture.lines) drawText(line.text, line.x, line.y, line.scale);
  return PNG.sync.write(png, { colorType: 2 });

  function drawText(text: string, x: number, y: number, scale: number): void {
    rasterizeText(text, x, y, scale, (px, py) => fill(px, py, 1, 1, ink));
  }
}
