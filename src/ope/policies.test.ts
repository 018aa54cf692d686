import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { SeededRandom } from '../core/random.js';
import { BetaBernoulliModel } from '../core/models/beta-bernoulli.js';
import type { LoggedRow } from './estimators.js';
import { NextbestPolicy, policyFromLog, readPolicyFile, uniformPolicy, writePolicyFile } from './policies.js';
import type { OpeLog } from './read-log.js';

const dir = mkdtempSync(join(tmpdir(), 'nextbest-ope-policies-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));
let counter = 0;
function file(text: string): string {
  const path = join(dir, `policy${++counter}.csv`);
  writeFileSync(path, text);
  return path;
}

const sum = (m: ReadonlyMap<string, number>): number => [...m.values()].reduce((a, b) => a + b, 0);

describe('uniformPolicy', () => {
  it('gives every action 1/|A|', () => {
    const p = uniformPolicy(['a', 'b', 'c', 'd']);
    expect([...p.distribution({}, 1)]).toEqual([
      ['a', 0.25],
      ['b', 0.25],
      ['c', 0.25],
      ['d', 0.25],
    ]);
  });
});

describe('readPolicyFile', () => {
  it('reads probabilities per position and renormalises rounding', async () => {
    const p = await readPolicyFile(file(['position,action,probability', '1,a,0.333', '1,b,0.667', '2,a,0.5', '2,b,0.5'].join('\n')), []);
    const d1 = p.distribution({}, 1);
    expect(d1.get('a')).toBeCloseTo(0.333, 12);
    expect(sum(d1)).toBeCloseTo(1, 12);
    expect(p.distribution({}, 2).get('b')).toBe(0.5);
  });

  it('without a position column, one distribution for every row', async () => {
    const p = await readPolicyFile(file(['action,probability', 'a,0.2', 'b,0.8'].join('\n')), []);
    expect(p.distribution({}, 3).get('b')).toBe(0.8);
    expect(p.distribution({}, undefined).get('a')).toBe(0.2);
  });

  it('may be keyed by a context column', async () => {
    const p = await readPolicyFile(file(['segment,action,probability', 'young,a,1', 'old,b,1'].join('\n')), ['segment', 'age']);
    expect(p.distribution({ segment: 'old', age: 50 }, undefined).get('b')).toBe(1);
    expect(() => p.distribution({ segment: 'mid', age: 50 }, undefined)).toThrow(/no probabilities for segment="mid"/);
  });

  it('says which position does not sum to 1', async () => {
    await expect(readPolicyFile(file(['position,action,probability', '1,a,0.5', '1,b,0.5', '2,a,0.5', '2,b,0.45'].join('\n')), [])).rejects.toThrow(
      /probabilities for position 2 \(from line 4\) sum to 0\.950000, not 1; fix them so that each position's probabilities sum to 1/,
    );
  });

  it('rejects missing columns, unknown columns, bad probabilities and duplicates', async () => {
    await expect(readPolicyFile(file(['action,prob', 'a,1'].join('\n')), [])).rejects.toThrow(/"probability" is missing/);
    await expect(readPolicyFile(file(['income,action,probability', '1,a,1'].join('\n')), ['age'])).rejects.toThrow(/"income" are not context columns of the log/);
    await expect(readPolicyFile(file(['action,probability', 'a,1.2'].join('\n')), [])).rejects.toThrow(/:2: probability 1.2 of action a must be a number in \[0, 1\]/);
    await expect(readPolicyFile(file(['action,probability', 'a,x'].join('\n')), [])).rejects.toThrow(/probability "x"/);
    await expect(readPolicyFile(file(['action,probability', 'a,0.5', 'a,0.5'].join('\n')), [])).rejects.toThrow(/action a appears twice/);
  });

  it('a per-position policy on a log without positions is a clear error', async () => {
    const p = await readPolicyFile(file(['position,action,probability', '1,a,1'].join('\n')), []);
    expect(() => p.distribution({}, undefined)).toThrow(/per position but the log has no position/);
    expect(() => p.distribution({}, 2)).toThrow(/no probabilities for position 2/);
  });
});

describe('policyFromLog', () => {
  // Position 1: a shown twice with propensities 0.5 and 0.25, b once with 0.5.
  // Position 2: b once with propensity 0.4.
  const rows: LoggedRow[] = [
    { action: 'a', reward: 0, propensity: 0.5, context: {}, position: 1 },
    { action: 'a', reward: 0, propensity: 0.25, context: {}, position: 1 },
    { action: 'b', reward: 1, propensity: 0.5, context: {}, position: 1 },
    { action: 'b', reward: 0, propensity: 0.4, context: {}, position: 2 },
  ];
  const log: OpeLog = { file: 'bts.csv', format: 'obd', rows, actions: ['a', 'b'], positions: [1, 2], contextColumns: [], rewardSum: 1, binaryReward: true };

  it('propensity method: harmonic mean of logged propensities, renormalised per position', () => {
    // a: 2 / (1/0.5 + 1/0.25) = 2/6 = 1/3; b: 1 / (1/0.5) = 0.5; sum 5/6 -> a 0.4, b 0.6
    const p = policyFromLog(log, 'propensity');
    expect(p.distribution({}, 1).get('a')).toBeCloseTo(0.4, 12);
    expect(p.distribution({}, 1).get('b')).toBeCloseTo(0.6, 12);
    expect(p.summary.rawSums['1']).toBeCloseTo(5 / 6, 12);
    // position 2: only b was ever shown -> b 1
    expect([...p.distribution({}, 2)]).toEqual([['b', 1]]);
  });

  it('mean method: arithmetic mean (size-biased), renormalised', () => {
    // a: (0.5 + 0.25) / 2 = 0.375; b: 0.5; sum 0.875 -> a 3/7, b 4/7
    const p = policyFromLog(log, 'mean');
    expect(p.distribution({}, 1).get('a')).toBeCloseTo(3 / 7, 12);
  });

  it('frequency method: share of the position rows', () => {
    const p = policyFromLog(log, 'frequency');
    expect(p.distribution({}, 1).get('a')).toBeCloseTo(2 / 3, 12);
  });

  it('writes a policy file that reads back the same', async () => {
    const path = join(dir, 'written.csv');
    writePolicyFile(path, policyFromLog(log));
    expect(readFileSync(path, 'utf8').split('\n')[0]).toBe('position,action,probability');
    const back = await readPolicyFile(path, []);
    expect(back.distribution({}, 1).get('a')).toBeCloseTo(0.4, 12);
    expect(back.distribution({}, 2).get('b')).toBe(1);
  });
});

describe('NextbestPolicy', () => {
  /** 'good' clicks half the time, 'ok' a tenth, 'bad' never: 100 training rows each. */
  const train: LoggedRow[] = [];
  for (let i = 0; i < 100; i++) {
    train.push({ action: 'good', reward: i % 2 === 0 ? 1 : 0, propensity: 1 / 3, context: {} });
    train.push({ action: 'ok', reward: i % 10 === 0 ? 1 : 0, propensity: 1 / 3, context: {} });
    train.push({ action: 'bad', reward: 0, propensity: 1 / 3, context: {} });
  }

  it('ranks by Thompson draws: position k gets the k-th ranked action (Beta-Bernoulli model)', () => {
    const policy = new NextbestPolicy(train, {
      actions: ['good', 'ok', 'bad'],
      positions: [1, 2],
      random: new SeededRandom(3),
      draws: 400,
      model: new BetaBernoulliModel(),
    });
    const first = policy.distribution({}, 1);
    const second = policy.distribution({}, 2);
    expect(sum(first)).toBeCloseTo(1, 12);
    expect(sum(second)).toBeCloseTo(1, 12);
    // Beta(51, 51) vs Beta(11, 91) vs Beta(1, 101): 'good' always wins, 'ok' is almost always second.
    expect(first.get('good')).toBe(1);
    expect(second.get('ok')).toBeGreaterThan(0.95);
    expect(() => policy.distribution({}, 3)).toThrow(/position 3 is not one of the positions/);
  });

  it('is reproducible with the same seed', () => {
    const make = (seed: number) =>
      new NextbestPolicy(train, { actions: ['good', 'ok', 'bad'], positions: [1, 2], random: new SeededRandom(seed), draws: 50, model: new BetaBernoulliModel() });
    expect([...make(9).distribution({}, 2)]).toEqual([...make(9).distribution({}, 2)]);
  });

  it('greedy mode ranks by the point estimate', () => {
    const policy = new NextbestPolicy(train, { actions: ['good', 'ok', 'bad'], positions: [1, 2], random: new SeededRandom(1), mode: 'greedy', model: new BetaBernoulliModel() });
    expect([...policy.distribution({}, 1)]).toEqual([['good', 1]]);
    expect([...policy.distribution({}, 2)]).toEqual([['ok', 1]]);
  });

  it("with nextbest's adaptive model it learns which action suits which context", () => {
    // Segment a clicks on x, segment b clicks on y (30% vs 2%).
    const rows: LoggedRow[] = [];
    const random = new SeededRandom(5);
    for (let i = 0; i < 2000; i++) {
      const seg = i % 2 === 0 ? 'a' : 'b';
      const action = random.next() < 0.5 ? 'x' : 'y';
      const rate = (seg === 'a') === (action === 'x') ? 0.3 : 0.02;
      rows.push({ action, reward: random.next() < rate ? 1 : 0, propensity: 0.5, context: { seg } });
    }
    const policy = new NextbestPolicy(rows, { actions: ['x', 'y'], positions: [], random: new SeededRandom(2), draws: 200 });
    expect(policy.model.kind).toBe('adaptive-nb');
    expect(policy.distribution({ seg: 'a' }, undefined).get('x') ?? 0).toBeGreaterThan(0.9);
    expect(policy.distribution({ seg: 'b' }, undefined).get('y') ?? 0).toBeGreaterThan(0.9);
  });
});
