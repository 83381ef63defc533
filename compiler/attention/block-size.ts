/**
 * The block size of a layer when no term of it says (`block B`, bigbird's block, a layout file's):
 * the largest power of two up to DEFAULT_BLOCK_SIZE that divides the context and every token length
 * written in the layer's patterns (window, stride, chunk sizes). So `window 256` in a 4096-token
 * model gets 64-token blocks, and `window 16` in a 64-token test model gets 16-token blocks.
 */
export const DEFAULT_BLOCK_SIZE = 64;

export function defaultBlockSize(context: number, tokenLengths: readonly number[]): number {
  let size = DEFAULT_BLOCK_SIZE;
  while (size > 1 && (context % size !== 0 || tokenLengths.some((length) => length % size !== 0))) size /= 2;
  return size;
}

/** The divisors of `n` nearest to `size` on each side (for "block size must divide the context"). */
export function nearestDivisors(n: number, size: number): number[] {
  let below: number | undefined;
  let above: number | undefined;
  for (let d = Math.min(Math.floor(size), n); d >= 1; d--) {
    if (n % d === 0) {
      below = d;
      break;
    }
  }
  for (let d = Math.max(Math.ceil(size), 1); d <= n; d++) {
    if (n % d === 0) {
      above = d;
      break;
    }
  }
  return [...new Set([below, above].filter((d): d is number => d !== undefined && d !== size))];
}

/** The multiples of `step` nearest to `value` on each side, leaving out 0. */
export function nearestMultiples(value: number, step: number): number[] {
  const below = Math.floor(value / step) * step;
  const above = Math.ceil(value / step) * step;
  return [...new Set([below, above].filter((m) => m > 0 && m !== value))];
}
