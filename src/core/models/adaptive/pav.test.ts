import { describe, expect, it } from 'vitest';
import { poolAdjacentViolators } from './pav.js';

describe('poolAdjacentViolators', () => {
  it('pools violators into non-decreasing blocks (hand case)', () => {
    // rates 1, 0, 0, 1, 0, 1, 0 -> blocks [0..2] 1+/2- and [3..6] 3+/2-
    const blocks = poolAdjacentViolators([1, 0, 0, 2, 0, 1, 0], [0, 1, 1, 0, 1, 0, 1]);
    expect(blocks).toEqual([
      { from: 0, to: 2, pos: 1, neg: 2 },
      { from: 3, to: 6, pos: 3, neg: 2 },
    ]);
  });

  it('keeps an already monotone sequence', () => {
    expect(poolAdjacentViolators([0, 1, 2], [3, 2, 1]).map((b) => [b.from, b.to])).toEqual([
      [0, 0],
      [1, 1],
      [2, 2],
    ]);
  });

  it('pools a decreasing sequence into one block', () => {
    expect(poolAdjacentViolators([3, 2, 1], [1, 2, 3])).toEqual([{ from: 0, to: 2, pos: 6, neg: 6 }]);
  });

  it('absorbs empty bins into a neighbour', () => {
    expect(poolAdjacentViolators([0, 1, 0, 2], [0, 1, 0, 0])).toEqual([
      { from: 0, to: 2, pos: 1, neg: 1 },
      { from: 3, to: 3, pos: 2, neg: 0 },
    ]);
  });

  it('result rates never decrease (weighted)', () => {
    const pos = [5, 1, 7, 2, 2, 9, 0, 4];
    const neg = [1, 6, 2, 2, 5, 1, 3, 0];
    const blocks = poolAdjacentViolators(pos, neg);
    for (let i = 1; i < blocks.length; i++) {
      const a = blocks[i - 1]!;
      const b = blocks[i]!;
      expect(a.pos / (a.pos + a.neg)).toBeLessThanOrEqual(b.pos / (b.pos + b.neg));
    }
    expect(blocks.reduce((s, b) => s + b.pos, 0)).toBe(30);
  });
});
