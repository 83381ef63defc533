/**
 * Calibration token ids a spec names (`quantize matmul int8 static minmax calibrate "FILE.json"`):
 * a JSON array of sequences of token ids, all of one length (what a tokenizer gives with padding),
 * or an object whose `input_ids` is such an array. Read once at check time, so `tfc check` reports
 * a bad file at the string that names it.
 */

export const CALIBRATION_LIMITS = {
  fileBytes: 16 << 20,
  /**
   * Tokens run through the model in one calibration batch. Every linear's input is kept for each
   * token (bert-base: ~258 KB a token), so this bounds the memory calibration takes.
   */
  tokens: 2048,
} as const;

export type CalibrationTokens = { readonly tokens: readonly (readonly number[])[] } | { readonly problem: string };

export function readCalibrationTokens(text: string, model: { readonly vocab: number; readonly context?: number }): CalibrationTokens {
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (e) {
    return { problem: `not JSON: ${(e as Error).message}` };
  }
  const sequences = isObject(parsed) && "input_ids" in parsed ? parsed.input_ids : parsed;
  const where = sequences === parsed ? "" : "input_ids";
  if (!Array.isArray(sequences) || sequences.length === 0) {
    return { problem: `${where || "the file"} must be a non-empty array of sequences of token ids, such as [[101, 2023, 102], [101, 2003, 102]]` };
  }
  const length = Array.isArray(sequences[0]) ? sequences[0].length : -1;
  for (let s = 0; s < sequences.length; s++) {
    const sequence: unknown = sequences[s];
    const at = `${where}[${s}]`;
    if (!Array.isArray(sequence)) return { problem: `${at} must be an array of token ids` };
    if (sequence.length === 0) return { problem: `${at} is empty` };
    if (sequence.length !== length) return { problem: `${at} has ${sequence.length} tokens but ${where}[0] has ${length}: pad the sequences to one length` };
    for (let t = 0; t < sequence.length; t++) {
      const id: unknown = sequence[t];
      if (typeof id !== "number" || !Number.isInteger(id) || id < 0 || id >= model.vocab) {
        return { problem: `${at}[${t}] is ${JSON.stringify(id)}: token ids are whole numbers below the vocabulary (${model.vocab})` };
      }
    }
  }
  if (model.context !== undefined && length > model.context) return { problem: `its sequences have ${length} tokens, more than the model's context (${model.context})` };
  if (sequences.length * length > CALIBRATION_LIMITS.tokens) {
    return { problem: `${sequences.length} sequences of ${length} tokens is ${sequences.length * length} tokens; calibration runs at most ${CALIBRATION_LIMITS.tokens} in one batch` };
  }
  return { tokens: sequences as number[][] };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}
