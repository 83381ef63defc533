/**
 * Seeded, order-independent random initialization.
 *
 * Each parameter gets its own stream: a xoshiro128** generator whose state is seeded by splitmix32
 * from an FNV-1a hash of `${seed}:${name}`, so a parameter's values depend on nothing but the seed and
 * its name. Normals come from Marsaglia and Tsang's ziggurat (128 layers): most samples cost one
 * 32-bit draw and a table lookup, which is what lets bert-base's 110M weights be drawn in about a
 * second. Everything is 32-bit integer or IEEE double arithmetic, so streams are reproducible.
 */

function fnv1a32(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

function splitmix32(state: { s: number }): number {
  state.s = (state.s + 0x9e3779b9) | 0;
  let z = state.s;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/** xoshiro128**: a small, fast 32-bit generator with a 2^128 − 1 period. */
export class Xoshiro128 {
  private a: number;
  private b: number;
  private c: number;
  private d: number;

  constructor(seed: number, name: string) {
    const init = { s: fnv1a32(`${seed}:${name}`) };
    this.a = splitmix32(init) | 0;
    this.b = splitmix32(init) | 0;
    this.c = splitmix32(init) | 0;
    this.d = splitmix32(init) | 0;
    if ((this.a | this.b | this.c | this.d) === 0) this.a = 1; // the one forbidden state
  }

  state(): { a: number; b: number; c: number; d: number } {
    return { a: this.a, b: this.b, c: this.c, d: this.d };
  }

  setState(a: number, b: number, c: number, d: number): void {
    this.a = a;
    this.b = b;
    this.c = c;
    this.d = d;
  }

  /** A signed 32-bit integer. */
  nextInt32(): number {
    const b = this.b;
    const r = Math.imul(rotl(Math.imul(b, 5), 7), 9);
    const t = b << 9;
    this.c ^= this.a;
    this.d ^= this.b;
    this.b ^= this.c;
    this.a ^= this.d;
    this.c ^= t;
    this.d = rotl(this.d, 11);
    return r;
  }

  /** A uniform double in (0, 1), never exactly 0 or 1. */
  nextUniform(): number {
    return ((this.nextInt32() >>> 8) + 0.5) / 16777216;
  }
}

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

// Ziggurat tables (Marsaglia & Tsang 2000, "The Ziggurat Method for Generating Random Variables").
const R = 3.442619855899;
const V = 9.91256303526217e-3;
const M1 = 2147483648.0;
const kn = new Uint32Array(128);
const wn = new Float64Array(128);
const fn = new Float64Array(128);
{
  let dn = R;
  let tn = dn;
  const q = V / Math.exp(-0.5 * dn * dn);
  kn[0] = (dn / q) * M1;
  kn[1] = 0;
  wn[0] = q / M1;
  wn[127] = dn / M1;
  fn[0] = 1.0;
  fn[127] = Math.exp(-0.5 * dn * dn);
  for (let i = 126; i >= 1; i--) {
    dn = Math.sqrt(-2 * Math.log(V / dn + Math.exp(-0.5 * dn * dn)));
    kn[i + 1] = (dn / tn) * M1;
    tn = dn;
    fn[i] = Math.exp(-0.5 * dn * dn);
    wn[i] = dn / M1;
  }
}

/** The slow path of the ziggurat: the base strip's tail and the wedges between layers. */
function zigguratSlow(rng: Xoshiro128, hz: number, iz: number): number {
  for (;;) {
    const x = hz * wn[iz];
    if (iz === 0) {
      let tail: number;
      let y: number;
      do {
        tail = -Math.log(rng.nextUniform()) / R;
        y = -Math.log(rng.nextUniform());
      } while (y + y < tail * tail);
      return hz > 0 ? R + tail : -R - tail;
    }
    if (fn[iz] + rng.nextUniform() * (fn[iz - 1] - fn[iz]) < Math.exp(-0.5 * x * x)) return x;
    hz = rng.nextInt32();
    iz = hz & 127;
    if (Math.abs(hz) < kn[iz]) return hz * wn[iz];
  }
}

/** Fills `out` with normal(mean, std) samples from the stream named by (seed, name). */
export function fillNormal(out: Float32Array, seed: number, name: string, mean = 0, std = 1): void {
  const rng = new Xoshiro128(seed, name);
  // The hot loop keeps the generator state in locals (a method call per sample halves the speed);
  // the rare slow path works on the object, so the state is written back around it.
  let { a, b, c, d } = rng.state();
  const n = out.length;
  for (let i = 0; i < n; i++) {
    const hz = Math.imul(rotl(Math.imul(b, 5), 7), 9);
    const t = b << 9;
    c ^= a;
    d ^= b;
    b ^= c;
    a ^= d;
    c ^= t;
    d = (d << 11) | (d >>> 21);
    const iz = hz & 127;
    let z: number;
    if (Math.abs(hz) < kn[iz]) {
      z = hz * wn[iz];
    } else {
      rng.setState(a, b, c, d);
      z = zigguratSlow(rng, hz, iz);
      ({ a, b, c, d } = rng.state());
    }
    out[i] = mean + std * z;
  }
}
