/**
 * The SQLite store's writer thread and checkpointer thread, on real database files: what a write
 * promise promises (committed, visible to any other connection, durable across reopen), group
 * commit refusing only what is at fault, order, close draining, error mapping, and recovery when a
 * thread stops.
 */
import { randomBytes } from 'node:crypto';
import { copyFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { DecisionRecord, HistoryRow } from '../../core/types.js';
import { SqliteStore } from './index.js';

const AT = new Date('2026-05-04T10:00:00.000Z');

function temporaryPath(): string {
  return join(tmpdir(), `nextbest-writer-${randomBytes(8).toString('hex')}.db`);
}

function removeDatabase(path: string): void {
  for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(path + suffix, { force: true });
}

function decision(decisionId: string, customerId = 'c1', overrides: Partial<DecisionRecord> = {}): DecisionRecord {
  return {
    decisionId,
    customerId,
    channel: 'web',
    direction: 'inbound',
    catalogVersion: 1,
    createdAt: '2026-05-04T10:00:00.000Z',
    context: { intent: 'browse', nested: { list: [1, 2.5, 'x'], flag: true, nothing: null } },
    actions: [
      { rank: 1, actionId: 'gold-card', issue: 'grow', group: 'cards', treatmentId: 't1', propensity: 0.1234567890123, contextWeight: 1, value: 150, lever: 1, priority: 18.5 },
    ],
    predictors: { 'customer.age': 42, 'customer.segment': 'A', 'context.intent': 'browse', 'customer.x': null },
    controlGroup: false,
    ...overrides,
  };
}

const decided = (actionId: string): HistoryRow => ({ day: '2026-05-04', channel: 'web', issue: 'grow', group: 'cards', actionId, outcome: 'decided', count: 1 });

/** Another connection to the same file, as another process would have. */
function peek<T>(path: string, work: (db: Database.Database) => T): T {
  const db = new Database(path, { readonly: true, fileMustExist: true });
  try {
    return work(db);
  } finally {
    db.close();
  }
}

function internals(store: SqliteStore): { worker: Worker | undefined; checkpointer: Worker | undefined } {
  return (store as unknown as { writer: { worker: Worker | undefined; checkpointer: Worker | undefined } }).writer;
}

const paths: string[] = [];
const stores: SqliteStore[] = [];

function open(options: Parameters<typeof SqliteStore.open>[1] = {}, path = temporaryPath()): { store: SqliteStore; path: string } {
  if (!paths.includes(path)) paths.push(path);
  const store = SqliteStore.open(path, options);
  stores.push(store);
  return { store, path };
}

afterEach(async () => {
  for (const store of stores.splice(0)) await store.close();
  for (const path of paths.splice(0)) removeDatabase(path);
});

describe('SQLite writer thread', () => {
  it('writes a file database from a thread, :memory: and writer=inline on the store connection', () => {
    expect(open().store.writerMode).toBe('thread');
    expect(open({ writer: 'inline' }).store.writerMode).toBe('inline');
    const memory = SqliteStore.open(':memory:');
    stores.push(memory);
    expect(memory.writerMode).toBe('inline');
  });

  it('commits with synchronous=FULL in WAL mode on the writing connection', async () => {
    const { store } = open();
    expect(await store.writerPragma('synchronous')).toBe(2); // FULL
    expect(await store.writerPragma('journal_mode')).toBe('wal');
  });

  it('resolves only once committed: another connection sees the write at once', async () => {
    const { store, path } = open();
    await store.saveDecision(decision('d1'), { history: [decided('gold-card')] });
    expect(peek(path, (db) => db.prepare('SELECT count(*) AS n FROM decisions').get())).toEqual({ n: 1 });
    await store.putProfile('c1', { age: 42 }, AT);
    expect(peek(path, (db) => db.prepare('SELECT attributes FROM profiles').get())).toEqual({ attributes: '{"age":42}' });
    // ... and so does the store's own (reading) connection.
    expect(await store.getHistory('c1', '2026-05-01')).toEqual([decided('gold-card')]);
  });

  it('stores exactly the text the inline writer stores, key order included', async () => {
    const { store: threaded } = open();
    const { store: inline } = open({ writer: 'inline' });
    // A function cannot be copied to a thread: it is sent as its JSON round trip (dropped, as JSON.stringify drops it).
    const odd = decision('d2', 'c1', { context: { when: new Date(AT) as unknown as string, skip: undefined as unknown as string, fn: (() => 1) as unknown as string } });
    for (const store of [threaded, inline]) {
      await store.saveDecision(decision('d1'));
      await store.saveDecision(odd);
    }
    for (const id of ['d1', 'd2']) {
      const a = await threaded.getDecision(id);
      expect(JSON.stringify(a)).toBe(JSON.stringify(await inline.getDecision(id)));
    }
    expect((await threaded.getDecision('d2'))?.context).toEqual({ when: AT.toISOString() });
  });

  it('keeps what it acknowledged across close and reopen', async () => {
    const { store, path } = open();
    await store.saveDecisions([{ decision: decision('d1') }, { decision: decision('d2', 'c2') }]);
    await store.close();
    const { store: reopened } = open({}, path);
    expect(await reopened.countDecisions()).toBe(2);
    expect(await reopened.getDecision('d2')).toStrictEqual(decision('d2', 'c2'));
  });

  it('commits concurrent writes together, refusing only the one at fault', async () => {
    const { store } = open();
    await store.saveDecision(decision('dup'));
    // Asked for in the same turn: they reach the thread together and share a commit.
    const outcomes = await Promise.allSettled([
      store.saveDecision(decision('a'), { history: [decided('gold-card')] }),
      store.saveDecisions([{ decision: decision('b') }, { decision: decision('dup') }]),
      store.saveDecision(decision('c'), { history: [decided('gold-card')] }),
      store.putProfile('c1', { age: 1 }, AT),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled', 'fulfilled']);
    const refused = (outcomes[1] as PromiseRejectedResult).reason as Error;
    expect(refused.message).toBe('sqlite store: saveDecision failed: decision dup already exists');
    // The refused batch is all or nothing: 'b' is not there; the others are.
    expect(await store.getDecision('b')).toBeUndefined();
    expect(await store.countDecisions()).toBe(3);
    expect(await store.getHistory('c1', '2026-05-01')).toEqual([{ ...decided('gold-card'), count: 2 }]);
    expect((await store.getProfile('c1'))?.attributes).toEqual({ age: 1 });
  });

  it('applies writes in the order they were asked for', async () => {
    const { store } = open();
    const put = store.putProfile('c1', { a: 1, b: 1 }, AT);
    const patched = store.patchProfile('c1', { b: null, c: 3 }, AT);
    const last = store.patchProfile('c1', { d: 4 }, AT);
    const erased = store.eraseCustomer('c2');
    const again = store.putProfile('c2', { z: 1 }, AT);
    await Promise.all([put, erased, again]);
    expect(await patched).toEqual({ customerId: 'c1', attributes: { a: 1, c: 3 }, updatedAt: AT.toISOString() });
    expect(await last).toEqual({ customerId: 'c1', attributes: { a: 1, c: 3, d: 4 }, updatedAt: AT.toISOString() });
    expect((await store.getProfile('c2'))?.attributes).toEqual({ z: 1 });
  });

  it('close waits for the writes already asked for', async () => {
    const { store, path } = open();
    const pending = Array.from({ length: 50 }, (_, i) => store.saveDecision(decision(`d${i}`)));
    await store.close();
    await Promise.all(pending);
    expect(peek(path, (db) => db.prepare('SELECT count(*) AS n FROM decisions').get())).toEqual({ n: 50 });
    await expect(store.saveDecision(decision('late'))).rejects.toThrowError('sqlite store: saveDecision failed: the store is closed');
  });

  it('maps driver errors to plain store errors, keeping SQLite error and code as the cause', async () => {
    const { store } = open();
    const error = await store.saveDecision(decision('d1', 'c1', { direction: 'sideways' as DecisionRecord['direction'] })).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).constructor).toBe(Error);
    expect((error as Error).message).toMatch(/^sqlite store: saveDecision failed: CHECK constraint failed/);
    const cause = (error as Error).cause;
    expect(cause).toBeInstanceOf(Database.SqliteError);
    expect((cause as { code?: string }).code).toBe('SQLITE_CONSTRAINT_CHECK');
    // Not a driver error: a value JSON cannot hold, refused with the same error the inline writer gives.
    const bigint = decision('d2', 'c1', { predictors: { 'customer.n': 1n as unknown as number } });
    const threadError = (await store.saveDecision(bigint).catch((e: unknown) => e)) as Error;
    const { store: inline } = open({ writer: 'inline' });
    const inlineError = (await inline.saveDecision(bigint).catch((e: unknown) => e)) as Error;
    expect(threadError.message).toBe(inlineError.message);
    expect(threadError.cause).toBeInstanceOf(TypeError);
    expect(inlineError.cause).toBeInstanceOf(TypeError);
    // The store keeps working afterwards.
    await store.saveDecision(decision('d1'));
    expect(await store.countDecisions()).toBe(1);
  });

  it('refuses the writes waiting for a writer thread that stopped, and starts a new one for the next', async () => {
    const { store } = open();
    await store.saveDecision(decision('d1'));
    const writer = internals(store).worker;
    expect(writer).toBeDefined();
    const waiting = store.saveDecision(decision('d2'));
    await writer?.terminate();
    const error = await waiting.then(
      () => undefined,
      (e: unknown) => e,
    );
    // Whether d2 was committed before the thread stopped or not, a refusal is never a loss of an acknowledged write.
    if (error !== undefined) expect((error as Error).message).toMatch(/^sqlite store: saveDecision failed: the SQLite writer thread stopped/);
    await store.saveDecision(decision('d3'));
    expect(internals(store).worker).not.toBe(writer);
    expect(await store.getDecision('d1')).toBeDefined();
    expect(await store.getDecision('d3')).toBeDefined();
  });
});

describe('SQLite checkpointer thread', () => {
  it('copies committed pages into the database file, off the commit path', async () => {
    const { store, path } = open({ checkpointer: { startAfterWrites: 0, intervalMs: 5 } });
    for (let i = 0; i < 20; i++) {
      await store.saveDecisions(Array.from({ length: 20 }, (_, j) => ({ decision: decision(`d${i}-${j}`, `c${j}`), options: { history: [decided('gold-card')] } })));
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
    const stats = await store.checkpointerStats();
    expect(stats?.passes).toBeGreaterThan(0);
    // The writer's own automatic checkpoint is only a safety net then, at a larger threshold.
    expect(await store.writerPragma('wal_autocheckpoint')).toBe(4000);
    // The database file alone (without its WAL) holds every committed decision.
    const copy = `${path}.copy`;
    paths.push(copy);
    copyFileSync(path, copy);
    expect(peek(copy, (db) => db.prepare('SELECT count(*) AS n FROM decisions').get())).toEqual({ n: 400 });
  });

  it('restarts a WAL that does not restart by itself, pausing the writer briefly', async () => {
    const { store, path } = open({ checkpointer: { startAfterWrites: 0, intervalMs: 2, restartFrames: 20 } });
    const writes: Array<Promise<void>> = [];
    for (let i = 0; i < 60; i++) {
      writes.push(store.saveDecisions(Array.from({ length: 10 }, (_, j) => ({ decision: decision(`d${i}-${j}`, `c${j}`) }))));
      await new Promise((resolve) => setImmediate(resolve));
    }
    await Promise.all(writes);
    await new Promise((resolve) => setTimeout(resolve, 50));
    const stats = await store.checkpointerStats();
    expect(stats?.restarts).toBeGreaterThan(0);
    expect(stats?.longestPauseMs).toBeLessThan(1000);
    expect(peek(path, (db) => db.prepare('SELECT count(*) AS n FROM decisions').get())).toEqual({ n: 600 });
  });

  it('starts only once the store has written a while', async () => {
    const { store } = open({ checkpointer: { startAfterWrites: 5 } });
    for (let i = 0; i < 5; i++) await store.saveDecision(decision(`d${i}`));
    expect(internals(store).checkpointer).toBeUndefined();
    // Until then the writer checkpoints as SQLite does by default.
    expect(await store.writerPragma('wal_autocheckpoint')).toBe(1000);
    await store.saveDecision(decision('d5'));
    expect(internals(store).checkpointer).toBeDefined();
  });

  it('writes on when the checkpointer thread stops, with SQLite checkpointing in the writer again', async () => {
    const { store } = open({ checkpointer: { startAfterWrites: 0 } });
    await store.saveDecision(decision('d1'));
    const checkpointer = internals(store).checkpointer;
    expect(checkpointer).toBeDefined();
    await store.checkpointerStats(); // it is up
    expect(await store.writerPragma('wal_autocheckpoint')).toBe(4000);
    await checkpointer?.terminate();
    await new Promise((resolve) => setTimeout(resolve, 20));
    await store.saveDecisions(Array.from({ length: 30 }, (_, i) => ({ decision: decision(`e${i}`) })));
    expect(await store.countDecisions()).toBe(31);
    expect(await store.checkpointerStats()).toBeUndefined();
    expect(await store.writerPragma('wal_autocheckpoint')).toBe(1000);
  });

  it('can be left to SQLite inside the writer (checkpoints: writer)', async () => {
    const { store } = open({ checkpoints: 'writer', checkpointer: { startAfterWrites: 0 } });
    await store.saveDecision(decision('d1'));
    await store.saveDecision(decision('d2'));
    expect(internals(store).checkpointer).toBeUndefined();
    expect(await store.writerPragma('wal_autocheckpoint')).toBe(1000);
  });
});
