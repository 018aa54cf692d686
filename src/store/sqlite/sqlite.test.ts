/** Runs the shared Store contract against SqliteStore on a temporary file, plus SQLite specifics. */
import { randomBytes } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { runStoreContract } from '../store.contract.js';
import type { Store } from '../store.js';
import { SQLITE_MIGRATIONS } from './migrations.js';
import { SqliteStore } from './index.js';

function temporaryPath(): string {
  return join(tmpdir(), `nextbest-test-${randomBytes(8).toString('hex')}.db`);
}

function removeDatabase(path: string): void {
  for (const suffix of ['', '-wal', '-shm', '-journal']) rmSync(path + suffix, { force: true });
}

runStoreContract('sqlite (temporary file)', async () => {
  const path = temporaryPath();
  const opened: Store[] = [SqliteStore.open(path)];
  return {
    store: opened[0] as Store,
    reopen: async () => {
      const store = SqliteStore.open(path);
      opened.push(store);
      return store;
    },
    cleanup: async () => {
      for (const store of opened) await store.close();
      removeDatabase(path);
    },
  };
});

describe('SqliteStore specifics', () => {
  const paths: string[] = [];
  afterEach(() => {
    for (const path of paths.splice(0)) removeDatabase(path);
  });

  it('opens :memory: and describes itself', async () => {
    const store = SqliteStore.open(':memory:');
    expect(store.description).toBe('sqlite::memory:');
    await store.putProfile('c1', { a: 1 }, new Date('2026-01-01T00:00:00.000Z'));
    expect(await store.countProfiles()).toBe(1);
    await store.close();
  });

  it('uses WAL with synchronous=FULL and records each migration once', async () => {
    const path = temporaryPath();
    paths.push(path);
    await SqliteStore.open(path).close();
    const second = SqliteStore.open(path);
    await second.close();
    const db = new Database(path, { readonly: true });
    try {
      expect(db.pragma('journal_mode', { simple: true })).toBe('wal');
      const rows = db.prepare('SELECT version, name FROM schema_migrations ORDER BY version').all();
      expect(rows).toStrictEqual(SQLITE_MIGRATIONS.map(({ version, name }) => ({ version, name })));
    } finally {
      db.close();
    }
    const store = SqliteStore.open(path);
    const synchronous = (store as unknown as { db: Database.Database }).db.pragma('synchronous', { simple: true });
    expect(synchronous).toBe(2); // 2 = FULL
    await store.close();
  });

  it('upgrades a version-1 database: old decisions keep working, count in impact by their first issue, and are never swept', async () => {
    const path = temporaryPath();
    paths.push(path);
    const db = new Database(path);
    db.exec(SQLITE_MIGRATIONS[0]!.sql);
    db.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)');
    db.prepare("INSERT INTO schema_migrations VALUES (1, 'initial schema', '2026-01-01T00:00:00.000Z')").run();
    const actions = JSON.stringify([{ rank: 1, actionId: 'gold-card', issue: 'grow', group: 'cards', treatmentId: 't', propensity: 0.1, contextWeight: 1, value: 1, lever: 1, priority: 0.1 }]);
    db.prepare(
      "INSERT INTO decisions VALUES ('d1', 'c1', 'web', 'inbound', 1, '2026-01-02T00:00:00.000Z', '{}', ?, '{}')",
    ).run(actions);
    db.close();
    const store = SqliteStore.open(path);
    try {
      expect((await store.getDecision('d1'))?.actions[0]?.issue).toBe('grow');
      expect((await store.getDecision('d1'))?.controlGroup).toBeUndefined();
      expect(await store.impactCounts({ issue: 'grow' }, [])).toStrictEqual({ nba: { decisions: 1, positives: 0 }, control: { decisions: 0, positives: 0 } });
      expect(await store.listDueDecisions('2030-01-01T00:00:00.000Z', 10)).toStrictEqual([]);
    } finally {
      await store.close();
    }
  });

  it('upgrades a version-2 database: the history summary keeps its rows, now stored in key order', async () => {
    const path = temporaryPath();
    paths.push(path);
    const db = new Database(path);
    db.exec(SQLITE_MIGRATIONS[0]!.sql);
    db.exec(SQLITE_MIGRATIONS[1]!.sql);
    db.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)');
    db.prepare("INSERT INTO schema_migrations VALUES (1, 'initial schema', '2026-01-01T00:00:00.000Z')").run();
    db.prepare("INSERT INTO schema_migrations VALUES (2, 'interaction history, preferences, advisors, control group', '2026-01-01T00:00:00.000Z')").run();
    const insert = db.prepare('INSERT INTO ih_daily VALUES (?, ?, ?, ?, ?, ?, ?, ?)');
    insert.run('c2', '2026-05-02', 'web', 'grow', 'cards', 'gold-card', 'decided', 4);
    insert.run('c1', '2026-05-03', 'web', 'grow', 'cards', 'gold-card', 'accepted', 1);
    insert.run('c1', '2026-05-01', 'email', '', '', '', 'contact', 2);
    db.close();
    const store = SqliteStore.open(path);
    try {
      expect(await store.getHistory('c1', '2026-05-01')).toStrictEqual([
        { day: '2026-05-01', channel: 'email', issue: '', group: '', actionId: '', outcome: 'contact', count: 2 },
        { day: '2026-05-03', channel: 'web', issue: 'grow', group: 'cards', actionId: 'gold-card', outcome: 'accepted', count: 1 },
      ]);
      expect(await store.getHistory('c2', '2026-05-01')).toHaveLength(1);
      // increments still add up on the same key
      await store.saveDecision(
        { decisionId: 'd1', customerId: 'c2', channel: 'web', direction: 'inbound', catalogVersion: 1, createdAt: '2026-05-02T10:00:00.000Z', context: {}, actions: [], predictors: {} },
        { history: [{ day: '2026-05-02', channel: 'web', issue: 'grow', group: 'cards', actionId: 'gold-card', outcome: 'decided', count: 1 }] },
      );
      expect((await store.getHistory('c2', '2026-05-01'))[0]?.count).toBe(5);
    } finally {
      await store.close();
    }
    const check = new Database(path, { readonly: true });
    try {
      expect(() => check.prepare('SELECT rowid FROM ih_daily').all()).toThrowError(/no such column: rowid/);
      expect(check.prepare('SELECT max(version) AS v FROM schema_migrations').get()).toStrictEqual({ v: Math.max(...SQLITE_MIGRATIONS.map((m) => m.version)) });
    } finally {
      check.close();
    }
  });

  it('refuses a database migrated by a newer nextbest', async () => {
    const path = temporaryPath();
    paths.push(path);
    await SqliteStore.open(path).close();
    const db = new Database(path);
    db.prepare("INSERT INTO schema_migrations (version, name, applied_at) VALUES (999, 'future', '2030-01-01T00:00:00.000Z')").run();
    db.close();
    expect(() => SqliteStore.open(path)).toThrowError(/schema is at version 999/);
  });

  it('reports an unopenable path as a plain Error with the cause kept', () => {
    const path = join(tmpdir(), `nextbest-missing-${randomBytes(6).toString('hex')}`, 'x.db');
    let error: unknown;
    try {
      SqliteStore.open(path);
    } catch (caught) {
      error = caught;
    }
    expect(error).toBeInstanceOf(Error);
    expect((error as Error).constructor).toBe(Error);
    expect((error as Error).message).toContain(path);
    expect((error as Error).cause).toBeInstanceOf(Error);
    expect(existsSync(path)).toBe(false);
  });
});
