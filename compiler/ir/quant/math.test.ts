/**
 * The quantizers' loops against the per-value formulas they are written out from (quantizeValue,
 * affineParams, float16Bits): equal bit for bit on random matrices, ties and all-zero channels
 * included. The numpy reference (passes/quantize.reference.test.ts) checks the formulas themselves.
 */
import fc from "fast-check";
import { describe, expect, test } from "vitest";
import { activationRange, affineParams, float16Bits, INT8, intRange, quantizeBlockwise4, quantizeMatrix, quantizeValue, toFloat16, UINT4, UINT8, type IntFormat, type MatrixView } from "./math.js";

/** Values on a coarse grid hit exact halves of a scale often; a few are zero or large. */
const matrix = fc
  .record({ rows: fc.integer({ min: 1, max: 9 }), cols: fc.integer({ min: 1, max: 70 }), axis: fc.constantFrom<0 | 1>(0, 1), seed: fc.integer() })
  .chain(({ rows, cols, axis }) =>
    fc
      .array(fc.oneof(fc.integer({ min: -64, max: 64 }).map((i) => i / 8), fc.float({ noNaN: true, min: -3, max: 3 }), fc.constant(0)), { minLength: rows * cols, maxLength: rows * cols })
      .map((values): MatrixView => ({ data: Float32Array.from(values), rows, cols, channelAxis: axis })),
  );

function scalarQuantize(m: MatrixView, format: IntFormat, symmetric: boolean, perChannel: boolean) {
  const channelOf = (i: number) => (!perChannel ? 0 : m.channelAxis === 1 ? i % m.cols : Math.floor(i / m.cols));
  const channels = !perChannel ? 1 : m.channelAxis === 1 ? m.cols : m.rows;
  const lo = Array<number>(channels).fill(Infinity);
  const hi = Array<number>(channels).fill(-Infinity);
  m.data.forEach((v, i) => ((lo[channelOf(i)] = Math.min(lo[channelOf(i)], v)), (hi[channelOf(i)] = Math.max(hi[channelOf(i)], v))));
  const params = lo.map((l, c) => affineParams(l, hi[c], format, symmetric));
  const { qmin, qmax } = intRange(format, symmetric);
  return { values: Array.from(m.data, (v, i) => quantizeValue(v, params[channelOf(i)], qmin, qmax)), scales: params.map((p) => p.scale), zeroPoints: params.map((p) => p.zeroPoint) };
}

describe("quantizer loops equal the per-value formulas", () => {
  test("quantizeMatrix: int8 and uint8, per channel and per tensor, either axis", () => {
    fc.assert(
      fc.property(matrix, fc.boolean(), fc.boolean(), fc.constantFrom(INT8, UINT8), (m, symmetric, perChannel, format) => {
        const fast = quantizeMatrix(m, format, { symmetric, perChannel });
        const slow = scalarQuantize(m, format, symmetric, perChannel);
        // Compared as stored (typed arrays), where −0 and 0 are one value.
        const stored = (values: ArrayLike<number>) => Array.from(format.signed ? Int8Array.from(values) : Uint8Array.from(values));
        expect(stored(fast.values)).toEqual(stored(slow.values));
        expect(Array.from(fast.scales)).toEqual(Array.from(Float32Array.from(slow.scales)));
        expect(stored(fast.zeroPoints)).toEqual(stored(slow.zeroPoints));
      }),
      { numRuns: 200 },
    );
  });

  test("quantizeBlockwise4: each packed nibble is quantizeValue of its [N, K] element", () => {
    fc.assert(
      fc.property(matrix, fc.boolean(), fc.constantFrom(16, 32), (m, symmetric, blockSize) => {
        const q = quantizeBlockwise4(m, blockSize, symmetric);
        const at = (row: number, col: number) => (m.channelAxis === 0 ? m.data[row * m.cols + col] : m.data[col * m.cols + row]);
        const zpBytes = Math.ceil(q.blocksPerRow / 2);
        for (let row = 0; row < q.n; row++) {
          for (let b = 0; b < q.blocksPerRow; b++) {
            const block = Array.from({ length: blockSize }, (_, j) => (b * blockSize + j < q.k ? at(row, b * blockSize + j) : 0));
            let params;
            if (symmetric) {
              const extreme = block.reduce((e, v) => (Math.abs(v) > Math.abs(e) ? v : e), 0);
              const scale = Math.fround(extreme / -8);
              params = scale === 0 ? { scale: 1, zeroPoint: 8 } : { scale, zeroPoint: 8 };
            } else {
              params = affineParams(Math.min(0, ...block), Math.max(0, ...block), UINT4, false);
              expect((q.zeroPoints![row * zpBytes + (b >> 1)] >> ((b & 1) * 4)) & 15).toBe(params.zeroPoint);
            }
            expect(q.scales[row * q.blocksPerRow + b]).toBe(params.scale);
            block.forEach((v, j) => expect((q.packed[(row * q.blocksPerRow + b) * (blockSize / 2) + (j >> 1)] >> ((j & 1) * 4)) & 15).toBe(quantizeValue(v, params, 0, 15)));
          }
        }
      }),
      { numRuns: 40 },
    );
  });

  test("toFloat16 equals float16Bits, subnormals, overflow and NaN included", () => {
    fc.assert(
      fc.property(fc.array(fc.float(), { maxLength: 50 }), (values) => {
        const data = Float32Array.from([...values, 65520, 65504, 6e-8, -3e-5, NaN, Infinity]);
        expect(Array.from(toFloat16(data))).toEqual(Array.from(data, float16Bits));
      }),
    );
  });
});

describe("activationRange", () => {
  test("percentile: the nearest-rank order statistics a full sort gives, duplicates and negatives included", () => {
    fc.assert(
      fc.property(fc.array(fc.oneof(fc.float({ noNaN: true, min: -10, max: 10 }), fc.constantFrom(0, 1, -1)), { minLength: 1, maxLength: 300 }), fc.double({ min: 50.01, max: 100, noNaN: true }), (values, percentile) => {
        const data = Float32Array.from(values);
        const sorted = Float32Array.from(data).sort();
        const rank = (q: number) => sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil(q * sorted.length) - 1))];
        const range = activationRange(data, { kind: "percentile", percentile });
        // Compared as numbers: selection and sort may pick −0 and 0 differently, which quantize alike.
        expect(range.min === rank(1 - percentile / 100) && range.max === rank(percentile / 100)).toBe(true);
      }),
      { numRuns: 300 },
    );
  });
});
