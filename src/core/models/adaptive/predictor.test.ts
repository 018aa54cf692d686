/**
 * Records resolved by predictor id (`encodePredictors`): every name with an id is found, in records
 * of one shape and of changing shapes, and a name that gets its id after a record of its shape was
 * encoded is found in the next one.
 */
import { describe, expect, it } from 'vitest';
import { SeededRandom } from '../../random.js';
import type { Predictors } from '../../types.js';
import { encodePredictors, predictorId } from './predictor.js';

/** What the encoding must hold, looked up name by name. */
function expected(record: Predictors): Map<number, unknown> {
  const out = new Map<number, unknown>();
  for (const name of Object.keys(record)) {
    const id = predictorId(name);
    out.set(id, record[name]);
  }
  return out;
}

function encodedValues(record: Predictors): Map<number, unknown> {
  const encoded = encodePredictors(record);
  const out = new Map<number, unknown>();
  encoded.values.forEach((v, id) => {
    if (v !== undefined) out.set(id, v);
  });
  return out;
}

describe('encodePredictors', () => {
  it('finds every named value, for records of one shape and of changing shapes', () => {
    const random = new SeededRandom(3);
    const shapes = [
      ['enc.a', 'enc.b', 'enc.c'],
      ['enc.a', 'enc.c', 'enc.b'],
      ['enc.b', 'enc.d'],
    ];
    for (const shape of shapes) for (const name of shape) predictorId(name);
    for (let i = 0; i < 300; i++) {
      const shape = shapes[Math.floor(i / 10) % shapes.length]!;
      const record: Predictors = {};
      for (const name of shape) record[name] = random.next() < 0.5 ? random.next() : `s${Math.floor(random.next() * 3)}`;
      expect(encodedValues(record)).toStrictEqual(expected(record));
    }
  });

  it('finds a name that got its id after a record of the same shape was encoded', () => {
    predictorId('late.a');
    const record: Predictors = { 'late.a': 1, 'late.b': 'x' };
    const first = encodePredictors(record);
    expect(first.values.filter((v) => v !== undefined)).toStrictEqual([1]);
    const id = predictorId('late.b'); // a model creates the predictor
    const second = encodePredictors(record);
    expect(second.values[id]).toBe('x');
    expect(second.values[predictorId('late.a')]).toBe(1);
  });
});
