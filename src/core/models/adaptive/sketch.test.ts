import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { compactLightest, mergePoints, sortPoints } from './sketch.js';

type Interval = [number, number, number, number];

function pack(intervals: Interval[], capacity = intervals.length): Float64Array {
  const f = new Float64Array(4 * Math.max(1, capacity));
  intervals.forEach((iv, i) => f.set(iv, 4 * i));
  return f;
}

function unpack(f: Float64Array, n: number): Interval[] {
  return Array.from({ length: n }, (_, i) => [f[4 * i]!, f[4 * i + 1]!, f[4 * i + 2]!, f[4 * i + 3]!] as Interval);
}

/** The reference: rescan for the lightest adjacent pair (first on ties) and merge it, until <= cap. */
function compactByScans(intervals: Interval[], cap: number): Interval[] {
  const out = intervals.map((x) => [...x] as Interval);
  while (out.length > cap) {
    let best = 0;
    let bestW = Infinity;
    for (let i = 0; i + 1 < out.length; i++) {
      const w = out[i]![2] + out[i]![3] + out[i + 1]![2] + out[i + 1]![3];
      if (w < bestW) {
        bestW = w;
        best = i;
      }
    }
    const a = out[best]!;
    const b = out[best + 1]!;
    out.splice(best, 2, [Math.min(a[0], b[0]), Math.max(a[1], b[1]), a[2] + b[2], a[3] + b[3]]);
  }
  return out;
}

const intervalsArb = fc
  .array(fc.tuple(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 0, max: 5 })), { minLength: 1, maxLength: 60 })
  .map((counts) => counts.map(([p, q], i) => [i * 10, i * 10 + 3, p, q] as Interval));

describe('compactLightest', () => {
  it('merges exactly the pairs repeated scans would (ties: leftmost), down to the capacity', () => {
    fc.assert(
      fc.property(intervalsArb, fc.integer({ min: 1, max: 60 }), (intervals, cap) => {
        const f = pack(intervals);
        const n = compactLightest(f, intervals.length, cap);
        expect(unpack(f, n)).toEqual(compactByScans(intervals, cap));
      }),
      { numRuns: 300, seed: 5 },
    );
  });
});

describe('mergePoints', () => {
  it('adds values inside intervals to them, opens point intervals in gaps, keeps every count', () => {
    const f = pack([[1, 2, 1, 0], [5, 8, 0, 1]], 8);
    // [value, positive weight, negative weight]
    const points = new Float64Array([6, 1, 0, 0.5, 0, 1, 3, 1, 0, 3, 0, 1, 8, 0, 1, 9, 1, 0]);
    sortPoints(points, 6);
    expect(Array.from(points)).toEqual([0.5, 0, 1, 3, 1, 0, 3, 0, 1, 6, 1, 0, 8, 0, 1, 9, 1, 0]);
    const n = mergePoints(f, 2, 8, points, 6);
    expect(unpack(f, n)).toEqual([
      [0.5, 0.5, 0, 1],
      [1, 2, 1, 0],
      [3, 3, 1, 1],
      [5, 8, 1, 2],
      [9, 9, 1, 0],
    ]);
  });

  it('stays within the capacity, ordered and disjoint, with the total weight of everything added', () => {
    fc.assert(
      fc.property(fc.array(fc.tuple(fc.integer({ min: -50, max: 50 }), fc.boolean()), { minLength: 1, maxLength: 400 }), fc.integer({ min: 2, max: 16 }), (values, cap) => {
        const f = new Float64Array(4 * (cap + 1));
        let fn = 0;
        const batch = Math.max(8, Math.floor(cap / 2));
        const points = new Float64Array(3 * batch);
        let pn = 0;
        for (const [v, positive] of values) {
          points[3 * pn] = v / 3;
          points[3 * pn + 1] = positive ? 1 : 0;
          points[3 * pn + 2] = positive ? 0 : 1;
          pn++;
          if (pn === batch) {
            sortPoints(points, pn);
            fn = mergePoints(f, fn, cap, points, pn);
            pn = 0;
          }
        }
        sortPoints(points, pn);
        fn = mergePoints(f, fn, cap, points, pn);
        expect(fn).toBeLessThanOrEqual(cap);
        const out = unpack(f, fn);
        for (let i = 0; i < out.length; i++) {
          expect(out[i]![0]).toBeLessThanOrEqual(out[i]![1]);
          if (i > 0) expect(out[i - 1]![1]).toBeLessThan(out[i]![0]);
        }
        expect(out.reduce((t, x) => t + x[2], 0)).toBe(values.filter(([, p]) => p).length);
        expect(out.reduce((t, x) => t + x[3], 0)).toBe(values.filter(([, p]) => !p).length);
        // every value lies in the interval that counts it: min and max of the stream are bounds
        const sorted = values.map(([v]) => v / 3).sort((a, b) => a - b);
        expect(out[0]![0]).toBe(sorted[0]);
        expect(out[out.length - 1]![1]).toBe(sorted[sorted.length - 1]);
      }),
      { numRuns: 200, seed: 9 },
    );
  });
});
