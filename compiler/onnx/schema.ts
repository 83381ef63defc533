import { fileURLToPath } from "node:url";
import protobuf from "protobufjs";
import type { DType } from "../ir/types.js";

/**
 * The official ONNX schema (onnx.proto from onnx 1.12, vendored beside this file and copied to dist
 * by the build), loaded with protobufjs on first use. Field names keep the schema's snake_case, so
 * messages read like the ONNX documentation.
 */
export interface OnnxSchema {
  readonly root: protobuf.Root;
  readonly ModelProto: protobuf.Type;
  readonly GraphProto: protobuf.Type;
  readonly NodeProto: protobuf.Type;
  readonly TensorProto: protobuf.Type;
}

let cached: OnnxSchema | undefined;

export function onnxSchema(): OnnxSchema {
  if (!cached) {
    const path = fileURLToPath(new URL("./onnx.proto", import.meta.url));
    const root = new protobuf.Root().loadSync(path, { keepCase: true });
    root.resolveAll();
    cached = {
      root,
      ModelProto: root.lookupType("onnx.ModelProto"),
      GraphProto: root.lookupType("onnx.GraphProto"),
      NodeProto: root.lookupType("onnx.NodeProto"),
      TensorProto: root.lookupType("onnx.TensorProto"),
    };
  }
  return cached;
}

/** TensorProto.DataType numbers (onnx.proto), by IR dtype. */
export const TENSOR_DATA_TYPE: Readonly<Record<DType, number>> = {
  float32: 1,
  uint8: 2,
  int8: 3,
  int32: 6,
  int64: 7,
  bool: 9,
  float16: 10,
  bfloat16: 16,
};

/** AttributeProto.AttributeType numbers (onnx.proto). */
export const ATTRIBUTE_TYPE = { FLOAT: 1, INT: 2, STRING: 3, FLOATS: 6, INTS: 7 } as const;

// The plain-object shapes of the messages the emitter writes (a subset of onnx.proto's fields).

export interface DimensionProto {
  readonly dim_value?: number;
  readonly dim_param?: string;
}

export interface TypeProto {
  readonly tensor_type: { readonly elem_type: number; readonly shape: { readonly dim: readonly DimensionProto[] } };
}

export interface ValueInfoProto {
  readonly name: string;
  readonly type: TypeProto;
}

export interface AttributeProto {
  readonly name: string;
  readonly type: number;
  readonly f?: number;
  readonly i?: number;
  readonly s?: Uint8Array;
  readonly floats?: readonly number[];
  readonly ints?: readonly number[];
}

export interface NodeProto {
  readonly name: string;
  readonly op_type: string;
  readonly domain?: string;
  readonly input: readonly string[];
  readonly output: readonly string[];
  readonly attribute: readonly AttributeProto[];
}

/** A TensorProto without its data: the emitter writes `raw_data` (field 9) itself. */
export interface TensorHeaderProto {
  readonly dims: readonly number[];
  readonly data_type: number;
  readonly name: string;
}

export interface GraphProto {
  readonly name?: string;
  readonly node?: readonly NodeProto[];
  readonly input?: readonly ValueInfoProto[];
  readonly output?: readonly ValueInfoProto[];
  readonly value_info?: readonly ValueInfoProto[];
}

export interface OperatorSetIdProto {
  readonly domain: string;
  readonly version: number;
}

export interface StringStringEntryProto {
  readonly key: string;
  readonly value: string;
}

export interface ModelProto {
  readonly ir_version?: number;
  readonly opset_import?: readonly OperatorSetIdProto[];
  readonly producer_name?: string;
  readonly producer_version?: string;
  readonly doc_string?: string;
  readonly metadata_props?: readonly StringStringEntryProto[];
}

/** Field numbers the emitter splices by hand (see layout.ts). */
export const FIELD = {
  modelGraph: 7,
  graphInitializer: 5,
  tensorRawData: 9,
} as const;
