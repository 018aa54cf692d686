import { describe, expect, it } from 'vitest';
import { Classifier } from './classifier.js';

describe('Classifier', () => {
  it('an empty classifier says 0.5; a bin says (0.5 + pos) / (1 + pos + neg)', () => {
    const c = new Classifier(Infinity, 100);
    expect(c.propensity(0.3)).toBe(0.5);
    for (const [s, y] of [
      [-1, false],
      [-1, false],
      [-1, true],
      [1, true],
      [1, true],
      [1, false],
    ] as const) {
      c.learn(s, y, 1);
    }
    c.regroup();
    expect(c.nBins).toBe(2);
    expect(c.propensity(-1)).toBeCloseTo(1.5 / 4, 12);
    expect(c.propensity(1)).toBeCloseTo(2.5 / 4, 12);
    expect(c.bin(0)).toEqual({ upper: -1, positives: 1, negatives: 2 });
  });

  it('keeps the prequential log loss of its own predictions', () => {
    const c = new Classifier(Infinity, 100);
    c.learn(0, true, 1); // predicted 0.5
    c.learn(0, false, 1); // predicted (0.5 + 1) / (1 + 1) = 0.75, outcome negative
    expect(c.loss).toBeCloseTo(-Math.log(0.5) - Math.log(0.25), 12);
  });

  it('forgets with its half-life', () => {
    const c = new Classifier(1, 100);
    c.learn(0, true, 1);
    c.learn(0, false, 1);
    expect(c.evidence).toBeCloseTo(1.5, 12);
  });

  it('round-trips through JSON', () => {
    const c = new Classifier(50, 20);
    for (let i = 0; i < 300; i++) c.learn(Math.sin(i), i % 3 === 0, 0.99);
    c.regroup();
    const d = Classifier.fromJSON(JSON.parse(JSON.stringify(c.toJSON())), 20);
    expect(d.toJSON()).toEqual(c.toJSON());
    expect(d.propensity(0.2)).toBe(c.propensity(0.2));
  });
});
