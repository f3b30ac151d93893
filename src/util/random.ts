// A small seeded generator for JavaScript-side sampling (categorical toys, accept/
// reject decisions, context draws). xoshiro128** on 32-bit integers: fast with
// Math.imul, a 2^128 period, and a four-word state that checkpoints can save so a
// resumed run draws exactly what the uninterrupted run would have drawn.
import { fail } from './errors.js';

const TWO_32 = 2 ** 32;

function rotl(x: number, k: number): number {
  return (x << k) | (x >>> (32 - k));
}

// splitmix32 spreads a small seed over the whole state (xoshiro must not start at 0).
function splitmix32(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (s + 0x9e3779b9) >>> 0;
    let z = s;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
    return (z ^ (z >>> 16)) >>> 0;
  };
}

export class Random {
  private readonly s: Uint32Array;

  /** `seed`: any safe integer; equal seeds give equal streams. */
  constructor(seed: number) {
    if (!Number.isSafeInteger(seed)) fail(`seed must be a safe integer, got ${seed}.`);
    // Fold the high bits in so seeds differing only above 2^32 still differ.
    const mix = splitmix32((seed >>> 0) ^ Math.imul(Math.floor(seed / TWO_32) >>> 0, 0x27d4eb2f));
    this.s = Uint32Array.of(mix(), mix(), mix(), mix());
  }

  /** Restores a generator from `state()`, e.g. when resuming from a checkpoint. */
  static fromState(state: readonly number[]): Random {
    if (state.length !== 4 || state.some((w) => !Number.isInteger(w) || w < 0 || w >= TWO_32) || state.every((w) => w === 0)) {
      fail('a random state must be four unsigned 32-bit integers, not all zero.');
    }
    const r = new Random(0);
    r.s.set(state);
    return r;
  }

  state(): number[] {
    return Array.from(this.s);
  }

  /** The next unsigned 32-bit integer. */
  uint32(): number {
    const s = this.s;
    const result = Math.imul(rotl(Math.imul(s[1], 5), 7), 9) >>> 0;
    const t = s[1] << 9;
    s[2] ^= s[0];
    s[3] ^= s[1];
    s[1] ^= s[2];
    s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3], 11);
    return result;
  }

  /** A uniform double in [0, 1) with 53 random bits. */
  float(): number {
    const hi = this.uint32() >>> 5; // 27 bits
    const lo = this.uint32() >>> 6; // 26 bits
    return (hi * 67108864 + lo) / 9007199254740992;
  }

  /** A uniform integer in [0, n), without modulo bias. */
  int(n: number): number {
    if (!Number.isSafeInteger(n) || n <= 0) fail(`int(n) needs a positive integer n, got ${n}.`);
    if (n > TWO_32) return Math.floor(this.float() * n);
    const limit = TWO_32 - (TWO_32 % n);
    for (;;) {
      const x = this.uint32();
      if (x < limit) return x % n;
    }
  }

  /** An independent generator derived from this one (advances this one). */
  fork(): Random {
    return new Random(this.uint32() * 2097152 + (this.uint32() >>> 11));
  }
}
