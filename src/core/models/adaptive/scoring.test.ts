import { describe, expect, it } from 'vitest';
import { NaiveBayesModel } from './naive-bayes.js';
import { AdaptiveModel, encodePredictors } from './index.js';
import { SeededRandom } from '../../random.js';
import type { Predictors } from '../../types.js';

/** Rows with numeric, symbolic (some high-cardinality, so symbols get evicted), boolean and missing values. */
function rows(n: number, seed: number): Array<{ row: Predictors; positive: boolean }> {
  const r = new SeededRandom(seed);
  const out: Array<{ row: Predictors; positive: boolean }> = [];
  for (let i = 0; i < n; i++) {
    const x = r.next();
    const row: Predictors = {
      x,
      y: r.next() < 0.1 ? null : Math.floor(r.next() * 5),
      s: `v${Math.floor(r.next() * 8)}`,
      hi: `h${Math.floor(r.next() * r.next() * 400)}`,
      flag: r.next() < 0.5,
      n: r.next() < 0.2 ? '' : String(Math.floor(x * 3)),
    };
    if (r.next() < 0.3) delete row['s'];
    out.push({ row, positive: r.next() < 0.05 + 0.4 * x });
  }
  return out;
}

describe('scoring caches (lazy per-bin values, encoded records, symbol ids)', () => {
  it('predictEncoded equals predict, while learning, after refreshes and evictions', () => {
    const m = new NaiveBayesModel({ maxSymbols: 20, refreshEvery: 97 });
    const data = rows(4000, 5);
    let checked = 0;
    for (let i = 0; i < data.length; i++) {
      const { row, positive } = data[i]!;
      if (i % 3 === 0) {
        const a = m.predict(row);
        const b = m.predictEncoded(encodePredictors(row));
        expect(b).toEqual(a);
        // the cached calibration is the selected classifier's propensity
        const classifier = (m as unknown as { classifier: { propensity(s: number | undefined): number } }).classifier;
        const n = (m as unknown as { lastCount: number }).lastCount;
        if (a.evidence > 0) expect(a.mean).toBe(classifier.propensity(n > 0 ? a.score : undefined));
        checked++;
      }
      m.learn(row, positive);
    }
    expect(checked).toBeGreaterThan(1000);
    expect(m.activeCount).toBeGreaterThan(0);
  });

  it('cached scores equal scores of a freshly loaded copy (no stale cache)', () => {
    const m = new NaiveBayesModel({ maxSymbols: 20, refreshEvery: 50, halfLife: 300 });
    const data = rows(2500, 9);
    for (let i = 0; i < data.length; i++) {
      const { row, positive } = data[i]!;
      m.predict(row);
      m.learn(row, positive);
      if (i % 250 === 249) {
        const copy = NaiveBayesModel.fromJSON(JSON.parse(JSON.stringify(m.toJSON())), { maxSymbols: 20, refreshEvery: 50, halfLife: 300 });
        // (a loaded copy sums its totals from the bins, so the last bit may differ)
        for (let j = 0; j < 50; j++) expect(m.score(data[j]!.row)).toBeCloseTo(copy.score(data[j]!.row), 12);
      }
    }
  });

  it('AdaptiveModel.estimatePrepared draws what estimate draws', () => {
    const model = new AdaptiveModel();
    for (const { row, positive } of rows(1500, 3)) {
      model.learn('a', row, positive);
      model.learn('b', row, !positive);
    }
    for (const { row } of rows(200, 4)) {
      const prepared = model.prepare(row);
      for (const key of ['a', 'b', 'unknown']) {
        const r1 = new SeededRandom(17);
        const r2 = new SeededRandom(17);
        expect(model.estimatePrepared(key, prepared, r2)).toEqual(model.estimate(key, row, r1));
      }
    }
  });
});
