import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { DecisionRecord } from '../core/types.js';
import { SqliteStore } from '../store/sqlite/index.js';
import type { Store } from '../store/store.js';
import { DecisionWriter } from './decision-writer.js';

function decision(id: string): DecisionRecord {
  return {
    decisionId: id,
    customerId: 'c1',
    channel: 'web',
    direction: 'inbound',
    catalogVersion: 1,
    createdAt: '2026-06-01T10:00:00.000Z',
    context: {},
    actions: [],
    predictors: {},
  };
}

let dir: string;
let store: SqliteStore;
let batches: number[];

/** The real SQLite store, with its batch sizes recorded. */
function recording(inner: SqliteStore): Store {
  return new Proxy(inner, {
    get(target, prop, receiver) {
      if (prop === 'saveDecisions') {
        return (batch: Parameters<Store['saveDecisions']>[0]) => {
          batches.push(batch.length);
          return target.saveDecisions(batch);
        };
      }
      const value = Reflect.get(target, prop, receiver);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

beforeEach(() => {
  dir = mkdtempSync(join(tmpdir(), 'nextbest-writer-'));
  store = SqliteStore.open(join(dir, 'w.db'));
  batches = [];
});

afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

describe('DecisionWriter (group commit)', () => {
  it('writes decisions made in the same turn in one batch, resolving after the commit', async () => {
    const writer = new DecisionWriter(recording(store));
    const writes = Array.from({ length: 50 }, (_, i) => writer.write(decision(`d${i}`)));
    await Promise.all(writes);
    expect(batches).toEqual([50]);
    expect(await store.countDecisions()).toBe(50);
    await writer.write(decision('later'));
    expect(batches).toEqual([50, 1]);
  });

  it('caps the batch size and forms the next batch from what arrived meanwhile', async () => {
    const writer = new DecisionWriter(recording(store), 20);
    await Promise.all(Array.from({ length: 45 }, (_, i) => writer.write(decision(`d${i}`))));
    expect(batches).toEqual([20, 20, 5]);
    expect(await store.countDecisions()).toBe(45);
  });

  it('refuses only the faulty decision of a failed batch', async () => {
    await store.saveDecision(decision('dup'));
    const writer = new DecisionWriter(recording(store));
    const results = await Promise.allSettled([writer.write(decision('a')), writer.write(decision('dup')), writer.write(decision('b'))]);
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect(await store.countDecisions()).toBe(3);
  });

  it('drain waits for everything queued', async () => {
    const writer = new DecisionWriter(recording(store));
    void writer.write(decision('x'));
    void writer.write(decision('y'));
    await writer.drain();
    expect(await store.countDecisions()).toBe(2);
  });
});
