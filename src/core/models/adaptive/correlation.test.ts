import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { centre, correlatedAtLeast, pearson, SeriesPool, type Centred } from './correlation.js';
import { SeededRandom } from '../../random.js';

/**
 * The reference `correlatedAtLeast` must agree with: the whole dot product in the same four
 * interleaved partial sums (as refreshes computed every pair before the early exit).
 */
function pearsonCentred(a: Centred, b: Centred): number {
  const n = a.d.length;
  if (n < 2 || n !== b.d.length) return NaN;
  if (a.ss <= 1e-12 || b.ss <= 1e-12) return NaN;
  const da = a.d;
  const db = b.d;
  let c0 = 0;
  let c1 = 0;
  let c2 = 0;
  let c3 = 0;
  let r = 0;
  for (; r + 3 < n; r += 4) {
    c0 += da[r]! * db[r]!;
    c1 += da[r + 1]! * db[r + 1]!;
    c2 += da[r + 2]! * db[r + 2]!;
    c3 += da[r + 3]! * db[r + 3]!;
  }
  for (; r < n; r++) c0 += da[r]! * db[r]!;
  return (c0 + c1 + c2 + c3) / Math.sqrt(a.ss * b.ss);
}

/** A series of n values from a seeded random source, with `levels` distinct values when given (binned contributions). */
function series(r: SeededRandom, n: number, levels?: number): Float64Array {
  const a = new Float64Array(n);
  for (let i = 0; i < n; i++) a[i] = levels ? Math.floor(r.next() * levels) - levels / 2 : r.next() - 0.5;
  return a;
}

/** b = cos(t) a + sin(t) e, e made orthogonal to a: a series whose correlation with a is cos(t) up to rounding. */
function correlatedWith(a: Float64Array, rho: number, r: SeededRandom): Float64Array {
  const ca = centre(a.slice())!;
  const e = centre(series(r, a.length))!;
  let dot = 0;
  for (let i = 0; i < a.length; i++) dot += e.d[i]! * ca.d[i]!;
  const orth = e.d.map((x, i) => x - (dot / ca.ss) * ca.d[i]!);
  let oss = 0;
  for (const x of orth) oss += x * x;
  const k = Math.sqrt(ca.ss / oss);
  const sin = Math.sqrt(Math.max(0, 1 - rho * rho));
  return ca.d.map((x, i) => rho * x + sin * k * orth[i]!);
}

describe('correlations of window contributions', () => {
  it('pearsonCentred of centred series is pearson', () => {
    const r = new SeededRandom(1);
    const a = series(r, 500);
    const b = correlatedWith(a, 0.6, r);
    const expected = pearson(a, b);
    expect(pearsonCentred(centre(a.slice())!, centre(b.slice())!)).toBeCloseTo(expected, 12);
    expect(pearson(a, b)).toBeCloseTo(0.6, 12);
  });

  it('correlatedAtLeast answers as |pearsonCentred| >= threshold, at and around the threshold', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 2, max: 700 }),
        fc.integer({ min: 0, max: 1_000_000 }),
        fc.constantFrom(0.5, 0.8, 0.95),
        fc.constantFrom(-1e-3, -1e-12, 0, 1e-12, 1e-3, -0.5, 0.3),
        fc.constantFrom(undefined, 2, 3, 12),
        fc.boolean(),
        (n, seed, threshold, offset, levels, negative) => {
          const r = new SeededRandom(seed);
          const a = series(r, n, levels);
          const rho = Math.max(-1, Math.min(1, (negative ? -1 : 1) * (threshold + offset)));
          const b = correlatedWith(a, rho, r);
          const ca = centre(a)!;
          const cb = centre(b)!;
          expect(correlatedAtLeast(ca, cb, threshold)).toBe(Math.abs(pearsonCentred(ca, cb)) >= threshold);
          const unrelated = centre(series(r, n, levels))!;
          expect(correlatedAtLeast(ca, unrelated, threshold)).toBe(Math.abs(pearsonCentred(ca, unrelated)) >= threshold);
        },
      ),
      { seed: 42, numRuns: 400 },
    );
  });

  it('a constant or too short series correlates with nothing', () => {
    const r = new SeededRandom(2);
    const a = centre(series(r, 100))!;
    expect(correlatedAtLeast(a, centre(new Float64Array(100).fill(3))!, 0.1)).toBe(false);
    expect(correlatedAtLeast(centre(Float64Array.of(1))!, centre(Float64Array.of(2))!, 0)).toBe(false);
    expect(correlatedAtLeast(a, centre(series(r, 99))!, 0)).toBe(false);
    expect(correlatedAtLeast(a, a, 1 - 1e-12)).toBe(true);
  });

  it('centres in place, its tail sums in pool memory that the next series does not overlap', () => {
    const pool = new SeriesPool();
    const r = new SeededRandom(4);
    const a = series(r, 300);
    const copy = a.slice();
    const inPool = pool.take(300);
    inPool.set(copy);
    const centred = centre(inPool, pool)!;
    expect(centred.d).toBe(inPool);
    const mean = copy.reduce((s, x) => s + x, 0) / copy.length;
    expect(centred.d[7]).toBeCloseTo(copy[7]! - mean, 15);
    const rest = [...centred.rest];
    // far more than the pool's first buffer: it grows, and what it handed out before stays as it was
    const next = pool.take(5000).fill(7);
    expect([...centred.rest]).toEqual(rest);
    expect(centred.d[7]).toBeCloseTo(copy[7]! - mean, 15);
    expect(next.every((x) => x === 7)).toBe(true);
    pool.reset();
    expect(pool.take(4).length).toBe(4);
  });

  it('the tail sums behind the early exit hold the squared deviations from each block on', () => {
    const c = centre(series(new SeededRandom(3), 70))!;
    const fromRow = (start: number): number => c.d.slice(start).reduce((s, x) => s + x * x, 0);
    expect([...c.rest].map((x) => x.toFixed(12))).toEqual([0, 32, 64, 70].map((k) => fromRow(k).toFixed(12)));
    expect(c.rest[0]).toBeCloseTo(c.ss, 12);
  });
});
