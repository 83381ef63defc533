import type { Span } from "./span.js";

/**
 * The .tfx abstract syntax tree. A union tagged by `kind`; every node keeps its source span.
 * The parser is generic about field values: it records what was written, and the checker
 * (compiler/check) decides what each field means. That keeps the grammar small and lets the
 * checker give "did you mean" hints with exact spans.
 */

export interface Identifier {
  readonly kind: "Identifier";
  readonly name: string;
  readonly span: Span;
}

// ---- expressions -------------------------------------------------------------------------------

export interface NumberLiteral {
  readonly kind: "NumberLiteral";
  readonly value: number;
  /** The text as written (keeps "1e-6" vs "0.000001" for the formatter). */
  readonly text: string;
  /** True when written without a fraction or exponent. */
  readonly isInteger: boolean;
  readonly span: Span;
}

/** A bare name: a reference to a field or `let`, or a keyword value (`gelu`, `pre`, `tied`). */
export interface NameExpression {
  readonly kind: "Name";
  readonly name: string;
  readonly span: Span;
}

export interface BinaryExpression {
  readonly kind: "Binary";
  readonly operator: "+" | "-" | "*" | "/";
  readonly left: Expression;
  readonly right: Expression;
  readonly span: Span;
}

export interface UnaryExpression {
  readonly kind: "Unary";
  readonly operator: "-";
  readonly operand: Expression;
  readonly span: Span;
}

export interface ParenExpression {
  readonly kind: "Paren";
  readonly inner: Expression;
  readonly span: Span;
}

export type Expression =
  | NumberLiteral
  | NameExpression
  | BinaryExpression
  | UnaryExpression
  | ParenExpression;

// ---- values (what follows a field or directive name) -------------------------------------------

export interface StringLiteral {
  readonly kind: "StringLiteral";
  /** The unescaped contents. */
  readonly value: string;
  readonly span: Span;
}

/** `20%` */
export interface PercentValue {
  readonly kind: "Percent";
  readonly value: Expression;
  readonly span: Span;
}

/** `[0, 1, 2]` */
export interface ListValue {
  readonly kind: "List";
  readonly items: readonly Value[];
  readonly span: Span;
}

/** `0..5` (inclusive on both ends, as in the examples: `layers 0..5` is six layers). */
export interface RangeValue {
  readonly kind: "Range";
  readonly from: Expression;
  readonly to: Expression;
  readonly span: Span;
}

export type Value = Expression | StringLiteral | PercentValue | ListValue | RangeValue;

// ---- model members -----------------------------------------------------------------------------

/** `ffn 4 * width gelu`: a name followed by values (commas between values are allowed and dropped). */
export interface Field {
  readonly kind: "Field";
  readonly name: Identifier;
  readonly values: readonly Value[];
  readonly span: Span;
}

/** `layers 0..5`, `heads [0, 3]`, `default`. */
export interface Selector {
  readonly kind: "Selector";
  /** `undefined` means "inherit from the rule" (for a later `heads` part) or all layers. */
  readonly layers?: Value;
  readonly heads?: Value;
  readonly isDefault: boolean;
  readonly span: Span;
}

/** One keyword argument or positional argument of a pattern term: `block 64`, `256`, `dilation 2`. */
export interface PatternArgument {
  readonly kind: "PatternArgument";
  readonly name?: Identifier;
  readonly value?: Value;
  readonly span: Span;
}

/** `window 256 dilation 2`, `bigbird(block 64, random 3)`, `layout "file.json"`. */
export interface PatternTerm {
  readonly kind: "PatternTerm";
  readonly name: Identifier;
  readonly args: readonly PatternArgument[];
  readonly span: Span;
}

/** `window 256 + global [0]` */
export interface Pattern {
  readonly kind: "Pattern";
  readonly terms: readonly PatternTerm[];
  readonly span: Span;
}

/** One `selector : pattern` part of a rule. */
export interface AttentionAssignment {
  readonly kind: "AttentionAssignment";
  readonly selector: Selector;
  readonly pattern: Pattern;
  readonly span: Span;
}

/** `layers 6..11 heads 0..5 : strided 128, heads 6..11 : window 128` */
export interface AttentionRule {
  readonly kind: "AttentionRule";
  readonly assignments: readonly AttentionAssignment[];
  readonly span: Span;
}

export interface AttentionBlock {
  readonly kind: "AttentionBlock";
  readonly keyword: Identifier;
  readonly rules: readonly AttentionRule[];
  readonly span: Span;
}

/** `prune heads 20% by l2`: same shape as a field. */
export interface Directive {
  readonly kind: "Directive";
  readonly name: Identifier;
  readonly values: readonly Value[];
  readonly span: Span;
}

export interface OptimizeBlock {
  readonly kind: "OptimizeBlock";
  readonly keyword: Identifier;
  readonly directives: readonly Directive[];
  readonly span: Span;
}

/** `target onnx { opset 17 device cuda, cpu precision fp32 }` */
export interface TargetBlock {
  readonly kind: "TargetBlock";
  readonly keyword: Identifier;
  readonly name: Identifier;
  readonly fields: readonly Field[];
  readonly span: Span;
}

export type ModelMember = Field | AttentionBlock | OptimizeBlock | TargetBlock;

// ---- top level ---------------------------------------------------------------------------------

export interface ModelDeclaration {
  readonly kind: "Model";
  readonly name: Identifier;
  readonly parent?: Identifier;
  readonly members: readonly ModelMember[];
  readonly span: Span;
}

/** `let block = 64` */
export interface LetDeclaration {
  readonly kind: "Let";
  readonly name: Identifier;
  readonly value: Expression;
  readonly span: Span;
}

/** `import "common.tfx"` (relative to the importing file) */
export interface ImportDeclaration {
  readonly kind: "Import";
  readonly path: StringLiteral;
  readonly span: Span;
}

export type TopLevelItem = ModelDeclaration | LetDeclaration | ImportDeclaration;

/** A line or block comment, kept so the formatter can put comments back. Not part of `AstNode`. */
export interface Comment {
  readonly kind: "Comment";
  /** The comment as written, delimiters included. */
  readonly text: string;
  readonly span: Span;
}

export interface SourceFile {
  readonly kind: "SourceFile";
  readonly file: string;
  readonly items: readonly TopLevelItem[];
  readonly span: Span;
  /** The file's comments in source order (set by `parse`; optional for ASTs built in code). */
  readonly comments?: readonly Comment[];
}

export type AstNode =
  | SourceFile
  | TopLevelItem
  | ModelMember
  | Identifier
  | Value
  | Selector
  | PatternArgument
  | PatternTerm
  | Pattern
  | AttentionAssignment
  | AttentionRule;

/** Field names the parser knows: a known name after a field that already has values starts a new field. */
export const MODEL_FIELD_NAMES = [
  "kind",
  "vocab",
  "context",
  "width",
  "layers",
  "heads",
  "kv_heads",
  "head_dim",
  "ffn",
  "norm",
  "position",
  "bias",
  "token_types",
  "embedding",
  "output",
  "weights",
] as const;

export const TARGET_FIELD_NAMES = ["opset", "device", "precision", "threads"] as const;

export const DIRECTIVE_NAMES = ["share", "prune", "quantize", "recompute"] as const;

/** In an attention block these identifiers start a selector (`layers 0..5`, `heads [0, 1]`). */
export const SELECTOR_WORDS = ["layers", "heads"] as const;
