import type { CstNode, IToken } from "./chevrotain.js";
import { MODEL_FIELD_NAMES, type Comment, type SourceFile, type TopLevelItem } from "./ast.js";
import { AstBuilder } from "./build-ast.js";
import { Codes, error, type Diagnostic, type DiagnosticLabel } from "./diagnostics.js";
import { repairMisspeltKeywords } from "./keyword-repair.js";
import { lex, tokenEnd } from "./lexer.js";
import { tfxParser } from "./parser.js";
import { LineIndex } from "./source-text.js";
import type { Span } from "./span.js";
import { didYouMean } from "./suggest.js";
import { describeToken, syntaxDiagnostics } from "./syntax-errors.js";
import * as T from "./tokens.js";

export interface ParseResult {
  readonly ast: SourceFile;
  /** Every lexical and syntax error of the file, in source order. */
  readonly diagnostics: Diagnostic[];
}

/**
 * Parses one .tfx file. Never throws on user input: errors come back as diagnostics, and the AST holds
 * every item that could be read (see build-ast.ts for what is kept after an error).
 *
 * Recovery works at two levels. The file is cut at each `model`, `let` and `import` (which can only start
 * an item), and each piece is parsed on its own, so an error never spills into the next item. Inside an
 * item, Chevrotain's recovery (single-token insertion/deletion, resync at `}`) keeps going after an error.
 */
export function parse(text: string, file: string): ParseResult {
  const source = new LineIndex(text, file);
  try {
    return new FileParser(source).run();
  } catch (cause) {
    const message = cause instanceof Error ? cause.message : String(cause);
    return {
      ast: { kind: "SourceFile", file, items: [], span: source.span(0, text.length), comments: [] },
      diagnostics: [
        error(Codes.Internal, `internal error in the parser: ${message}`, source.span(0, 0), {
          help: "this is a bug in tfc; please report it with the file that caused it",
        }),
      ],
    };
  }
}

/** Deeper nesting than this is surely not a model spec, and would only exhaust the stack. */
const MAX_NESTING = 64;

class FileParser {
  private readonly diagnostics: Diagnostic[] = [];
  private readonly items: TopLevelItem[] = [];
  /** The `}` that closed the previous model, when unparsed tokens follow it. */
  private closedEarly: { brace: IToken; name: string } | undefined;

  constructor(private readonly source: LineIndex) {}

  run(): ParseResult {
    const lexed = lex(this.source);
    this.diagnostics.push(...lexed.diagnostics);
    const tokens = repairMisspeltKeywords(lexed.tokens, this.source, this.diagnostics);

    let i = 0;
    while (i < tokens.length) {
      if (isItemStart(tokens[i])) {
        const end = nextItemStart(tokens, i + 1);
        i += this.item(tokens.slice(i, end), tokens[end]);
      } else {
        const end = nextItemStart(tokens, i);
        this.junk(tokens[i]);
        i = end;
      }
    }

    const comments: Comment[] = lexed.comments.map((comment) => ({
      kind: "Comment",
      text: comment.image,
      span: this.source.span(comment.startOffset, tokenEnd(comment)),
    }));
    const diagnostics = this.diagnostics
      .map((diagnostic, index) => ({ diagnostic, index }))
      .sort((a, b) => a.diagnostic.span.start.offset - b.diagnostic.span.start.offset || a.index - b.index)
      .map(({ diagnostic }) => diagnostic);
    const ast: SourceFile = {
      kind: "SourceFile",
      file: this.source.file,
      items: this.items,
      span: this.source.span(0, this.source.text.length),
      comments,
    };
    return { ast, diagnostics };
  }

  /** Parses one item from `tokens` (which start with its keyword); returns how many tokens it used. */
  private item(tokens: IToken[], next: IToken | undefined): number {
    this.closedEarly = undefined;
    const tooDeep = findExcessiveNesting(tokens);
    if (tooDeep) {
      this.diagnostics.push(
        error(Codes.TooLarge, `nesting deeper than ${MAX_NESTING} levels`, this.tokenSpan(tooDeep), {
          label: "too deep",
          help: "simplify the expression, or name parts of it with `let`",
        }),
      );
      return tokens.length;
    }

    const keyword = tokens[0].tokenType;
    tfxParser.input = tokens;
    let cst: CstNode;
    try {
      cst =
        keyword === T.Model ? tfxParser.modelDecl() : keyword === T.Let ? tfxParser.letDecl() : tfxParser.importDecl();
    } catch (cause) {
      if (!(cause instanceof RangeError)) throw cause;
      this.diagnostics.push(
        error(Codes.TooLarge, "this item is too deeply nested to parse", this.tokenSpan(tokens[0]), { label: "too deep" }),
      );
      return tokens.length;
    }

    const errors = tfxParser.errors;
    const notAllParsed = errors.find((e) => e.name === "NotAllInputParsedException");
    const stoppedAt = notAllParsed ? tokens.indexOf(notAllParsed.token) : -1;
    const consumed = stoppedAt >= 1 ? stoppedAt : tokens.length;
    const parserDiagnostics = syntaxDiagnostics(
      errors.filter((e) => e !== notAllParsed),
      { source: this.source, tokens, next },
    );

    const builderDiagnostics: Diagnostic[] = [];
    const builder = new AstBuilder(this.source, builderDiagnostics);
    const item =
      keyword === T.Model ? builder.model(cst) : keyword === T.Let ? builder.letDeclaration(cst) : builder.importDeclaration(cst);
    if (item) this.items.push(item);

    // Where the parser already reported an error, what the builder finds at the same token is its echo.
    const reported = new Set(parserDiagnostics.map((d) => d.span.start.offset));
    this.diagnostics.push(...parserDiagnostics, ...builderDiagnostics.filter((d) => !reported.has(d.span.start.offset)));

    const last = tokens[consumed - 1];
    if (consumed < tokens.length && item?.kind === "Model" && last?.tokenType === T.RCurly) {
      this.closedEarly = { brace: last, name: item.name.name };
    }
    return consumed;
  }

  /** Tokens where an item should start: reported once, then skipped up to the next item. */
  private junk(first: IToken): void {
    const span = this.tokenSpan(first);
    // A field name or a block right after a model's `}` most likely belongs inside that model.
    const looksLikeMember =
      (first.tokenType === T.Identifier && (MODEL_FIELD_NAMES as readonly string[]).includes(first.image)) ||
      first.tokenType === T.Attention ||
      first.tokenType === T.Optimize ||
      first.tokenType === T.Target;
    if (!looksLikeMember) this.closedEarly = undefined;
    const labels: DiagnosticLabel[] = this.closedEarly
      ? [{ span: this.tokenSpan(this.closedEarly.brace), message: `model \`${this.closedEarly.name}\` ends here` }]
      : [];
    const closedEarlyHelp = this.closedEarly
      ? `if this belongs to model \`${this.closedEarly.name}\`, remove the \`}\` that closes it early`
      : undefined;
    this.closedEarly = undefined;

    if (first.tokenType === T.RCurly) {
      this.diagnostics.push(
        error(Codes.UnexpectedToken, "unexpected `}`", span, {
          label: "no block is open here",
          help: "remove it, or look above for a block that lacks its `{`",
        }),
      );
      return;
    }
    const suggestion = first.tokenType === T.Identifier ? didYouMean(first.image, ["model", "let", "import"]) : undefined;
    this.diagnostics.push(
      error(Codes.UnexpectedToken, `expected \`model\`, \`let\` or \`import\`, found ${describeToken(first)}`, span, {
        label: suggestion ? "not a keyword" : "expected an item",
        labels,
        help: suggestion
          ? `did you mean \`${suggestion}\`?`
          : (closedEarlyHelp ??
            (first.tokenType === T.Identifier
              ? "fields belong inside a model: `model NAME { … }`"
              : "a file holds `model NAME { … }`, `let NAME = VALUE` and `import \"FILE\"`")),
        ...(suggestion ? { fix: { span, replacement: suggestion } } : {}),
      }),
    );
  }

  private tokenSpan(token: IToken): Span {
    return this.source.span(token.startOffset, tokenEnd(token));
  }
}

function isItemStart(token: IToken): boolean {
  return token.tokenType === T.Model || token.tokenType === T.Let || token.tokenType === T.Import;
}

function nextItemStart(tokens: readonly IToken[], from: number): number {
  let i = from;
  while (i < tokens.length && !isItemStart(tokens[i])) i++;
  return i;
}

/** The first token past MAX_NESTING levels of brackets, or of a chain of unary minus signs. */
function findExcessiveNesting(tokens: readonly IToken[]): IToken | undefined {
  let depth = 0;
  let minusRun = 0;
  for (const token of tokens) {
    const type = token.tokenType;
    if (type === T.LParen || type === T.LBracket || type === T.LCurly) depth++;
    else if (type === T.RParen || type === T.RBracket || type === T.RCurly) depth = Math.max(0, depth - 1);
    minusRun = type === T.Minus ? minusRun + 1 : 0;
    if (depth > MAX_NESTING || minusRun > MAX_NESTING) return token;
  }
  return undefined;
}
