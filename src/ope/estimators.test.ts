import { describe, expect, it } from 'vitest';
import { SeededRandom } from '../core/random.js';
import {
  bootstrapEstimates,
  dm,
  dr,
  ips,
  normalQuantile,
  pointEstimates,
  quantile,
  rowTerms,
  snips,
  weightDiagnostics,
  wilsonInterval,
  type LoggedRow,
  type RewardModel,
  type TargetPolicy,
} from './estimators.js';

const fixed = (name: string, probabilities: Record<string, number>): TargetPolicy => {
  const dist = new Map(Object.entries(probabilities));
  return { name, distribution: () => dist };
};

const constantModel = (q: Record<string, number>): RewardModel => ({
  name: 'constant',
  predict: (_c, action) => q[action] ?? 0,
});

/**
 * Hand-computed log: two actions A and B, no context.
 *   row  action  reward  propensity   pi(action) = 0.8 A / 0.2 B   w = pi / propensity
 *   1    A       1       0.5          0.8                          1.6
 *   2    B       0       0.5          0.2                          0.4
 *   3    A       0       0.25         0.8                          3.2
 *   4    B       1       0.75         0.2                          0.2 / 0.75 = 4/15
 */
const log: LoggedRow[] = [
  { action: 'A', reward: 1, propensity: 0.5, context: {} },
  { action: 'B', reward: 0, propensity: 0.5, context: {} },
  { action: 'A', reward: 0, propensity: 0.25, context: {} },
  { action: 'B', reward: 1, propensity: 0.75, context: {} },
];
const pi = fixed('0.8A', { A: 0.8, B: 0.2 });
/** qhat(A) = 0.3, qhat(B) = 0.6 whatever the context. */
const qhat = constantModel({ A: 0.3, B: 0.6 });

describe('estimators on a hand-computed log', () => {
  const terms = rowTerms(log, pi, qhat);

  it('weights are pi / propensity', () => {
    expect(Array.from(terms.weight)).toEqual([1.6, 0.4, 3.2, expect.closeTo(4 / 15, 15)]);
  });

  it('IPS = mean(r w)', () => {
    // (1 * 1.6 + 0 * 0.4 + 0 * 3.2 + 1 * 4/15) / 4 = (28/15) / 4 = 7/15 = 0.4667
    expect(ips(terms)).toBeCloseTo(7 / 15, 12);
  });

  it('SNIPS = sum(r w) / sum(w)', () => {
    // sum(r w) = 28/15; sum(w) = 1.6 + 0.4 + 3.2 + 4/15 = 82/15; SNIPS = 28/82 = 14/41 = 0.3415
    expect(snips(terms)).toBeCloseTo(14 / 41, 12);
  });

  it('DM = mean over rows of sum_a pi(a) qhat(a)', () => {
    // every row: 0.8 * 0.3 + 0.2 * 0.6 = 0.24 + 0.12 = 0.36
    expect(dm(terms)).toBeCloseTo(0.36, 12);
  });

  it('DR = DM + mean(w (r - qhat(a_logged)))', () => {
    // corrections: 1.6 * (1 - 0.3) = 1.12; 0.4 * (0 - 0.6) = -0.24; 3.2 * (0 - 0.3) = -0.96;
    // 4/15 * (1 - 0.6) = 1.6/15 = 0.10667; sum = 0.02667 (= 0.4/15); mean = 0.1/15 = 0.006667
    // DR = 0.36 + 0.006667 = 0.366667
    expect(dr(terms)).toBeCloseTo(0.36 + 0.1 / 15, 12);
  });

  it('diagnostics: mean and max weight, Kish effective sample size', () => {
    const d = weightDiagnostics(terms);
    // sum w = 82/15 = 5.4667, mean = 1.3667; sum w^2 = 2.56 + 0.16 + 10.24 + 16/225 = 13.0311
    // ESS = 5.4667^2 / 13.0311 = 2.2933
    expect(d.meanWeight).toBeCloseTo(82 / 60, 12);
    expect(d.maxWeight).toBe(3.2);
    expect(d.effectiveSampleSize).toBeCloseTo((82 / 15) ** 2 / (2.56 + 0.16 + 10.24 + 16 / 225), 12);
    expect(d.zeroWeightRows).toBe(0);
    expect(d.rewardedRowsUsed).toBe(2);
  });

  it('evaluating the logging policy itself gives the logged mean reward (all weights 1)', () => {
    // Logging policy of a log with propensity 0.5 for both actions: uniform over {A, B}.
    const onPolicy: LoggedRow[] = [
      { action: 'A', reward: 1, propensity: 0.5, context: {} },
      { action: 'B', reward: 0, propensity: 0.5, context: {} },
      { action: 'B', reward: 1, propensity: 0.5, context: {} },
    ];
    const t = rowTerms(onPolicy, fixed('uniform', { A: 0.5, B: 0.5 }), qhat);
    const e = pointEstimates(t);
    // IPS = SNIPS = (1 + 0 + 1) / 3
    expect(e.ips).toBeCloseTo(2 / 3, 12);
    expect(e.snips).toBeCloseTo(2 / 3, 12);
    // DM = 0.5 * 0.3 + 0.5 * 0.6 = 0.45; DR = 0.45 + ((1 - 0.3) + (0 - 0.6) + (1 - 0.6)) / 3 = 0.45 + 0.5/3
    expect(e.dm).toBeCloseTo(0.45, 12);
    expect(e.dr).toBeCloseTo(0.45 + 0.5 / 3, 12);
  });

  it('context- and position-dependent policy: pi is read per row', () => {
    // pi picks "A" for segment x at position 1, else "B" (deterministic).
    const policy: TargetPolicy = {
      name: 'rule',
      distribution: (context, position) => new Map([[context['seg'] === 'x' && position === 1 ? 'A' : 'B', 1]]),
    };
    const rows: LoggedRow[] = [
      { action: 'A', reward: 1, propensity: 0.5, context: { seg: 'x' }, position: 1 }, // w = 1/0.5 = 2
      { action: 'A', reward: 1, propensity: 0.5, context: { seg: 'x' }, position: 2 }, // pi(A) = 0 -> w = 0
      { action: 'B', reward: 1, propensity: 0.25, context: { seg: 'y' }, position: 1 }, // w = 1/0.25 = 4
      { action: 'B', reward: 0, propensity: 0.5, context: { seg: 'y' }, position: 2 }, // w = 2
    ];
    const t = rowTerms(rows, policy, qhat);
    // IPS = (2 + 0 + 4 + 0) / 4 = 1.5; SNIPS = 6 / 8 = 0.75
    expect(ips(t)).toBeCloseTo(1.5, 12);
    expect(snips(t)).toBeCloseTo(0.75, 12);
    // DM: row 1 qhat(A) = 0.3, rows 2-4 qhat(B) = 0.6 -> (0.3 + 0.6 * 3) / 4 = 0.525
    expect(dm(t)).toBeCloseTo(0.525, 12);
    // DR corrections: 2 * (1 - 0.3) = 1.4; 0; 4 * (1 - 0.6) = 1.6; 2 * (0 - 0.6) = -1.2 -> 1.8 / 4 = 0.45
    expect(dr(t)).toBeCloseTo(0.525 + 0.45, 12);
    expect(weightDiagnostics(t).zeroWeightRows).toBe(1);
  });

  it('without a reward model DM is 0 and DR equals IPS; an empty log gives NaN', () => {
    const t = rowTerms(log, pi);
    expect(dm(t)).toBe(0);
    expect(dr(t)).toBeCloseTo(ips(t), 12);
    expect(Number.isNaN(pointEstimates(rowTerms([], pi)).ips)).toBe(true);
  });

  it('SNIPS is NaN when the policy never takes a logged action', () => {
    const t = rowTerms(log, fixed('C only', { C: 1 }));
    expect(ips(t)).toBe(0);
    expect(Number.isNaN(snips(t))).toBe(true);
  });

  it('a context-free reward model gives the same terms with memoisation', () => {
    const contextFree: RewardModel = { ...qhat, contextFree: true, predict: qhat.predict };
    const a = rowTerms(log, pi, qhat);
    const b = rowTerms(log, pi, contextFree);
    expect(Array.from(b.qPolicy)).toEqual(Array.from(a.qPolicy));
    expect(Array.from(b.qLogged)).toEqual(Array.from(a.qLogged));
  });
});

describe('bootstrap intervals', () => {
  // 200 rows logged uniformly over A/B (propensity 0.5), reward 1 on every 5th row: rate 0.2.
  const rows: LoggedRow[] = Array.from({ length: 200 }, (_, i) => ({
    action: i % 2 === 0 ? 'A' : 'B',
    reward: i % 5 === 0 ? 1 : 0,
    propensity: 0.5,
    context: {},
  }));
  const uniform = fixed('uniform', { A: 0.5, B: 0.5 });
  const terms = rowTerms(rows, uniform, constantModel({ A: 0.2, B: 0.2 }));

  it('is reproducible with a seed and changes with another seed', () => {
    const a = bootstrapEstimates(terms, new SeededRandom(7), { resamples: 100 });
    const b = bootstrapEstimates(terms, new SeededRandom(7), { resamples: 100 });
    const c = bootstrapEstimates(terms, new SeededRandom(8), { resamples: 100 });
    expect(a).toEqual(b);
    expect(c.ips.low === a.ips.low && c.ips.high === a.ips.high).toBe(false);
  });

  it('contains the point estimate, which is the plain mean here', () => {
    const e = bootstrapEstimates(terms, new SeededRandom(1));
    expect(e.ips.estimate).toBeCloseTo(0.2, 12);
    for (const k of ['ips', 'snips', 'dr'] as const) {
      expect(e[k].low).toBeLessThan(e[k].estimate);
      expect(e[k].high).toBeGreaterThan(e[k].estimate);
    }
    // Standard error of a 0.2 rate over 200 rows is 0.028: the 95% interval is about +-0.055.
    expect(e.ips.high - e.ips.low).toBeGreaterThan(0.06);
    expect(e.ips.high - e.ips.low).toBeLessThan(0.16);
    // DM with a constant model does not vary across resamples.
    expect(e.dm).toEqual({ estimate: expect.closeTo(0.2, 12), low: expect.closeTo(0.2, 12), high: expect.closeTo(0.2, 12) });
  });

  it('uses the refit callback for each resample', () => {
    let calls = 0;
    const e = bootstrapEstimates(terms, new SeededRandom(1), {
      resamples: 50,
      refit: (indices) => {
        calls++;
        expect(indices.length).toBe(200);
        return rowTerms(Array.from(indices, (i) => rows[i]!), uniform, constantModel({ A: 0.1, B: 0.1 }));
      },
    });
    expect(calls).toBe(50);
    // The refitted model predicts 0.1 everywhere: the DM draws are all 0.1 while the point estimate stays 0.2.
    expect(e.dm.low).toBeCloseTo(0.1, 12);
    expect(e.dm.estimate).toBeCloseTo(0.2, 12);
  });

  it('rejects a bad number of resamples', () => {
    expect(() => bootstrapEstimates(terms, new SeededRandom(1), { resamples: 0 })).toThrow(/resamples/);
  });
});

describe('helpers', () => {
  it('quantile interpolates linearly', () => {
    expect(quantile([1, 2, 3, 4], 0.5)).toBe(2.5);
    expect(quantile([1, 2, 3, 4], 0)).toBe(1);
    expect(quantile([1, 2, 3, 4], 1)).toBe(4);
    expect(Number.isNaN(quantile([], 0.5))).toBe(true);
  });

  it('normal quantile and Wilson interval match reference values', () => {
    expect(normalQuantile(0.975)).toBeCloseTo(1.959963985, 8);
    expect(normalQuantile(0.01)).toBeCloseTo(-2.326347874, 8);
    // 46 / 10,000 at 95%: [0.0034507, 0.0061298] (computed from the Wilson formula)
    const w = wilsonInterval(46, 10_000);
    expect(w.low).toBeCloseTo(0.0034506599, 9);
    expect(w.high).toBeCloseTo(0.0061298057, 9);
  });
});
