import { CstParser, tokenMatcher, type IParserErrorMessageProvider, type TokenType } from "./chevrotain.js";
import { DIRECTIVE_NAMES, MODEL_FIELD_NAMES, SELECTOR_WORDS, TARGET_FIELD_NAMES } from "./ast.js";
import * as T from "./tokens.js";

/**
 * The .tfx grammar as a Chevrotain CstParser (CST → AST lives in build-ast.ts).
 *
 * Two things make the grammar more than LL(k):
 *  - Fields have no terminator, and several share a line (`kind encoder vocab 30522`). A field takes
 *    values until an identifier that names a known field appears at the start of a value position, once
 *    the field has at least one value. So `context width` and `head_dim width / heads` still work.
 *  - In the space-separated form of an attention pattern (`window 256 + global [0]`), `+` joins pattern
 *    terms, so expressions there do not take `+` at their top level (they do inside parentheses).
 *
 * Parse errors are data: the message provider below encodes each as JSON, and syntax-errors.ts turns it
 * into a Diagnostic with the context only it knows (the enclosing block, the token after the chunk).
 */

/** What a Chevrotain error message carries, decoded by syntax-errors.ts. */
export type SyntaxErrorPayload =
  | { readonly kind: "mismatch"; readonly expected: string; readonly ruleName: string }
  | { readonly kind: "noViableAlt"; readonly expected: readonly string[]; readonly ruleName: string }
  | { readonly kind: "earlyExit"; readonly expected: readonly string[]; readonly ruleName: string }
  | { readonly kind: "notAllInput"; readonly ruleName: string };

function firstTokenNames(paths: TokenType[][][]): string[] {
  const names = new Set<string>();
  for (const alternative of paths) for (const path of alternative) if (path[0]) names.add(path[0].name);
  return [...names];
}

const errorMessageProvider: IParserErrorMessageProvider = {
  buildMismatchTokenMessage: ({ expected, ruleName }) =>
    JSON.stringify({ kind: "mismatch", expected: expected.name, ruleName } satisfies SyntaxErrorPayload),
  buildNotAllInputParsedMessage: ({ ruleName }) =>
    JSON.stringify({ kind: "notAllInput", ruleName } satisfies SyntaxErrorPayload),
  buildNoViableAltMessage: ({ expectedPathsPerAlt, ruleName }) =>
    JSON.stringify({
      kind: "noViableAlt",
      expected: firstTokenNames(expectedPathsPerAlt),
      ruleName,
    } satisfies SyntaxErrorPayload),
  buildEarlyExitMessage: ({ expectedIterationPaths, ruleName }) =>
    JSON.stringify({
      kind: "earlyExit",
      expected: firstTokenNames([expectedIterationPaths]),
      ruleName,
    } satisfies SyntaxErrorPayload),
};

/** In an attention rule these identifiers start a selector, so a pattern's arguments stop before them. */
const SELECTOR_WORD_SET: ReadonlySet<string> = new Set(SELECTOR_WORDS);

export class TfxParser extends CstParser {
  constructor() {
    super(T.allTokens, { recoveryEnabled: true, maxLookahead: 3, errorMessageProvider });
    this.performSelfAnalysis();
  }

  // ---- top level ------------------------------------------------------------------------------

  readonly modelDecl = this.RULE("modelDecl", () => {
    this.CONSUME(T.Model);
    this.CONSUME(T.Identifier, { LABEL: "name" });
    this.OPTION(() => {
      this.CONSUME(T.Extends);
      this.CONSUME2(T.Identifier, { LABEL: "parent" });
    });
    this.CONSUME(T.LCurly);
    this.MANY(() => this.SUBRULE(this.member));
    this.CONSUME(T.RCurly);
  });

  readonly letDecl = this.RULE("letDecl", () => {
    this.CONSUME(T.Let);
    this.CONSUME(T.Identifier, { LABEL: "name" });
    this.CONSUME(T.Equals);
    this.SUBRULE(this.expression, { ARGS: [false] });
  });

  readonly importDecl = this.RULE("importDecl", () => {
    this.CONSUME(T.Import);
    this.CONSUME(T.StringToken);
  });

  // ---- model members --------------------------------------------------------------------------

  readonly member = this.RULE("member", () => {
    this.OR({
      IGNORE_AMBIGUITIES: true,
      DEF: [
        { GATE: () => this.atUnknownBlock(), ALT: () => this.SUBRULE(this.unknownBlock) },
        { ALT: () => this.SUBRULE(this.field) },
        { ALT: () => this.SUBRULE(this.attentionBlock) },
        { ALT: () => this.SUBRULE(this.optimizeBlock) },
        { ALT: () => this.SUBRULE(this.targetBlock) },
      ],
    });
  });

  readonly field = this.RULE("field", this.fieldLike(MODEL_FIELD_NAMES));

  readonly attentionBlock = this.RULE("attentionBlock", () => {
    this.CONSUME(T.Attention);
    this.CONSUME(T.LCurly);
    // Only `layers`, `heads` and `default` start a rule. Anything else up to the next rule is taken as
    // `junk` and reported once by build-ast.ts: Chevrotain's own resync would stop at the first name,
    // since a name may start the next member of the model.
    this.MANY(() =>
      this.OR({
        IGNORE_AMBIGUITIES: true,
        DEF: [
          {
            GATE: () => this.LA(1).tokenType === T.Default || this.atSelectorWord(1),
            ALT: () => this.SUBRULE(this.attentionRule),
          },
          { ALT: () => this.SUBRULE(this.balancedBlock, { LABEL: "junk" }) },
          { ALT: () => this.CONSUME(T.NotBrace, { LABEL: "junk" }) },
        ],
      }),
    );
    this.CONSUME(T.RCurly);
  });

  readonly optimizeBlock = this.RULE("optimizeBlock", () => {
    this.CONSUME(T.Optimize);
    this.CONSUME(T.LCurly);
    this.MANY(() => this.SUBRULE(this.directive));
    this.CONSUME(T.RCurly);
  });

  readonly directive = this.RULE("directive", this.fieldLike(DIRECTIVE_NAMES));

  readonly targetBlock = this.RULE("targetBlock", () => {
    this.CONSUME(T.Target);
    this.CONSUME(T.Identifier, { LABEL: "name" });
    this.CONSUME(T.LCurly);
    this.MANY(() => this.SUBRULE(this.targetField));
    this.CONSUME(T.RCurly);
  });

  readonly targetField = this.RULE("targetField", this.fieldLike(TARGET_FIELD_NAMES));

  /** `foo { … }` in a model: skipped as a whole and reported once, instead of derailing the model. */
  readonly unknownBlock = this.RULE("unknownBlock", () => {
    this.CONSUME(T.Identifier, { LABEL: "name" });
    this.OPTION(() => this.CONSUME2(T.Identifier, { LABEL: "label" }));
    this.SUBRULE(this.balancedBlock);
  });

  readonly balancedBlock = this.RULE("balancedBlock", () => {
    this.CONSUME(T.LCurly);
    this.MANY(() =>
      this.OR([{ ALT: () => this.SUBRULE(this.balancedBlock) }, { ALT: () => this.CONSUME(T.NotBrace) }]),
    );
    this.CONSUME(T.RCurly);
  });

  // ---- attention ------------------------------------------------------------------------------

  /** `layers 6..11 heads 0..5 : strided 128, heads 6..11 : window 128` */
  readonly attentionRule = this.RULE("attentionRule", () => {
    this.SUBRULE(this.assignment);
    this.MANY(() => {
      this.CONSUME(T.Comma);
      this.SUBRULE2(this.assignment);
    });
  });

  readonly assignment = this.RULE("assignment", () => {
    this.SUBRULE(this.selector);
    this.CONSUME(T.Colon);
    this.SUBRULE(this.pattern);
  });

  /** `default`, `layers R`, `layers R heads R`, `heads R`; the words are checked in build-ast.ts. */
  readonly selector = this.RULE("selector", () => {
    this.OR([
      { ALT: () => this.CONSUME(T.Default) },
      {
        ALT: () => {
          this.CONSUME(T.Identifier, { LABEL: "word" });
          this.SUBRULE(this.value, { ARGS: [false], LABEL: "range" });
          this.OPTION({
            GATE: () => this.LA(1).tokenType === T.Identifier && this.LA(1).image === "heads",
            DEF: () => {
              this.CONSUME2(T.Identifier, { LABEL: "headsWord" });
              this.SUBRULE2(this.value, { ARGS: [false], LABEL: "headsRange" });
            },
          });
        },
      },
    ]);
  });

  readonly pattern = this.RULE("pattern", () => {
    this.SUBRULE(this.term);
    this.MANY(() => {
      this.CONSUME(T.Plus);
      this.SUBRULE2(this.term);
    });
  });

  /** `bigbird(block 64, random 3)` or `window 256 dilation 2`. */
  readonly term = this.RULE("term", () => {
    this.CONSUME(T.Identifier, { LABEL: "name" });
    this.OR({
      IGNORE_AMBIGUITIES: true,
      DEF: [
        {
          ALT: () => {
            this.CONSUME(T.LParen);
            this.OPTION(() => {
              this.SUBRULE(this.argument, { ARGS: [false] });
              this.MANY(() => {
                this.CONSUME(T.Comma);
                this.SUBRULE2(this.argument, { ARGS: [false] });
              });
            });
            this.CONSUME(T.RParen);
          },
        },
        {
          ALT: () =>
            this.MANY2({
              GATE: () => !this.atSelectorWord(1),
              DEF: () => this.SUBRULE3(this.argument, { ARGS: [true] }),
            }),
        },
      ],
    });
  });

  /** `block 64` (named) or `256` (positional). */
  readonly argument = this.RULE("argument", (noPlus?: boolean) => {
    this.OR({
      IGNORE_AMBIGUITIES: true,
      DEF: [
        {
          GATE: () => this.atNamedArgument(),
          ALT: () => {
            this.CONSUME(T.Identifier, { LABEL: "name" });
            this.SUBRULE(this.value, { ARGS: [noPlus] });
          },
        },
        { ALT: () => this.SUBRULE2(this.value, { ARGS: [noPlus] }) },
      ],
    });
  });

  // ---- values and expressions -----------------------------------------------------------------

  /** A string, a list, or an expression optionally followed by `%` or `.. expression`. */
  readonly value = this.RULE("value", (noPlus?: boolean) => {
    this.OR([
      { ALT: () => this.CONSUME(T.StringToken) },
      { ALT: () => this.SUBRULE(this.list) },
      {
        ALT: () => {
          this.SUBRULE(this.expression, { ARGS: [noPlus] });
          this.OPTION(() =>
            this.OR2([
              { ALT: () => this.CONSUME(T.Percent) },
              {
                ALT: () => {
                  this.CONSUME(T.DotDot);
                  this.SUBRULE2(this.expression, { ARGS: [noPlus], LABEL: "rangeEnd" });
                },
              },
            ]),
          );
        },
      },
    ]);
  });

  readonly list = this.RULE("list", () => {
    this.CONSUME(T.LBracket);
    this.OPTION(() => {
      this.SUBRULE(this.value, { ARGS: [false] });
      this.MANY(() => {
        this.CONSUME(T.Comma);
        this.SUBRULE2(this.value, { ARGS: [false] });
      });
    });
    this.CONSUME(T.RBracket);
  });

  /** Sums; with `noPlus`, a top-level `+` is left for the pattern to join terms with. */
  readonly expression = this.RULE("expression", (noPlus?: boolean) => {
    this.SUBRULE(this.product, { LABEL: "operands" });
    this.MANY({
      GATE: () => !(noPlus === true && this.LA(1).tokenType === T.Plus),
      DEF: () => {
        this.OR([
          { ALT: () => this.CONSUME(T.Plus, { LABEL: "operators" }) },
          { ALT: () => this.CONSUME(T.Minus, { LABEL: "operators" }) },
        ]);
        this.SUBRULE2(this.product, { LABEL: "operands" });
      },
    });
  });

  readonly product = this.RULE("product", () => {
    this.SUBRULE(this.unary, { LABEL: "operands" });
    this.MANY(() => {
      this.OR([
        { ALT: () => this.CONSUME(T.Star, { LABEL: "operators" }) },
        { ALT: () => this.CONSUME(T.Slash, { LABEL: "operators" }) },
      ]);
      this.SUBRULE2(this.unary, { LABEL: "operands" });
    });
  });

  readonly unary = this.RULE("unary", () => {
    this.OR([
      {
        ALT: () => {
          this.CONSUME(T.Minus);
          this.SUBRULE(this.unary, { LABEL: "operand" });
        },
      },
      { ALT: () => this.SUBRULE(this.atom) },
    ]);
  });

  readonly atom = this.RULE("atom", () => {
    this.OR([
      { ALT: () => this.CONSUME(T.NumberLiteral) },
      { ALT: () => this.CONSUME(T.Identifier) },
      {
        ALT: () => {
          this.CONSUME(T.LParen);
          this.SUBRULE(this.expression, { ARGS: [false] });
          this.CONSUME(T.RParen);
        },
      },
    ]);
  });

  // ---- helpers --------------------------------------------------------------------------------

  /** `NAME value*` where a known name after the first value starts the next field. */
  private fieldLike(names: readonly string[]): () => void {
    const known: ReadonlySet<string> = new Set(names);
    return () => {
      this.CONSUME(T.Identifier, { LABEL: "name" });
      // `kind: encoder` is a common slip; accepted here and reported (with a fix) in build-ast.ts.
      this.OPTION(() =>
        this.OR([
          { ALT: () => this.CONSUME(T.Colon, { LABEL: "stray" }) },
          { ALT: () => this.CONSUME(T.Equals, { LABEL: "stray" }) },
        ]),
      );
      let valueCount = 0;
      this.MANY({
        GATE: () => valueCount === 0 || !(this.LA(1).tokenType === T.Identifier && known.has(this.LA(1).image)),
        DEF: () => {
          this.SUBRULE(this.value, { ARGS: [false] });
          valueCount++;
          this.OPTION2(() => this.CONSUME(T.Comma));
        },
      });
    };
  }

  /** `NAME {` or `NAME NAME {` in a model body: no field is followed by a block. */
  private atUnknownBlock(): boolean {
    if (this.LA(2).tokenType === T.LCurly) return true;
    return this.LA(2).tokenType === T.Identifier && this.LA(3).tokenType === T.LCurly;
  }

  private atSelectorWord(k: number): boolean {
    const token = this.LA(k);
    return token.tokenType === T.Identifier && SELECTOR_WORD_SET.has(token.image);
  }

  /** `NAME value` where the value starts with something other than `-` (`w - 1` stays an expression). */
  private atNamedArgument(): boolean {
    if (this.LA(1).tokenType !== T.Identifier) return false;
    const next = this.LA(2);
    if (next.tokenType === T.Identifier) return !SELECTOR_WORD_SET.has(next.image);
    return (
      next.tokenType === T.NumberLiteral ||
      tokenMatcher(next, T.StringToken) ||
      next.tokenType === T.LBracket ||
      next.tokenType === T.LParen
    );
  }
}

/** The one parser instance; Chevrotain parsers are built once and reused by setting `input`. */
export const tfxParser = new TfxParser();
