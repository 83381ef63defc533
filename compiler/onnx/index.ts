export { emitOnnx } from "./emit.js";
export { writeOnnxFile, externalDataPath, type WriteOptions, type WrittenOnnx } from "./write.js";
export { DEFAULT_OPSET, type EmitOptions } from "./options.js";
export { OnnxEmitError } from "./errors.js";
export { MAX_MODEL_BYTES, EXTERNAL_MIN_BYTES } from "./layout.js";
export { onnxSchema, TENSOR_DATA_TYPE, type OnnxSchema } from "./schema.js";
