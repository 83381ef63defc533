import { isSafetensorsDType, SAFETENSORS_DTYPE_BYTES, type SafetensorsDType } from "./dtypes.js";
import { SafetensorsError } from "./errors.js";

/** One tensor of a safetensors file; offsets count from the start of the file, not of the data section. */
export interface SafetensorsEntry {
  readonly dtype: SafetensorsDType;
  readonly shape: readonly number[];
  readonly byteOffset: number;
  readonly byteLength: number;
}

export interface SafetensorsHeader {
  /** In data order. */
  readonly tensors: ReadonlyMap<string, SafetensorsEntry>;
  readonly metadata: Readonly<Record<string, string>>;
  /** Where the data section starts: 8 + the header's length. */
  readonly dataStart: number;
}

/** The reference implementation's bound; a larger header is a corrupt or hostile file. */
export const MAX_HEADER_BYTES = 100_000_000;
const METADATA_KEY = "__metadata__";
const utf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * Reads the 8-byte little-endian header length and checks it fits the file before anything else
 * is read or allocated: the header's own size (and so its allocation) comes from this number.
 */
export function headerLength(prefix: Uint8Array, fileBytes: number, file: string): number {
  if (fileBytes < 8 || prefix.length < 8) throw new SafetensorsError(file, undefined, `${fileBytes} bytes is too short for a safetensors file (it starts with an 8-byte header length)`);
  const length = new DataView(prefix.buffer, prefix.byteOffset, 8).getBigUint64(0, true);
  if (length > BigInt(MAX_HEADER_BYTES)) throw new SafetensorsError(file, undefined, `header length ${length} exceeds the format's limit of ${MAX_HEADER_BYTES} bytes: not a safetensors file, or corrupt`);
  if (8n + length > BigInt(fileBytes)) throw new SafetensorsError(file, undefined, `header length ${length} runs past the end of the ${fileBytes}-byte file: truncated or not a safetensors file`);
  if (length < 2n) throw new SafetensorsError(file, undefined, `header length ${length} is too short for a JSON object`);
  return Number(length);
}

/**
 * Parses and validates a header (the JSON bytes after the length) against the file's size:
 * every entry's dtype is known, its shape's byte size equals its byte range, and the ranges tile
 * the data section exactly — in range, no overlaps, no gaps, nothing left over.
 */
export function parseHeader(json: Uint8Array, fileBytes: number, file: string): SafetensorsHeader {
  const dataStart = 8 + json.length;
  const dataBytes = fileBytes - dataStart;
  if (json[0] !== 0x7b) throw new SafetensorsError(file, undefined, "header does not start with `{`: not a safetensors file, or corrupt");
  let parsed: unknown;
  try {
    parsed = JSON.parse(utf8.decode(json));
  } catch (error) {
    throw new SafetensorsError(file, undefined, `header is not valid UTF-8 JSON (${(error as Error).message})`);
  }
  if (!isPlainObject(parsed)) throw new SafetensorsError(file, undefined, "header is not a JSON object");

  const metadata = readMetadata(parsed[METADATA_KEY], file);
  const ranges: { name: string; begin: number; end: number; entry: Omit<SafetensorsEntry, "byteOffset" | "byteLength"> }[] = [];
  for (const [name, raw] of Object.entries(parsed)) {
    if (name === METADATA_KEY) continue;
    const { dtype, shape, begin, end } = readEntry(name, raw, file);
    if (end > dataBytes) throw new SafetensorsError(file, name, `data_offsets [${begin}, ${end}] run past the ${dataBytes}-byte data section`);
    const expected = BigInt(SAFETENSORS_DTYPE_BYTES[dtype]) * shape.reduce((n, d) => n * BigInt(d), 1n);
    if (expected !== BigInt(end - begin)) {
      throw new SafetensorsError(file, name, `shape [${shape.join(", ")}] of ${dtype} needs ${expected} bytes but data_offsets [${begin}, ${end}] hold ${end - begin}`);
    }
    ranges.push({ name, begin, end, entry: { dtype, shape } });
  }

  ranges.sort((a, b) => a.begin - b.begin || a.end - b.end);
  const tensors = new Map<string, SafetensorsEntry>();
  let covered = 0;
  let previous: string | undefined;
  for (const { name, begin, end, entry } of ranges) {
    if (begin < covered) throw new SafetensorsError(file, name, `data_offsets [${begin}, ${end}] overlap tensor \`${previous}\`, which ends at ${covered}`);
    if (begin > covered) throw new SafetensorsError(file, name, `data_offsets [${begin}, ${end}] leave a gap: bytes ${covered}..${begin} belong to no tensor`);
    tensors.set(name, { ...entry, byteOffset: dataStart + begin, byteLength: end - begin });
    covered = end;
    previous = name;
  }
  if (covered !== dataBytes) throw new SafetensorsError(file, undefined, `the data section has ${dataBytes} bytes but its tensors cover ${covered}: ${dataBytes - covered} trailing bytes belong to no tensor`);
  return { tensors, metadata, dataStart };
}

function readEntry(name: string, raw: unknown, file: string): { dtype: SafetensorsDType; shape: number[]; begin: number; end: number } {
  if (!isPlainObject(raw)) throw new SafetensorsError(file, name, "entry is not an object with dtype, shape and data_offsets");
  const { dtype, shape, data_offsets: offsets } = raw;
  if (typeof dtype !== "string") throw new SafetensorsError(file, name, "dtype is missing or not a string");
  if (!isSafetensorsDType(dtype)) {
    throw new SafetensorsError(file, name, `unknown dtype \`${dtype}\` (the format's dtypes are ${Object.keys(SAFETENSORS_DTYPE_BYTES).join(", ")})`);
  }
  if (!Array.isArray(shape) || !shape.every(isCount)) throw new SafetensorsError(file, name, `shape must be a list of non-negative whole numbers, got ${JSON.stringify(shape)}`);
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isCount)) {
    throw new SafetensorsError(file, name, `data_offsets must be [begin, end] in bytes, got ${JSON.stringify(offsets)}`);
  }
  const [begin, end] = offsets as [number, number];
  if (end < begin) throw new SafetensorsError(file, name, `data_offsets [${begin}, ${end}] end before they begin`);
  return { dtype, shape: shape as number[], begin, end };
}

function readMetadata(raw: unknown, file: string): Record<string, string> {
  if (raw === undefined) return {};
  if (!isPlainObject(raw) || !Object.values(raw).every((v) => typeof v === "string")) {
    throw new SafetensorsError(file, undefined, "`__metadata__` must map strings to strings");
  }
  return { ...(raw as Record<string, string>) };
}

export interface HeaderTensor {
  readonly name: string;
  readonly dtype: SafetensorsDType;
  readonly shape: readonly number[];
}

/**
 * The header bytes (length prefix included) for tensors laid out in the order given, back to back,
 * and each tensor's offset within the data section. Written as the reference implementation does:
 * compact JSON, `__metadata__` first (its keys sorted), entries in data order, padded with spaces to a multiple of 8
 * so the data section starts aligned.
 */
export function encodeHeader(tensors: readonly HeaderTensor[], metadata: Readonly<Record<string, string>> | undefined): { bytes: Uint8Array; offsets: number[]; dataBytes: number } {
  // Members are joined by hand: a tensor named `__proto__` must stay a member, not a prototype.
  const members: string[] = [];
  if (metadata) {
    const sorted = Object.keys(metadata).sort().map((key) => `${JSON.stringify(key)}:${JSON.stringify(metadata[key])}`);
    members.push(`${JSON.stringify(METADATA_KEY)}:{${sorted.join(",")}}`);
  }
  const offsets: number[] = [];
  let at = 0;
  for (const t of tensors) {
    const bytes = SAFETENSORS_DTYPE_BYTES[t.dtype] * t.shape.reduce((n, d) => n * d, 1);
    members.push(`${JSON.stringify(t.name)}:${JSON.stringify({ dtype: t.dtype, shape: t.shape, data_offsets: [at, at + bytes] })}`);
    offsets.push(at);
    at += bytes;
  }
  const json = new TextEncoder().encode(`{${members.join(",")}}`);
  const padded = Math.ceil(json.length / 8) * 8;
  const bytes = new Uint8Array(8 + padded).fill(0x20);
  new DataView(bytes.buffer).setBigUint64(0, BigInt(padded), true);
  bytes.set(json, 8);
  return { bytes, offsets, dataBytes: at };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isCount(value: unknown): value is number {
  return typeof value === "number" && Number.isSafeInteger(value) && value >= 0;
}
