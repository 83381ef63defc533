import type { Directive, Expression } from "../../../grammar/ast.js";
import type { Activation, ModelKind, OutputSpec } from "../../spec.js";
import type { NumberRule } from "../numbers.js";
import type { LoadFile } from "../attention/files.js";
import type { Report } from "../report.js";

/** The model facts a directive is checked against (already resolved and consistent). */
export interface ModelShape {
  readonly name: string;
  readonly kind: ModelKind;
  readonly vocab: number;
  readonly width: number;
  readonly layers: number;
  readonly heads: number;
  readonly kvHeads: number;
  readonly headDim: number;
  readonly ffnSize: number;
  readonly activation: Activation;
  readonly output: OutputSpec;
  /** The longest sequence (tokens); absent when it did not resolve. */
  readonly context?: number;
}

/** What every directive reader gets: the model, a number evaluator, and where to report. */
export interface DirectiveContext {
  readonly model: ModelShape;
  /** Evaluates an expression with the model's fields and `let`s and checks it against `rule` (reports and returns undefined on a problem). */
  readonly number: (expr: Expression, rule: NumberRule) => number | undefined;
  readonly report: Report;
  /** Reads a file the directive names, relative to the spec (`calibrate "FILE.json"`); absent: such files cannot be read. */
  readonly loadFile?: LoadFile;
}

/** Reads one directive of its kind; returns undefined after reporting what is wrong. */
export type DirectiveReader<D> = (directive: Directive, context: DirectiveContext) => D | undefined;
