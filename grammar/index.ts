/** The .tfx front end: text → AST and diagnostics, and the tools that go with them. */
export { parse, type ParseResult } from "./parse.js";
export { renderDiagnostic, renderDiagnostics, type RenderOptions } from "./render.js";
export { didYouMean, editDistance } from "./suggest.js";
export { formatSource, hyphenatedName, printExpression, printString } from "./format.js";
export { LineIndex } from "./source-text.js";
export * from "./ast.js";
export * from "./span.js";
export * from "./diagnostics.js";
