/**
 * Injected randomness. Core logic never calls Math.random: it takes a `Random`, so that a seeded
 * decision is exactly reproducible. Includes the Gamma/Beta samplers Thompson sampling needs.
 */

export interface Random {
  /** Uniform in [0, 1). */
  next(): number;
}

/**
 * xoshiro128** seeded through splitmix32: fast, 2^128 period, good enough statistically for sampling.
 * The state lives in an Int32Array, so each step is plain 32-bit integer work (no boxed numbers).
 */
export class SeededRandom implements Random {
  private readonly s = new Int32Array(4);

  constructor(seed: number | string) {
    let x = typeof seed === 'number' ? seed >>> 0 : hashString(seed);
    const split = (): number => {
      x = (x + 0x9e3779b9) >>> 0;
      let z = x;
      z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
      z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
      return (z ^ (z >>> 16)) >>> 0;
    };
    for (let i = 0; i < 4; i++) this.s[i] = split();
  }

  next(): number {
    const s = this.s;
    const a = s[0]!;
    const b = s[1]!;
    let c = s[2]!;
    let d = s[3]!;
    const m = Math.imul(b, 5);
    const result = Math.imul((m << 7) | (m >>> 25), 9) >>> 0;
    const t = b << 9;
    c ^= a;
    d ^= b;
    s[1] = b ^ c;
    s[0] = a ^ d;
    s[2] = c ^ t;
    s[3] = (d << 11) | (d >>> 21);
    return result / 4294967296;
  }
}

/** Non-reproducible randomness for production use when no seed is configured. */
export const systemRandom: Random = { next: () => Math.random() };

/** FNV-1a 32-bit hash: stable across processes and platforms (used for seeds and control groups). */
export function hashString(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193) >>> 0;
  }
  return h >>> 0;
}

/** Standard normal by Box-Muller (one value per call; simple and deterministic). */
export function sampleNormal(random: Random): number {
  let u = random.next();
  while (u <= Number.EPSILON) u = random.next();
  const v = random.next();
  return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

/**
 * The samplers' working numbers: [alpha, beta, Gamma(alpha), Gamma(beta), Beta(alpha, beta)].
 * Shapes go in and draws come out through this array, so that no double is passed to or returned
 * from a call (each would be a heap allocation: a decision draws one Beta per candidate).
 */
const draws = new Float64Array(5);

/** Gamma(shape, 1) by Marsaglia and Tsang; shape < 1 boosted by U^(1/shape). */
export function sampleGamma(random: Random, shape: number): number {
  draws[0] = shape;
  gammaInto(random, 0);
  return draws[2]!;
}

/** Beta(alpha, beta) as X / (X + Y) with X ~ Gamma(alpha), Y ~ Gamma(beta). */
export function sampleBeta(random: Random, alpha: number, beta: number): number {
  draws[0] = alpha;
  draws[1] = beta;
  betaInto(random);
  return draws[4]!;
}

/**
 * `sampleBeta(random, shapes[at], shapes[at + 1])` written to shapes[at + 2]: the same draw, with
 * no number passed or returned boxed.
 */
export function sampleBetaInto(random: Random, shapes: Float64Array, at: number): void {
  draws[0] = shapes[at]!;
  draws[1] = shapes[at + 1]!;
  betaInto(random);
  shapes[at + 2] = draws[4]!;
}

/** Gamma(draws[slot], 1) into draws[2 + slot]. */
function gammaInto(random: Random, slot: number): void {
  const shape = draws[slot]!;
  if (!(shape > 0)) throw new RangeError(`gamma shape must be > 0, got ${shape}`);
  // shape < 1: Gamma(shape + 1) * U^(1/shape), the uniform drawn first
  let boost = 1;
  let s = shape;
  if (s < 1) {
    let u = random.next();
    while (u <= Number.EPSILON) u = random.next();
    boost = Math.pow(u, 1 / s);
    s += 1;
  }
  const d = s - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      // a standard normal by Box-Muller, as `sampleNormal` draws it
      let u = random.next();
      while (u <= Number.EPSILON) u = random.next();
      const w = random.next();
      x = Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * w);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = random.next();
    if (u < 1 - 0.0331 * x * x * x * x || Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) {
      draws[2 + slot] = d * v * boost;
      return;
    }
  }
}

/** Beta(draws[0], draws[1]) into draws[4] (its gammas in draws[2] and draws[3]). */
function betaInto(random: Random): void {
  gammaInto(random, 0);
  gammaInto(random, 1);
  const x = draws[2]!;
  const sum = x + draws[3]!;
  draws[4] = sum > 0 ? x / sum : draws[0]! / (draws[0]! + draws[1]!);
}
