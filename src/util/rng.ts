/**
 * A seedable, deterministic pseudo-random number generator with serializable state.
 *
 * Every random choice in alignlab (weight init, data order, token sampling, world
 * generation) flows from an `Rng`, so that the same seed gives bit-identical runs
 * (DESIGN.md, "Determinism"). `Math.random()` is never used for anything that
 * affects a result.
 *
 * The generator is **xoshiro128\*\*** (Blackman & Vigna, "Scrambled linear
 * pseudorandom number generators", 2018; reference C code at
 * https://prng.di.unimi.it/xoshiro128starstar.c): 128 bits of state held as four
 * 32-bit words, period 2^128 − 1, passes BigCrush, and needs only 32-bit
 * operations — `Math.imul`, shifts and xors — which JavaScript does fast and
 * identically on every engine. One step is:
 *
 * ```
 * result = rotl(s1 * 5, 7) * 9
 * t  = s1 << 9
 * s2 ^= s0;  s3 ^= s1;  s1 ^= s2;  s0 ^= s3
 * s2 ^= t;   s3 = rotl(s3, 11)
 * ```
 *
 * The four state words are filled from the seed by **splitmix32**: a Weyl
 * sequence (add 0x9e3779b9) passed through the MurmurHash3 32-bit finalizer
 * (`fmix32`), which is a bijection, so four consecutive outputs are distinct and the
 * state can never be all zero (the one state xoshiro must avoid).
 *
 * Streams for separate components come from {@link Rng.fork}: `rng.fork('init')`
 * and `rng.fork('data')` are independent generators derived from the parent's
 * state and the label, and forking does not advance the parent, so adding a new
 * component that forks its own stream does not change anybody else's numbers.
 *
 * @example
 * ```ts
 * const rng = new Rng(42);
 * const w = new Float32Array(768);
 * rng.fork('init').fillNormal(w, 0.02);
 * const order = rng.fork('data').shuffle([...Array(100).keys()]);
 * const saved = rng.getState();            // plain JSON, e.g. into a checkpoint
 * const again = Rng.fromState(saved);      // continues exactly where `rng` is
 * ```
 */

/**
 * The full state of an {@link Rng} as plain JSON: the four xoshiro128** words
 * (unsigned 32-bit integers, not all zero) and the cached second normal deviate
 * of Box–Muller (or `null` when none is cached).
 */
export interface RngState {
  s: [number, number, number, number];
  spare: number | null;
}

const TWO_POW_32 = 4294967296;
const TWO_POW_M53 = 1 / 9007199254740992; // 2^-53

/** Rotate a 32-bit word left by k bits. */
function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

/** MurmurHash3's 32-bit finalizer: a bijection on u32 with full avalanche. */
function fmix32(h: number): number {
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

/** The UTF-8 bytes of a label, hashed into four 32-bit words (FNV-1a per lane, then fmix32). */
function hashLabel(label: string): [number, number, number, number] {
  const bytes = new TextEncoder().encode(label);
  const out: [number, number, number, number] = [0, 0, 0, 0];
  for (let lane = 0; lane < 4; lane++) {
    // Each lane starts from a different offset basis so the lanes are different functions.
    let h = (0x811c9dc5 ^ fmix32(lane + 1)) >>> 0;
    for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i]!, 0x01000193);
    out[lane] = fmix32(h ^ bytes.length);
  }
  return out;
}

export class Rng {
  // The four xoshiro128** state words, kept as int32 (the sign bit is just bit 31).
  private s0 = 0;
  private s1 = 0;
  private s2 = 0;
  private s3 = 0;
  /** Second deviate of the last Box–Muller pair, returned by the next `normal()`. */
  private spare: number | null = null;

  /**
   * Seed a generator. Any integer in the safe range works (negative ones too); the
   * low and high 32-bit halves both enter the state, so 1 and 2^32 + 1 differ.
   */
  constructor(seed: number) {
    if (!Number.isSafeInteger(seed)) {
      throw new RangeError(`Rng seed must be a safe integer, got ${seed}`);
    }
    const lo = seed >>> 0;
    const hi = Math.floor(seed / TWO_POW_32) >>> 0;
    // splitmix32 from a starting point that mixes both halves (hi = 0 leaves lo as is).
    let x = (lo ^ fmix32(hi)) >>> 0;
    const next = (): number => {
      x = (x + 0x9e3779b9) >>> 0;
      return fmix32(x);
    };
    this.s0 = next() | 0;
    this.s1 = next() | 0;
    this.s2 = next() | 0;
    this.s3 = next() | 0;
  }

  /** Rebuild a generator from a state captured by {@link Rng.getState}. */
  static fromState(state: RngState): Rng {
    const rng = new Rng(0);
    rng.setState(state);
    return rng;
  }

  /** The complete state as plain JSON; `Rng.fromState(rng.getState())` continues identically. */
  getState(): RngState {
    return {
      s: [this.s0 >>> 0, this.s1 >>> 0, this.s2 >>> 0, this.s3 >>> 0],
      spare: this.spare,
    };
  }

  /** Replace this generator's state (validated: four u32 words, not all zero; spare null or finite). */
  setState(state: RngState): void {
    const s = state?.s;
    if (!Array.isArray(s) || s.length !== 4) {
      throw new TypeError(`RngState.s must be an array of 4 unsigned 32-bit integers, got ${JSON.stringify(s)}`);
    }
    for (let i = 0; i < 4; i++) {
      const w = s[i];
      if (!Number.isInteger(w) || (w as number) < 0 || (w as number) >= TWO_POW_32) {
        throw new TypeError(`RngState.s[${i}] must be an unsigned 32-bit integer, got ${JSON.stringify(w)}`);
      }
    }
    if (s[0] === 0 && s[1] === 0 && s[2] === 0 && s[3] === 0) {
      throw new TypeError('RngState.s must not be all zero (xoshiro128** would output only zeros)');
    }
    const spare = state.spare ?? null;
    if (spare !== null && !(typeof spare === 'number' && Number.isFinite(spare))) {
      throw new TypeError(`RngState.spare must be null or a finite number, got ${JSON.stringify(spare)}`);
    }
    this.s0 = s[0] | 0;
    this.s1 = s[1] | 0;
    this.s2 = s[2] | 0;
    this.s3 = s[3] | 0;
    this.spare = spare;
  }

  /** The next 32 uniformly random bits, as an unsigned integer in [0, 2^32). */
  nextU32(): number {
    const s1 = this.s1;
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9);
    const t = s1 << 9;
    this.s2 ^= this.s0;
    this.s3 ^= s1;
    this.s1 = s1 ^ this.s2;
    this.s0 ^= this.s3;
    this.s2 ^= t;
    this.s3 = rotl(this.s3, 11);
    return result >>> 0;
  }

  /**
   * A uniform float in [0, 1) with 53 random bits (the full double mantissa), built
   * from two draws: the top 27 bits of one and the top 26 of the other.
   */
  next(): number {
    const a = this.nextU32() >>> 5; // 27 bits
    const b = this.nextU32() >>> 6; // 26 bits
    return (a * 67108864 + b) * TWO_POW_M53; // (a·2^26 + b) / 2^53
  }

  /**
   * A uniform integer in [0, n), without modulo bias: draws that fall in the
   * incomplete last block of size 2^32 mod n are rejected and redrawn (at most
   * half of the draws are rejected, for n just above 2^31). Requires 1 ≤ n ≤ 2^32.
   */
  int(n: number): number {
    if (!Number.isInteger(n) || n < 1 || n > TWO_POW_32) {
      throw new RangeError(`Rng.int(n) needs an integer n in [1, 2^32], got ${n}`);
    }
    const limit = TWO_POW_32 - (TWO_POW_32 % n); // largest multiple of n that fits
    let x = this.nextU32();
    while (x >= limit) x = this.nextU32();
    return x % n;
  }

  /**
   * A standard normal deviate N(0, 1) by the Box–Muller transform: from uniforms
   * u1 ∈ (0, 1] and u2 ∈ [0, 1), r = √(−2 ln u1) and θ = 2π u2 give two
   * independent deviates r cos θ and r sin θ. The second is cached (and is part of
   * the serialized state) and returned by the next call.
   */
  normal(): number {
    if (this.spare !== null) {
      const z = this.spare;
      this.spare = null;
      return z;
    }
    const u1 = 1 - this.next(); // (0, 1], so the log is finite
    const u2 = this.next();
    const r = Math.sqrt(-2 * Math.log(u1));
    const theta = 2 * Math.PI * u2;
    this.spare = r * Math.sin(theta);
    return r * Math.cos(theta);
  }

  /**
   * Fill `out` with independent N(mean, std²) samples (the usual weight init,
   * e.g. `std = 0.02` for GPT-2-style layers). Same numbers as calling
   * `mean + std * normal()` for each element in order.
   */
  fillNormal(out: Float32Array, std = 1, mean = 0): Float32Array {
    for (let i = 0; i < out.length; i++) out[i] = mean + std * this.normal();
    return out;
  }

  /** Shuffle `arr` in place (Fisher–Yates: swap each position with a uniform earlier-or-same one) and return it. */
  shuffle<T>(arr: T[]): T[] {
    for (let i = arr.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = arr[i]!;
      arr[i] = arr[j]!;
      arr[j] = tmp;
    }
    return arr;
  }

  /** A uniformly chosen element of a non-empty array. */
  choice<T>(arr: readonly T[]): T {
    if (arr.length === 0) throw new RangeError('Rng.choice: the array is empty');
    return arr[this.int(arr.length)]!;
  }

  /**
   * A new, independent generator derived from this one's current state and a
   * label. Deterministic: the same parent state and label give the same stream;
   * different labels give unrelated streams. The parent is not advanced, so
   * `fork('a')` twice in a row returns two identical generators — give each
   * component its own label (e.g. `'init'`, `'data'`, `'sample/3'`).
   *
   * Each child word is fmix32(parent word ⊕ label-hash word) followed by a
   * cross-lane mix, so distinct parent states give distinct children for a fixed
   * label, and every child word depends on all of the label.
   */
  fork(label: string): Rng {
    const h = hashLabel(label);
    let a = fmix32(this.s0 ^ h[0]);
    let b = fmix32(this.s1 ^ h[1]);
    let c = fmix32(this.s2 ^ h[2]);
    let d = fmix32(this.s3 ^ h[3]);
    // Spread each lane into the others (an invertible chain of xors).
    a = (a ^ fmix32(d + 0x9e3779b9)) >>> 0;
    b = (b ^ fmix32(a + 0x3c6ef372)) >>> 0;
    c = (c ^ fmix32(b + 0xdaa66d2b)) >>> 0;
    d = (d ^ fmix32(c + 0x78dde6e4)) >>> 0;
    if ((a | b | c | d) === 0) a = 0x9e3779b9;
    const child = new Rng(0);
    child.setState({ s: [a, b, c, d], spare: null });
    return child;
  }
}
