import { describe, expect, it } from 'vitest';
import { AdaptiveModel, NaiveBayesModel, QUEUE_PER_KEY, QUEUED_KEYS } from './index.js';
import type { Predictors } from '../../types.js';
import { SeededRandom, sampleBeta } from '../../random.js';

function trained(options: ConstructorParameters<typeof AdaptiveModel>[0] = {}): AdaptiveModel {
  const m = new AdaptiveModel(options);
  const r = new SeededRandom(4);
  for (let i = 0; i < 600; i++) {
    const seg = r.next() < 0.5 ? 'young' : 'old';
    m.learn('gold-card/web/inbound', { 'customer.segment': seg }, r.next() < (seg === 'young' ? 0.3 : 0.05));
  }
  m.learn('loan/web/inbound', { 'customer.segment': 'old' }, true);
  return m;
}

describe('AdaptiveModel', () => {
  it('is a keyed PropensityModel of kind adaptive-nb', () => {
    const m = trained();
    expect(m.kind).toBe('adaptive-nb');
    expect(m.keys().sort()).toEqual(['gold-card/web/inbound', 'loan/web/inbound']);
  });

  it('explores by Thompson sampling: a draw from Beta(1 + p*E, 1 + (1 - p)*E)', () => {
    const m = trained();
    const predictors = { 'customer.segment': 'young' };
    const e = m.estimate('gold-card/web/inbound', predictors, new SeededRandom(99));
    const expected = sampleBeta(new SeededRandom(99), 1 + e.mean * e.evidence, 1 + (1 - e.mean) * e.evidence);
    expect(e.propensity).toBe(expected);
    expect(e.evidence).toBe(600);
    expect(e.mean).toBeGreaterThan(0.2);
  });

  it('a new key explores uniformly; without exploration it says 0.5', () => {
    const m = new AdaptiveModel();
    const e = m.estimate('new', {}, new SeededRandom(1));
    expect(e.propensity).toBe(new SeededRandom(1).next());
    expect(e.mean).toBe(0.5);
    const off = new AdaptiveModel({ explore: false });
    expect(off.estimate('new', {}, new SeededRandom(1)).propensity).toBe(0.5);
  });

  it('with exploration off the propensity is the mean', () => {
    const m = trained({ explore: false });
    const e = m.estimate('gold-card/web/inbound', { 'customer.segment': 'old' }, new SeededRandom(1));
    expect(e.propensity).toBe(e.mean);
    expect(e.mean).toBeLessThan(0.15);
  });

  it('summaries and reports per key', () => {
    const m = trained();
    const s = m.summaries();
    expect(s.map((x) => x.key)).toEqual(['gold-card/web/inbound', 'loan/web/inbound']);
    expect(s[0]).toMatchObject({ responses: 600, activePredictors: 1 });
    expect(s[0]!.auc).toBeGreaterThan(0.6);
    const r = m.report('gold-card/web/inbound')!;
    expect(r.predictors[0]!.name).toBe('customer.segment');
    expect(r.predictors[0]!.active).toBe(true);
    expect(r.classifier.length).toBeGreaterThan(0);
    expect(m.report('nope')).toBeUndefined();
  });

  it('persists dirty keys and loads them back', () => {
    const m = trained({ explore: false });
    const dirty = m.takeDirty();
    expect(dirty.map((d) => d.key).sort()).toEqual(['gold-card/web/inbound', 'loan/web/inbound']);
    expect(m.takeDirty()).toEqual([]);
    const restored = new AdaptiveModel({ explore: false });
    for (const d of dirty) restored.load(d.key, JSON.parse(JSON.stringify(d.state)));
    const q = { 'customer.segment': 'young' };
    expect(restored.estimate('gold-card/web/inbound', q, new SeededRandom(1))).toEqual(
      m.estimate('gold-card/web/inbound', q, new SeededRandom(1)),
    );
    expect(() => restored.load('bad', { version: 2 })).toThrow(/version 1/);
  });

  it('merges models from two nodes key by key', () => {
    const a = trained();
    const b = trained();
    b.learn('only-b', { x: 1 }, true);
    a.merge(b);
    expect(a.keys().sort()).toEqual(['gold-card/web/inbound', 'loan/web/inbound', 'only-b']);
    expect(a.summaries().find((s) => s.key === 'gold-card/web/inbound')!.responses).toBe(1200);
  });
});

describe('AdaptiveModel: responses queued per key', () => {
  const row = (r: SeededRandom): Predictors => ({ s: ['a', 'b', 'c'][Math.floor(r.next() * 3)]!, n: Math.floor(r.next() * 30) });

  it('keys learning in turn end with the models of keys learnt response by response, within the queue bounds', () => {
    const m = new AdaptiveModel({ explore: false });
    const reference = new Map<string, NaiveBayesModel>();
    const r = new SeededRandom(8);
    const keys = Array.from({ length: 300 }, (_, i) => `a${i}/web/inbound`);
    let most = 0;
    let compared = 0;
    for (let i = 0; i < 30_000; i++) {
      // a few popular keys fill their queues; the many others wait until evicted or read
      const key = keys[Math.floor(r.next() * (i % 2 === 0 ? 10 : keys.length))]!;
      const p = row(r);
      const y = r.next() < (p['s'] === 'a' ? 0.3 : 0.1);
      m.learn(key, p, y);
      let nb = reference.get(key);
      if (!nb) reference.set(key, (nb = new NaiveBayesModel()));
      nb.learn(p, y);
      most = Math.max(most, m.queuedResponses);
      expect(m.slot(key)!.queuedResponses).toBeLessThan(QUEUE_PER_KEY);
      if (r.next() < 0.01) {
        const q = row(r);
        expect(m.estimate(key, q, new SeededRandom(1)).mean).toBe(nb.predict(q).mean);
        compared++;
      }
    }
    expect(compared).toBeGreaterThan(200);
    expect(most).toBeLessThanOrEqual(QUEUED_KEYS * (QUEUE_PER_KEY - 1));
    expect(most).toBeGreaterThan(QUEUED_KEYS);
    expect(m.queuedResponses).toBeGreaterThan(0);
    const states = new Map(m.takeDirty().map((d) => [d.key, d.state]));
    expect(states.size).toBe(reference.size);
    for (const [key, nb] of reference) expect(states.get(key)).toEqual(nb.toJSON());
    expect(m.queuedResponses).toBe(0);
  });

  it('catchUp learns every queue; loading a key replaces its model and drops its queue', () => {
    const m = new AdaptiveModel();
    const r = new SeededRandom(3);
    for (let i = 0; i < 20; i++) {
      m.learn('x', row(r), i % 3 === 0);
      m.learn('y', row(r), i % 4 === 0);
    }
    expect(m.queuedResponses).toBe(40);
    const fresh = new AdaptiveModel();
    fresh.learn('x', { s: 'a' }, true);
    const loaded = fresh.takeDirty()[0]!.state;
    m.load('x', loaded);
    expect(m.queuedResponses).toBe(20);
    m.catchUp();
    expect(m.queuedResponses).toBe(0);
    expect(m.slot('y')!.queuedResponses).toBe(0);
    expect(m.summaries().map((s) => [s.key, s.responses])).toEqual([
      ['x', 1],
      ['y', 20],
    ]);
  });
});
