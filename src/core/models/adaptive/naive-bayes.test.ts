import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { NaiveBayesModel, type NaiveBayesOptions } from './naive-bayes.js';
import { encodePredictors } from './predictor.js';
import { ScorerPack } from './kernel.js';
import { SeededRandom } from '../../random.js';
import type { Predictors } from '../../types.js';

/**
 * Options that keep every symbol in its own bin, so hand computations stay simple; the minimum
 * evidence for activation and per classifier bin is switched off, as 8 rows hold 4 positives.
 */
const exact: NaiveBayesOptions = {
  mergeChi2: 0,
  minBinWeight: 0,
  minSymbolWeight: 0,
  classifierHalfLives: [Infinity],
  activationMinCount: 0,
  classifierMinEvidence: 0,
  classifierMinShare: 0,
};

/** a+, a+, a+, a-, b+, b-, b-, b- */
function handModel(options: NaiveBayesOptions = exact): NaiveBayesModel {
  const m = new NaiveBayesModel(options);
  const rows: Array<[string, boolean]> = [
    ['a', true],
    ['a', true],
    ['a', true],
    ['a', false],
    ['b', true],
    ['b', false],
    ['b', false],
    ['b', false],
  ];
  for (const [x, y] of rows) m.learn({ x }, y);
  m.refresh();
  return m;
}

describe('NaiveBayesModel: hand-computed case', () => {
  it('an empty model says 0.5', () => {
    const m = new NaiveBayesModel();
    expect(m.predict({ x: 'a' })).toEqual({ mean: 0.5, evidence: 0, score: 0 });
  });

  it('contributions, predictor AUC and bins', () => {
    const r = handModel().report();
    const x = r.predictors[0]!;
    // bins: b (lower rate) first, a, residual, missing: N = 4, sumPos = sumNeg = 4
    expect(x.bins.map((b) => [b.label, b.positives, b.negatives])).toEqual([
      ['b', 1, 3],
      ['a', 3, 1],
      ['residual (rare or unseen symbols)', 0, 0],
      ['missing', 0, 0],
    ]);
    const ln = Math.log;
    // c = ln(pos + 1/4) - ln(4 + 1) - [ln(neg + 1/4) - ln(4 + 1)]
    expect(x.bins[1]!.logOdds).toBeCloseTo(ln(3.25) - ln(5) - (ln(1.25) - ln(5)), 12);
    expect(x.bins[0]!.logOdds).toBeCloseTo(ln(1.25) - ln(3.25), 12);
    expect(x.bins[3]!.logOdds).toBeCloseTo(0, 12); // empty bin, equal totals
    expect(x.auc).toBeCloseTo(0.75, 12);
    expect(x.active).toBe(true);
    expect(r.activePredictors).toBe(1);
    expect(r.responses).toBe(8);
    expect(r.positives).toBe(4);
  });

  it('score = (intercept + sum of active contributions) / (1 + nActive)', () => {
    const m = handModel();
    // intercept ln(1 + 4) - ln(1 + 4) = 0
    expect(m.predict({ x: 'a' }).score).toBeCloseTo(Math.log(2.6) / 2, 12);
    expect(m.predict({ x: 'b' }).score).toBeCloseTo(-Math.log(2.6) / 2, 12);
    expect(m.predict({}).score).toBeCloseTo(0, 12);
  });

  it('calibration: PAV classifier bins over the scores seen while learning', () => {
    const m = handModel();
    // While learning the 8 rows no predictor was active yet, so each row was scored by the
    // intercept alone: no evidence, so they count in the classifier's totals only, and every row
    // is predicted from the totals as one bin, (0.5 + 4) / (1 + 8).
    expect(m.report().classifier.map((b) => [b.positives, b.negatives])).toEqual([[0, 0]]);
    expect(m.predict({ x: 'a' }).mean).toBeCloseTo(4.5 / 9, 12);
    // x is active now: a+ scores ln(2.6)/2 (see above); then b- scores
    // (ln(6) - ln(5) + ln(1.25) - ln(6) - ln(3.25) + ln(5)) / 2 = (ln(1.25) - ln(3.25)) / 2.
    m.learn({ x: 'a' }, true);
    m.learn({ x: 'b' }, false);
    m.refresh();
    const c = m.report().classifier;
    expect(c.map((b) => [b.positives, b.negatives])).toEqual([
      [0, 1],
      [1, 0],
    ]);
    expect(c[0]!.upper).toBeCloseTo((Math.log(1.25) - Math.log(3.25)) / 2, 12);
    expect(c[0]!.propensity).toBeCloseTo(0.5 / 2, 12);
    expect(c[1]!.propensity).toBeCloseTo(1.5 / 2, 12);
    // a (4+/1-) now scores ln(4.25 / 1.25) / 2 = 0.612: second bin
    const p = m.predict({ x: 'a' });
    expect(p.score).toBeCloseTo(Math.log(3.4) / 2, 12);
    expect(p.mean).toBeCloseTo(1.5 / 2, 12);
    expect(p.evidence).toBe(10);
    // model AUC over the reachable score range [-0.612, 0.612]: both bins -> 1
    expect(m.auc()).toBe(1);
  });
});

describe('NaiveBayesModel: activation and grouping', () => {
  it('a predictor at or below the activation AUC takes no part', () => {
    const m = new NaiveBayesModel(exact);
    for (const [x, y] of [
      ['a', true],
      ['a', false],
      ['b', true],
      ['b', false],
    ] as const) {
      m.learn({ x }, y);
    }
    m.refresh();
    expect(m.report().predictors[0]!.auc).toBe(0.5);
    expect(m.activeCount).toBe(0);
    // score is the intercept alone: ln(1 + 2) - ln(1 + 2) = 0
    expect(m.predict({ x: 'a' }).score).toBe(0);
  });

  it('the activation AUC is configurable', () => {
    const m = handModel({ ...exact, activationAuc: 0.8 });
    expect(m.activeCount).toBe(0);
  });

  it('of two strongly correlated predictors only the better one is active', () => {
    const m = new NaiveBayesModel();
    const r = new SeededRandom(11);
    for (let i = 0; i < 2000; i++) {
      const u = r.next();
      const y = r.next() < (u < 0.5 ? 0.1 : 0.5);
      // copy is the same signal, noisy in 10% of rows; other is independent noise-free signal
      const copy = r.next() < 0.1 ? (u < 0.5 ? 'hi' : 'lo') : u < 0.5 ? 'lo' : 'hi';
      const v = r.next();
      m.learn({ signal: u < 0.5 ? 'lo' : 'hi', copy, other: v < 0.5 ? 'p' : 'q', second: r.next() < (y ? 0.7 : 0.3) ? 'x' : 'y' }, y);
    }
    const rep = m.report();
    const byName = Object.fromEntries(rep.predictors.map((p) => [p.name, p]));
    expect(byName['signal']!.active).toBe(true);
    expect(byName['copy']!.active).toBe(false);
    expect(byName['copy']!.groupedWith).toBe('signal');
    expect(byName['second']!.active).toBe(true);
    expect(byName['other']!.active).toBe(false); // AUC about 0.5
    expect(m.correlation(0, 1)).toBeGreaterThan(0.6);
  });
});

describe('NaiveBayesModel: decay', () => {
  it('halves old evidence every half-life', () => {
    const m = new NaiveBayesModel({ halfLife: 1 });
    m.learn({ x: 'a' }, true);
    m.learn({ x: 'a' }, false);
    expect(m.evidence).toBeCloseTo(1.5, 12);
    expect(m.positives).toBeCloseTo(0.5, 12);
    const h = new NaiveBayesModel({ halfLife: 10 });
    for (let i = 0; i < 10; i++) h.learn({ x: 'a' }, true);
    // sum of 2^(-k/10) for k = 0..9
    let expected = 0;
    for (let k = 0; k < 10; k++) expected += Math.pow(2, -k / 10);
    expect(h.evidence).toBeCloseTo(expected, 10);
  });

  it('stays finite over a long stream (inflated counts are rescaled)', () => {
    const m = new NaiveBayesModel({ halfLife: 50 });
    const r = new SeededRandom(5);
    for (let i = 0; i < 20_000; i++) m.learn({ x: r.next() < 0.5 ? 'a' : 'b', n: r.next() }, r.next() < 0.2);
    // the stationary evidence of a half-life H is 1 / (1 - 2^(-1/H))
    expect(m.evidence).toBeCloseTo(1 / (1 - Math.pow(2, -1 / 50)), 6);
    const p = m.predict({ x: 'a', n: 0.5 });
    expect(Number.isFinite(p.mean)).toBe(true);
  });

  it('follows drift: the propensity moves to the new rate', () => {
    const decayed = new NaiveBayesModel({ halfLife: 200 });
    const stale = new NaiveBayesModel();
    const r = new SeededRandom(9);
    for (let i = 0; i < 4000; i++) {
      const y = r.next() < (i < 3000 ? 0.05 : 0.5);
      decayed.learn({ x: 'a' }, y);
      stale.learn({ x: 'a' }, y);
    }
    expect(decayed.predict({ x: 'a' }).mean).toBeGreaterThan(0.4);
    expect(decayed.positives / decayed.evidence).toBeGreaterThan(0.4);
    // without decay the counts still say 16%; the prediction itself also moves, because the
    // classifier learnt that the rising intercept (score) comes with more positives
    expect(stale.positives / stale.evidence).toBeLessThan(0.2);
  });
});

describe('NaiveBayesModel: classifiers with several half-lives', () => {
  it('by default the classifiers are the model half-life and the shorter of 5000 ... 500', () => {
    expect(new NaiveBayesModel().options.classifierHalfLives).toEqual([Infinity, 5000, 2000, 1000, 500]);
    expect(new NaiveBayesModel({ halfLife: 1500 }).options.classifierHalfLives).toEqual([1500, 1000, 500]);
    expect(new NaiveBayesModel({ classifierHalfLives: [300] }).options.classifierHalfLives).toEqual([300]);
  });

  it('after a jump in the response rate a forgetting classifier takes over', () => {
    const m = new NaiveBayesModel();
    const r = new SeededRandom(21);
    for (let i = 0; i < 6000; i++) {
      const x = r.next() < 0.5 ? 'a' : 'b';
      m.learn({ x }, r.next() < (i < 4000 ? 0.05 : 0.4) * (x === 'a' ? 1.5 : 0.5));
    }
    const rep = m.report();
    expect(rep.classifierHalfLife).not.toBeNull();
    // the rate is now 0.6 for a and 0.2 for b
    expect(m.predict({ x: 'a' }).mean).toBeGreaterThan(0.45);
    expect(m.predict({ x: 'b' }).mean).toBeLessThan(m.predict({ x: 'a' }).mean);
  });
});

describe('NaiveBayesModel: predict then learn', () => {
  it('learning with the score predict returned gives the same model as learning alone', () => {
    const a = new NaiveBayesModel();
    const b = new NaiveBayesModel();
    const r = new SeededRandom(31);
    for (let i = 0; i < 3000; i++) {
      const row = { s: r.next() < 0.3 ? 'x' : 'y', n: Math.floor(r.next() * 30) };
      const y = r.next() < (row.s === 'x' ? 0.3 : 0.1);
      a.learn(row, y, a.predict(row).score);
      b.learn(row, y);
    }
    expect(a.toJSON()).toEqual(b.toJSON());
  });

  it('the same with rare positives (sparse bins sit out), decay, missing values, a late predictor and a merge', () => {
    // At ~1.5% positives the sparse-bin threshold is above one response, so it decides which bins
    // count; a predictor arrives late, and a merge brings one more. (A classifier sketch of 5,000
    // intervals keeps every score learnt as it is, so any difference between the two paths shows.)
    for (const options of [{}, { halfLife: 800, classifierBins: 5000 }, { skipSparseBins: false, contributionMinEvidence: 2 }] as NaiveBayesOptions[]) {
      const a = new NaiveBayesModel(options);
      const b = new NaiveBayesModel(options);
      const r = new SeededRandom(32);
      for (let i = 0; i < 4000; i++) {
        const row: Predictors = {
          s: r.next() < 0.05 ? null : `v${Math.floor(r.next() * 8)}`,
          n: r.next() < 0.05 ? '' : Math.floor(r.next() * 40),
          u: r.next(),
        };
        if (i >= 1500) row['late'] = r.next() < 0.4 ? 'p' : 'q';
        const y = r.next() < (row['s'] === 'v1' ? 0.05 : 0.01) + (row['late'] === 'p' ? 0.02 : 0);
        a.learn(row, y, a.predict(row).score);
        b.learn(row, y);
        if (i === 2000) {
          // a model from another node with a predictor of its own, and another half-life (the
          // merge rescales its counts)
          const other = new NaiveBayesModel({ ...options, halfLife: 300 });
          for (let j = 0; j < 700; j++) other.learn({ s: `v${j % 5}`, n: j % 13, only: j % 3 }, j % 41 === 0);
          a.merge(NaiveBayesModel.fromJSON(other.toJSON(), { ...options, halfLife: 300 }));
          b.merge(NaiveBayesModel.fromJSON(other.toJSON(), { ...options, halfLife: 300 }));
        }
      }
      expect(a.toJSON()).toEqual(b.toJSON());
    }
  });
});

describe('NaiveBayesModel: learning later (learnLater)', () => {
  const row = (r: SeededRandom): Predictors => ({
    s: ['a', 'b', 'c', 'd'][Math.floor(r.next() * 4)]!,
    n: Math.floor(r.next() * 40),
    f: r.next() < 0.2 ? null : r.next(),
  });
  const outcome = (r: SeededRandom, p: Predictors): boolean => r.next() < (p['s'] === 'a' ? 0.35 : 0.1);

  // Every way to read or change a model, each of which must first learn the queue.
  const readers: Array<[string, (m: NaiveBayesModel, q: Predictors) => unknown]> = [
    ['evidence', (m) => m.evidence],
    ['positives', (m) => m.positives],
    ['predictorCount', (m) => m.predictorCount],
    ['activeCount', (m) => m.activeCount],
    ['sketchSize', (m) => m.sketchSize()],
    ['score', (m, q) => m.score(q)],
    ['scorerByteLength', (m) => m.scorerByteLength],
    ['predict', (m, q) => m.predict(q)],
    ['predictEncoded', (m, q) => m.predictEncoded(encodePredictors(q))],
    ['predictMean', (m, q) => m.predictMean(encodePredictors(q))],
    ['correlation', (m) => m.correlation(0, 1)],
    ['refresh', (m) => (m.refresh(), m.toJSON())],
    ['scoreRange', (m) => m.scoreRange()],
    ['auc', (m) => m.auc()],
    ['report', (m) => m.report()],
    ['merge', (m) => m.merge(new NaiveBayesModel()).toJSON()],
    ['merge into another', (m) => new NaiveBayesModel().merge(m).toJSON()],
    ['moveScorer', (m) => {
      const pack = ScorerPack.create(1 << 16, 64);
      return m.moveScorer(pack, pack.scorersAt) - pack.scorersAt;
    }],
    ['toJSON', (m) => m.toJSON()],
    ['learn', (m, q) => (m.learn(q, true), m.toJSON())],
  ];

  it.each(readers)('%s learns the queued responses first, in order, and answers as after learn', (_name, read) => {
    const r = new SeededRandom(12);
    const later = new NaiveBayesModel();
    const now = new NaiveBayesModel();
    for (let i = 0; i < 700; i++) {
      const p = row(r);
      const y = outcome(r, p);
      now.learn(p, y);
      if (i < 600) later.learn(p, y);
      else expect(later.learnLater(p, y)).toBe(i - 599);
    }
    const q = row(r);
    expect(later.queuedResponses).toBe(100);
    expect(read(later, q)).toEqual(read(now, q));
    expect(later.queuedResponses).toBe(0);
    expect(later.toJSON()).toEqual(now.toJSON());
  });

  it('queued runs read at random points give the model of one learnt response by response', () => {
    const r = new SeededRandom(5);
    const later = new NaiveBayesModel({ halfLife: 400 });
    const now = new NaiveBayesModel({ halfLife: 400 });
    for (let i = 0; i < 3000; i++) {
      const p = row(r);
      const y = outcome(r, p);
      later.learnLater(p, y);
      now.learn(p, y);
      if (r.next() < 0.02) {
        const q = row(r);
        expect(later.predict(q)).toEqual(now.predict(q));
      }
    }
    expect(later.toJSON()).toEqual(now.toJSON());
  });
});

describe('NaiveBayesModel: state', () => {
  it('round-trips through JSON with identical predictions and reports', () => {
    // A loaded predictor's totals are re-added from its bins, so they can differ from the saved
    // ones in the last bits; scores use the model's totals, which the state keeps as they are.
    for (const halfLife of [300, 1000, Infinity]) {
      for (let seed = 1; seed <= 4; seed++) {
        const m = new NaiveBayesModel({ halfLife });
        const r = new SeededRandom(seed);
        const row = (): Predictors => ({
          s: ['a', 'b', 'c', 'd'][Math.floor(r.next() * 4)]!,
          n: Math.floor(r.next() * 50),
          x: r.next() * 10,
          f: r.next() < 0.3 ? true : null,
        });
        for (let i = 0; i < 1500 + 37 * seed; i++) m.learn(row(), r.next() < 0.2);
        const copy = NaiveBayesModel.fromJSON(JSON.parse(JSON.stringify(m.toJSON())), { halfLife });
        expect(copy.report()).toEqual(m.report());
        for (let i = 0; i < 100; i++) {
          const q = row();
          expect(copy.predict(q)).toEqual(m.predict(q));
        }
      }
    }
  });
});

describe('NaiveBayesModel: merge (counts are sums)', () => {
  const rowArb = fc.record({
    s: fc.constantFrom('a', 'b', 'c', 'd', null),
    n: fc.oneof(fc.integer({ min: 0, max: 20 }), fc.constant(null)),
    f: fc.constantFrom(true, false, null),
  });
  const stream = fc.array(fc.tuple(rowArb, fc.boolean()), { maxLength: 120 });

  it('merge(a, b) has the bins, counts, AUCs and activation of one model that saw both streams', () => {
    fc.assert(
      fc.property(stream, stream, (s1, s2) => {
        // one undecayed classifier, so that its counts are whole numbers that add up exactly
        const options: NaiveBayesOptions = { classifierHalfLives: [Infinity] };
        const a = new NaiveBayesModel(options);
        const b = new NaiveBayesModel(options);
        const both = new NaiveBayesModel(options);
        for (const [row, y] of s1) {
          a.learn(row, y);
          both.learn(row, y);
        }
        for (const [row, y] of s2) {
          b.learn(row, y);
          both.learn(row, y);
        }
        const classifierA = a.report().classifier;
        const classifierB = b.report().classifier;
        a.merge(b);
        both.refresh();
        const ra = a.report();
        const rb = both.report();
        expect(ra.responses).toBe(rb.responses);
        expect(ra.positives).toBe(rb.positives);
        expect(ra.predictors).toEqual(rb.predictors);
        expect(ra.activePredictors).toBe(rb.activePredictors);
        // The classifier counts scores as they were when each row was learnt, so after a merge
        // they are the sum of both classifiers (not those of a model that saw both streams).
        const total = (c: typeof classifierA): number => c.reduce((t, x) => t + x.positives + x.negatives, 0);
        expect(total(ra.classifier)).toBe(total(classifierA) + total(classifierB));
      }),
      { numRuns: 150, seed: 42 },
    );
  });

  it('merge is commutative on the predictor bins', () => {
    fc.assert(
      fc.property(stream, stream, (s1, s2) => {
        const make = (s: typeof s1): NaiveBayesModel => {
          const m = new NaiveBayesModel();
          for (const [row, y] of s) m.learn(row, y);
          return m;
        };
        const ab = make(s1).merge(make(s2)).report();
        const ba = make(s2).merge(make(s1)).report();
        const bins = (r: typeof ab) =>
          Object.fromEntries(r.predictors.map((p) => [p.name, p.bins.map((b) => [b.positives, b.negatives]).sort()]));
        expect(bins(ab)).toEqual(bins(ba));
        expect(ab.responses).toBe(ba.responses);
      }),
      { numRuns: 100, seed: 7 },
    );
  });

  it('merges decayed models by their true (decayed) counts', () => {
    const a = new NaiveBayesModel({ halfLife: 10 });
    const b = new NaiveBayesModel({ halfLife: 10 });
    for (let i = 0; i < 30; i++) a.learn({ x: 'a' }, true);
    for (let i = 0; i < 5; i++) b.learn({ x: 'a' }, false);
    const ea = a.evidence;
    const eb = b.evidence;
    a.merge(b);
    expect(a.evidence).toBeCloseTo(ea + eb, 10);
  });
});

describe('NaiveBayesModel: bounded memory', () => {
  it('a 1,000,000-row stream of a high-cardinality symbol keeps bins, groups and sketches bounded', () => {
    const options: NaiveBayesOptions = { maxSymbols: 100, fineBins: 32, classifierBins: 50, maxBins: 20, correlationWindow: 200 };
    const m = new NaiveBayesModel(options);
    const r = new SeededRandom(123);
    const row: Predictors = { id: '', amount: 0 };
    let maxSketch = 0;
    let maxBins = 0;
    for (let i = 0; i < 1_000_000; i++) {
      row['id'] = `customer-${i}`; // never repeats
      row['amount'] = r.next() * 1e6;
      m.learn(row, r.next() < 0.1);
      if (i % 50_000 === 0 || i === 999_999) {
        maxSketch = Math.max(maxSketch, m.sketchSize());
        for (const p of m.report().predictors) maxBins = Math.max(maxBins, p.bins.length);
      }
    }
    // symbols tracked + fine intervals + intervals of the 5 classifiers (no decay, 5000 ... 500)
    expect(m.options.classifierHalfLives).toHaveLength(5);
    expect(maxSketch).toBeLessThanOrEqual(100 + 32 + 5 * 50);
    // coarse bins: at most maxBins, plus residual and missing
    expect(maxBins).toBeLessThanOrEqual(20 + 2);
    expect(m.predictorCount).toBe(2);
    expect(m.evidence).toBe(1_000_000);
  });

  it('a stream of ever new predictor names stops at maxPredictors', () => {
    const m = new NaiveBayesModel({ maxPredictors: 20 });
    for (let i = 0; i < 1000; i++) m.learn({ [`flag-${i}`]: true, [`other-${i}`]: 1 }, i % 2 === 0);
    expect(m.predictorCount).toBe(20);
  });
});
