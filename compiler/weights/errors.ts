/**
 * A safetensors file tfc cannot read or write: a malformed header, a dtype it does not know, a
 * tensor whose shape, dtype and byte range disagree, or data that does not match its description.
 * `file` and (where one is at fault) `tensor` name the culprit; the message names both.
 */
export class SafetensorsError extends Error {
  override readonly name = "SafetensorsError";

  constructor(
    readonly file: string,
    readonly tensor: string | undefined,
    problem: string,
  ) {
    super(tensor === undefined ? `${file}: ${problem}` : `${file}: tensor \`${tensor}\`: ${problem}`);
  }
}
