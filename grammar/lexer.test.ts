import { describe, expect, it } from "vitest";
import { lex } from "./lexer.js";
import { LineIndex } from "./source-text.js";

function tokensOf(text: string): string[] {
  return lex(new LineIndex(text, "t.tfx")).tokens.map((token) => `${token.tokenType.name}:${token.image}`);
}

function codesOf(text: string): string[] {
  return lex(new LineIndex(text, "t.tfx")).diagnostics.map((d) => d.code);
}

describe("lexer", () => {
  it("splits `0..5` into number, `..`, number", () => {
    expect(tokensOf("0..5")).toEqual(["Number:0", "DotDot:..", "Number:5"]);
  });

  it("reads fractions and exponents as one number", () => {
    expect(tokensOf("1e-6 0.5 1.5E+3 12")).toEqual(["Number:1e-6", "Number:0.5", "Number:1.5E+3", "Number:12"]);
  });

  it("tells keywords from identifiers that start with one", () => {
    expect(tokensOf("model models model_x default defaults")).toEqual([
      "Model:model",
      "Identifier:models",
      "Identifier:model_x",
      "Default:default",
      "Identifier:defaults",
    ]);
  });

  it("lexes punctuation and `%`", () => {
    expect(tokensOf("{ } ( ) [ ] , : + - * / % =")).toHaveLength(14);
    expect(tokensOf("20%")).toEqual(["Number:20", "Percent:%"]);
  });

  it("skips line and block comments, and keeps them apart", () => {
    const result = lex(new LineIndex("a // one\n/* two\n three */ b", "t.tfx"));
    expect(result.tokens.map((t) => t.image)).toEqual(["a", "b"]);
    expect(result.comments.map((c) => c.image)).toEqual(["// one", "/* two\n three */"]);
  });

  it("keeps escapes inside strings", () => {
    expect(tokensOf('"a\\"b\\\\" x')).toEqual(['TerminatedString:"a\\"b\\\\"', "Identifier:x"]);
  });

  it("reports an unterminated string and ends it at the line end", () => {
    const result = lex(new LineIndex('weights "model.bin\nwidth 3', "t.tfx"));
    expect(result.diagnostics.map((d) => [d.code, d.span.start.line, d.span.start.column, d.span.end.column])).toEqual([
      ["E0103", 1, 9, 19],
    ]);
    expect(result.tokens.map((t) => t.image)).toEqual(["weights", '"model.bin', "width", "3"]);
  });

  it("reports an unterminated block comment at its opening", () => {
    const result = lex(new LineIndex("a /* never\nclosed", "t.tfx"));
    expect(result.diagnostics.map((d) => [d.code, d.span.start.column, d.span.end.column])).toEqual([["E0104", 3, 5]]);
    expect(result.tokens.map((t) => t.image)).toEqual(["a"]);
  });

  it("reports unexpected characters with a hint for common ones", () => {
    expect(codesOf("a @ b")).toEqual(["E0101"]);
    const [semicolon] = lex(new LineIndex("width 768;", "t.tfx")).diagnostics;
    expect(semicolon.message).toBe("unexpected character `;`");
    expect(semicolon.help).toMatch(/no `;` is needed/);
    expect(semicolon.span.start.column).toBe(10);
  });

  it("treats newlines of every kind as whitespace and counts lines like the renderer", () => {
    const source = new LineIndex("a\r\nb\rc\u2028d", "t.tfx");
    expect(tokensOf("a\r\nb\rc\u2028d")).toEqual(["Identifier:a", "Identifier:b", "Identifier:c", "Identifier:d"]);
    expect(source.positionAt(7)).toEqual({ offset: 7, line: 4, column: 1 });
  });
});
