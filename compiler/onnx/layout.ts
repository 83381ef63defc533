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
  /**
   * GraphProto.initializer's key and length, the TensorProto's dims, data_type and name, then either
   * raw_data's key and length (the data follows in the model file) or, for external data, the whole
   * rest of the TensorProto (external_data entries and data_location).
   */
  readonly prefix: Uint8Array;
  readonly source: TensorSource;
  /** Where the data goes in the external data file, after `padding` zero bytes; absent when embedded. */
  readonly external?: { readonly offset: number; readonly padding: number };
}

/** How a model's weights are stored: in the protobuf, or in a data file beside it (ONNX external data). */
export type DataPlacement =
  | { readonly kind: "embedded" }
  /** `location`: the data file's name relative to the model's directory; `when`: always, or only past the 2 GiB limit. */
  | { readonly kind: "external"; readonly location: string; readonly when: "always" | "over-limit" };

/** Tensors smaller than this stay in the model file (onnx's own convert_model_to_external_data threshold). */
export const EXTERNAL_MIN_BYTES = 1024;
/**
 * Offsets in the data file: tensors of 1 MiB or more start on a 64 KiB boundary, so ONNX Runtime can
 * map them straight from the file (page size 4 KiB, Windows' allocation granularity 64 KiB); smaller
 * ones on 64 bytes.
 */
const LARGE_TENSOR_BYTES = 1 << 20;
const LARGE_TENSOR_ALIGNMENT = 1 << 16;
const SMALL_TENSOR_ALIGNMENT = 64;

/**
 * A ModelProto's bytes as `head · (prefix · data)* · tail`, with every tensor's data left out:
 * protobufjs encodes the small parts (nodes, types, metadata) and the emitter writes each tensor's
 * `raw_data` straight after its prefix, so parameters are produced one at a time and never copied
 * into a second buffer. The concatenation is byte for byte what protobufjs would encode for the
 * whole message (fields in field-number order, as protobuf serializers write them). With external
 * data, a slot's data goes to the data file instead and its prefix is the whole TensorProto, so the
 * model file holds no weights.
 */
export interface ModelLayout {
  readonly totalBytes: number;
  /** ModelProto fields before `graph`, graph's key and length, GraphProto's nodes and name. */
  readonly head: Uint8Array;
  readonly initializers: readonly InitializerSlot[];
  /** GraphProto's inputs and outputs, then ModelProto's opset_import and metadata_props. */
  readonly tail: Uint8Array;
  /** The external data file: its name (relative to the model) and size; absent when every tensor is embedded. */
  readonly externalData?: { readonly location: string; readonly totalBytes: number };
}

export function layoutModel(graph: Graph, options: ResolvedOptions, placement: DataPlacement = { kind: "embedded" }): ModelLayout {
  checkParameters(graph, placement);
  const lowered = lowerGraph(graph, options.opset);
  const schema = onnxSchema();
  const sources: TensorSource[] = [
    ...graph.params.map((param): TensorSource => ({ kind: "param", param, byteLength: parameterBytes(param) })),
    ...lowered.constants.map((constant): TensorSource => ({ kind: "constant", constant, byteLength: constant.bytes.length })),
  ];
  let initializers = sources.map(embeddedSlot);
  let externalData: ModelLayout["externalData"];
  if (placement.kind === "external" && (placement.when === "always" || embeddedBytes(initializers) > MAX_MODEL_BYTES)) {
    ({ initializers, externalData } = externalSlots(sources, placement.location));
  }

  const graphHead = schema.GraphProto.encode({ node: lowered.nodes, name: lowered.name }).finish();
  const graphTail = schema.GraphProto.encode({ input: lowered.inputs, output: lowered.outputs, value_info: lowered.valueInfo }).finish();
  let graphLength = graphHead.length + graphTail.length;
  for (const slot of initializers) graphLength += slot.prefix.length + (slot.external ? 0 : slot.source.byteLength);

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
    ...(externalData ? { externalData } : {}),
  };
}

/** The TensorProto's dims, data_type and name: what both placements start with. */
function tensorHeader(source: TensorSource): { dims: number[]; data_type: number; name: string } {
  const [name, dtype, dims] =
    source.kind === "param"
      ? [source.param.name, source.param.value.type.dtype, source.param.value.type.shape as readonly number[]]
      : [source.constant.name, source.constant.dtype, source.constant.dims];
  return { dims: [...dims], data_type: TENSOR_DATA_TYPE[dtype], name };
}

function embeddedSlot(source: TensorSource): InitializerSlot {
  const tensorHead = onnxSchema().TensorProto.encode(tensorHeader(source)).finish();
  const rawHead = fieldHeader(FIELD.tensorRawData, source.byteLength);
  const tensorLength = tensorHead.length + rawHead.length + source.byteLength;
  return { prefix: concat([fieldHeader(FIELD.graphInitializer, tensorLength), tensorHead, rawHead]), source };
}

function embeddedBytes(slots: readonly InitializerSlot[]): number {
  return slots.reduce((n, slot) => n + slot.prefix.length + slot.source.byteLength, 0);
}

/** DataLocation.EXTERNAL (onnx.proto). */
const DATA_LOCATION_EXTERNAL = 1;

/**
 * Every tensor of EXTERNAL_MIN_BYTES or more goes to the data file, in graph order, each at an
 * aligned offset after zero padding; the model keeps its name, dims and where its bytes are.
 */
function externalSlots(sources: readonly TensorSource[], location: string): { initializers: InitializerSlot[]; externalData: NonNullable<ModelLayout["externalData"]> } {
  let at = 0;
  const initializers = sources.map((source): InitializerSlot => {
    if (source.byteLength < EXTERNAL_MIN_BYTES) return embeddedSlot(source);
    const alignment = source.byteLength >= LARGE_TENSOR_BYTES ? LARGE_TENSOR_ALIGNMENT : SMALL_TENSOR_ALIGNMENT;
    const offset = Math.ceil(at / alignment) * alignment;
    const padding = offset - at;
    at = offset + source.byteLength;
    const tensor = onnxSchema()
      .TensorProto.encode({
        ...tensorHeader(source),
        external_data: [
          { key: "location", value: location },
          { key: "offset", value: String(offset) },
          { key: "length", value: String(source.byteLength) },
        ],
        data_location: DATA_LOCATION_EXTERNAL,
      })
      .finish();
    return { prefix: concat([fieldHeader(FIELD.graphInitializer, tensor.length), tensor]), source, external: { offset, padding } };
  });
  return { initializers, externalData: { location, totalBytes: at } };
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
function checkParameters(graph: Graph, placement: DataPlacement): void {
  let bytes = 0;
  for (const p of graph.params) {
    if (!isEmittable(p.value.type.dtype)) {
      throw new OnnxEmitError(`parameter \`${p.name}\` is ${p.value.type.dtype}: this dtype cannot be emitted`);
    }
    bytes += parameterBytes(p);
  }
  if (placement.kind === "embedded") checkSize(graph, bytes);
}

function checkSize(graph: Graph, bytes: number): void {
  if (bytes <= MAX_MODEL_BYTES) return;
  const gib = (bytes / 2 ** 30).toFixed(2);
  throw new OnnxEmitError(
    `model \`${graph.name}\` needs ${bytes} bytes (${gib} GiB), over the 2 GiB limit of a single ONNX protobuf ` +
      `(2^31 − 1 bytes). Store its weights as ONNX external data: \`writeOnnxFile\` does so past the limit ` +
      `unless told \`externalData: false\` (\`emitOnnx\` builds one in-memory protobuf and cannot).`,
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
