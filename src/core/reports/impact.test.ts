/** Lift and its 95% interval on hand-checkable numbers. */
import { describe, expect, it } from 'vitest';
import { computeImpact } from './impact.js';

describe('impact', () => {
  it('computes rates, lift and the log-relative-risk interval', () => {
    // NBA 100/1000 = 10%, control 10/200 = 5%: lift (0.10 - 0.05) / 0.05 = 1.
    // se = sqrt(1/100 - 1/1000 + 1/10 - 1/200) = sqrt(0.104) = 0.322490...
    // CI = exp(0.693147 -/+ 1.959964 x 0.322490) - 1 = exp(0.693147 -/+ 0.632069) - 1 = [0.06298, 2.76300]
    const impact = computeImpact({ decisions: 1000, positives: 100 }, { decisions: 200, positives: 10 });
    expect(impact.nba).toEqual({ decisions: 1000, positives: 100, rate: 0.1 });
    expect(impact.control).toEqual({ decisions: 200, positives: 10, rate: 0.05 });
    expect(impact.lift).toBeCloseTo(1, 12);
    expect(impact.liftCi95![0]).toBeCloseTo(0.06298, 4);
    expect(impact.liftCi95![1]).toBeCloseTo(2.763, 4);
    expect(impact.note).toBeUndefined();
  });

  it('says why lift or its interval is missing', () => {
    expect(computeImpact({ decisions: 10, positives: 1 }, { decisions: 0, positives: 0 })).toMatchObject({ lift: null, liftCi95: null, note: 'an arm has no decisions in this range' });
    expect(computeImpact({ decisions: 10, positives: 1 }, { decisions: 10, positives: 0 })).toMatchObject({ lift: null, note: 'the control arm has no positive response: lift is undefined' });
    expect(computeImpact({ decisions: 10, positives: 0 }, { decisions: 10, positives: 2 })).toMatchObject({ lift: -1, liftCi95: null });
  });
});
