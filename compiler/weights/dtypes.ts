/**
 * The dtypes of the safetensors format with their element sizes (the reference implementation's
 * `Dtype`, byte-sized ones). A header naming any other dtype is rejected; tfc converts only the
 * floating ones in `READABLE_AS_FLOAT32` to float32.
 */
export const SAFETENSORS_DTYPE_BYTES = {
  BOOL: 1,
  U8: 1,
  I8: 1,
  F8_E5M2: 1,
  F8_E4M3: 1,
  I16: 2,
  U16: 2,
  F16: 2,
  BF16: 2,
  I32: 4,
  U32: 4,
  F32: 4,
  F64: 8,
  I64: 8,
  U64: 8,
} as const;

export type SafetensorsDType = keyof typeof SAFETENSORS_DTYPE_BYTES;

export const READABLE_AS_FLOAT32: readonly SafetensorsDType[] = ["F32", "F16", "BF16"];

export function isSafetensorsDType(name: string): name is SafetensorsDType {
  return Object.hasOwn(SAFETENSORS_DTYPE_BYTES, name);
}
