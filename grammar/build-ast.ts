import type { CstElement, CstNode, IToken } from "./chevrotain.js";
import { MODEL_FIELD_NAMES, SELECTOR_WORDS } from "./ast.js";
import type * as A from "./ast.js";
import { Codes, error, type Diagnostic } from "./diagnostics.js";
import { isRealToken, tokenEnd } from "./lexer.js";
import type { LineIndex } from "./source-text.js";
import type { Span } from "./span.js";
import { didYouMean } from "./suggest.js";
import { describeToken } from "./syntax-errors.js";
import * as T from "./tokens.js";

/**
 * CST → AST. The CST may be partial after error recovery (missing children, tokens the parser inserted
 * with no place in the text). The rule here: a node whose required parts are missing is dropped (its
 * error was already reported), so every node in the AST is complete and every span is real text.
 */

type Spanned = IToken | { readonly span: Span } | undefined;

/** Above this many operands in one expression the tree gets too deep for recursive consumers. */
const MAX_OPERANDS = 256;

export class AstBuilder {
  constructor(
    private readonly source: LineIndex,
    private readonly diagnostics: Diagnostic[],
  ) {}

  // ---- top level ------------------------------------------------------------------------------

  model(cst: CstNode): A.ModelDeclaration | undefined {
    const keyword = token(cst, "Model");
    const name = this.identifier(token(cst, "name"));
    if (!keyword || !name) return undefined;
    const parent = this.identifier(token(cst, "parent"));
    const members: A.ModelMember[] = [];
    for (const member of nodes(cst, "member")) {
      const built = this.member(member);
      if (built) members.push(built);
    }
    return {
      kind: "Model",
      name,
      ...(parent ? { parent } : {}),
      members,
      span: this.cover(keyword, name, parent, ...members, token(cst, "RCurly")),
    };
  }

  letDeclaration(cst: CstNode): A.LetDeclaration | undefined {
    const keyword = token(cst, "Let");
    const name = this.identifier(token(cst, "name"));
    const value = this.expression(node(cst, "expression"));
    if (!keyword || !name || !value) return undefined;
    return { kind: "Let", name, value, span: this.cover(keyword, value) };
  }

  importDeclaration(cst: CstNode): A.ImportDeclaration | undefined {
    const keyword = token(cst, "Import");
    const path = this.stringLiteral(token(cst, "StringToken"));
    if (!keyword || !path) return undefined;
    return { kind: "Import", path, span: this.cover(keyword, path) };
  }

  // ---- members --------------------------------------------------------------------------------

  private member(cst: CstNode): A.ModelMember | undefined {
    const field = node(cst, "field");
    if (field) return this.field(field);
    const attention = node(cst, "attentionBlock");
    if (attention) return this.attentionBlock(attention);
    const optimize = node(cst, "optimizeBlock");
    if (optimize) return this.optimizeBlock(optimize);
    const target = node(cst, "targetBlock");
    if (target) return this.targetBlock(target);
    const unknown = node(cst, "unknownBlock");
    if (unknown) this.reportUnknownBlock(unknown);
    return undefined;
  }

  private field(cst: CstNode): A.Field | undefined {
    const parts = this.fieldParts(cst);
    return parts && { kind: "Field", ...parts };
  }

  private directive(cst: CstNode): A.Directive | undefined {
    const parts = this.fieldParts(cst);
    return parts && { kind: "Directive", ...parts };
  }

  /** Fields, target fields and directives share one shape: `NAME value*`. */
  private fieldParts(cst: CstNode): { name: A.Identifier; values: A.Value[]; span: Span } | undefined {
    const name = this.identifier(token(cst, "name"));
    if (!name) return undefined;
    const values: A.Value[] = [];
    for (const value of nodes(cst, "value")) {
      const built = this.value(value);
      if (built) values.push(built);
    }
    const stray = token(cst, "stray");
    if (isRealToken(stray)) this.reportStraySeparator(name, stray, values[0]);
    return { name, values, span: this.cover(name, ...values) };
  }

  private attentionBlock(cst: CstNode): A.AttentionBlock | undefined {
    const keyword = this.keyword(token(cst, "Attention"), "attention");
    if (!keyword) return undefined;
    const rules: A.AttentionRule[] = [];
    for (const rule of nodes(cst, "attentionRule")) {
      const built = this.attentionRule(rule);
      if (built) rules.push(built);
    }
    this.reportAttentionJunk(cst, rules);
    return { kind: "AttentionBlock", keyword, rules, span: this.cover(keyword, ...rules, token(cst, "RCurly")) };
  }

  private optimizeBlock(cst: CstNode): A.OptimizeBlock | undefined {
    const keyword = this.keyword(token(cst, "Optimize"), "optimize");
    if (!keyword) return undefined;
    const directives: A.Directive[] = [];
    for (const directive of nodes(cst, "directive")) {
      const built = this.directive(directive);
      if (built) directives.push(built);
    }
    return {
      kind: "OptimizeBlock",
      keyword,
      directives,
      span: this.cover(keyword, ...directives, token(cst, "RCurly")),
    };
  }

  private targetBlock(cst: CstNode): A.TargetBlock | undefined {
    const keyword = this.keyword(token(cst, "Target"), "target");
    const name = this.identifier(token(cst, "name"));
    if (!keyword || !name) return undefined;
    const fields: A.Field[] = [];
    for (const field of nodes(cst, "targetField")) {
      const built = this.field(field);
      if (built) fields.push(built);
    }
    return { kind: "TargetBlock", keyword, name, fields, span: this.cover(keyword, ...fields, token(cst, "RCurly")) };
  }

  // ---- attention ------------------------------------------------------------------------------

  private attentionRule(cst: CstNode): A.AttentionRule | undefined {
    const assignments: A.AttentionAssignment[] = [];
    for (const assignment of nodes(cst, "assignment")) {
      const built = this.assignment(assignment);
      if (built) assignments.push(built);
    }
    if (assignments.length === 0) return undefined;
    return { kind: "AttentionRule", assignments, span: this.cover(...assignments) };
  }

  private assignment(cst: CstNode): A.AttentionAssignment | undefined {
    const selector = this.selector(node(cst, "selector"));
    const pattern = this.pattern(node(cst, "pattern"));
    if (!selector || !pattern) return undefined;
    return { kind: "AttentionAssignment", selector, pattern, span: this.cover(selector, pattern) };
  }

  private selector(cst: CstNode | undefined): A.Selector | undefined {
    if (!cst) return undefined;
    const defaultToken = token(cst, "Default");
    if (isRealToken(defaultToken)) {
      return { kind: "Selector", isDefault: true, span: this.tokenSpan(defaultToken) };
    }
    const word = token(cst, "word");
    if (!isRealToken(word)) return undefined;
    const range = this.value(node(cst, "range"));
    const headsWord = token(cst, "headsWord");
    const headsRange = this.value(node(cst, "headsRange"));
    if (word.image !== "layers" && word.image !== "heads") {
      const suggestion = didYouMean(word.image, ["layers", "heads", "default"]);
      this.diagnostics.push(
        error(Codes.UnexpectedToken, `unknown selector \`${word.image}\``, this.tokenSpan(word), {
          label: "expected `layers`, `heads` or `default`",
          help: suggestion
            ? `did you mean \`${suggestion}\`?`
            : "a rule starts with `layers RANGE`, `heads RANGE`, `layers RANGE heads RANGE` or `default`",
          ...(suggestion ? { fix: { span: this.tokenSpan(word), replacement: suggestion } } : {}),
        }),
      );
      return undefined;
    }
    if (word.image === "heads" && isRealToken(headsWord)) {
      this.diagnostics.push(
        error(Codes.UnexpectedToken, "`heads` appears twice in one selector", this.tokenSpan(headsWord), {
          label: "second `heads`",
          labels: [{ span: this.tokenSpan(word), message: "first `heads`" }],
          help: "to give another head range its own pattern, separate the parts with `,`: `heads 0..5 : window 128, heads 6..11 : global [0]`",
        }),
      );
    }
    // A selector whose range was lost to a syntax error would silently mean "all layers": leave it out.
    if (!range || (isRealToken(headsWord) && !headsRange)) return undefined;
    const layers = word.image === "layers" ? range : undefined;
    const heads = word.image === "heads" ? range : headsRange;
    return {
      kind: "Selector",
      ...(layers ? { layers } : {}),
      ...(heads ? { heads } : {}),
      isDefault: false,
      span: this.cover(word, range, headsWord, headsRange),
    };
  }

  private pattern(cst: CstNode | undefined): A.Pattern | undefined {
    const terms: A.PatternTerm[] = [];
    for (const term of cst ? nodes(cst, "term") : []) {
      const built = this.term(term);
      if (built) terms.push(built);
    }
    if (terms.length === 0) return undefined;
    return { kind: "Pattern", terms, span: this.cover(...terms) };
  }

  private term(cst: CstNode): A.PatternTerm | undefined {
    const name = this.identifier(token(cst, "name"));
    if (!name) return undefined;
    const args: A.PatternArgument[] = [];
    for (const argument of nodes(cst, "argument")) {
      const built = this.argument(argument);
      if (built) args.push(built);
    }
    return { kind: "PatternTerm", name, args, span: this.cover(name, ...args, token(cst, "RParen")) };
  }

  private argument(cst: CstNode): A.PatternArgument | undefined {
    const name = this.identifier(token(cst, "name"));
    const value = this.value(node(cst, "value"));
    if (!value) return undefined;
    return { kind: "PatternArgument", ...(name ? { name } : {}), value, span: this.cover(name, value) };
  }

  // ---- values ---------------------------------------------------------------------------------

  private value(cst: CstNode | undefined): A.Value | undefined {
    if (!cst) return undefined;
    const string = token(cst, "StringToken");
    if (string) return this.stringLiteral(string);
    const list = node(cst, "list");
    if (list) return this.list(list);
    const expression = this.expression(node(cst, "expression"));
    if (!expression) return undefined;
    const percent = token(cst, "Percent");
    if (isRealToken(percent)) return { kind: "Percent", value: expression, span: this.cover(expression, percent) };
    if (token(cst, "DotDot")) {
      const to = this.expression(node(cst, "rangeEnd"));
      if (!to) return expression;
      return { kind: "Range", from: expression, to, span: this.cover(expression, to) };
    }
    return expression;
  }

  private list(cst: CstNode): A.ListValue | undefined {
    const open = token(cst, "LBracket");
    if (!isRealToken(open)) return undefined;
    const items: A.Value[] = [];
    for (const item of nodes(cst, "value")) {
      const built = this.value(item);
      if (built) items.push(built);
    }
    return { kind: "List", items, span: this.cover(open, ...items, token(cst, "RBracket")) };
  }

  private stringLiteral(string: IToken | undefined): A.StringLiteral | undefined {
    if (!isRealToken(string)) return undefined;
    const closed = string.tokenType === T.TerminatedString;
    const body = string.image.slice(1, closed ? -1 : undefined);
    return { kind: "StringLiteral", value: unescapeString(body), span: this.tokenSpan(string) };
  }

  // ---- expressions ----------------------------------------------------------------------------

  expression(cst: CstNode | undefined): A.Expression | undefined {
    if (!cst) return undefined;
    return this.leftFold(cst, (operand) => this.product(operand));
  }

  private product(cst: CstNode): A.Expression | undefined {
    return this.leftFold(cst, (operand) => this.unary(operand));
  }

  /** `a op b op c` → ((a op b) op c); stops at the first operand lost to error recovery. */
  private leftFold(cst: CstNode, operand: (node: CstNode) => A.Expression | undefined): A.Expression | undefined {
    const operands = nodes(cst, "operands");
    const operators = tokens(cst, "operators");
    if (operands.length > MAX_OPERANDS) {
      this.diagnostics.push(
        error(Codes.TooLarge, `expression has more than ${MAX_OPERANDS} operands`, this.cstSpan(cst), {
          label: "too long",
          help: "split it with `let` constants",
        }),
      );
      return undefined;
    }
    let result = operands[0] ? operand(operands[0]) : undefined;
    if (!result) return undefined;
    for (let i = 0; i < operators.length; i++) {
      const operator = operators[i];
      const right = operands[i + 1] ? operand(operands[i + 1]) : undefined;
      if (!right || !isRealToken(operator)) break;
      result = {
        kind: "Binary",
        operator: operator.image as A.BinaryExpression["operator"],
        left: result,
        right,
        span: this.cover(result, right),
      };
    }
    return result;
  }

  private unary(cst: CstNode): A.Expression | undefined {
    const minus = token(cst, "Minus");
    if (minus) {
      const operandNode = node(cst, "operand");
      const operand = operandNode ? this.unary(operandNode) : undefined;
      if (!operand || !isRealToken(minus)) return undefined;
      return { kind: "Unary", operator: "-", operand, span: this.cover(minus, operand) };
    }
    return this.atom(node(cst, "atom"));
  }

  private atom(cst: CstNode | undefined): A.Expression | undefined {
    if (!cst) return undefined;
    const number = token(cst, "Number");
    if (isRealToken(number)) {
      return {
        kind: "NumberLiteral",
        value: Number(number.image),
        text: number.image,
        isInteger: /^\d+$/.test(number.image),
        span: this.tokenSpan(number),
      };
    }
    const name = token(cst, "Identifier");
    if (isRealToken(name)) return { kind: "Name", name: name.image, span: this.tokenSpan(name) };
    const open = token(cst, "LParen");
    const inner = this.expression(node(cst, "expression"));
    if (!isRealToken(open) || !inner) return undefined;
    return { kind: "Paren", inner, span: this.cover(open, inner, token(cst, "RParen")) };
  }

  // ---- diagnostics found while building -------------------------------------------------------

  private reportStraySeparator(name: A.Identifier, stray: IToken, firstValue: A.Value | undefined): void {
    const span = this.tokenSpan(stray);
    const before = this.source.text[stray.startOffset - 1] ?? " ";
    const after = this.source.text[tokenEnd(stray)] ?? " ";
    const needsSpace = !/\s/.test(before) && !/\s/.test(after);
    this.diagnostics.push(
      error(Codes.UnexpectedToken, `unexpected \`${stray.image}\` after \`${name.name}\``, span, {
        label: `a field takes no \`${stray.image}\``,
        help: firstValue
          ? `write the values right after the name: \`${name.name} ${this.source.textOf(firstValue.span)}\``
          : "write the values right after the name, as in `width 768`",
        fix: { span, replacement: needsSpace ? " " : "" },
      }),
    );
  }

  /** Tokens in an attention block that start no rule: one diagnostic per run between rules. */
  private reportAttentionJunk(cst: CstNode, rules: readonly A.AttentionRule[]): void {
    const junk = elements(cst, "junk")
      .map((element) => ("children" in element ? firstToken(element) : element))
      .filter(isRealToken)
      .sort((a, b) => a.startOffset - b.startOffset);
    const ruleStarts = rules.map((rule) => rule.span.start.offset);
    let previous: number | undefined;
    for (const first of junk) {
      const startsRun = previous === undefined || ruleStarts.some((start) => start > previous! && start < first.startOffset);
      previous = first.startOffset;
      if (!startsRun) continue;
      if (first.tokenType === T.Identifier && (SELECTOR_WORDS as readonly string[]).includes(first.image)) {
        // The parser looked past `layers` and saw no range, so the rule never started.
        this.diagnostics.push(
          error(Codes.MissingToken, `\`${first.image}\` needs a range`, this.tokenSpan(first), {
            label: "expected a range after this, such as `0..5`, `[0, 2]` or `all`",
            help: `write a rule as \`${first.image} 0..5 : window 256\``,
          }),
        );
        continue;
      }
      this.diagnostics.push(
        error(Codes.UnexpectedToken, `unexpected ${describeToken(first)} in the \`attention\` block`, this.tokenSpan(first), {
          label: "expected `layers`, `heads`, `default` or `}`",
          help: attentionJunkHelp(first),
        }),
      );
    }
  }

  private reportUnknownBlock(cst: CstNode): void {
    const name = token(cst, "name");
    if (!isRealToken(name)) return;
    const suggestion = didYouMean(name.image, ["attention", "optimize", "target"]);
    this.diagnostics.push(
      error(Codes.UnexpectedToken, `unknown block \`${name.image}\``, this.tokenSpan(name), {
        label: "not a block of a model",
        help: suggestion
          ? `did you mean \`${suggestion}\`?`
          : "a model holds fields and the blocks `attention { … }`, `optimize { … }` and `target NAME { … }`",
      }),
    );
  }

  // ---- spans and identifiers ------------------------------------------------------------------

  private identifier(name: IToken | undefined): A.Identifier | undefined {
    if (!isRealToken(name) || name.image.length === 0) return undefined;
    return { kind: "Identifier", name: name.image, span: this.tokenSpan(name) };
  }

  /** A keyword as an Identifier; named by the keyword even when the token was a repaired misspelling. */
  private keyword(keyword: IToken | undefined, word: string): A.Identifier | undefined {
    if (!isRealToken(keyword)) return undefined;
    return { kind: "Identifier", name: word, span: this.tokenSpan(keyword) };
  }

  private tokenSpan(token: IToken): Span {
    return this.source.span(token.startOffset, tokenEnd(token));
  }

  /** The smallest span covering every real part. */
  private cover(...parts: Spanned[]): Span {
    let start = Number.POSITIVE_INFINITY;
    let end = Number.NEGATIVE_INFINITY;
    for (const part of parts) {
      if (part === undefined) continue;
      if ("span" in part) {
        start = Math.min(start, part.span.start.offset);
        end = Math.max(end, part.span.end.offset);
      } else if (isRealToken(part)) {
        start = Math.min(start, part.startOffset);
        end = Math.max(end, tokenEnd(part));
      }
    }
    if (!Number.isFinite(start)) return this.source.span(0, 0);
    return this.source.span(start, end);
  }

  private cstSpan(cst: CstNode): Span {
    let start = Number.POSITIVE_INFINITY;
    let end = Number.NEGATIVE_INFINITY;
    const visit = (element: CstElement): void => {
      if ("children" in element) {
        for (const children of Object.values(element.children)) for (const child of children) visit(child);
      } else if (isRealToken(element)) {
        start = Math.min(start, element.startOffset);
        end = Math.max(end, tokenEnd(element));
      }
    };
    visit(cst);
    return Number.isFinite(start) ? this.source.span(start, end) : this.source.span(0, 0);
  }
}

function attentionJunkHelp(first: IToken): string {
  const type = first.tokenType;
  if (type === T.Attention || type === T.Optimize || type === T.Target) {
    return "is the `}` that closes the `attention` block missing?";
  }
  if (type === T.Colon) return "a rule is written `SELECTOR : PATTERN`, as in `layers 0..5 : window 256`";
  if (type === T.Identifier) {
    if ((MODEL_FIELD_NAMES as readonly string[]).includes(first.image)) {
      return "fields belong in the model body, outside `attention { … }`";
    }
    const suggestion = didYouMean(first.image, ["layers", "heads"]);
    if (suggestion) return `did you mean \`${suggestion}\`?`;
  }
  return "a rule starts with `layers RANGE`, `heads RANGE`, `layers RANGE heads RANGE` or `default`";
}

function firstToken(cst: CstNode): IToken | undefined {
  let first: IToken | undefined;
  for (const children of Object.values(cst.children)) {
    for (const child of children) {
      const candidate = "children" in child ? firstToken(child) : child;
      if (isRealToken(candidate) && (!first || candidate.startOffset < first.startOffset)) first = candidate;
    }
  }
  return first;
}

/** `\"` and `\\` are escapes; any other backslash is kept as written (so Windows paths survive). */
export function unescapeString(body: string): string {
  return body.replace(/\\(["\\])/g, "$1");
}

// ---- CST access -----------------------------------------------------------------------------------

function elements(cst: CstNode, key: string): CstElement[] {
  return cst.children[key] ?? [];
}

function token(cst: CstNode, key: string): IToken | undefined {
  const first = elements(cst, key)[0];
  return first !== undefined && !("children" in first) ? first : undefined;
}

function tokens(cst: CstNode, key: string): IToken[] {
  return elements(cst, key).filter((element): element is IToken => !("children" in element));
}

function node(cst: CstNode, key: string): CstNode | undefined {
  const first = elements(cst, key)[0];
  return first !== undefined && "children" in first ? first : undefined;
}

function nodes(cst: CstNode, key: string): CstNode[] {
  return elements(cst, key).filter((element): element is CstNode => "children" in element);
}
