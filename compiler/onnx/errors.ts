/**
 * A graph the emitter cannot write: an unsupported option or dtype, a model over the protobuf size
 * limit, or an op lowering that broke the OnnxBuilder contract. The message names what and why.
 */
export class OnnxEmitError extends Error {
  override readonly name = "OnnxEmitError";
}
