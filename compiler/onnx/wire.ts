/**
 * The two pieces of the protobuf wire format the emitter writes itself: varints and the key + length
 * that open a length-delimited field. Lengths here stay below 2^31, so plain numbers suffice.
 */

const LENGTH_DELIMITED = 2;

export function varintSize(value: number): number {
  let size = 1;
  while (value >= 0x80) {
    value = Math.floor(value / 128);
    size++;
  }
  return size;
}

function writeVarint(out: number[], value: number): void {
  while (value >= 0x80) {
    out.push((value % 128) | 0x80);
    value = Math.floor(value / 128);
  }
  out.push(value);
}

/** Key and length of a length-delimited field: `field` holds `length` bytes that follow. */
export function fieldHeader(field: number, length: number): Uint8Array {
  if (!Number.isSafeInteger(length) || length < 0) throw new RangeError(`bad field length ${length}`);
  const out: number[] = [];
  writeVarint(out, field * 8 + LENGTH_DELIMITED);
  writeVarint(out, length);
  return Uint8Array.from(out);
}

/** Bytes a length-delimited field takes in total: key, length and payload. */
export function fieldSize(field: number, length: number): number {
  return varintSize(field * 8 + LENGTH_DELIMITED) + varintSize(length) + length;
}
