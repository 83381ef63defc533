import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { pathToFileURL } from "node:url";

/**
 * Chevrotain, loaded from the single-file ESM bundle it ships (`lib/chevrotain.mjs`). The package's
 * export map points at its unbundled sources, whose lodash-es imports cost ~350 ms at every start of
 * the CLI; the bundle is the same code and loads in ~30 ms. Types still come from the package.
 */
type Chevrotain = typeof import("chevrotain");

const entry = createRequire(import.meta.url).resolve("chevrotain"); // …/chevrotain/lib/src/api.js
const chevrotain: Chevrotain = await import(pathToFileURL(join(dirname(entry), "..", "chevrotain.mjs")).href);

export const { createToken, Lexer, CstParser, tokenMatcher, EOF } = chevrotain;
export type { CstElement, CstNode, IToken, IRecognitionException, TokenType, IParserErrorMessageProvider } from "chevrotain";
