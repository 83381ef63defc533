import { EOF, type IRecognitionException, type IToken, type TokenType } from "./chevrotain.js";
import { Codes, error, type Diagnostic, type DiagnosticLabel } from "./diagnostics.js";
import { isRealToken, tokenEnd } from "./lexer.js";
import type { SyntaxErrorPayload } from "./parser.js";
import type { LineIndex } from "./source-text.js";
import type { Span } from "./span.js";
import * as T from "./tokens.js";

/**
 * Chevrotain's recognition errors → Diagnostics. The parser sees one top-level item at a time (parse.ts
 * splits the file at `model`, `let` and `import`), so "end of input" here means "the next item or the
 * end of the file", and the enclosing block is found from the item's own tokens.
 */
export interface ItemTokens {
  readonly source: LineIndex;
  /** The tokens of this item. */
  readonly tokens: readonly IToken[];
  /** The first token after the item, if any (the parser saw EOF there). */
  readonly next: IToken | undefined;
}

const tokenTypesByName = new Map<string, TokenType>(T.allTokens.map((type) => [type.name, type]));

export function syntaxDiagnostics(errors: readonly IRecognitionException[], item: ItemTokens): Diagnostic[] {
  const diagnostics: Diagnostic[] = [];
  const seenOffsets = new Set<number>();
  for (const recognitionError of errors) {
    const diagnostic = toDiagnostic(recognitionError, item);
    // Recovery can raise a second error where the first one stood; the first says it best.
    if (seenOffsets.has(diagnostic.span.start.offset)) continue;
    seenOffsets.add(diagnostic.span.start.offset);
    diagnostics.push(diagnostic);
  }
  return diagnostics;
}

function decode(message: string): SyntaxErrorPayload | undefined {
  try {
    return JSON.parse(message) as SyntaxErrorPayload;
  } catch {
    return undefined;
  }
}

function toDiagnostic(recognitionError: IRecognitionException, item: ItemTokens): Diagnostic {
  const payload = decode(recognitionError.message);
  const atEnd = !isRealToken(recognitionError.token) || recognitionError.token.tokenType === EOF;
  const index = atEnd ? item.tokens.length : item.tokens.indexOf(recognitionError.token);
  const at = new ErrorSite(item, index < 0 ? item.tokens.length : index);

  if (!payload) return error(Codes.UnexpectedToken, `unexpected ${at.found()}`, at.actualSpan(), { label: "unexpected" });

  switch (payload.kind) {
    case "mismatch": {
      const expected = tokenTypesByName.get(payload.expected);
      if (expected === T.RCurly) return blockError(at, payload.ruleName);
      return missingToken(at, payload.ruleName, expected);
    }
    case "noViableAlt":
    case "earlyExit":
      return noViableAlternative(at, payload.ruleName, payload.expected);
    case "notAllInput":
      return error(Codes.UnexpectedToken, `unexpected ${at.found()}`, at.actualSpan(), { label: "unexpected here" });
  }
}

/** Where an error happened: the offending token (or the end of the item) and what came before it. */
class ErrorSite {
  readonly actual: IToken | undefined;
  readonly previous: IToken | undefined;
  readonly atEnd: boolean;

  constructor(
    readonly item: ItemTokens,
    readonly index: number,
  ) {
    this.atEnd = index >= item.tokens.length;
    this.actual = this.atEnd ? item.next : item.tokens[index];
    this.previous = index > 0 ? item.tokens[index - 1] : undefined;
  }

  get source(): LineIndex {
    return this.item.source;
  }

  found(): string {
    return this.actual ? describeToken(this.actual) : "end of file";
  }

  /** The offending token, or the end of the file. */
  actualSpan(): Span {
    if (this.actual) return this.tokenSpan(this.actual);
    const end = this.previous ? tokenEnd(this.previous) : this.source.text.length;
    return this.source.span(end, end);
  }

  /**
   * Where a missing token belongs: right after the previous token when the offending one is on a later
   * line or is the next item (so the caret sits at the end of the line that lacks it), else on the
   * offending token.
   */
  missingSpan(): Span {
    if (this.previous && (this.atEnd || !this.actual || this.lineOf(this.actual) > this.lineEndOf(this.previous))) {
      const end = tokenEnd(this.previous);
      return this.source.span(end, end);
    }
    return this.actualSpan();
  }

  tokenSpan(token: IToken): Span {
    return this.source.span(token.startOffset, tokenEnd(token));
  }

  /** The innermost `open` not closed before the error. */
  unclosed(open: TokenType, close: TokenType): { token: IToken; index: number } | undefined {
    const stack: number[] = [];
    for (let i = 0; i < this.index && i < this.item.tokens.length; i++) {
      const type = this.item.tokens[i].tokenType;
      if (type === open) stack.push(i);
      else if (type === close) stack.pop();
    }
    const index = stack.at(-1);
    return index === undefined ? undefined : { token: this.item.tokens[index], index };
  }

  private lineOf(token: IToken): number {
    return this.source.positionAt(token.startOffset).line;
  }

  private lineEndOf(token: IToken): number {
    return this.source.positionAt(tokenEnd(token)).line;
  }
}

// ---- `}` expected: an unclosed block, or a stray token inside one -------------------------------------

interface BlockInfo {
  /** "the model block", "the `attention` block" */
  readonly description: string;
  /** "the model body", "the `attention` block": where a stray token was found. */
  readonly inside: string;
  /** What may appear inside. */
  readonly expects: string;
  readonly keyword: IToken | undefined;
}

const BLOCK_CONTENTS: Record<string, string> = {
  modelDecl: "a field name, `attention`, `optimize`, `target` or `}`",
  attentionBlock: "`layers`, `heads`, `default` or `}`",
  optimizeBlock: "a directive such as `quantize`, `prune`, `share`, `recompute`, or `}`",
  targetBlock: "a field name such as `opset` or `device`, or `}`",
  balancedBlock: "`}`",
};

function describeBlock(at: ErrorSite, openIndex: number | undefined, ruleName: string): BlockInfo {
  const tokens = at.item.tokens;
  const expects = BLOCK_CONTENTS[ruleName] ?? "`}`";
  const before = (k: number): IToken | undefined => (openIndex === undefined ? undefined : tokens[openIndex - k]);
  const b1 = before(1);
  const b2 = before(2);
  if (b1?.tokenType === T.Attention || b1?.tokenType === T.Optimize) {
    const word = b1.tokenType === T.Attention ? "attention" : "optimize";
    return { description: `the \`${word}\` block`, inside: `the \`${word}\` block`, expects, keyword: b1 };
  }
  if (b1?.tokenType === T.Identifier && b2?.tokenType === T.Target) {
    const description = `the \`target ${b1.image}\` block`;
    return { description, inside: description, expects, keyword: b2 };
  }
  const model = tokens[0]?.tokenType === T.Model ? tokens[0] : undefined;
  // The model's own `{` follows `model NAME` or `model NAME extends PARENT`.
  const isModelBrace = openIndex === undefined || openIndex === 2 || (openIndex === 4 && tokens[2]?.tokenType === T.Extends);
  if (model && isModelBrace) {
    const name = tokens[1]?.tokenType === T.Identifier ? ` \`${tokens[1].image}\`` : "";
    return {
      description: `the block of model${name}`,
      inside: `the body of model${name}`,
      expects: BLOCK_CONTENTS.modelDecl,
      keyword: model,
    };
  }
  return { description: "the block", inside: "this block", expects, keyword: b1 };
}

function blockError(at: ErrorSite, ruleName: string): Diagnostic {
  const open = at.unclosed(T.LCurly, T.RCurly);
  const block = describeBlock(at, open?.index, ruleName);

  if (at.atEnd) {
    const where = block.keyword ?? open?.token;
    const position = where ? at.source.positionAt(where.startOffset) : undefined;
    const labels: DiagnosticLabel[] = open ? [{ span: at.tokenSpan(open.token), message: "this `{` is never closed" }] : [];
    const next = at.actual?.tokenType;
    const topLevelOnly =
      next === T.Let ? "; constants (`let`) are defined outside models" : next === T.Import ? "; `import` goes at the top of the file" : "";
    return error(Codes.MissingToken, `expected \`}\`, found ${at.found()}`, at.missingSpan(), {
      label: "expected `}`",
      labels,
      help: `add \`}\` to close ${block.description}${position ? ` opened at ${position.line}:${position.column}` : ""}${topLevelOnly}`,
    });
  }

  const actual = at.actual;
  return error(Codes.UnexpectedToken, `unexpected ${at.found()} in ${block.inside}`, at.actualSpan(), {
    label: `expected ${block.expects}`,
    help: actual ? strayTokenHelp(actual, ruleName) : undefined,
  });
}

function strayTokenHelp(actual: IToken, ruleName: string): string | undefined {
  const type = actual.tokenType;
  if (type === T.LCurly) {
    return ruleName === "modelDecl"
      ? "a model holds fields and the blocks `attention { … }`, `optimize { … }` and `target NAME { … }`"
      : "blocks do not nest here";
  }
  if (type === T.Default) return "`default` is a selector inside `attention { … }`";
  if (ruleName === "modelDecl" || ruleName === "targetBlock" || ruleName === "optimizeBlock") {
    if (type === T.NumberLiteral || type === T.StringToken || type === T.TerminatedString || type === T.LBracket) {
      return "a value follows the name it belongs to, as in `width 768`";
    }
    if (type === T.Colon || type === T.Equals) return "a field is written without `:` or `=`, as in `width 768`";
  }
  return undefined;
}

// ---- a specific token expected ---------------------------------------------------------------------

/** Message text for `rule:ExpectedToken`, when the generic "expected X" can say more. */
function expectationFor(at: ErrorSite, ruleName: string, expected: TokenType | undefined): { what: string; help?: string } {
  const previous = at.previous?.tokenType;
  const key = `${ruleName}:${expected?.name ?? ""}`;
  switch (key) {
    case "modelDecl:Identifier":
      return previous === T.Extends
        ? { what: "the name of the parent model after `extends`", help: "write `model NAME extends PARENT { … }`" }
        : { what: "a model name after `model`", help: "write `model NAME { … }`" };
    case "modelDecl:LCurly":
      return { what: "`{` to open the model body", help: "write `model NAME { … }` or `model NAME extends PARENT { … }`" };
    case "letDecl:Identifier":
      return { what: "a name after `let`", help: "write `let NAME = VALUE`, as in `let block = 64`" };
    case "letDecl:Equals":
      return { what: "`=` after the constant's name", help: "write `let NAME = VALUE`, as in `let block = 64`" };
    case "importDecl:StringToken":
      return { what: "a file name in double quotes after `import`", help: 'write `import "common.tfx"`' };
    case "attentionBlock:LCurly":
      return { what: "`{` after `attention`", help: "write `attention { layers 0..5 : window 256 }`" };
    case "optimizeBlock:LCurly":
      return { what: "`{` after `optimize`", help: "write `optimize { quantize matmul int8 }`" };
    case "targetBlock:Identifier":
      return { what: "a target name after `target`", help: "write `target onnx { opset 17 }`" };
    case "targetBlock:LCurly":
      return { what: "`{` after the target name", help: "write `target onnx { opset 17 }`" };
    case "assignment:Colon":
      return { what: "`:` between the selector and the pattern", help: "write a rule as `layers 0..5 : window 256`" };
    case "term:Identifier":
      return {
        what: previous === T.Plus ? "a pattern after `+`" : "a pattern name",
        help: "a pattern is a name with arguments, as in `window 256`, `global [0]` or `bigbird(block 64, random 3)`",
      };
    case "term:RParen":
      return { what: "`,` or `)` in the argument list" };
    case "atom:RParen":
      return { what: "`)`" };
    case "list:RBracket":
      return { what: "`,` or `]` in the list" };
    default:
      return { what: expected ? T.describeTokenType(expected) : "something else" };
  }
}

function missingToken(at: ErrorSite, ruleName: string, expected: TokenType | undefined): Diagnostic {
  const { what, help } = expectationFor(at, ruleName, expected);
  const labels: DiagnosticLabel[] = [];
  const opener =
    expected === T.RParen ? at.unclosed(T.LParen, T.RParen) : expected === T.RBracket ? at.unclosed(T.LBracket, T.RBracket) : undefined;
  if (opener) labels.push({ span: at.tokenSpan(opener.token), message: `this \`${opener.token.image}\` is not closed` });
  const short = expected ? T.describeTokenType(expected) : what;
  return error(Codes.MissingToken, `expected ${what}, found ${at.found()}`, at.missingSpan(), {
    label: `expected ${short}`,
    ...(labels.length > 0 ? { labels } : {}),
    ...(help ? { help } : {}),
  });
}

// ---- none of several alternatives ------------------------------------------------------------------

const ALTERNATIVES_BY_RULE: Record<string, string> = {
  atom: "an expression",
  unary: "an expression",
  product: "an expression",
  expression: "an expression",
  value: "a value",
  argument: "an argument",
  selector: "`layers`, `heads` or `default`",
  member: "a field name, `attention`, `optimize` or `target`",
};

function noViableAlternative(at: ErrorSite, ruleName: string, expectedNames: readonly string[]): Diagnostic {
  const what =
    ALTERNATIVES_BY_RULE[ruleName] ??
    listOf(expectedNames.map((name) => tokenTypesByName.get(name)).filter((t): t is TokenType => t !== undefined).map(T.describeTokenType));
  const after = at.previous ? ` after ${describeToken(at.previous)}` : "";
  const help = ruleName === "selector" ? "write a rule as `layers 0..5 : window 256`, `heads 0..3 : global [0]` or `default : dense`" : undefined;
  return error(Codes.UnexpectedToken, `expected ${what}${after}, found ${at.found()}`, at.missingSpan(), {
    label: `expected ${what}`,
    ...(help ? { help } : {}),
  });
}

function listOf(items: readonly string[]): string {
  const unique = [...new Set(items)];
  if (unique.length === 0) return "something else";
  if (unique.length === 1) return unique[0];
  return `${unique.slice(0, -1).join(", ")} or ${unique.at(-1)}`;
}

/** `model`, `}`, `width`, `768`, a string: how a token is named in a message. */
export function describeToken(token: IToken): string {
  if (token.tokenType === EOF) return "end of file";
  if (token.tokenType === T.TerminatedString || token.tokenType === T.UnterminatedString) return "a string";
  const image = token.image.length > 24 ? `${token.image.slice(0, 21)}...` : token.image;
  return `\`${image}\``;
}
