import { createToken, Lexer, type TokenType } from "./chevrotain.js";

/**
 * The .tfx tokens. Newlines are plain whitespace: fields end where the next field name starts
 * (see parser.ts), so a line may hold several fields.
 */

/** Every token except `{` and `}`: lets the parser skip a balanced `{ … }` it does not understand. */
export const NotBrace = createToken({ name: "NotBrace", pattern: Lexer.NA });

const line = "\\r\\n\\u2028\\u2029";

export const WhiteSpace = createToken({
  name: "WhiteSpace",
  // U+FEFF (a byte-order mark) and U+00A0 (pasted from the web) count as spaces, not as errors.
  pattern: /[ \t\f\v\r\n\u2028\u2029\u00a0\ufeff]+/,
  group: Lexer.SKIPPED,
});

export const BlockComment = createToken({
  name: "BlockComment",
  pattern: /\/\*[\s\S]*?\*\//,
  group: "comments",
  line_breaks: true,
});

/** `/*` with no `*\/` before the end of the file; reported as E0104. */
export const UnterminatedBlockComment = createToken({
  name: "UnterminatedBlockComment",
  pattern: /\/\*[\s\S]*/,
  group: "comments",
  line_breaks: true,
});

export const LineComment = createToken({
  name: "LineComment",
  pattern: new RegExp(`//[^${line}]*`),
  group: "comments",
});

/** Either kind of string; the parser consumes this category. */
export const StringToken = createToken({ name: "StringToken", pattern: Lexer.NA, categories: [NotBrace] });

export const TerminatedString = createToken({
  name: "TerminatedString",
  pattern: new RegExp(`"(?:[^"\\\\${line}]|\\\\[^${line}])*"`),
  categories: [StringToken, NotBrace],
});

/**
 * A string whose closing quote is missing before the end of its line. It is reported as E0103 and then
 * parsed as if it were closed there, so one missing quote does not swallow the rest of the file.
 */
export const UnterminatedString = createToken({
  name: "UnterminatedString",
  pattern: new RegExp(`"(?:[^"\\\\${line}]|\\\\[^${line}])*\\\\?`),
  categories: [StringToken, NotBrace],
});

export const NumberLiteral = createToken({
  name: "Number",
  // `0..5` lexes as `0` `..` `5`: a fraction needs a digit after its dot.
  pattern: /\d+(?:\.\d+)?(?:[eE][+-]?\d+)?/,
  categories: [NotBrace],
});

export const Identifier = createToken({
  name: "Identifier",
  pattern: /[A-Za-z_][A-Za-z0-9_]*/,
  categories: [NotBrace],
});

function keyword(word: string): TokenType {
  return createToken({
    name: word[0].toUpperCase() + word.slice(1),
    pattern: new RegExp(word),
    longer_alt: Identifier,
    categories: [NotBrace],
  });
}

export const Model = keyword("model");
export const Extends = keyword("extends");
export const Let = keyword("let");
export const Import = keyword("import");
export const Attention = keyword("attention");
export const Optimize = keyword("optimize");
export const Target = keyword("target");
export const Default = keyword("default");

export const KEYWORDS = [Model, Extends, Let, Import, Attention, Optimize, Target, Default] as const;

/** Keywords that can only start a top-level item; the parser resynchronises at each of them. */
export const TOP_LEVEL_KEYWORDS = [Model, Let, Import] as const;

function punctuation(name: string, text: string, notBrace = true): TokenType {
  const escaped = text.replace(/[.*+?^${}()|[\]\\/]/g, "\\$&");
  return createToken({ name, pattern: new RegExp(escaped), categories: notBrace ? [NotBrace] : [] });
}

export const LCurly = punctuation("LCurly", "{", false);
export const RCurly = punctuation("RCurly", "}", false);
export const LParen = punctuation("LParen", "(");
export const RParen = punctuation("RParen", ")");
export const LBracket = punctuation("LBracket", "[");
export const RBracket = punctuation("RBracket", "]");
export const Comma = punctuation("Comma", ",");
export const Colon = punctuation("Colon", ":");
export const DotDot = punctuation("DotDot", "..");
export const Plus = punctuation("Plus", "+");
export const Minus = punctuation("Minus", "-");
export const Star = punctuation("Star", "*");
export const Slash = punctuation("Slash", "/");
export const Percent = punctuation("Percent", "%");
export const Equals = punctuation("Equals", "=");

/** Lexer order matters: comments before `/`, keywords before identifiers. */
export const allTokens: TokenType[] = [
  WhiteSpace,
  BlockComment,
  UnterminatedBlockComment,
  LineComment,
  NotBrace,
  StringToken,
  TerminatedString,
  UnterminatedString,
  NumberLiteral,
  ...KEYWORDS,
  Identifier,
  LCurly,
  RCurly,
  LParen,
  RParen,
  LBracket,
  RBracket,
  Comma,
  Colon,
  DotDot,
  Plus,
  Minus,
  Star,
  Slash,
  Percent,
  Equals,
];

/** How a token type is named in a message: `}` for punctuation, words for the rest. */
export function describeTokenType(type: TokenType): string {
  switch (type) {
    case Identifier:
      return "a name";
    case NumberLiteral:
      return "a number";
    case StringToken:
    case TerminatedString:
    case UnterminatedString:
      return "a string";
    default: {
      const pattern = type.PATTERN;
      if (pattern instanceof RegExp) return `\`${pattern.source.replace(/\\(.)/g, "$1")}\``;
      return type.name;
    }
  }
}
