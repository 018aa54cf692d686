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
/** When each saveDecisions call started and ended (in call order). */
let spans: Array<{ start: number; end?: number }>;

/** The real SQLite store, with its batch sizes recorded. */
function recording(inner: SqliteStore): Store {
  return new Proxy(inner, {
    get(target, prop, receiver) {
      if (prop === 'saveDecisions') {
        return (batch: Parameters<Store['saveDecisions']>[0]) => {
          batches.push(batch.length);
          const span: { start: number; end?: number } = { start: performance.now() };
          spans.push(span);
          return target.saveDecisions(batch).finally(() => {
            span.end = performance.now();
          });
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
  spans = [];
});

afterEach(async () => {
  await store.close();
  rmSync(dir, { recursive: true, force: true });
});

/** 20 decisions in one event-loop turn, 20 more in the next; resolves when all 40 are written. */
async function writeTwoTurns(writer: DecisionWriter): Promise<void> {
  const first = Array.from({ length: 20 }, (_, i) => writer.write(decision(`a${i}`)));
  await new Promise((resolve) => setImmediate(resolve));
  const second = Array.from({ length: 20 }, (_, i) => writer.write(decision(`b${i}`)));
  await Promise.all([...first, ...second]);
}

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

  it('sends the next batch before the previous one is answered when the store takes several in flight', async () => {
    expect(store.writerMode).toBe('thread');
    expect(store.decisionBatchesInFlight).toBeGreaterThan(1);
    await writeTwoTurns(new DecisionWriter(recording(store)));
    expect(batches).toEqual([20, 20]);
    expect(spans[1]!.start).toBeLessThan(spans[0]!.end!);
    expect(await store.countDecisions()).toBe(40);
  });

  it('waits for each batch with one in flight', async () => {
    await writeTwoTurns(new DecisionWriter(recording(store), 512, 1));
    expect(batches).toEqual([20, 20]);
    expect(spans[1]!.start).toBeGreaterThanOrEqual(spans[0]!.end!);
  });

  it('refuses only the faulty decision with several batches in flight', async () => {
    await store.saveDecision(decision('dup'));
    const writer = new DecisionWriter(recording(store), 2, 4);
    const results = await Promise.allSettled(['a', 'b', 'c', 'dup', 'e', 'f'].map((id) => writer.write(decision(id))));
    expect(results.map((r) => r.status)).toEqual(['fulfilled', 'fulfilled', 'fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    expect(((results[3] as PromiseRejectedResult).reason as Error).message).toContain('decision dup already exists');
    expect(await store.countDecisions()).toBe(6);
  });

  it('drain waits for every batch in flight', async () => {
    const writer = new DecisionWriter(recording(store), 5, 4);
    for (let i = 0; i < 30; i++) void writer.write(decision(`d${i}`));
    await writer.drain();
    expect(await store.countDecisions()).toBe(30);
    expect(batches).toEqual([5, 5, 5, 5, 5, 5]);
  });

  it('drain waits for everything queued', async () => {
    const writer = new DecisionWriter(recording(store));
    void writer.write(decision('x'));
    void writer.write(decision('y'));
    await writer.drain();
    expect(await store.countDecisions()).toBe(2);
  });
});
