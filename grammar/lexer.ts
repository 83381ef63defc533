import { Lexer, type IToken } from "./chevrotain.js";
import { Codes, error, type Diagnostic } from "./diagnostics.js";
import type { LineIndex } from "./source-text.js";
import { allTokens, UnterminatedBlockComment, UnterminatedString } from "./tokens.js";

const tfxLexer = new Lexer(allTokens, {
  positionTracking: "onlyOffset",
  ensureOptimizations: false,
});

export interface LexResult {
  /** Tokens the parser reads (no whitespace, no comments). */
  readonly tokens: IToken[];
  /** Comments in source order, kept for the formatter. */
  readonly comments: IToken[];
  readonly diagnostics: Diagnostic[];
}

/** Hints for characters people type out of habit from other languages. */
const CHARACTER_HELP: Record<string, string> = {
  ";": "no `;` is needed: a field ends where the next field name starts",
  "#": "comments start with `//`",
  "'": "strings are written in double quotes: \"file.json\"",
  ".": "ranges are written with two dots (`0..5`) and fractions with a digit on both sides (`0.5`)",
  "`": "strings are written in double quotes: \"file.json\"",
};

export function lex(source: LineIndex): LexResult {
  const result = tfxLexer.tokenize(source.text);
  const diagnostics: Diagnostic[] = [];

  for (const lexError of result.errors) {
    const text = source.text.slice(lexError.offset, lexError.offset + Math.max(1, lexError.length));
    const first = String.fromCodePoint(text.codePointAt(0) ?? 0x3f);
    const span = source.span(lexError.offset, lexError.offset + Math.max(1, lexError.length));
    diagnostics.push(
      error(Codes.UnexpectedCharacter, `unexpected character${[...text].length > 1 ? "s" : ""} \`${text}\``, span, {
        label: "not part of the language",
        help: CHARACTER_HELP[first],
      }),
    );
  }

  for (const token of result.tokens) {
    if (token.tokenType === UnterminatedString) {
      diagnostics.push(
        error(Codes.UnterminatedString, "unterminated string", source.span(token.startOffset, token.startOffset + token.image.length), {
          label: "this string has no closing `\"`",
          help: 'add `"` where the string ends; a string cannot span lines',
        }),
      );
    }
  }

  const comments: IToken[] = [];
  for (const comment of result.groups.comments ?? []) {
    if (comment.tokenType === UnterminatedBlockComment) {
      diagnostics.push(
        error(Codes.UnterminatedComment, "unterminated block comment", source.span(comment.startOffset, comment.startOffset + 2), {
          label: "this comment is never closed",
          help: "add `*/` where the comment ends",
        }),
      );
    } else {
      comments.push(comment);
    }
  }

  return { tokens: result.tokens, comments, diagnostics };
}

/** The end offset (exclusive) of a real token. */
export function tokenEnd(token: IToken): number {
  return token.startOffset + token.image.length;
}

/** Tokens inserted by the parser's error recovery have no place in the text. */
export function isRealToken(token: IToken | undefined): token is IToken {
  return token !== undefined && Number.isFinite(token.startOffset) && token.isInsertedInRecovery !== true;
}
