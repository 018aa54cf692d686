/**
 * The seeded source and the samplers: Gamma and Beta draws are exactly those of the textbook
 * recursive formulation (kept here as the reference), so seeded decisions stay reproducible
 * across the allocation-free rewrite; the draws have the right moments.
 */
import { describe, expect, it } from 'vitest';
import { SeededRandom, sampleBeta, sampleBetaInto, sampleGamma, sampleNormal, type Random } from './random.js';

function referenceGamma(random: Random, shape: number): number {
  if (shape < 1) {
    let u = random.next();
    while (u <= Number.EPSILON) u = random.next();
    return referenceGamma(random, shape + 1) * Math.pow(u, 1 / shape);
  }
  const d = shape - 1 / 3;
  const c = 1 / Math.sqrt(9 * d);
  for (;;) {
    let x: number;
    let v: number;
    do {
      x = sampleNormal(random);
      v = 1 + c * x;
    } while (v <= 0);
    v = v * v * v;
    const u = random.next();
    if (u < 1 - 0.0331 * x * x * x * x) return d * v;
    if (Math.log(u) < 0.5 * x * x + d * (1 - v + Math.log(v))) return d * v;
  }
}

function referenceBeta(random: Random, alpha: number, beta: number): number {
  const x = referenceGamma(random, alpha);
  const y = referenceGamma(random, beta);
  const sum = x + y;
  return sum > 0 ? x / sum : alpha / (alpha + beta);
}

const SHAPES = [0.05, 0.3, 0.999, 1, 1.5, 3.7, 12, 250, 40_000];

describe('samplers', () => {
  it('draw Gamma variates identical to the reference, consuming the same random numbers', () => {
    for (const shape of SHAPES) {
      const a = new SeededRandom(`gamma-${shape}`);
      const b = new SeededRandom(`gamma-${shape}`);
      for (let i = 0; i < 2000; i++) expect(sampleGamma(a, shape)).toBe(referenceGamma(b, shape));
      expect(a.next()).toBe(b.next());
    }
  });

  it('draw Beta variates identical to the reference, returned or written into an array', () => {
    const shapes = new Float64Array(5);
    for (const alpha of SHAPES) {
      for (const beta of [0.5, 1, 7, 900]) {
        const a = new SeededRandom(`beta-${alpha}-${beta}`);
        const b = new SeededRandom(`beta-${alpha}-${beta}`);
        const c = new SeededRandom(`beta-${alpha}-${beta}`);
        for (let i = 0; i < 300; i++) {
          const expected = referenceBeta(b, alpha, beta);
          expect(sampleBeta(a, alpha, beta)).toBe(expected);
          shapes[2] = alpha;
          shapes[3] = beta;
          sampleBetaInto(c, shapes, 2);
          expect(shapes[4]).toBe(expected);
        }
        const after = b.next();
        expect(a.next()).toBe(after);
        expect(c.next()).toBe(after);
      }
    }
  });

  it('have the right mean and variance', () => {
    const random = new SeededRandom(5);
    const n = 20_000;
    for (const [alpha, beta] of [[2, 5], [0.4, 0.6], [30, 10]] as const) {
      let sum = 0;
      let squares = 0;
      let lowest = Infinity;
      let highest = -Infinity;
      for (let i = 0; i < n; i++) {
        const x = sampleBeta(random, alpha, beta);
        lowest = Math.min(lowest, x);
        highest = Math.max(highest, x);
        sum += x;
        squares += x * x;
      }
      expect(lowest).toBeGreaterThanOrEqual(0);
      expect(highest).toBeLessThanOrEqual(1);
      const mean = sum / n;
      const variance = squares / n - mean * mean;
      const s = alpha + beta;
      expect(mean).toBeCloseTo(alpha / s, 2);
      expect(variance).toBeCloseTo((alpha * beta) / (s * s * (s + 1)), 2);
    }
  });

  it('reject a shape that is not positive, naming it', () => {
    expect(() => sampleGamma(new SeededRandom(1), 0)).toThrow('gamma shape must be > 0, got 0');
    expect(() => sampleBeta(new SeededRandom(1), 1, Number.NaN)).toThrow('got NaN');
  });
});
