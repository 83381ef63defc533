/**
 * A small seeded generator for sample inputs: mulberry32, started from a hash of (seed, input name).
 * The runtime may not import the compiler's generator, and sample tokens need only be reproducible,
 * not statistically strong: the same seed gives the same tokens on every platform.
 */
export class InputRandom {
  private state: number;

  constructor(seed: number, stream: string) {
    // Mix the stream name in so each input gets its own sequence regardless of input order.
    let h = (seed >>> 0) ^ 0x9e3779b9;
    for (let i = 0; i < stream.length; i++) h = Math.imul(h ^ stream.charCodeAt(i), 0x85ebca6b) >>> 0;
    this.state = h;
  }

  /** Uniform in [0, 2^32). */
  nextUint32(): number {
    this.state = (this.state + 0x6d2b79f5) >>> 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return (t ^ (t >>> 14)) >>> 0;
  }

  /** Uniform integer in [0, bound). Rejection sampling keeps it unbiased. */
  below(bound: number): number {
    if (!Number.isInteger(bound) || bound < 1 || bound > 2 ** 32) throw new RangeError(`bad bound ${bound}`);
    const limit = 2 ** 32 - (2 ** 32 % bound);
    for (;;) {
      const x = this.nextUint32();
      if (x < limit) return x % bound;
    }
  }

  /** Uniform in [-1, 1). */
  signedUnit(): number {
    return this.nextUint32() / 2 ** 31 - 1;
  }
}
