import type { Span } from "./span.js";

export type Severity = "error" | "warning" | "note";

/** A secondary mark in the code frame ("heads declared here"). */
export interface DiagnosticLabel {
  readonly span: Span;
  readonly message: string;
}

/** A machine-applicable edit: replace the text at `span` with `replacement`. */
export interface DiagnosticFix {
  readonly span: Span;
  readonly replacement: string;
}

/**
 * A diagnostic is plain data. `message` says what is wrong; `label` is the short text under the caret;
 * `help` says how to fix it. One renderer (grammar/render.ts) draws all of them.
 */
export interface Diagnostic {
  readonly severity: Severity;
  readonly code: DiagnosticCode;
  readonly message: string;
  readonly span: Span;
  readonly label?: string;
  readonly labels?: readonly DiagnosticLabel[];
  readonly help?: string;
  readonly fix?: DiagnosticFix;
}

/**
 * Every diagnostic code lives here, so codes stay unique and documented in one place.
 * E01xx: lexing and syntax; E02xx: names and values; E03xx: model consistency; E04xx: limits;
 * E05xx: features not supported yet; E06xx: files and imports; E09xx: internal.
 */
export const Codes = {
  UnexpectedCharacter: "E0101",
  UnexpectedToken: "E0102",
  UnterminatedString: "E0103",
  UnterminatedComment: "E0104",
  MissingToken: "E0105",

  UnknownField: "E0201",
  UnknownModel: "E0202",
  UnknownName: "E0203",
  UnknownKeyword: "E0204",
  BadValue: "E0205",
  MissingValue: "E0206",
  ExtraValue: "E0207",
  DuplicateField: "E0208",
  DuplicateModel: "E0209",
  NotAnInteger: "E0210",
  DivisionByZero: "E0211",
  CyclicDefinition: "E0212",
  DuplicateName: "E0213",

  MissingField: "E0301",
  NotPositive: "E0302",
  WidthNotDivisibleByHeads: "E0310",
  HeadsNotDivisibleByKvHeads: "E0311",
  HeadDimMismatch: "E0312",
  IncompatibleOption: "E0313",
  RotaryHeadDimOdd: "E0314",
  /** Attention layouts (compiler/attention): see docs/attention.md. */
  BlockSizeDoesNotDivideContext: "E0320",
  NotAMultipleOfBlockSize: "E0321",
  ConflictingBlockSizes: "E0322",
  FutureKeyBlock: "E0323",
  QueryWithoutKeys: "E0324",
  OutOfRange: "E0325",
  LayoutFileMismatch: "E0326",
  /** The spec's architecture is not the one a checkpoint layout stores (`layout hf-gpt2` with `norm rmsnorm`). */
  CheckpointArchitecture: "E0330",

  TooLarge: "E0401",

  NotSupportedYet: "E0501",

  FileNotFound: "E0601",
  FileTooLarge: "E0602",
  ImportCycle: "E0603",
  ModelNotChosen: "E0604",
  NoModel: "E0605",
  InvalidLayoutFile: "E0606",
  InvalidCalibrationFile: "E0607",
  /** Checkpoints (`weights "FILE" layout hf-…`): see docs/weights.md. */
  InvalidCheckpoint: "E0610",
  CheckpointMissingTensor: "E0611",
  CheckpointExtraTensor: "E0612",
  CheckpointTensorShape: "E0613",
  CheckpointTensorDtype: "E0614",
  /** `tfc import config.json`: a Hugging Face config that is not JSON, or that tfc cannot express. */
  InvalidConfig: "E0620",
  UnsupportedConfig: "E0621",

  Internal: "E0901",
} as const;

export type DiagnosticCode = (typeof Codes)[keyof typeof Codes];

export function error(
  code: DiagnosticCode,
  message: string,
  span: Span,
  extra: Partial<Pick<Diagnostic, "label" | "labels" | "help" | "fix">> = {},
): Diagnostic {
  return { severity: "error", code, message, span, ...extra };
}

export function hasErrors(diagnostics: readonly Diagnostic[]): boolean {
  return diagnostics.some((d) => d.severity === "error");
}
