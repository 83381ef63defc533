/** `count` token ids in [0, limit) from an xorshift32 stream: the same inputs for tfc's run and the PyTorch reference. */
export function seededIds(count: number, limit: number, seed: number): number[] {
  let state = seed >>> 0 || 1;
  return Array.from({ length: count }, () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    return (state >>> 0) % limit;
  });
}
