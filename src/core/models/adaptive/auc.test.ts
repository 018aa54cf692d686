import { describe, expect, it } from 'vitest';
import { aucFromBins, aucOrdered } from './auc.js';

describe('aucFromBins', () => {
  it('computes the ROC area over bins sorted by rate (hand case)', () => {
    // bins: a 3+/1-, b 1+/3-  -> a first: area = 1*(0 + 1.5) + 3*(3 + 0.5) = 12 of 16
    expect(aucFromBins([3, 1], [1, 3])).toBeCloseTo(0.75, 12);
    // order of bins does not matter, the fold keeps it >= 0.5
    expect(aucFromBins([1, 3], [3, 1])).toBeCloseTo(0.75, 12);
  });

  it('three bins with a tie inside each bin', () => {
    // rates: 4/5, 2/4, 1/6 -> P=7, N=8
    // area = 1*(0+2) + 2*(4+1) + 5*(6+0.5) = 2 + 10 + 32.5 = 44.5 ; 44.5/56
    expect(aucFromBins([4, 2, 1], [1, 2, 5])).toBeCloseTo(44.5 / 56, 12);
  });

  it('bins with equal rates are one tied block', () => {
    expect(aucFromBins([1, 2], [1, 2])).toBe(0.5);
    // equal-rate bins 1+/1- and 2+/2- plus a pure bin 3+/0-
    // rate 1 first: area from the 3 negatives of the tied block = 3*(3 + 0.5*3) = 13.5 of 6*3
    expect(aucFromBins([1, 2, 3], [1, 2, 0])).toBeCloseTo(13.5 / 18, 12);
  });

  it('is 0.5 without positives or negatives and ignores empty bins', () => {
    expect(aucFromBins([0, 0], [3, 4])).toBe(0.5);
    expect(aucFromBins([5, 0], [0, 0])).toBe(0.5);
    expect(aucFromBins([3, 0, 1], [1, 0, 3])).toBeCloseTo(0.75, 12);
  });

  it('reads only the first n bins', () => {
    expect(aucFromBins([3, 1, 100], [1, 3, 0], 2)).toBeCloseTo(0.75, 12);
  });
});

describe('aucOrdered', () => {
  it('ranks bins by position (higher index = higher score), not folded', () => {
    // low bin 1+/3-, high bin 3+/1-: area = 3*(3 + 0.5) + 1*(0 + 1.5) ... from the top: bin1 neg 1*(0+1.5), bin0 neg 3*(3+0.5)
    expect(aucOrdered([1, 3], [3, 1])).toBeCloseTo(0.75, 12);
    expect(aucOrdered([3, 1], [1, 3])).toBeCloseTo(0.25, 12);
    expect(aucOrdered([9, 1, 3, 9], [9, 3, 1, 9], 1, 3)).toBeCloseTo(0.75, 12);
  });
});
