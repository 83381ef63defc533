/**
 * Quantization arithmetic, as pure functions over typed arrays. The conventions are ONNX's and ONNX
 * Runtime's: q = saturate(round_half_even(x / scale) + zeroPoint), x ≈ (q − zeroPoint) · scale, the
 * division done in float32. Ranges always include 0 (so 0 is exact), and symmetric int8 uses
 * [−127, 127] as ORT's quantizer does, which keeps −q representable.
 */

/** A storage format: its integer range and whether it is stored signed. */
export interface IntFormat {
  readonly bits: 4 | 8;
  readonly signed: boolean;
}

export const INT8: IntFormat = { bits: 8, signed: true };
export const UINT8: IntFormat = { bits: 8, signed: false };
export const UINT4: IntFormat = { bits: 4, signed: false };

/**
 * 1.5·2^52: adding and subtracting it rounds a double to an integer, ties to even (IEEE's default
 * rounding, as ORT's nearbyint), exactly for |v| < 2^51; anything larger is clamped after it anyway.
 */
const ROUNDING_SHIFT = 6755399441055744;

export interface AffineParams {
  /** float32-representable. */
  readonly scale: number;
  readonly zeroPoint: number;
}

/** Rounds to the nearest integer, ties to even (C's nearbyint in its default mode, as ORT uses). */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** The integer range a format holds; symmetric signed formats drop the most negative value. */
export function intRange(format: IntFormat, symmetric: boolean): { qmin: number; qmax: number } {
  const levels = 2 ** format.bits;
  if (!format.signed) return { qmin: 0, qmax: levels - 1 };
  return { qmin: symmetric ? -(levels / 2 - 1) : -(levels / 2), qmax: levels / 2 - 1 };
}

/**
 * Scale and zero point for values in [min, max] (ORT's compute_scale_zp): the range is widened to
 * include 0; symmetric makes it ±max(|min|, |max|) and puts the zero point at the middle. An empty
 * range (all zeros) gets scale 1.
 */
export function affineParams(min: number, max: number, format: IntFormat, symmetric: boolean): AffineParams {
  const { qmin, qmax } = intRange(format, symmetric);
  let lo = Math.min(min, 0);
  let hi = Math.max(max, 0);
  if (symmetric) {
    const absMax = Math.max(Math.abs(lo), Math.abs(hi));
    lo = -absMax;
    hi = absMax;
  }
  const scale = Math.fround((hi - lo) / (qmax - qmin));
  if (!(scale > 0) || !Number.isFinite(scale)) return { scale: 1, zeroPoint: symmetric && !format.signed ? (qmin + qmax + 1) / 2 : 0 };
  const zeroPoint = clamp(roundHalfEven(qmin - lo / scale), qmin, qmax);
  return { scale, zeroPoint };
}

export function quantizeValue(x: number, params: AffineParams, qmin: number, qmax: number): number {
  return clamp(roundHalfEven(Math.fround(Math.fround(x) / params.scale)) + params.zeroPoint, qmin, qmax);
}

export function dequantizeValue(q: number, params: AffineParams): number {
  return Math.fround((q - params.zeroPoint) * params.scale);
}

function clamp(v: number, lo: number, hi: number): number {
  return v < lo ? lo : v > hi ? hi : v;
}

/** A matrix stored row-major as [rows, cols], read as [in, out] or (transposed) as [out, in]. */
export interface MatrixView {
  readonly data: Float32Array;
  readonly rows: number;
  readonly cols: number;
  /** The output (channel) axis: 1 for a linear's [in, out] weight, 0 for an embedding table or a tied head. */
  readonly channelAxis: 0 | 1;
}

export interface QuantizedMatrix {
  /** Same layout as the source. */
  readonly values: Int8Array | Uint8Array;
  /** One per channel, or one. */
  readonly scales: Float32Array;
  /** Same count as scales, in the storage dtype. */
  readonly zeroPoints: Int8Array | Uint8Array;
}

/**
 * int8/uint8 quantization of a matrix, per tensor or per channel (along `channelAxis`). The loops
 * are quantizeValue's formula written out per channel: this runs over every weight of a model.
 */
export function quantizeMatrix(m: MatrixView, format: IntFormat, options: { symmetric: boolean; perChannel: boolean }): QuantizedMatrix {
  if (format.bits !== 8) throw new Error(`quantizeMatrix stores 8-bit values; use quantizeBlockwise4 for 4 bits`);
  const { data, rows, cols } = m;
  const byColumn = options.perChannel && m.channelAxis === 1;
  const byRow = options.perChannel && m.channelAxis === 0;
  const channels = byColumn ? cols : byRow ? rows : 1;
  const mins = new Float64Array(channels).fill(Infinity);
  const maxs = new Float64Array(channels).fill(-Infinity);
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    if (byColumn) {
      for (let c = 0; c < cols; c++) {
        const v = data[base + c];
        if (v < mins[c]) mins[c] = v;
        if (v > maxs[c]) maxs[c] = v;
      }
    } else {
      const ch = byRow ? r : 0;
      let lo = mins[ch];
      let hi = maxs[ch];
      for (let c = 0; c < cols; c++) {
        const v = data[base + c];
        if (v < lo) lo = v;
        if (v > hi) hi = v;
      }
      mins[ch] = lo;
      maxs[ch] = hi;
    }
  }
  const { qmin, qmax } = intRange(format, options.symmetric);
  const params = Array.from({ length: channels }, (_, c) => affineParams(mins[c], maxs[c], format, options.symmetric));
  const scales = Float32Array.from(params, (p) => p.scale);
  const zeros = Float64Array.from(params, (p) => p.zeroPoint);
  const values = format.signed ? new Int8Array(data.length) : new Uint8Array(data.length);
  // quantizeFast written out: V8 does not inline it into these loops reliably, and they run over every weight.
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    if (byColumn) {
      for (let c = 0; c < cols; c++) {
        const q = Math.fround(data[base + c] / scales[c]) + ROUNDING_SHIFT - ROUNDING_SHIFT + zeros[c];
        values[base + c] = q < qmin ? qmin : q > qmax ? qmax : q;
      }
    } else {
      const scale = scales[byRow ? r : 0];
      const zero = zeros[byRow ? r : 0];
      for (let c = 0; c < cols; c++) {
        const q = Math.fround(data[base + c] / scale) + ROUNDING_SHIFT - ROUNDING_SHIFT + zero;
        values[base + c] = q < qmin ? qmin : q > qmax ? qmax : q;
      }
    }
  }
  const zeroPoints = format.signed ? Int8Array.from(params, (p) => p.zeroPoint) : Uint8Array.from(params, (p) => p.zeroPoint);
  return { values, scales, zeroPoints };
}

/** quantizeValue for a float32 `x` and a float32 `scale`, without allocating: the inner loop of every quantizer here. */
function quantizeFast(x: number, scale: number, zeroPoint: number, qmin: number, qmax: number): number {
  const r = Math.fround(x / scale) + ROUNDING_SHIFT - ROUNDING_SHIFT + zeroPoint;
  return r < qmin ? qmin : r > qmax ? qmax : r;
}


/**
 * com.microsoft MatMulNBits' 4-bit layout for a weight read as [N out, K in]: each output row's K
 * values in blocks of `blockSize` (the last one zero-padded), every block with its own scale and
 * (asymmetric) zero point; two values a byte, the first in the low nibble.
 */
export interface Blockwise4 {
  readonly n: number;
  readonly k: number;
  readonly blockSize: number;
  readonly blocksPerRow: number;
  /** [N, blocksPerRow, blockSize / 2]. */
  readonly packed: Uint8Array;
  /** [N * blocksPerRow]. */
  readonly scales: Float32Array;
  /** [N * ceil(blocksPerRow / 2)], packed like the values; absent when symmetric (MatMulNBits assumes 8). */
  readonly zeroPoints?: Uint8Array;
}

/**
 * Block-wise 4-bit quantization. Symmetric maps the block's value of largest magnitude to −8
 * (scale = that value / −8, zero point 8), MLAS's convention: all 16 levels are used and the
 * extreme is exact. Asymmetric spreads [min(min, 0), max(max, 0)] over 0..15.
 */
export function quantizeBlockwise4(m: MatrixView, blockSize: number, symmetric: boolean): Blockwise4 {
  if (!Number.isInteger(blockSize) || blockSize < 16 || (blockSize & (blockSize - 1)) !== 0) {
    throw new Error(`block size must be a power of two of at least 16, got ${blockSize}`);
  }
  const [n, k] = m.channelAxis === 0 ? [m.rows, m.cols] : [m.cols, m.rows];
  const nk = m.channelAxis === 0 ? m.data : transpose(m.data, m.rows, m.cols);
  const blocksPerRow = Math.ceil(k / blockSize);
  const half = blockSize / 2;
  const packed = new Uint8Array(n * blocksPerRow * half);
  const scales = new Float32Array(n * blocksPerRow);
  const zpBytesPerRow = Math.ceil(blocksPerRow / 2);
  const zeroPoints = symmetric ? undefined : new Uint8Array(n * zpBytesPerRow);
  for (let row = 0; row < n; row++) {
    for (let b = 0; b < blocksPerRow; b++) {
      const start = row * k + b * blockSize;
      // The last block of a row may be short: its missing values are zeros.
      const count = Math.min(blockSize, k - b * blockSize);
      const { scale, zeroPoint } = blockParams4(nk, start, count, symmetric);
      scales[row * blocksPerRow + b] = scale;
      if (zeroPoints) zeroPoints[row * zpBytesPerRow + (b >> 1)] |= zeroPoint << ((b & 1) * 4);
      const base = (row * blocksPerRow + b) * half;
      for (let j = 0; j < blockSize; j += 2) {
        const lo = quantizeFast(j < count ? nk[start + j] : 0, scale, zeroPoint, 0, 15);
        const hi = quantizeFast(j + 1 < count ? nk[start + j + 1] : 0, scale, zeroPoint, 0, 15);
        packed[base + (j >> 1)] = lo | (hi << 4);
      }
    }
  }
  return { n, k, blockSize, blocksPerRow, packed, scales, ...(zeroPoints ? { zeroPoints } : {}) };
}

/** [rows, cols] row-major → [cols, rows] row-major, in tiles so both sides stay in cache. */
function transpose(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(data.length);
  const TILE = 64;
  for (let r0 = 0; r0 < rows; r0 += TILE) {
    const r1 = Math.min(rows, r0 + TILE);
    for (let c0 = 0; c0 < cols; c0 += TILE) {
      const c1 = Math.min(cols, c0 + TILE);
      for (let r = r0; r < r1; r++) for (let c = c0; c < c1; c++) out[c * rows + r] = data[r * cols + c];
    }
  }
  return out;
}

/** Scale and zero point of the block `values[start, start + count)` (zeros past `count` change neither). */
function blockParams4(values: Float32Array, start: number, count: number, symmetric: boolean): AffineParams {
  if (symmetric) {
    let extreme = 0;
    let magnitude = 0;
    for (let i = start; i < start + count; i++) {
      const a = Math.abs(values[i]);
      if (a > magnitude) {
        magnitude = a;
        extreme = values[i];
      }
    }
    const scale = Math.fround(extreme / -8);
    return scale === 0 ? { scale: 1, zeroPoint: 8 } : { scale, zeroPoint: 8 };
  }
  let min = 0;
  let max = 0;
  for (let i = start; i < start + count; i++) {
    const v = values[i];
    if (v < min) min = v;
    if (v > max) max = v;
  }
  return affineParams(min, max, UINT4, false);
}

/** The [N, K] float matrix a Blockwise4 stands for (for tests and deviation estimates). */
export function dequantizeBlockwise4(q: Blockwise4): Float32Array {
  const out = new Float32Array(q.n * q.k);
  const zpBytesPerRow = Math.ceil(q.blocksPerRow / 2);
  for (let row = 0; row < q.n; row++) {
    for (let b = 0; b < q.blocksPerRow; b++) {
      const scale = q.scales[row * q.blocksPerRow + b];
      const zeroPoint = q.zeroPoints ? (q.zeroPoints[row * zpBytesPerRow + (b >> 1)] >> ((b & 1) * 4)) & 15 : 8;
      const base = (row * q.blocksPerRow + b) * (q.blockSize / 2);
      for (let j = 0; j < q.blockSize && b * q.blockSize + j < q.k; j++) {
        const nibble = (q.packed[base + (j >> 1)] >> ((j & 1) * 4)) & 15;
        out[row * q.k + b * q.blockSize + j] = dequantizeValue(nibble, { scale, zeroPoint });
      }
    }
  }
  return out;
}

/** How calibration turns observed activations into a range. */
export type RangeMethod = { readonly kind: "minmax" } | { readonly kind: "percentile"; readonly percentile: number };

/**
 * The range of observed values: min and max, or the (100 − p)th and pth percentiles (nearest rank),
 * which ignores the rare outliers that would otherwise stretch the scale for every other value.
 */
export function activationRange(values: Float32Array, method: RangeMethod): { min: number; max: number } {
  if (values.length === 0) return { min: 0, max: 0 };
  if (method.kind === "minmax") {
    let min = Infinity;
    let max = -Infinity;
    for (const v of values) {
      if (v < min) min = v;
      if (v > max) max = v;
    }
    return { min, max };
  }
  const p = method.percentile;
  if (!(p > 50 && p <= 100)) throw new Error(`percentile must be in (50, 100], got ${p}`);
  const n = values.length;
  const rank = (q: number) => Math.min(n - 1, Math.max(0, Math.ceil(q * n) - 1));
  const [low, high] = [rank(1 - p / 100), rank(p / 100)];
  // The two order statistics a sort would give, found by selection: sorting millions of activations
  // per linear took most of a calibration's time.
  const scratch = Float32Array.from(values);
  const max = selectInPlace(scratch, high, 0, n - 1);
  const min = selectInPlace(scratch, low, 0, high);
  return { min, max };
}

/**
 * The k-th smallest of a[left..right] (Hoare's quickselect, three-way partition so runs of equal
 * values cost nothing); on return a[left..k] ≤ a[k] ≤ a[k..right].
 */
function selectInPlace(a: Float32Array, k: number, left: number, right: number): number {
  while (right > left) {
    // Median of three as the pivot.
    const mid = (left + right) >>> 1;
    const [x, y, z] = [a[left], a[mid], a[right]];
    const pivot = x < y ? (y < z ? y : x < z ? z : x) : x < z ? x : y < z ? z : y;
    let lt = left;
    let gt = right;
    let i = left;
    while (i <= gt) {
      const v = a[i];
      if (v < pivot) {
        a[i++] = a[lt];
        a[lt++] = v;
      } else if (v > pivot) {
        a[i] = a[gt];
        a[gt--] = v;
      } else {
        i++;
      }
    }
    if (k < lt) right = lt - 1;
    else if (k > gt) left = gt + 1;
    else return pivot;
  }
  return a[k];
}

const F32 = new Float32Array(1);
const U32 = new Uint32Array(F32.buffer);

/** IEEE binary16 bits of a float32 value, rounded to nearest even (as numpy's astype(float16)). */
export function float16Bits(value: number): number {
  F32[0] = value;
  return halfOfFloatBits(U32[0]);
}

function halfOfFloatBits(x: number): number {
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0);
  const e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00;
  if (e <= 0) {
    if (e < -10) return sign;
    mant |= 0x800000;
    const shift = 14 - e;
    let half = mant >>> shift;
    const rest = mant & ((1 << shift) - 1);
    const halfway = 1 << (shift - 1);
    if (rest > halfway || (rest === halfway && half & 1)) half++;
    return sign | half;
  }
  let half = (e << 10) | (mant >>> 13);
  const rest = mant & 0x1fff;
  if (rest > 0x1000 || (rest === 0x1000 && half & 1)) half++; // a carry into the exponent gives ∞, as it should
  return sign | half;
}

/** float16Bits over an array, reading the float32 bits in place (the same arithmetic, no per-value buffer writes). */
export function toFloat16(values: Float32Array): Uint16Array {
  const out = new Uint16Array(values.length);
  const bits = new Uint32Array(values.buffer, values.byteOffset, values.length);
  for (let i = 0; i < bits.length; i++) out[i] = halfOfFloatBits(bits[i]);
  return out;
}
