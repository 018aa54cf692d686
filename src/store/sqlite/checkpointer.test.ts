/** The checkpointer's logic and its pause protocol, on one thread, with real SQLite files. */
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import { Checkpointer, noteCommit, pauseIfAsked, SHARED_SLOTS, SLOT_COMMITS, SLOT_PAUSE } from './checkpointer.js';
import { configureConnection } from './connection.js';

const paths: string[] = [];
const dbs: Database.Database[] = [];

afterEach(() => {
  for (const db of dbs.splice(0)) db.close();
  for (const path of paths.splice(0)) for (const suffix of ['', '-wal', '-shm']) rmSync(path + suffix, { force: true });
});

function database(): { writer: Database.Database; checkpointing: Database.Database } {
  const path = join(tmpdir(), `nextbest-ckpt-${randomBytes(8).toString('hex')}.db`);
  paths.push(path);
  const writer = new Database(path);
  configureConnection(writer);
  writer.pragma('wal_autocheckpoint = 0');
  writer.exec('CREATE TABLE t (id INTEGER PRIMARY KEY, v TEXT NOT NULL)');
  const checkpointing = new Database(path);
  configureConnection(checkpointing);
  dbs.push(checkpointing, writer);
  return { writer, checkpointing };
}

function fill(db: Database.Database, rows: number): void {
  const insert = db.prepare('INSERT INTO t (v) VALUES (?)');
  db.transaction(() => {
    for (let i = 0; i < rows; i++) insert.run('x'.repeat(1000));
  })();
}

const walFrames = (db: Database.Database): number => (db.pragma('wal_checkpoint(PASSIVE)') as Array<{ log: number }>)[0]?.log ?? -1;

describe('pause protocol', () => {
  it('lets the writer go on at once when no pause was asked for', () => {
    const shared = new Int32Array(new SharedArrayBuffer(SHARED_SLOTS * 4));
    const started = performance.now();
    pauseIfAsked(shared, 1000);
    expect(performance.now() - started).toBeLessThan(100);
    expect(Atomics.load(shared, SLOT_PAUSE)).toBe(0);
  });

  it('never keeps the writer paused longer than its wait, even if nobody releases it', () => {
    const shared = new Int32Array(new SharedArrayBuffer(SHARED_SLOTS * 4));
    Atomics.store(shared, SLOT_PAUSE, 1); // asked for, and the checkpointer is gone
    const started = performance.now();
    pauseIfAsked(shared, 20);
    expect(performance.now() - started).toBeGreaterThanOrEqual(15);
    expect(Atomics.load(shared, SLOT_PAUSE)).toBe(0);
    noteCommit(shared);
    expect(Atomics.load(shared, SLOT_COMMITS)).toBe(1);
  });
});

describe('Checkpointer', () => {
  it('checkpoints only after a commit was noted, and copies the WAL into the database file', () => {
    const { writer, checkpointing } = database();
    const shared = new Int32Array(new SharedArrayBuffer(SHARED_SLOTS * 4));
    const checkpointer = new Checkpointer(checkpointing, shared, { startAfterWrites: 0, intervalMs: 10, restartFrames: 100_000, pauseWaitMs: 5 });
    checkpointer.tick(); // (a first tick checks once)
    const first = checkpointer.stats.passes;
    checkpointer.tick();
    expect(checkpointer.stats.passes).toBe(first);
    fill(writer, 50);
    noteCommit(shared);
    checkpointer.tick();
    expect(checkpointer.stats.passes).toBe(first + 1);
    expect(checkpointer.stats.restarts).toBe(0);
    // Everything is copied: the next write restarts the WAL from its beginning.
    fill(writer, 1);
    expect(walFrames(checkpointing)).toBeLessThan(5);
  });

  it('restarts a long WAL with a RESTART checkpoint, and lets go of the writer afterwards', () => {
    const { writer, checkpointing } = database();
    const shared = new Int32Array(new SharedArrayBuffer(SHARED_SLOTS * 4));
    const checkpointer = new Checkpointer(checkpointing, shared, { startAfterWrites: 0, intervalMs: 10, restartFrames: 20, pauseWaitMs: 5 });
    fill(writer, 200);
    noteCommit(shared);
    checkpointer.tick();
    expect(checkpointer.stats.restarts).toBe(1);
    expect(checkpointer.stats.longestPauseMs).toBeGreaterThan(0);
    expect(Atomics.load(shared, SLOT_PAUSE)).toBe(0);
    fill(writer, 1);
    expect(walFrames(checkpointing)).toBeLessThan(5);
    expect(writer.prepare('SELECT count(*) AS n FROM t').get()).toEqual({ n: 201 });
  });
});
