import type { Directive } from "../../../grammar/ast.js";
import { Codes, error } from "../../../grammar/diagnostics.js";
import type { Span } from "../../../grammar/span.js";
import type { DirectiveContext } from "./context.js";
import { DirectiveWords } from "./words.js";

/**
 * `quantize …`: what the quantize passes do (passes/quantize-*.ts; docs/optimize.md).
 *
 *   quantize matmul int8 dynamic|weight_only [per_channel|per_tensor] [symmetric|asymmetric]
 *   quantize matmul int8 static minmax|percentile P%   (needs calibration: API only for now)
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
  | { readonly kind: "quantize"; readonly target: "matmul"; readonly bits: 4; readonly blockSize: 32 | 64 | 128; readonly symmetric: boolean; readonly accuracyLevel: 0 | 4; readonly span: Span }
  | { readonly kind: "quantize"; readonly target: "embeddings"; readonly bits: 8; readonly perRow: boolean; readonly symmetric: boolean; readonly span: Span }
  | { readonly kind: "quantize"; readonly target: "embeddings"; readonly bits: 4; readonly blockSize: 32 | 64 | 128; readonly symmetric: boolean; readonly span: Span }
  | { readonly kind: "quantize"; readonly target: "fp16"; readonly span: Span };

const EXAMPLES = {
  dynamic: "quantize matmul int8 dynamic per_channel",
  static: "quantize matmul int8 static percentile 99.99%",
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
  if (mode.word === "static") {
    // Static needs the model run on calibration inputs while compiling, which the synchronous compile does not do yet.
    context.report(
      error(Codes.NotSupportedYet, "`quantize matmul int8 static` is not supported in a spec yet", mode.span, {
        label: "needs calibration",
        help: "use `dynamic` here (no calibration, usually as fast on CPU); static QDQ is available from the API: calibrationGraph → collectActivations → quantizeMatmul with ranges (docs/optimize.md)",
      }),
    );
    return undefined;
  }
  const perChannel = (words.optionalWord(["per_channel", "per_tensor"] as const)?.word ?? "per_channel") === "per_channel";
  const symmetric = (words.optionalWord(SYMMETRY)?.word ?? "symmetric") === "symmetric";
  return words.end(EXAMPLES.dynamic) ? { kind: "quantize", target: "matmul", bits: 8, mode: mode.word, perChannel, symmetric, span } : undefined;
}
