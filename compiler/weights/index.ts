export { openSafetensors, writeSafetensors, SafetensorsError, SAFETENSORS_DTYPE_BYTES, type SafetensorsFile, type SafetensorsEntry, type SafetensorsDType, type TensorToWrite, type TensorDataToWrite } from "./safetensors.js";
export { float16BitsToFloat32, bfloat16BitsToFloat32, float32ToFloat16Bits, float32ToBfloat16Bits } from "./half.js";
