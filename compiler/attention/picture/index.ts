/** Pictures of block layouts: `tfc layout` and the README's. */
export { pictureOf, cellOrigin, runsOf, COLORS, type Picture, type Panel, type PictureOptions, type TextLine } from "./scene.js";
export { renderPng, MAX_PNG_PIXELS } from "./png.js";
export { renderSvg, svgRectCount, MAX_SVG_RECTS } from "./svg.js";
