/**
 * A bug in tfc detected below the CLI and handed up as data (the checker reports its own crashes as
 * an E0901 diagnostic). `detail` carries the stack and is printed only with TFC_DEBUG=1.
 */
export class InternalFailure extends Error {
  override readonly name = "InternalFailure";

  constructor(
    message: string,
    readonly detail?: string,
  ) {
    super(message);
  }
}
