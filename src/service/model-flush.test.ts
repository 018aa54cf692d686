/**
 * How the service writes learnt model state to the store (`flushModels`): within a budget, the
 * models that changed longest ago first, the rest at the next flush; all of them on close. On a
 * real SQLite file, with the Beta-Bernoulli model (small states whose counts are easy to read).
 */
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest';
import { ManualClock } from '../core/clock.js';
import { BetaBernoulliModel } from '../core/models/beta-bernoulli.js';
import { SeededRandom } from '../core/random.js';
import { policyCatalog } from '../core/testing/policy-fixtures.js';
import { openStore } from '../store/open.js';
import type { Store } from '../store/store.js';
import { DecisionService, type ServiceOptions } from './service.js';

let path: string;
let store: Store;
let model: BetaBernoulliModel;
let service: DecisionService | undefined;

async function start(options: Partial<ServiceOptions> = {}): Promise<DecisionService> {
  service = await DecisionService.start({
    store,
    catalog: { document: policyCatalog(), source: 'test' },
    clock: new ManualClock('2026-06-15T10:00:00Z'),
    model,
    random: new SeededRandom(7),
    modelFlushMs: 0,
    sweepMs: 0,
    ...options,
  });
  return service;
}

/** What the store holds: positives and negatives per key. */
async function stored(): Promise<Record<string, unknown>> {
  return Object.fromEntries((await store.loadModelStates(model.kind)).map(({ key, state }) => [key, state]));
}

describe('model state flushes', () => {
  beforeEach(async () => {
    path = join(tmpdir(), `nextbest-flush-${randomBytes(6).toString('hex')}.db`);
    store = await openStore(path);
    model = new BetaBernoulliModel();
  });

  afterEach(async () => {
    await service?.close();
    service = undefined;
    rmSync(path, { force: true });
    rmSync(`${path}-wal`, { force: true });
    rmSync(`${path}-shm`, { force: true });
  });

  it('within a budget writes the model that changed longest ago first, and the others at the next flushes', async () => {
    const s = await start();
    model.learn('a/web/inbound', {}, true);
    model.learn('b/web/inbound', {}, false);
    model.learn('a/web/inbound', {}, false); // already waiting: keeps its place
    model.learn('c/web/inbound', {}, true);
    // a budget of 0 ms still writes one model per flush
    await s.flushModels(0);
    expect(await stored()).toStrictEqual({ 'a/web/inbound': { positives: 1, negatives: 1 } });
    model.learn('a/web/inbound', {}, true); // written, then changed again: now behind b and c
    await s.flushModels(0);
    expect(Object.keys(await stored())).toStrictEqual(['a/web/inbound', 'b/web/inbound']);
    await s.flushModels(0);
    expect(await stored()).toStrictEqual({
      'a/web/inbound': { positives: 1, negatives: 1 },
      'b/web/inbound': { positives: 0, negatives: 1 },
      'c/web/inbound': { positives: 1, negatives: 0 },
    });
    await s.flushModels(0);
    expect((await stored())['a/web/inbound']).toStrictEqual({ positives: 2, negatives: 1 });
    await s.flushModels(0); // nothing left: nothing written
    expect(Object.keys(await stored())).toHaveLength(3);
  });

  it('without a budget writes every changed model, and close writes what is left', async () => {
    const s = await start();
    for (const key of ['a/web/inbound', 'b/web/inbound', 'c/web/inbound']) model.learn(key, {}, true);
    await s.flushModels();
    expect(Object.keys(await stored())).toStrictEqual(['a/web/inbound', 'b/web/inbound', 'c/web/inbound']);
    model.learn('b/web/inbound', {}, true);
    model.learn('d/web/inbound', {}, false);
    await s.close();
    service = undefined;
    store = await openStore(path);
    expect(await stored()).toStrictEqual({
      'a/web/inbound': { positives: 1, negatives: 0 },
      'b/web/inbound': { positives: 2, negatives: 0 },
      'c/web/inbound': { positives: 1, negatives: 0 },
      'd/web/inbound': { positives: 0, negatives: 1 },
    });
    await store.close();
  });

  it('flushes called together write one after another, so that a key\'s writes stay in order', async () => {
    // the real store, with its model-state writes logged as they start and end
    const events: string[] = [];
    const real = store;
    store = new Proxy(real, {
      get(target, name, receiver) {
        if (name !== 'saveModelStates') return Reflect.get(target, name, receiver) as unknown;
        return async (...args: Parameters<Store['saveModelStates']>) => {
          const states = args[1].map((s) => JSON.stringify(s.state)).join(' ');
          events.push(`start ${states}`);
          await real.saveModelStates(...args);
          events.push(`end ${states}`);
        };
      },
    });
    const s = await start();
    model.learn('a/web/inbound', {}, true);
    const first = s.flushModels(0);
    const second = s.flushModels(0);
    model.learn('b/web/inbound', {}, true);
    await Promise.all([first, second]);
    expect(events).toStrictEqual([
      'start {"positives":1,"negatives":0}',
      'end {"positives":1,"negatives":0}',
      'start {"positives":1,"negatives":0}',
      'end {"positives":1,"negatives":0}',
    ]);
    expect(Object.keys(await stored())).toStrictEqual(['a/web/inbound', 'b/web/inbound']);
  });

  it('keeps the states a failed flush took, and writes them at the next one unless newer ones came', async () => {
    const real = store;
    let failures = 1;
    store = new Proxy(real, {
      get(target, name, receiver) {
        if (name !== 'saveModelStates') return Reflect.get(target, name, receiver) as unknown;
        return async (...args: Parameters<Store['saveModelStates']>) => {
          if (failures-- > 0) throw new Error('store unavailable');
          await real.saveModelStates(...args);
        };
      },
    });
    const s = await start();
    model.learn('a/web/inbound', {}, true);
    model.learn('b/web/inbound', {}, true);
    await expect(s.flushModels()).rejects.toThrow('store unavailable');
    model.learn('b/web/inbound', {}, false); // b changed again: its newer state wins; a did not
    await s.flushModels();
    expect(await stored()).toStrictEqual({
      'a/web/inbound': { positives: 1, negatives: 0 },
      'b/web/inbound': { positives: 1, negatives: 1 },
    });
    expect(s.metrics.render()).toContain('\nnextbest_model_flush_failures_total 1\n');
    expect(s.metrics.modelFlushFailures.get()).toBe(1);
    expect(s.metrics.modelStatesWritten.get()).toBe(2);
  });

  it('on a timer, writes every changed model in turn, one per flush with a budget of 0 ms', async () => {
    await start({ modelFlushMs: 10, modelFlushBudgetMs: 0 });
    for (const key of ['a/web/inbound', 'b/web/inbound', 'c/web/inbound', 'd/web/inbound']) model.learn(key, {}, true);
    await vi.waitFor(async () => expect(Object.keys(await stored())).toHaveLength(4), { timeout: 5_000, interval: 20 });
  });
});
