/**
 * Minimum evidence in the adaptive model: bins without (enough) responses are no evidence, sparse
 * classifier bins do not calibrate the extremes, a click or two does not activate a predictor,
 * and a constant rare rate is predicted as such.
 */
import { describe, expect, it } from 'vitest';
import { NaiveBayesModel, type NaiveBayesOptions } from './naive-bayes.js';
import { Classifier } from './classifier.js';
import { poolAdjacentViolators } from './pav.js';
import { SeededRandom } from '../../random.js';
import type { Predictors } from '../../types.js';

/** Every symbol in its own bin (hand computations), one classifier. */
const exact: NaiveBayesOptions = { mergeChi2: 0, minBinWeight: 0, minSymbolWeight: 0, classifierHalfLives: [Infinity] };

function learnAll(m: NaiveBayesModel, rows: Array<[Predictors, boolean, number]>): void {
  for (const [row, y, times] of rows) for (let i = 0; i < times; i++) m.learn(row, y);
  m.refresh();
}

describe('no evidence is no evidence (empty and sparse predictor bins)', () => {
  // x: a 3+/3-, b 1+/9- -> totals 4+/12-, x active (AUC 0.69); residual and missing bins empty
  const model = (options: NaiveBayesOptions = exact): NaiveBayesModel => {
    const m = new NaiveBayesModel({ ...options, activationMinCount: 0 });
    learnAll(m, [
      [{ x: 'a' }, true, 3],
      [{ x: 'a' }, false, 3],
      [{ x: 'b' }, true, 1],
      [{ x: 'b' }, false, 9],
    ]);
    return m;
  };
  const intercept = Math.log(5) - Math.log(13);

  it('an unseen symbol does not contribute and does not count in nActive', () => {
    const m = model();
    expect(m.activeCount).toBe(1);
    // DESIGN's c_p of the empty residual bin is ln(13/5) = +0.96: it would push the score up
    const residual = m.report().predictors[0]!.bins.find((b) => b.kind === 'residual')!;
    expect(residual.logOdds).toBeCloseTo(Math.log(13 / 5), 12);
    expect(m.predict({ x: 'never-seen' }).score).toBeCloseTo(intercept, 12);
    // a seen value still contributes by DESIGN's formula: c_a = ln(3.25) - ln(3.25) + ln(13/5)
    expect(m.predict({ x: 'a' }).score).toBeCloseTo((intercept + Math.log(13 / 5)) / 2, 12);
  });

  it('the missing bin of a predictor that has never been missing is no evidence', () => {
    const m = model();
    expect(m.predict({}).score).toBeCloseTo(intercept, 12);
    expect(m.predict({ x: null }).score).toBeCloseTo(intercept, 12);
    // and a new value is not predicted above a row that has no value at all
    expect(m.predict({ x: 'never-seen' }).mean).toBe(m.predict({}).mean);
  });

  it('a bin too sparse to tell (no positives, a few responses, rare positives) is no evidence either', () => {
    // x: a 10+/490-, b 2+/493-, missing 0+/5-: N = 4, totals 12+/988-. The missing bin's
    // c_p = ln(1/4) - ln(5 + 1/4) + ln(989/13) = +1.29: five negatives would read as evidence
    // for a positive. It is below ((988 + 1) / (12 + 1) - 1) / 4 = 18.8 responses: it sits out.
    const rows: Array<[Predictors, boolean, number]> = [
      [{ x: 'a' }, true, 10],
      [{ x: 'a' }, false, 490],
      [{ x: 'b' }, true, 2],
      [{ x: 'b' }, false, 493],
      [{ x: null }, false, 5],
    ];
    const m = new NaiveBayesModel(exact);
    learnAll(m, rows);
    const missing = m.report().predictors[0]!.bins.find((b) => b.kind === 'missing')!;
    expect(missing.negatives).toBe(5);
    expect(missing.logOdds).toBeCloseTo(Math.log(0.25) - Math.log(5.25) + Math.log(989 / 13), 12);
    expect(missing.logOdds).toBeGreaterThan(1);
    const interceptRare = Math.log(13) - Math.log(989);
    expect(m.predict({ x: null }).score).toBeCloseTo(interceptRare, 12);
    // with skipSparseBins off the sparse bin counts (DESIGN's formula as is)
    const keep = new NaiveBayesModel({ ...exact, skipSparseBins: false });
    learnAll(keep, rows);
    expect(keep.predict({ x: null }).score).toBeCloseTo((interceptRare + missing.logOdds) / 2, 12);
  });

  it('the reachable score range lets a predictor sit out', () => {
    const m = model();
    const [lo, hi] = m.scoreRange();
    const ca = Math.log(13 / 5);
    const cb = Math.log(1.25) - Math.log(9.25) + Math.log(13 / 5);
    // lowest: b contributes (cb < intercept); highest: a contributes, or nothing when that is higher
    expect(lo).toBeCloseTo(Math.min(intercept, (intercept + cb) / 2), 12);
    expect(hi).toBeCloseTo(Math.max(intercept, (intercept + ca) / 2), 12);
  });
});

describe('minimum evidence of classifier bins', () => {
  it('PAV pools adjacent bins of equal rate', () => {
    expect(poolAdjacentViolators([0, 0, 0], [5, 5, 5])).toEqual([{ from: 0, to: 2, pos: 0, neg: 15 }]);
    expect(poolAdjacentViolators([1, 2, 3], [1, 2, 0])).toEqual([
      { from: 0, to: 1, pos: 3, neg: 3 },
      { from: 2, to: 2, pos: 3, neg: 0 },
    ]);
  });

  it('an extreme score is not calibrated on one response', () => {
    const c = new Classifier(Infinity, 100);
    const r = new SeededRandom(3);
    // 90 scores in [0, 1): no positives below 0.5, 10% above
    for (let i = 0; i < 90; i++) {
      const s = r.next();
      c.learn(s, s > 0.5 && r.next() < 0.1, 1);
    }
    c.learn(5, true, 1); // one positive far above the others
    c.regroup();
    expect(c.propensity(6)).toBeCloseTo(0.75, 12); // (0.5 + 1) / (1 + 1 + 0)
    c.regroup(10, 0.01);
    // every bin, the top one included, holds at least max(10, 1% of 91) responses
    for (let k = 0; k < c.nBins; k++) {
      const b = c.bin(k);
      expect(b.positives + b.negatives).toBeGreaterThanOrEqual(10);
    }
    expect(c.propensity(6)).toBeLessThan(0.4);
  });

  it('a response scored without evidence counts in the totals only; the totals say until the bins hold enough', () => {
    const c = new Classifier(Infinity, 100, 2);
    c.learn(undefined, true, 1);
    c.learn(undefined, false, 1);
    c.learn(undefined, false, 1);
    expect(c.evidence).toBe(0);
    expect(c.positives).toBe(1);
    expect(c.propensity(undefined)).toBeCloseTo(1.5 / 4, 12);
    expect(c.propensity(0.3)).toBeCloseTo(1.5 / 4, 12);
    c.learn(1, true, 1);
    c.learn(0, false, 1);
    c.regroup();
    expect(c.ready).toBe(false); // 1 positive in the bins, 2 needed
    expect(c.propensity(1)).toBeCloseTo(2.5 / 6, 12);
    c.learn(1, true, 1);
    c.learn(0, false, 1);
    c.regroup();
    expect(c.ready).toBe(true);
    expect(c.propensity(1)).toBeCloseTo(2.5 / 3, 12);
    expect(c.propensity(undefined)).toBeCloseTo(3.5 / 8, 12);
    const d = Classifier.fromJSON(JSON.parse(JSON.stringify(c.toJSON())), 100, 2);
    expect(d.toJSON()).toEqual(c.toJSON());
    expect(d.propensity(undefined)).toBe(c.propensity(undefined));
  });

  it('an action with 0 clicks out of 128 responses is not predicted 0.25 in any context', () => {
    const m = new NaiveBayesModel();
    const r = new SeededRandom(7);
    const row = (): Predictors => ({
      f0: `u${Math.floor(r.next() * 5)}`,
      f1: `v${Math.floor(r.next() * 40)}`,
      f2: `w${Math.floor(r.next() * 300)}`,
      a: r.next() < 0.8 ? 0 : r.next(),
    });
    for (let i = 0; i < 128; i++) m.learn(row(), false);
    let max = 0;
    for (let i = 0; i < 500; i++) max = Math.max(max, m.predict(row()).mean);
    max = Math.max(max, m.predict({}).mean, m.predict({ f0: 'new', f1: 'new', f2: 'new', a: 99 }).mean);
    // one bin of 128 negatives: (0.5 + 0) / (1 + 128)
    expect(max).toBeCloseTo(0.5 / 129, 12);
  });
});

describe('minimum evidence for activation and classifier selection', () => {
  // 10 symbols of 20 responses, one click (on s3): s3 keeps its own group, AUC 0.95
  const rows = (): Array<[Predictors, boolean, number]> => {
    const out: Array<[Predictors, boolean, number]> = [[{ x: 's3' }, true, 1]];
    for (let k = 0; k < 10; k++) out.push([{ x: `s${k}` }, false, k === 3 ? 19 : 20]);
    return out;
  };

  it('one click does not activate a predictor (activationMinCount, default 5)', () => {
    const m = new NaiveBayesModel();
    learnAll(m, rows());
    const x = m.report().predictors[0]!;
    expect(x.auc).toBeCloseTo((180 + 0.5 * 19) / 199, 12);
    expect(x.active).toBe(false);
    expect(m.activeCount).toBe(0);
  });

  it('the minimum is configurable', () => {
    const m = new NaiveBayesModel({ activationMinCount: 1 });
    learnAll(m, rows());
    expect(m.activeCount).toBe(1);
  });

  it('a short-memory classifier holding a few clicks is not selected (classifierSelectMinCount)', () => {
    const run = (options: NaiveBayesOptions): NaiveBayesModel => {
      const m = new NaiveBayesModel({ classifierHalfLives: [Infinity, 50], ...options });
      const r = new SeededRandom(9);
      for (let i = 0; i < 3000; i++) m.learn({ x: r.next() < 0.5 ? 'a' : 'b' }, r.next() < 0.002);
      for (let i = 0; i < 300; i++) m.learn({ x: r.next() < 0.5 ? 'a' : 'b' }, r.next() < 0.03);
      return m;
    };
    // the half-life-50 classifier tracks the jump and predicts better lately...
    expect(run({ classifierSelectMinCount: 0 }).report().classifierHalfLife).toBe(50);
    // ...but holds fewer than 10 positives: the long memory stays in use
    expect(run({}).report().classifierHalfLife).toBeNull();
  });
});

describe('a constant rare rate is predicted as such', () => {
  it('truth 0.005 for every row, many random symbols: the mean prediction after 5,000 responses is close to 0.005', () => {
    const card = [5, 10, 20, 50, 200, 2000];
    const means: number[] = [];
    for (const seed of [1, 2, 3, 4, 5, 6]) {
      const r = new SeededRandom(seed);
      // a value is missing with probability pMissing, a never-seen symbol with pNew
      const row = (pMissing: number, pNew: number): Predictors => {
        const out: Predictors = {};
        card.forEach((c, k) => {
          const u = r.next();
          out[`s${k}`] = u < pMissing ? null : u < pMissing + pNew ? `new-${Math.floor(r.next() * 1e9)}` : `v${Math.floor(r.next() * c)}`;
        });
        return out;
      };
      const m = new NaiveBayesModel();
      for (let i = 0; i < 5000; i++) m.learn(row(0.003, 0), r.next() < 0.005);
      // new rows from the same process, where values are also missing or new
      let sum = 0;
      for (let i = 0; i < 3000; i++) sum += m.predict(row(0.1, 0.2)).mean;
      means.push(sum / 3000);
    }
    const mean = means.reduce((s, x) => s + x, 0) / means.length;
    expect(mean).toBeGreaterThan(0.0035);
    expect(mean).toBeLessThan(0.0065);
    for (const x of means) expect(x).toBeLessThan(0.01);
  });
});
