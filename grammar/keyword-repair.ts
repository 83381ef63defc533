import { tokenMatcher, type IToken, type TokenType } from "./chevrotain.js";
import { Codes, error, type Diagnostic } from "./diagnostics.js";
import { tokenEnd } from "./lexer.js";
import type { LineIndex } from "./source-text.js";
import { didYouMean } from "./suggest.js";
import * as T from "./tokens.js";

/**
 * Misspelt keywords (`modle gpt {`, `atention {`) are reported once, with a suggestion and a fix, and then
 * read as the keyword they resemble, so the rest of the item parses normally instead of cascading.
 * A word is repaired only where the tokens around it leave no doubt about what it was meant to be.
 */
export function repairMisspeltKeywords(tokens: readonly IToken[], source: LineIndex, diagnostics: Diagnostic[]): IToken[] {
  const repaired = tokens.slice();
  let depth = 0;
  const typeAt = (i: number): TokenType | undefined => repaired[i]?.tokenType;

  for (let i = 0; i < repaired.length; i++) {
    const token = repaired[i];
    const type = token.tokenType;
    if (type === T.Model || type === T.Let || type === T.Import) depth = 0;
    else if (type === T.LCurly) depth++;
    else if (type === T.RCurly) depth = Math.max(0, depth - 1);
    if (type !== T.Identifier) continue;

    const next = typeAt(i + 1);
    const afterNext = typeAt(i + 2);
    let keyword: TokenType | undefined;
    if (depth === 0) {
      const previous = typeAt(i - 1);
      const atItemStart = previous === undefined || previous === T.RCurly || !isInsideItemHead(previous);
      if (atItemStart && next === T.Identifier && (afterNext === T.LCurly || afterNext === T.Extends)) {
        keyword = matches(token, T.Model);
      } else if (atItemStart && next === T.Identifier && afterNext === T.Equals) {
        keyword = matches(token, T.Let);
      } else if (atItemStart && repaired[i + 1] && tokenMatcher(repaired[i + 1], T.StringToken)) {
        keyword = matches(token, T.Import);
      } else if (typeAt(i - 2) === T.Model && previous === T.Identifier && next === T.Identifier && afterNext === T.LCurly) {
        keyword = matches(token, T.Extends);
      }
    } else if (depth === 1) {
      if (next === T.LCurly) keyword = matches(token, T.Attention) ?? matches(token, T.Optimize);
      else if (next === T.Identifier && afterNext === T.LCurly) keyword = matches(token, T.Target);
    }
    if (!keyword) continue;

    const word = keywordText(keyword);
    const span = source.span(token.startOffset, tokenEnd(token));
    diagnostics.push(
      error(Codes.UnexpectedToken, `unknown keyword \`${token.image}\``, span, {
        label: "not a keyword",
        help: `did you mean \`${word}\`?`,
        fix: { span, replacement: word },
      }),
    );
    repaired[i] = { ...token, tokenType: keyword, tokenTypeIdx: keyword.tokenTypeIdx as number };
    if (keyword === T.Model || keyword === T.Let || keyword === T.Import) depth = 0;
  }
  return repaired;
}

/** Tokens after which an identifier at depth 0 is part of the current item (a name or a value), not a new item. */
function isInsideItemHead(previous: TokenType): boolean {
  return (
    previous === T.Model ||
    previous === T.Extends ||
    previous === T.Let ||
    previous === T.Equals ||
    previous === T.Plus ||
    previous === T.Minus ||
    previous === T.Star ||
    previous === T.Slash ||
    previous === T.LParen
  );
}

function matches(token: IToken, keyword: TokenType): TokenType | undefined {
  const word = keywordText(keyword);
  return didYouMean(token.image, [word]) === word ? keyword : undefined;
}

function keywordText(keyword: TokenType): string {
  return keyword.name.toLowerCase();
}
