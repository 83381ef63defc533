import type { Graph, Parameter } from "../ir/graph.js";
import { materialize } from "../ir/initializer.js";
import { BYTES_PER_ELEMENT, elementCount } from "../ir/types.js";
import type { ConstantTensor } from "./constants.js";
import { OnnxEmitError } from "./errors.js";
import { lowerGraph } from "./lower-graph.js";
import type { ResolvedOptions } from "./options.js";
import { FIELD, onnxSchema, TENSOR_DATA_TYPE, type ModelProto, type OperatorSetIdProto, type StringStringEntryProto } from "./schema.js";
import { isEmittable, rawBytes } from "./tensor-bytes.js";
import { fieldHeader, fieldSize } from "./wire.js";

/** A protobuf message may not exceed 2 GiB − 1 bytes. */
export const MAX_MODEL_BYTES = 2 ** 31 - 1;

/** Where an initializer's data comes from: a parameter (materialized when written) or a constant. */
export type TensorSource =
  | { readonly kind: "param"; readonly param: Parameter; readonly byteLength: number }
  | { readonly kind: "constant"; readonly constant: ConstantTensor; readonly byteLength: number };

export interface InitializerSlot {
  /** GraphProto.initializer's key and length, the TensorProto's dims, data_type and name, raw_data's key and length. */
  readonly prefix: Uint8Array;
  readonly source: TensorSource;
}

/**
 * A ModelProto's bytes as `head · (prefix · data)* · tail`, with every tensor's data left out:
 * protobufjs encodes the small parts (nodes, types, metadata) and the emitter writes each tensor's
 * `raw_data` straight after its prefix, so parameters are produced one at a time and never copied
 * into a second buffer. The concatenation is byte for byte what protobufjs would encode for the
 * whole message (fields in field-number order, as protobuf serializers write them).
 */
export interface ModelLayout {
  readonly totalBytes: number;
  /** ModelProto fields before `graph`, graph's key and length, GraphProto's nodes and name. */
  readonly head: Uint8Array;
  readonly initializers: readonly InitializerSlot[];
  /** GraphProto's inputs and outputs, then ModelProto's opset_import and metadata_props. */
  readonly tail: Uint8Array;
}

export function layoutModel(graph: Graph, options: ResolvedOptions): ModelLayout {
  checkParameters(graph);
  const lowered = lowerGraph(graph, options.opset);
  const schema = onnxSchema();

  const sources: TensorSource[] = [
    ...graph.params.map((param): TensorSource => ({ kind: "param", param, byteLength: parameterBytes(param) })),
    ...lowered.constants.map((constant): TensorSource => ({ kind: "constant", constant, byteLength: constant.bytes.length })),
  ];
  const initializers = sources.map((source): InitializerSlot => {
    const [name, dtype, dims] =
      source.kind === "param"
        ? [source.param.name, source.param.value.type.dtype, source.param.value.type.shape as readonly number[]]
        : [source.constant.name, source.constant.dtype, source.constant.dims];
    const tensorHead = schema.TensorProto.encode({ dims: [...dims], data_type: TENSOR_DATA_TYPE[dtype], name }).finish();
    const rawHead = fieldHeader(FIELD.tensorRawData, source.byteLength);
    const tensorLength = tensorHead.length + rawHead.length + source.byteLength;
    return { prefix: concat([fieldHeader(FIELD.graphInitializer, tensorLength), tensorHead, rawHead]), source };
  });

  const graphHead = schema.GraphProto.encode({ node: lowered.nodes, name: lowered.name }).finish();
  const graphTail = schema.GraphProto.encode({ input: lowered.inputs, output: lowered.outputs, value_info: lowered.valueInfo }).finish();
  let graphLength = graphHead.length + graphTail.length;
  for (const slot of initializers) graphLength += slot.prefix.length + slot.source.byteLength;

  const opsetImport: OperatorSetIdProto[] = [{ domain: "", version: options.opset }];
  for (const domain of [...lowered.customDomains.keys()].sort()) {
    opsetImport.push({ domain, version: lowered.customDomains.get(domain) as number });
  }
  // Fields go in field-number order, as protobuf serializers write them: 1–6, graph (7), 8, 14.
  const model: ModelProto = {
    ir_version: options.irVersion,
    producer_name: "tfc",
    ...(options.producerVersion !== undefined ? { producer_version: options.producerVersion } : {}),
    ...(options.docString !== undefined ? { doc_string: options.docString } : {}),
  };
  const modelHead = schema.ModelProto.encode(model).finish();
  const modelTail = schema.ModelProto.encode({ opset_import: opsetImport, metadata_props: metadataProps(graph) }).finish();

  const totalBytes = modelHead.length + fieldSize(FIELD.modelGraph, graphLength) + modelTail.length;
  checkSize(graph, totalBytes);
  return {
    totalBytes,
    head: concat([modelHead, fieldHeader(FIELD.modelGraph, graphLength), graphHead]),
    initializers,
    tail: concat([graphTail, modelTail]),
  };
}

/** An initializer's raw_data: a parameter is materialized here, and only here. */
export function tensorBytes(source: TensorSource): Uint8Array {
  if (source.kind === "constant") return source.constant.bytes;
  const { param } = source;
  const bytes = rawBytes(materialize(param.init, param.value.type), param.value.type.dtype, `parameter \`${param.name}\``);
  if (bytes.length !== source.byteLength) {
    throw new OnnxEmitError(`parameter \`${param.name}\` materialized ${bytes.length} bytes, expected ${source.byteLength}`);
  }
  return bytes;
}

function parameterBytes(p: Parameter): number {
  return elementCount(p.value.type.shape) * BYTES_PER_ELEMENT[p.value.type.dtype];
}

/** Refuses what cannot be written before anything is lowered or materialized. */
function checkParameters(graph: Graph): void {
  let bytes = 0;
  for (const p of graph.params) {
    if (!isEmittable(p.value.type.dtype)) {
      throw new OnnxEmitError(`parameter \`${p.name}\` is ${p.value.type.dtype}: this dtype cannot be emitted yet (float16 support is planned)`);
    }
    bytes += parameterBytes(p);
  }
  checkSize(graph, bytes);
}

function checkSize(graph: Graph, bytes: number): void {
  if (bytes <= MAX_MODEL_BYTES) return;
  const gib = (bytes / 2 ** 30).toFixed(2);
  throw new OnnxEmitError(
    `model \`${graph.name}\` needs ${bytes} bytes (${gib} GiB), over the 2 GiB limit of a single ONNX protobuf ` +
      `(2^31 − 1 bytes). Weights stored as ONNX external data are planned (issue 5); until then, emit a smaller model.`,
  );
}

/** `tfc.model`, then every other string, number or boolean metadata field (one level of records flattened), by key. */
function metadataProps(graph: Graph): StringStringEntryProto[] {
  const entries = new Map<string, string>();
  const visit = (key: string, value: unknown, depth: number) => {
    if (typeof value === "string" || typeof value === "boolean" || (typeof value === "number" && Number.isFinite(value))) {
      entries.set(key, String(value));
    } else if (depth === 0 && value !== null && typeof value === "object" && !Array.isArray(value)) {
      for (const [k, v] of Object.entries(value)) visit(`${key}.${k}`, v, depth + 1);
    }
  };
  for (const [key, value] of Object.entries(graph.metadata)) if (key !== "model") visit(`tfc.${key}`, value, 0);
  const sorted = [...entries.keys()].sort().map((key) => ({ key, value: entries.get(key) as string }));
  return [{ key: "tfc.model", value: graph.metadata.model }, ...sorted];
}

function concat(parts: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}
