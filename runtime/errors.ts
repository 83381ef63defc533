/**
 * A problem with the model or the requested run that the user can fix (a file ORT cannot load, a
 * provider that is not installed, a sequence longer than the model's context). The CLI reports these
 * as user errors; anything else thrown from the runtime is a bug.
 */
export class ModelRunError extends Error {
  override readonly name = "ModelRunError";

  constructor(
    message: string,
    /** How to fix it, shown on its own line. */
    readonly help?: string,
  ) {
    super(message);
  }
}
