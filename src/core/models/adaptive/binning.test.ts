import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { DEFAULT_BINNING, NumericBinning, SymbolicBinning, chiSquare, countBelow, groupAdjacent } from './binning.js';
import { SeededRandom } from '../../random.js';

const noMerge = { ...DEFAULT_BINNING, mergeChi2: 0, minBinWeight: 0, minSymbolWeight: 0 };

describe('chiSquare', () => {
  it('matches the 2x2 formula (hand case)', () => {
    // [[10, 20], [30, 40]]: N=100, (10*40-20*30)^2 = 40000, margins 30*70*40*60 = 5,040,000
    expect(chiSquare(10, 20, 30, 40)).toBeCloseTo((100 * 40000) / 5_040_000, 12);
    expect(chiSquare(5, 5, 0, 0)).toBe(0);
  });
});

describe('groupAdjacent', () => {
  it('merges cells whose rates do not differ and keeps different ones apart', () => {
    // cells 0,1 at 10%, cells 2,3 at 50%
    const ends = groupAdjacent([10, 11, 50, 49], [90, 89, 50, 51], 4, 1, { maxBins: 20, mergeChi2: 3.84, minBinWeight: 10 });
    expect(ends).toEqual([1, 3]);
  });

  it('merges light cells into their most similar neighbour first', () => {
    // middle cell weighs 2 (< 10) and looks like the right one
    const ends = groupAdjacent([10, 1, 50], [90, 1, 50], 3, 1, { maxBins: 20, mergeChi2: 0, minBinWeight: 10 });
    expect(ends).toEqual([0, 2]);
  });

  it('respects maxBins', () => {
    const pos = [0, 100, 0, 100, 0, 100];
    const neg = [100, 0, 100, 0, 100, 0];
    expect(groupAdjacent(pos, neg, 6, 1, { maxBins: 3, mergeChi2: 0, minBinWeight: 0 }).length).toBe(3);
  });

  it('equals rescanning every group after each merge (the greedy rule, first in order on ties)', () => {
    /** The reference: rescan after every merge. */
    const byScans = (pos: number[], neg: number[], scale: number, config: { maxBins: number; mergeChi2: number; minBinWeight: number }): number[] => {
      const gp = pos.map((x) => x / scale);
      const gn = neg.map((x) => x / scale);
      const end = pos.map((_, i) => i);
      const merge = (i: number): void => {
        gp[i] = gp[i]! + gp[i + 1]!;
        gn[i] = gn[i]! + gn[i + 1]!;
        end[i] = end[i + 1]!;
        gp.splice(i + 1, 1);
        gn.splice(i + 1, 1);
        end.splice(i + 1, 1);
      };
      const chi = (i: number): number => chiSquare(gp[i]!, gn[i]!, gp[i + 1]!, gn[i + 1]!);
      while (gp.length > 1) {
        let light = -1;
        let lightW = config.minBinWeight;
        for (let i = 0; i < gp.length; i++) {
          if (gp[i]! + gn[i]! < lightW) {
            lightW = gp[i]! + gn[i]!;
            light = i;
          }
        }
        if (light >= 0) {
          if (light === 0) merge(0);
          else if (light === gp.length - 1) merge(light - 1);
          else merge(chi(light - 1) <= chi(light) ? light - 1 : light);
          continue;
        }
        let best = 0;
        let bestChi = Infinity;
        for (let i = 0; i + 1 < gp.length; i++) {
          if (chi(i) < bestChi) {
            bestChi = chi(i);
            best = i;
          }
        }
        if (bestChi < config.mergeChi2 || gp.length > config.maxBins) merge(best);
        else break;
      }
      return end;
    };
    // up to 128 cells are grouped by scans, more by heaps: both are checked
    const cell = fc.tuple(fc.integer({ min: 0, max: 30 }), fc.integer({ min: 0, max: 30 }));
    const sparse = fc.tuple(fc.integer({ min: 0, max: 3 }), fc.integer({ min: 0, max: 3 })); // many ties
    const cells = fc.oneof(
      fc.array(cell, { minLength: 1, maxLength: 70 }),
      fc.array(fc.oneof(cell, sparse), { minLength: 120, maxLength: 300 }),
      fc.array(sparse, { minLength: 120, maxLength: 300 }),
    );
    const config = fc.record({ maxBins: fc.integer({ min: 1, max: 20 }), mergeChi2: fc.constantFrom(0, 1, 3.84, 10), minBinWeight: fc.constantFrom(0, 3, 10, 40) });
    fc.assert(
      fc.property(cells, config, fc.constantFrom(1, 3), (c, cfg, scale) => {
        const pos = c.map(([p]) => p * scale);
        const neg = c.map(([, q]) => q * scale);
        expect(groupAdjacent(pos, neg, c.length, scale, cfg)).toEqual(byScans(pos, neg, scale, cfg));
      }),
      { numRuns: 500, seed: 3 },
    );
  });

  it('reads counts in responses through the scale', () => {
    // the same cells at 1000x inflation: light-cell rule sees 2 responses, not 2000
    const ends = groupAdjacent([10_000, 1000, 50_000], [90_000, 1000, 50_000], 3, 1000, { maxBins: 20, mergeChi2: 0, minBinWeight: 10 });
    expect(ends).toEqual([0, 2]);
  });
});

describe('countBelow', () => {
  it('counts the sorted bounds below a value, for few and many bounds, ties and infinities', () => {
    const sorted = fc.array(fc.integer({ min: -20, max: 20 }), { maxLength: 40 }).map((a) => a.sort((x, y) => x - y));
    const value = fc.oneof(fc.integer({ min: -25, max: 25 }).map((x) => x / 2), fc.constantFrom(Infinity, -Infinity));
    fc.assert(
      fc.property(sorted, fc.nat(5), value, (bounds, from, v) => {
        const a = new Float64Array([...Array.from({ length: from }, () => 99), ...bounds]);
        expect(countBelow(a, from, bounds.length, v)).toBe(bounds.filter((b) => b < v).length);
      }),
      { numRuns: 1000, seed: 11 },
    );
  });
});

describe('NumericBinning', () => {
  it('perBinOf gives, for values at a stride, the entry of each one\'s bin: as binOf one by one', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 12 }), // distinct values learnt: 1 to 12 coarse intervals after regrouping
        fc.array(fc.oneof(fc.integer({ min: -2, max: 14 }), fc.double({ min: -2, max: 14, noNaN: true }), fc.constant(NaN)), { maxLength: 23 }),
        fc.integer({ min: 1, max: 3 }),
        (distinct, xs, stride) => {
          const b = new NumericBinning(64);
          // separated rates, so that regrouping keeps each value apart
          for (let v = 0; v < distinct; v++) for (let k = 0; k < 60; k++) b.add(v, k < (v % 2 === 0 ? 5 : 55), 1);
          b.regroup({ ...DEFAULT_BINNING, minBinWeight: 0 }, 1);
          const perBin = Float64Array.from({ length: b.nBins }, (_, k) => 100 + k);
          const values = new Float64Array(1 + xs.length * stride).fill(-1e9);
          xs.forEach((x, r) => (values[1 + r * stride] = x));
          const out = new Float64Array(xs.length);
          b.perBinOf(values, 1, stride, xs.length, perBin, out);
          expect([...out]).toEqual(xs.map((x) => perBin[b.binOf(x)]));
        },
      ),
      { numRuns: 300, seed: 4 },
    );
  });

  it('bins values into intervals with a missing bin last', () => {
    const b = new NumericBinning(64);
    for (const [v, y] of [
      [1, false],
      [2, false],
      [10, true],
      [11, true],
      [null, true],
    ] as const) {
      b.add(v, y, 1);
    }
    b.regroup(noMerge, 1);
    expect(b.nBins).toBe(5);
    expect(b.index(1)).toBe(0);
    expect(b.index(1.5)).toBe(1); // between 1 and 2: the interval above
    expect(b.index(11)).toBe(3);
    expect(b.index(1000)).toBe(3);
    expect(b.index(-5)).toBe(0);
    expect(b.index(null)).toBe(4);
    expect(b.index('not a number')).toBe(4);
    expect(b.index('10')).toBe(2);
    expect(Array.from(b.pos.subarray(0, 5))).toEqual([0, 0, 1, 1, 1]);
    expect(b.describe(0).label).toBe('<= 1');
    expect(b.describe(1).label).toBe('(1, 2]');
    expect(b.describe(3).label).toBe('> 10');
    expect(b.describe(4).label).toBe('missing');
  });

  it('groups by behaviour: a step in the rate becomes the only cut', () => {
    const b = new NumericBinning(64);
    const r = new SeededRandom(7);
    for (let i = 0; i < 20_000; i++) {
      const v = r.next() * 100;
      b.add(v, r.next() < (v < 50 ? 0.1 : 0.4), 1);
    }
    b.regroup(DEFAULT_BINNING, 1);
    // far fewer coarse bins than fine ones, and none mixes the two behaviours much:
    // bins wholly below the step look like 10%, bins wholly above like 40%
    expect(b.nBins).toBeLessThan(12);
    let wide = 0;
    for (let k = 0; k < b.nBins - 1; k++) {
      const d = b.describe(k);
      const rate = b.pos[k]! / (b.pos[k]! + b.neg[k]!);
      if ((d.upper ?? Infinity) <= 49) expect(rate).toBeLessThan(0.2);
      if ((d.lower ?? -Infinity) >= 51) expect(rate).toBeGreaterThan(0.3);
      if ((d.upper ?? 100) - (d.lower ?? 0) > 30) wide++;
    }
    expect(wide).toBeGreaterThanOrEqual(2); // most of each side is one bin
  });

  it('keeps at most fineBins intervals on a continuous stream', () => {
    const b = new NumericBinning(32);
    const r = new SeededRandom(1);
    for (let i = 0; i < 50_000; i++) b.add(r.next() * 1e6, r.next() < 0.1, 1);
    expect(b.sketchSize).toBeLessThanOrEqual(32);
    b.regroup(DEFAULT_BINNING, 1);
    let total = 0;
    for (let k = 0; k < b.nBins; k++) total += b.pos[k]! + b.neg[k]!;
    expect(total).toBe(50_000);
  });

  it('queues values for the fine sketch: the same state as if each had entered on arrival', () => {
    // `eager` reads its sketch after every value (which lets each in at once); `queued` is only
    // read by the operations that need the sketch (regroup, rescale, merge, save)
    const eager = new NumericBinning(16);
    const queued = new NumericBinning(16);
    const other = new NumericBinning(16);
    const r = new SeededRandom(9);
    let w = 1;
    for (let i = 0; i < 5_000; i++) {
      w *= 1.0007; // decayed models add growing weights
      const v = r.next() < 0.05 ? null : r.next() < 0.5 ? Math.floor(r.next() * 30) : r.next() * 100;
      const positive = r.next() < 0.2;
      eager.add(v, positive, w);
      expect(eager.sketchSize).toBeGreaterThanOrEqual(0);
      queued.add(v, positive, w);
      other.add(r.next() * 50, positive, w);
      if (i % 97 === 96) {
        eager.regroup(DEFAULT_BINNING, w);
        queued.regroup(DEFAULT_BINNING, w);
        expect(queued.toJSON()).toEqual(eager.toJSON());
      }
      if (i % 1_013 === 1_012) {
        eager.rescale(1 / w);
        queued.rescale(1 / w);
        other.rescale(1 / w);
        w = 1;
      }
      if (i === 2_500) {
        eager.mergeFrom(other, 1);
        queued.mergeFrom(other, 1);
      }
    }
    eager.regroupMonotone(10);
    queued.regroupMonotone(10);
    expect(queued.toJSON()).toEqual(eager.toJSON());
  });

  it('round-trips through JSON', () => {
    const b = new NumericBinning(8);
    const r = new SeededRandom(3);
    for (let i = 0; i < 500; i++) b.add(Math.floor(r.next() * 40), r.next() < 0.3, 1);
    b.add(null, true, 1);
    b.regroup(DEFAULT_BINNING, 1);
    const c = NumericBinning.fromJSON(JSON.parse(JSON.stringify(b.toJSON())), 8);
    expect(c.toJSON()).toEqual(b.toJSON());
    for (const v of [-1, 0, 5, 17.5, 39, 100, null]) expect(c.index(v)).toBe(b.index(v));
  });
});

describe('SymbolicBinning', () => {
  it('groups symbols by rate with a residual and a missing group', () => {
    const b = new SymbolicBinning(10);
    const add = (s: string | null, pos: number, neg: number): void => {
      for (let i = 0; i < pos; i++) b.add(s, true, 1);
      for (let i = 0; i < neg; i++) b.add(s, false, 1);
    };
    add('a', 30, 70);
    add('b', 31, 69); // same behaviour as a
    add('c', 80, 20);
    add('rare', 1, 1); // below minSymbolWeight 10
    add(null, 2, 3);
    b.regroup(DEFAULT_BINNING, 1);
    expect(b.nBins).toBe(4); // {a,b}, {c}, residual, missing
    expect(b.describe(0).symbols).toEqual(['a', 'b']);
    expect(b.describe(1).symbols).toEqual(['c']);
    expect(b.index('rare')).toBe(2);
    expect(b.index('never seen')).toBe(2);
    expect(b.index(null)).toBe(3);
    expect(b.index('')).toBe(3);
    expect(Array.from(b.pos.subarray(0, 4))).toEqual([61, 80, 1, 2]);
    expect(Array.from(b.neg.subarray(0, 4))).toEqual([139, 20, 1, 3]);
  });

  it('treats booleans and numbers as symbols', () => {
    const b = new SymbolicBinning(10);
    b.add(true, true, 1);
    b.add(false, false, 1);
    b.regroup(noMerge, 1);
    expect(b.index(true)).not.toBe(b.index(false));
    expect(b.index('true')).toBe(b.index(true));
  });

  it('evicts the lightest symbol when full, keeping totals', () => {
    const b = new SymbolicBinning(3);
    for (let i = 0; i < 5; i++) b.add('heavy', true, 1);
    for (let i = 0; i < 4; i++) b.add('mid', false, 1);
    b.add('light', true, 1);
    b.add('new', false, 1); // evicts 'light'
    expect(b.sketchSize).toBe(3);
    b.regroup(noMerge, 1);
    expect(b.describe(b.nBins - 2).kind).toBe('residual');
    let pos = 0;
    let neg = 0;
    for (let k = 0; k < b.nBins; k++) {
      pos += b.pos[k]!;
      neg += b.neg[k]!;
    }
    expect([pos, neg]).toEqual([6, 5]);
    expect(b.index('light')).toBe(b.nBins - 2);
  });
});
