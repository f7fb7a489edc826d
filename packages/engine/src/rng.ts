import { createHash } from 'node:crypto';

const rotl = (x: number, k: number): number => (x << k) | (x >>> (32 - k));

/**
 * A small seeded generator (xoshiro128**). Every number it returns is a pure function of its seed,
 * so a variant renders byte-identically on any worker, in any order.
 */
export class Rng {
  #s0: number;
  #s1: number;
  #s2: number;
  #s3: number;

  /** Seeds from four 32-bit words (not all zero; an all-zero state is replaced by a fixed one). */
  constructor(s0: number, s1: number, s2: number, s3: number) {
    this.#s0 = s0 | 0;
    this.#s1 = s1 | 0;
    this.#s2 = s2 | 0;
    this.#s3 = s3 | 0;
    if ((this.#s0 | this.#s1 | this.#s2 | this.#s3) === 0) this.#s0 = 0x9e3779b9 | 0;
  }

  /** A generator seeded from the sha256 of `key`. */
  static fromKey(key: string): Rng {
    const digest = createHash('sha256').update(key).digest();
    return new Rng(digest.readUInt32LE(0), digest.readUInt32LE(4), digest.readUInt32LE(8), digest.readUInt32LE(12));
  }

  /** A generator seeded from one 32-bit number (used for the sub-seeds written to the manifest). */
  static fromSeed(seed: number): Rng {
    return Rng.fromKey(`sub:${seed >>> 0}`);
  }

  /** The next 32-bit unsigned integer. */
  nextUint32(): number {
    const s1 = this.#s1;
    const result = Math.imul(rotl(Math.imul(s1, 5), 7), 9) >>> 0;
    const t = s1 << 9;
    this.#s2 ^= this.#s0;
    this.#s3 ^= this.#s1;
    this.#s1 ^= this.#s2;
    this.#s0 ^= this.#s3;
    this.#s2 ^= t;
    this.#s3 = rotl(this.#s3, 11);
    return result;
  }

  /** A float in [0, 1) with 32 bits of resolution. */
  float(): number {
    return this.nextUint32() / 4294967296;
  }

  /** A float in [min, max] (max itself only when min === max). */
  uniform(min: number, max: number): number {
    return min + (max - min) * this.float();
  }

  /** An integer in [min, max], both inclusive. */
  int(min: number, max: number): number {
    return min + Math.floor(this.float() * (max - min + 1));
  }

  /** True with probability `p`; always draws one number, whatever `p` is. */
  chance(p: number): boolean {
    return this.float() < p;
  }

  /** A standard normal deviate (Box–Muller). */
  gaussian(): number {
    const u = 1 - this.float();
    const v = this.float();
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /** One element of a non-empty array. */
  pick<T>(items: readonly T[]): T {
    const item = items[Math.floor(this.float() * items.length)];
    if (item === undefined) throw new RangeError('pick from an empty array');
    return item;
  }

  /** An index drawn with the given (non-negative, not all zero) weights. */
  weightedIndex(weights: readonly number[]): number {
    const total = weights.reduce((sum, w) => sum + w, 0);
    let target = this.float() * total;
    for (let i = 0; i < weights.length; i++) {
      target -= weights[i] ?? 0;
      if (target < 0) return i;
    }
    return weights.length - 1;
  }

  /** `count` distinct indices of [0, n), in increasing order. */
  sampleIndices(n: number, count: number): number[] {
    const pool = Array.from({ length: n }, (_, i) => i);
    for (let i = 0; i < count; i++) {
      const j = i + Math.floor(this.float() * (n - i));
      const a = pool[i] as number;
      pool[i] = pool[j] as number;
      pool[j] = a;
    }
    return pool.slice(0, count).sort((a, b) => a - b);
  }
}

/**
 * The generator of one variant: derived from the pipeline seed, the source's sha256 and the
 * variant index only, so variants can be rendered by any worker in any order.
 */
export function variantRng(seed: number, sourceDigest: string, index: number): Rng {
  return Rng.fromKey(`delta-augment/v1:${seed}:${sourceDigest}:${index}`);
}
