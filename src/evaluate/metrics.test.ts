import { describe, expect, it } from 'vitest';
import { auc, calibration, capturedAt, logLoss } from './metrics.js';

describe('auc', () => {
  it('counts ordered pairs, ties as half (hand case)', () => {
    // positives at 0.9, 0.5; negatives at 0.5, 0.1: pairs (0.9>0.5) (0.9>0.1) (0.5=0.5 half) (0.5>0.1) = 3.5/4
    expect(auc([0.9, 0.5, 0.5, 0.1], [1, 1, 0, 0])).toBeCloseTo(0.875, 12);
    expect(auc([0.1, 0.2, 0.3], [1, 0, 0])).toBe(0);
    expect(auc([0.5, 0.5, 0.5], [1, 0, 1])).toBe(0.5);
    expect(auc([0.3, 0.7], [0, 0])).toBe(0.5);
  });

  it('accepts typed arrays and a length', () => {
    expect(auc(Float64Array.of(0.2, 0.8, 0.9), Uint8Array.of(0, 1, 0), 2)).toBe(1);
  });
});

describe('logLoss', () => {
  it('is the mean negative log-likelihood, clipped', () => {
    expect(logLoss([0.8, 0.4], [1, 0])).toBeCloseTo(-(Math.log(0.8) + Math.log(0.6)) / 2, 12);
    expect(Number.isFinite(logLoss([0, 1], [1, 0]))).toBe(true);
    expect(logLoss([0, 1], [1, 0])).toBeCloseTo(-Math.log(1e-15), 2);
  });
});

describe('calibration', () => {
  it('splits into equal-count groups by prediction', () => {
    const p = [0.9, 0.1, 0.2, 0.8];
    const y = [1, 0, 1, 1];
    const c = calibration(p, y, 2);
    expect(c).toEqual([
      { n: 2, minPredicted: 0.1, maxPredicted: 0.2, meanPredicted: (0.1 + 0.2) / 2, observed: 0.5 },
      { n: 2, minPredicted: 0.8, maxPredicted: 0.9, meanPredicted: (0.8 + 0.9) / 2, observed: 1 },
    ]);
    expect(calibration(Array.from({ length: 25 }, (_, i) => i / 25), Array(25).fill(0), 10).map((g) => g.n)).toEqual([
      2, 3, 2, 3, 2, 3, 2, 3, 2, 3,
    ]);
  });
});

describe('capturedAt', () => {
  it('share of positives in the top fraction (hand case)', () => {
    // 10 rows, top 10% = the single best row, a positive; 4 positives in all
    const p = [0.95, 0.9, 0.8, 0.7, 0.6, 0.5, 0.4, 0.3, 0.2, 0.1];
    const y = [1, 0, 1, 0, 0, 1, 0, 0, 1, 0];
    expect(capturedAt(p, y, 0.1)).toBe(0.25);
    expect(capturedAt(p, y, 0.3)).toBe(0.5);
  });

  it('ties at the cut-off count in proportion', () => {
    // all tied: the top 10% of 10 rows holds one tenth of every positive
    expect(capturedAt(Array(10).fill(0.5), [1, 1, 0, 0, 0, 0, 0, 0, 0, 0], 0.1)).toBeCloseTo(0.1, 12);
  });
});
