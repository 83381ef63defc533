import type { Directive } from "../../../grammar/ast.js";
import { Codes, error } from "../../../grammar/diagnostics.js";
import type { Span } from "../../../grammar/span.js";
import type { DirectiveContext } from "./context.js";
import { CALIBRATION_LIMITS, readCalibrationTokens } from "./calibration-file.js";
import { DirectiveWords } from "./words.js";

/**
 * `quantize …`: what the quantize passes do (passes/quantize-*.ts; docs/optimize.md).
 *
 *   quantize matmul int8 dynamic|weight_only [per_channel|per_tensor] [symmetric|asymmetric]
 *   quantize matmul int8 static minmax|percentile P% [per_channel|per_tensor] [symmetric|asymmetric]
 *                               [samples N] [seq N] [seed N] | [calibrate "FILE.json"]
 *   quantize matmul int4 block 32|64|128 [symmetric|asymmetric] [accuracy int8|fp32]
 *   quantize embeddings int8 [per_row|per_tensor] [symmetric|asymmetric]
 *   quantize embeddings int4 block 32|64|128 [symmetric|asymmetric]
 *   quantize fp16
 */
export type QuantizeDirective =
  | {
      readonly kind: "quantize";
      readonly target: "matmul";
      readonly bits: 8;
      readonly mode: "dynamic" | "weight_only";
      readonly perChannel: boolean;
      readonly symmetric: boolean;
      readonly span: Span;
    }
  | {
      readonly kind: "quantize";
      readonly target: "matmul";
      readonly bits: 8;
      readonly mode: "static";
      readonly perChannel: boolean;
      readonly symmetric: boolean;
      /** How observed activations become a range (compiler/ir/quant/math.ts RangeMethod). */
      readonly method: { readonly kind: "minmax" } | { readonly kind: "percentile"; readonly percentile: number };
      readonly calibration: CalibrationSamples;
      readonly span: Span;
    }
  | { readonly kind: "quantize"; readonly target: "matmul"; readonly bits: 4; readonly blockSize: 32 | 64 | 128; readonly symmetric: boolean; readonly accuracyLevel: 0 | 4; readonly span: Span }
  | { readonly kind: "quantize"; readonly target: "embeddings"; readonly bits: 8; readonly perRow: boolean; readonly symmetric: boolean; readonly span: Span }
  | { readonly kind: "quantize"; readonly target: "embeddings"; readonly bits: 4; readonly blockSize: 32 | 64 | 128; readonly symmetric: boolean; readonly span: Span }
  | { readonly kind: "quantize"; readonly target: "fp16"; readonly span: Span };

/** What the model is run on to observe activations: seeded random token ids, or ids from a file. */
export type CalibrationSamples =
  | { readonly kind: "seeded"; readonly samples: number; readonly seq: number; readonly seed: number }
  | { readonly kind: "file"; readonly path: string; readonly tokens: readonly (readonly number[])[] };

/** Seeded calibration: 8 sequences of (at most) 128 tokens, seed 0. */
export const DEFAULT_CALIBRATION = { samples: 8, seq: 128, seed: 0 } as const;

const EXAMPLES = {
  dynamic: "quantize matmul int8 dynamic per_channel",
  static: "quantize matmul int8 static minmax samples 8 seed 1",
  int4: "quantize matmul int4 block 32",
  embeddings: "quantize embeddings int8",
  fp16: "quantize fp16",
} as const;

const SYMMETRY = ["symmetric", "asymmetric"] as const;
const BLOCKS = ["32", "64", "128"];

export function readQuantize(directive: Directive, context: DirectiveContext): QuantizeDirective | undefined {
  const words = new DirectiveWords(directive, context, "`quantize`");
  const span = directive.span;
  const target = words.word(["matmul", "embeddings", "fp16"] as const, "what to quantize", EXAMPLES.dynamic);
  if (!target) return undefined;
  if (target.word === "fp16") return words.end(EXAMPLES.fp16) ? { kind: "quantize", target: "fp16", span } : undefined;
  words.setUsage(`\`quantize ${target.word}\``);
  const bits = words.word(["int8", "int4"] as const, "a format", target.word === "matmul" ? EXAMPLES.dynamic : EXAMPLES.embeddings);
  if (!bits) return undefined;
  if (bits.word === "int4") {
    const example = target.word === "matmul" ? EXAMPLES.int4 : "quantize embeddings int4 block 32";
    if (!words.word(["block"] as const, "`block` and a block size", example)) return undefined;
    const block = words.integer("the block size", 32, example);
    if (!block) return undefined;
    if (!BLOCKS.includes(String(block.value))) {
      context.report(
        error(Codes.BadValue, `block size ${block.value} is not supported`, block.span, {
          label: "not 32, 64 or 128",
          help: "MatMulNBits runs blocks of 32, 64 or 128 values; smaller blocks are more accurate, larger ones smaller",
        }),
      );
      return undefined;
    }
    const blockSize = block.value as 32 | 64 | 128;
    const symmetric = (words.optionalWord(SYMMETRY)?.word ?? "symmetric") === "symmetric";
    if (target.word === "embeddings") return words.end(example) ? { kind: "quantize", target: "embeddings", bits: 4, blockSize, symmetric, span } : undefined;
    let accuracyLevel: 0 | 4 = 4;
    if (words.optionalWord(["accuracy"] as const)) {
      const level = words.word(["int8", "fp32"] as const, "the activations' precision in the kernel: int8 (accuracy level 4) or fp32 (level 0)", `${example} accuracy fp32`);
      if (!level) return undefined;
      accuracyLevel = level.word === "fp32" ? 0 : 4;
    }
    return words.end(example) ? { kind: "quantize", target: "matmul", bits: 4, blockSize, symmetric, accuracyLevel, span } : undefined;
  }
  if (target.word === "embeddings") {
    const perRow = (words.optionalWord(["per_row", "per_tensor"] as const)?.word ?? "per_row") === "per_row";
    const symmetric = (words.optionalWord(SYMMETRY)?.word ?? "symmetric") === "symmetric";
    return words.end(EXAMPLES.embeddings) ? { kind: "quantize", target: "embeddings", bits: 8, perRow, symmetric, span } : undefined;
  }
  const mode = words.word(["dynamic", "static", "weight_only"] as const, "how activations are handled", EXAMPLES.dynamic);
  if (!mode) return undefined;
  if (mode.word === "static") return readStatic(words, context, span);
  const perChannel = (words.optionalWord(["per_channel", "per_tensor"] as const)?.word ?? "per_channel") === "per_channel";
  const symmetric = (words.optionalWord(SYMMETRY)?.word ?? "symmetric") === "symmetric";
  return words.end(EXAMPLES.dynamic) ? { kind: "quantize", target: "matmul", bits: 8, mode: mode.word, perChannel, symmetric, span } : undefined;
}

/** `static minmax|percentile P% [per_channel|per_tensor] [symmetric|asymmetric]` and its calibration clauses. */
function readStatic(words: DirectiveWords, context: DirectiveContext, span: Span): QuantizeDirective | undefined {
  const methodWord = words.word(["minmax", "percentile"] as const, "how calibration sets the activations' range", EXAMPLES.static);
  if (!methodWord) return undefined;
  let method: Extract<QuantizeDirective, { mode: "static" }>["method"] = { kind: "minmax" };
  if (methodWord.word === "percentile") {
    const share = words.percent("the percentile", "quantize matmul int8 static percentile 99.99%");
    if (!share) return undefined;
    if (share.fraction <= 0.5) {
      context.report(
        error(Codes.OutOfRange, `the percentile must be above 50%, got ${Number((share.fraction * 100).toPrecision(6))}%`, share.span, {
          label: "50% or less",
          help: "the range runs from the (100 − P)th to the Pth percentile; clipping outliers takes a P close to 100, such as `percentile 99.99%`",
        }),
      );
      return undefined;
    }
    // As written (99.99, not 99.99000000000001): the same number the API would be given.
    method = { kind: "percentile", percentile: Number((share.fraction * 100).toPrecision(12)) };
  }
  const perChannel = (words.optionalWord(["per_channel", "per_tensor"] as const)?.word ?? "per_channel") === "per_channel";
  const symmetric = (words.optionalWord(SYMMETRY)?.word ?? "symmetric") === "symmetric";
  const calibration = readCalibration(words, context);
  if (!calibration || !words.end(EXAMPLES.static)) return undefined;
  return { kind: "quantize", target: "matmul", bits: 8, mode: "static", perChannel, symmetric, method, calibration, span };
}

const CLAUSES = ["samples", "seq", "seed", "calibrate"] as const;

/** `[samples N] [seq N] [seed N]` (seeded random ids) or `calibrate "FILE.json"` (ids from a file), in any order. */
function readCalibration(words: DirectiveWords, context: DirectiveContext): CalibrationSamples | undefined {
  const seen = new Map<(typeof CLAUSES)[number], Span>();
  const numbers: { samples?: number; seq?: number; seed?: number } = {};
  let file: { path: string; span: Span } | undefined;
  for (let clause = words.optionalWord(CLAUSES); clause; clause = words.optionalWord(CLAUSES)) {
    const first = seen.get(clause.word);
    const other = clause.word === "calibrate" ? [...seen.keys()].find((w) => w !== "calibrate") : seen.has("calibrate") ? "calibrate" : undefined;
    if (first || other) {
      const why = first ? `\`${clause.word}\` is given twice` : `\`${clause.word}\` and \`${other}\` do not go together`;
      context.report(
        error(Codes.IncompatibleOption, why, clause.span, {
          label: first ? "again" : "conflicts",
          labels: [{ span: first ?? seen.get(other!)!, message: first ? "first given here" : "given here" }],
          help: "calibrate on seeded random ids (`samples N seq N seed N`) or on the ids of a file (`calibrate \"FILE.json\"`), not both",
        }),
      );
      return undefined;
    }
    seen.set(clause.word, clause.span);
    if (clause.word === "calibrate") {
      const next = words.peek();
      if (next?.kind !== "StringLiteral") {
        context.report(
          error(Codes.MissingValue, "`calibrate` needs a file of token ids, as a string", next?.span ?? clause.span, {
            label: "not a file name",
            help: 'for example `calibrate "samples.json"`: a JSON array of equally long sequences of token ids, relative to the spec',
          }),
        );
        return undefined;
      }
      words.skip();
      file = { path: next.value, span: next.span };
      continue;
    }
    const example = `quantize matmul int8 static minmax ${clause.word} ${clause.word === "seed" ? 1 : clause.word === "seq" ? 128 : 8}`;
    const value = words.integer(clause.word === "samples" ? "the number of calibration sequences" : clause.word === "seq" ? "the calibration sequence length" : "the calibration seed", clause.word === "seed" ? 0 : 1, example);
    if (!value) return undefined;
    if (clause.word === "seq" && context.model.context !== undefined && value.value > context.model.context) {
      context.report(
        error(Codes.OutOfRange, `calibration sequences of ${value.value} tokens are longer than the model's context (${context.model.context})`, value.span, {
          label: "longer than the context",
          help: `use \`seq ${context.model.context}\` or less`,
        }),
      );
      return undefined;
    }
    numbers[clause.word] = value.value;
  }
  if (words.failed) return undefined;
  if (file) return readCalibrationFile(file.path, file.span, context);
  const samples = numbers.samples ?? DEFAULT_CALIBRATION.samples;
  const seq = numbers.seq ?? Math.min(DEFAULT_CALIBRATION.seq, context.model.context ?? DEFAULT_CALIBRATION.seq);
  if (samples * seq > CALIBRATION_LIMITS.tokens) {
    context.report(
      error(Codes.TooLarge, `${samples} calibration sequences of ${seq} tokens is ${samples * seq} tokens; calibration runs at most ${CALIBRATION_LIMITS.tokens}`, seen.get("samples") ?? seen.get("seq")!, {
        label: "too many tokens",
        help: "every linear's input is kept for each calibration token; a few thousand tokens settle the ranges",
      }),
    );
    return undefined;
  }
  return { kind: "seeded", samples, seq, seed: numbers.seed ?? DEFAULT_CALIBRATION.seed };
}

function readCalibrationFile(path: string, span: Span, context: DirectiveContext): CalibrationSamples | undefined {
  const shown = JSON.stringify(path);
  const loaded = context.loadFile
    ? context.loadFile(path, span.file, CALIBRATION_LIMITS.fileBytes)
    : { error: "no file loader was given (pass `loadFile` to check(); the tfc command does)" };
  if ("error" in loaded) {
    context.report(
      error("tooLarge" in loaded && loaded.tooLarge ? Codes.FileTooLarge : Codes.FileNotFound, `cannot read the calibration file ${shown}`, span, {
        label: loaded.error,
        help: "tooLarge" in loaded && loaded.tooLarge ? `calibration files are limited to ${CALIBRATION_LIMITS.fileBytes / 2 ** 20} MiB` : "the path is relative to the spec file that names it",
      }),
    );
    return undefined;
  }
  const read = readCalibrationTokens(loaded.text, context.model);
  if ("problem" in read) {
    context.report(
      error(Codes.InvalidCalibrationFile, `calibration file ${shown}: ${read.problem}`, span, {
        label: "invalid calibration file",
        help: 'write a JSON array of equally long sequences of token ids, such as [[101, 2023, 102], [101, 2003, 102]] (or {"input_ids": [...]})',
      }),
    );
    return undefined;
  }
  return { kind: "file", path, tokens: read.tokens };
}
