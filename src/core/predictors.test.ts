/**
 * Predictor extraction: the flat record's names, values and their order, for records of repeated
 * shapes (built as copies of a template) and of new ones, against a plain reference flattening.
 */
import { describe, expect, it } from 'vitest';
import { extractPredictors } from './predictors.js';
import { SeededRandom } from './random.js';
import type { JsonObject, JsonValue, Predictors } from './types.js';

/** The rules of predictors.ts written plainly: each name assigned in traversal order. */
function reference(customer: JsonObject | undefined, context: JsonObject | undefined): Predictors {
  const out: Predictors = {};
  const walk = (prefix: string, value: JsonValue, depth: number): void => {
    if (value === null || typeof value === 'string' || typeof value === 'boolean') out[prefix] = value;
    else if (typeof value === 'number') {
      if (Number.isFinite(value)) out[prefix] = value;
    } else if (Array.isArray(value)) {
      out[`${prefix}.count`] = value.length;
      if (value.length <= 50) for (const item of value) if (['string', 'number', 'boolean'].includes(typeof item)) out[`${prefix}=${String(item)}`] = true;
    } else if (depth < 3) for (const key of Object.keys(value)) walk(`${prefix}.${key}`, value[key] as JsonValue, depth + 1);
  };
  if (customer) walk('customer', customer, 0);
  if (context) walk('context', context, 0);
  return out;
}

/** Entries in order: names, values and their order must all match. */
const entries = (record: Predictors): Array<[string, unknown]> => Object.entries(record);

function randomValue(random: SeededRandom, depth: number): JsonValue {
  const r = random.next();
  if (r < 0.3) return Math.floor(random.next() * 1000) / 10;
  if (r < 0.55) return `v${Math.floor(random.next() * 5)}`;
  if (r < 0.62) return random.next() < 0.5;
  if (r < 0.67) return null;
  if (r < 0.72) return Number.POSITIVE_INFINITY;
  if (r < 0.82) return Array.from({ length: Math.floor(random.next() * 4) }, (_, i) => (i % 2 === 0 ? `p${i}` : i));
  if (depth >= 4) return 1;
  const nested: JsonObject = {};
  for (let i = 0; i < 3; i++) nested[`k${i}`] = randomValue(random, depth + 1);
  return nested;
}

describe('extractPredictors', () => {
  it('flattens scalars, arrays and nested objects in order, skipping non-finite numbers and what is too deep', () => {
    const record = extractPredictors(
      { age: 40, income: Number.NaN, products: ['gold', 'gold', 7], address: { city: 'Lyon', geo: { lat: 45.7, deep: { deeper: { x: 1 } } } } },
      { intent: 'cancel' },
    );
    expect(entries(record)).toStrictEqual([
      ['customer.age', 40],
      ['customer.products.count', 3],
      ['customer.products=gold', true],
      ['customer.products=7', true],
      ['customer.address.city', 'Lyon'],
      ['customer.address.geo.lat', 45.7],
      ['context.intent', 'cancel'],
    ]);
  });

  it('gives the reference record for every profile, whether its shape repeats or changes', () => {
    const random = new SeededRandom(5);
    const shapes = Array.from({ length: 6 }, () => {
      const keys = Array.from({ length: 3 + Math.floor(random.next() * 40) }, (_, i) => `a${Math.floor(random.next() * 60)}_${i % 7}`);
      return keys;
    });
    // per shape, a kind of value per key, so that a run of one shape has the same names (copies of
    // its template) unless a value comes missing or not finite
    const kinds = shapes.map((keys) => keys.map(() => Math.floor(random.next() * 4)));
    for (let i = 0; i < 3000; i++) {
      // runs of one shape, then another; now and then a one-off or a fully random profile
      const s = Math.floor(i / 40) % shapes.length;
      const keys = i % 97 === 0 ? ['odd', 'one'] : shapes[s]!;
      const profile: JsonObject = {};
      keys.forEach((key, k) => {
        const kind = kinds[s]![k]!;
        profile[key] =
          i % 89 === 0 || random.next() < 0.01
            ? randomValue(random, 0)
            : kind === 0
              ? Math.floor(random.next() * 1000) / 10
              : kind === 1
                ? `v${Math.floor(random.next() * 5)}`
                : kind === 2
                  ? { x: random.next(), y: `w${Math.floor(random.next() * 3)}` }
                  : ['gold', 'silver'];
      });
      const context: JsonObject | undefined = s % 3 === 0 ? undefined : { intent: random.next() < 0.5 ? 'browse' : 'cancel' };
      expect(entries(extractPredictors(profile, context))).toStrictEqual(entries(reference(profile, context)));
    }
  });

  it('keeps the later value of a name that comes twice, at the place of the first', () => {
    for (let i = 0; i < 3; i++) {
      const record = extractPredictors({ 'a.b': i, a: { b: 10 + i }, c: 'x' }, undefined);
      expect(entries(record)).toStrictEqual([
        ['customer.a.b', 10 + i],
        ['customer.c', 'x'],
      ]);
    }
  });

  it('returns a record of its own each time: changing one leaves the next untouched', () => {
    const profile = { age: 30, segment: 'B' };
    const first = extractPredictors(profile, undefined);
    const second = extractPredictors(profile, undefined);
    second['history.offers'] = 3;
    delete second['customer.age'];
    second['customer.segment'] = 'changed';
    const third = extractPredictors(profile, undefined);
    expect(third).toStrictEqual({ 'customer.age': 30, 'customer.segment': 'B' });
    expect(first).toStrictEqual({ 'customer.age': 30, 'customer.segment': 'B' });
    expect(Object.keys(third)).toStrictEqual(['customer.age', 'customer.segment']);
  });
});
