import { OnnxEmitError } from "./errors.js";

export interface EmitOptions {
  /** Default-domain opset; 17 unless given. */
  readonly opset?: number;
  /** ModelProto.producer_version (the tfc version, set by the CLI). */
  readonly producerVersion?: string;
  readonly docString?: string;
}

export const DEFAULT_OPSET = 17;

/**
 * The IR version each ONNX release pairs with its newest opset (onnx/docs/Versioning.md). Opset 17
 * is the floor: LayerNormalization first appears there.
 */
const IR_VERSION_BY_OPSET: Readonly<Record<number, number>> = {
  17: 8,
  18: 8,
  19: 9,
  20: 9,
  21: 10,
  22: 10,
  23: 11,
};

export interface ResolvedOptions {
  readonly opset: number;
  readonly irVersion: number;
  readonly producerVersion?: string;
  readonly docString?: string;
}

export function resolveOptions(options: EmitOptions = {}): ResolvedOptions {
  const opset = options.opset ?? DEFAULT_OPSET;
  const irVersion = IR_VERSION_BY_OPSET[opset];
  if (!Number.isInteger(opset) || irVersion === undefined) {
    const known = Object.keys(IR_VERSION_BY_OPSET);
    throw new OnnxEmitError(`opset ${opset} is not supported: tfc emits opsets ${known[0]} to ${known[known.length - 1]}`);
  }
  return { opset, irVersion, producerVersion: options.producerVersion, docString: options.docString };
}
