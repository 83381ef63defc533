import {
  MODEL_FIELD_NAMES,
  TARGET_FIELD_NAMES,
  DIRECTIVE_NAMES,
  SELECTOR_WORDS,
  type AttentionBlock,
  type AttentionRule,
  type Comment,
  type Directive,
  type Expression,
  type Field,
  type ModelDeclaration,
  type ModelMember,
  type OptimizeBlock,
  type PatternArgument,
  type PatternTerm,
  type Selector,
  type SourceFile,
  type TargetBlock,
  type TopLevelItem,
  type Value,
} from "./ast.js";
import type { Span } from "./span.js";

/**
 * The canonical text of a spec: one field or directive per line, one attention rule per line, blocks on
 * their own lines, two-space indent, a blank line between models. Comments (from `parse`) are kept:
 * a comment on its own line stays before the thing it preceded, a comment at the end of a line stays at
 * the end of the last field of that line. Up to one blank line between members is kept.
 *
 * The output parses back to the same AST (up to spans), and formatting it again changes nothing.
 */
export function formatSource(ast: SourceFile): string {
  return new Printer(ast).print();
}

const INDENT = "  ";

interface Spanned {
  readonly span: Span;
}

class Printer {
  private readonly out: string[] = [];
  private readonly comments: readonly Comment[];
  private nextComment = 0;
  /** Source line where the last printed thing ended, in the current block (for keeping blank lines). */
  private lastLine: number | undefined;

  constructor(private readonly ast: SourceFile) {
    this.comments = [...(ast.comments ?? [])].sort((a, b) => a.span.start.offset - b.span.start.offset);
  }

  print(): string {
    let previous: TopLevelItem | "comment" | undefined;
    const items = this.ast.items;
    for (let i = 0; i < items.length; i++) {
      const item = items[i];
      while (this.peekComment(item.span.start.offset)) {
        const comment = this.takeComment();
        const afterModel = previous !== undefined && previous !== "comment" && previous.kind === "Model";
        if (afterModel || this.hasGapBefore(comment.span)) this.blank();
        this.comment(comment, "");
        previous = "comment";
      }
      if (previous !== undefined && previous !== "comment") {
        if (previous.kind === "Model" || item.kind === "Model" || this.hasGapBefore(item.span)) this.blank();
      } else if (previous === "comment" && this.hasGapBefore(item.span)) {
        this.blank();
      }
      this.item(item);
      this.trailing(item, items[i + 1]?.span.start.offset ?? Number.POSITIVE_INFINITY);
      previous = item;
    }
    while (this.nextComment < this.comments.length) {
      const comment = this.takeComment();
      const afterModel = previous !== undefined && previous !== "comment" && previous.kind === "Model";
      if (afterModel || this.hasGapBefore(comment.span)) this.blank();
      this.comment(comment, "");
      previous = "comment";
    }
    return this.out.length === 0 ? "" : `${this.out.join("\n")}\n`;
  }

  // ---- items and members ----------------------------------------------------------------------

  private item(item: TopLevelItem): void {
    switch (item.kind) {
      case "Import":
        this.line("", `import ${printString(item.path.value)}`, item.span);
        return;
      case "Let":
        this.line("", `let ${item.name.name} = ${printExpression(item.value)}`, item.span);
        return;
      case "Model":
        this.model(item);
        return;
    }
  }

  private model(model: ModelDeclaration): void {
    const head = `model ${model.name.name}${model.parent ? ` extends ${model.parent.name}` : ""}`;
    this.block("", head, model, model.members, (member, indent) => this.member(member, indent));
  }

  private member(member: ModelMember, indent: string): void {
    switch (member.kind) {
      case "Field":
        this.line(indent, printFieldLike(member, MODEL_FIELD_NAMES), member.span);
        return;
      case "AttentionBlock":
        this.attention(member, indent);
        return;
      case "OptimizeBlock":
        this.optimize(member, indent);
        return;
      case "TargetBlock":
        this.target(member, indent);
        return;
    }
  }

  private attention(block: AttentionBlock, indent: string): void {
    this.block(indent, "attention", block, block.rules, (rule, inner) => this.line(inner, printRule(rule), rule.span));
  }

  private optimize(block: OptimizeBlock, indent: string): void {
    this.block(indent, "optimize", block, block.directives, (directive: Directive, inner) =>
      this.line(inner, printFieldLike(directive, DIRECTIVE_NAMES), directive.span),
    );
  }

  private target(block: TargetBlock, indent: string): void {
    this.block(indent, `target ${block.name.name}`, block, block.fields, (field: Field, inner) =>
      this.line(inner, printFieldLike(field, TARGET_FIELD_NAMES), field.span),
    );
  }

  /** `head {`, the children one per line (with their comments), `}`. */
  private block<T extends Spanned>(
    indent: string,
    head: string,
    node: Spanned,
    children: readonly T[],
    printChild: (child: T, indent: string) => void,
  ): void {
    const end = node.span.end.offset;
    if (children.length === 0 && !this.peekComment(end)) {
      this.line(indent, `${head} {}`, node.span);
      return;
    }
    this.out.push(`${indent}${head} {`);
    const inner = indent + INDENT;
    this.lastLine = undefined;
    for (let i = 0; i < children.length; i++) {
      const child = children[i];
      this.leadingComments(child.span.start.offset, inner);
      if (this.hasGapBefore(child.span)) this.blank();
      printChild(child, inner);
      this.trailing(child, children[i + 1]?.span.start.offset ?? end);
    }
    this.leadingComments(end, inner);
    this.out.push(`${indent}}`);
    this.lastLine = node.span.end.line;
  }

  // ---- lines and comments ---------------------------------------------------------------------

  private line(indent: string, text: string, span: Span): void {
    this.out.push(`${indent}${text}`);
    this.lastLine = span.end.line;
  }

  private blank(): void {
    if (this.out.length > 0 && this.out[this.out.length - 1] !== "") this.out.push("");
  }

  private hasGapBefore(span: Span): boolean {
    return this.lastLine !== undefined && span.start.line > this.lastLine + 1;
  }

  private peekComment(before: number): Comment | undefined {
    const comment = this.comments[this.nextComment];
    return comment && comment.span.start.offset < before ? comment : undefined;
  }

  private takeComment(): Comment {
    return this.comments[this.nextComment++];
  }

  private leadingComments(before: number, indent: string): void {
    while (this.peekComment(before)) {
      const comment = this.takeComment();
      if (this.hasGapBefore(comment.span)) this.blank();
      this.comment(comment, indent);
    }
  }

  private comment(comment: Comment, indent: string): void {
    this.out.push(`${indent}${comment.text}`);
    this.lastLine = comment.span.end.line;
  }

  /** Comments that start on the line where `node` ends, before `limit`, go at the end of its last line. */
  private trailing(node: Spanned, limit: number): void {
    for (;;) {
      const comment = this.comments[this.nextComment];
      if (
        !comment ||
        comment.span.start.offset < node.span.end.offset ||
        comment.span.start.offset >= limit ||
        comment.span.start.line !== node.span.end.line ||
        comment.span.end.line !== comment.span.start.line
      ) {
        return;
      }
      this.nextComment++;
      this.out[this.out.length - 1] += ` ${comment.text}`;
    }
  }
}

// ---- fields, rules, values ---------------------------------------------------------------------------

/** `name v1 v2 …`, with the separators and parentheses that make it parse back to the same values. */
function printFieldLike(field: Field | Directive, knownNames: readonly string[]): string {
  const parts = [field.name.name];
  field.values.forEach((value, index) => {
    let text = printValue(value, false);
    if (index > 0) {
      const first = firstToken(value);
      // A known name would start a new field; a leading `-` would subtract from the previous value.
      if (first.kind === "name" && knownNames.includes(first.text)) text = `(${text})`;
      else if (first.kind === "minus") parts[parts.length - 1] += ",";
    }
    parts.push(text);
  });
  return parts.join(" ");
}

function printRule(rule: AttentionRule): string {
  return rule.assignments
    .map((assignment) => `${printSelector(assignment.selector)} : ${assignment.pattern.terms.map(printTerm).join(" + ")}`)
    .join(", ");
}

function printSelector(selector: Selector): string {
  if (selector.isDefault || (!selector.layers && !selector.heads)) return "default";
  const parts: string[] = [];
  if (selector.layers) parts.push(`layers ${printValue(selector.layers, false)}`);
  if (selector.heads) parts.push(`heads ${printValue(selector.heads, false)}`);
  return parts.join(" ");
}

/** `window 256 dilation 2` when that reads back the same and is short; else `bigbird(block 64, random 3)`. */
function printTerm(term: PatternTerm): string {
  if (term.args.length === 0) return term.name.name;
  if (term.args.length <= 2 && term.args.every((arg, i) => isSafeSpaceArgument(arg, i, term.args.length))) {
    return [term.name.name, ...term.args.map((arg) => printArgument(arg, true))].join(" ");
  }
  return `${term.name.name}(${term.args.map((arg) => printArgument(arg, false)).join(", ")})`;
}

function printArgument(arg: PatternArgument, spaceForm: boolean): string {
  const value = arg.value ? printValue(arg.value, spaceForm) : "";
  if (!arg.name) return value;
  // `dilation -2` would read as `dilation - 2`.
  const safeValue = arg.value && firstToken(arg.value).kind === "minus" ? `(${value})` : value;
  return arg.value ? `${arg.name.name} ${safeValue}` : arg.name.name;
}

/** Whether an argument reads back unchanged in the space-separated form (see parser.ts, `term`). */
function isSafeSpaceArgument(arg: PatternArgument, index: number, count: number): boolean {
  const value = arg.value;
  if (!value) return false;
  if (arg.name && isSelectorWord(arg.name.name)) return false;
  if (hasTopLevelPlus(value)) return false;
  const first = firstToken(value);
  if (first.kind === "minus") return false;
  if (first.kind === "name" && isSelectorWord(first.text)) return false;
  // `window (256)` would read as the parenthesised form.
  if (index === 0 && !arg.name && first.kind === "paren") return false;
  // A lone name followed by another argument would read as `name value`.
  if (!arg.name && value.kind === "Name" && index < count - 1) return false;
  return true;
}

function isSelectorWord(word: string): boolean {
  return (SELECTOR_WORDS as readonly string[]).includes(word);
}

function hasTopLevelPlus(value: Value): boolean {
  switch (value.kind) {
    case "Binary":
      return value.operator === "+" || hasTopLevelPlus(value.left) || hasTopLevelPlus(value.right);
    case "Percent":
      return hasTopLevelPlus(value.value);
    case "Range":
      return hasTopLevelPlus(value.from) || hasTopLevelPlus(value.to);
    case "Unary":
      return hasTopLevelPlus(value.operand);
    default:
      return false;
  }
}

type FirstToken = { kind: "name"; text: string } | { kind: "minus" } | { kind: "paren" } | { kind: "other" };

function firstToken(value: Value): FirstToken {
  switch (value.kind) {
    case "Name":
      return { kind: "name", text: value.name };
    case "Unary":
      return { kind: "minus" };
    case "Paren":
      return { kind: "paren" };
    case "Binary":
      return firstToken(value.left);
    case "Percent":
      return firstToken(value.value);
    case "Range":
      return firstToken(value.from);
    default:
      return { kind: "other" };
  }
}

/** `noPlus`: in the space form of a pattern, where a top-level `+` would join terms. */
function printValue(value: Value, noPlus: boolean): string {
  switch (value.kind) {
    case "StringLiteral":
      return printString(value.value);
    case "List":
      return `[${value.items.map((item) => printValue(item, false)).join(", ")}]`;
    case "Percent":
      return `${printExpression(value.value, 0, noPlus)}%`;
    case "Range":
      return `${printExpression(value.from, 0, noPlus)}..${printExpression(value.to, 0, noPlus)}`;
    default:
      return printExpression(value, 0, noPlus);
  }
}

const PRECEDENCE = { "+": 1, "-": 1, "*": 2, "/": 2 } as const;

/** Prints with the parentheses precedence needs (ASTs built in code may lack Paren nodes). */
export function printExpression(expression: Expression, minimum = 0, noPlus = false): string {
  switch (expression.kind) {
    case "NumberLiteral":
      return expression.text || String(expression.value);
    case "Name":
      return expression.name;
    case "Paren":
      return `(${printExpression(expression.inner)})`;
    case "Unary":
      return `-${printExpression(expression.operand, 3)}`;
    case "Binary": {
      const hyphenated = hyphenatedName(expression);
      if (hyphenated !== undefined) return hyphenated;
      const precedence = PRECEDENCE[expression.operator];
      const text = `${printExpression(expression.left, precedence)} ${expression.operator} ${printExpression(expression.right, precedence + 1)}`;
      return precedence < minimum || (noPlus && expression.operator === "+") ? `(${text})` : text;
    }
  }
}

/**
 * `hf-gpt2` lexes as `hf - gpt2`. When the parts are written with no space around the minus signs and
 * the first part is a name, this returns the text as written ("hf-gpt2"); otherwise undefined. The
 * checker can use it to read such a value as one word (a layout or file-format name).
 */
export function hyphenatedName(expression: Expression): string | undefined {
  if (expression.kind !== "Binary" || expression.operator !== "-") return undefined;
  const left = expression.left.kind === "Binary" ? hyphenatedName(expression.left) : leafText(expression.left, true);
  const right = leafText(expression.right, false);
  if (left === undefined || right === undefined) return undefined;
  if (expression.left.span.file !== expression.right.span.file) return undefined;
  if (expression.right.span.start.offset - expression.left.span.end.offset !== 1) return undefined;
  return `${left}-${right}`;
}

function leafText(expression: Expression, mustBeName: boolean): string | undefined {
  if (expression.kind === "Name") return expression.name;
  if (expression.kind === "NumberLiteral" && !mustBeName) return expression.text;
  return undefined;
}

/** A string literal that reads back as `value` (see unescapeString in build-ast.ts). */
export function printString(value: string): string {
  let out = '"';
  for (let i = 0; i < value.length; i++) {
    const c = value[i];
    if (c === '"') out += '\\"';
    else if (c === "\\") {
      const next = value[i + 1];
      out += next === undefined || next === "\\" || next === '"' ? "\\\\" : "\\";
    } else out += c;
  }
  return `${out}"`;
}
