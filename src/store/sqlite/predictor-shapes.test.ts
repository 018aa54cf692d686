/**
 * Decision snapshots stored by shape: the record read back is the record saved (names, values,
 * order), shapes are shared, a rollback or an erasure leaves no decision pointing at a missing
 * shape, and rows written before schema version 4 still read back. On real SQLite files.
 */
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { afterEach, describe, expect, it } from 'vitest';
import type { DecisionRecord, Predictors } from '../../core/types.js';
import { SqliteStore } from './index.js';
import { SQLITE_MIGRATIONS } from './migrations.js';
import { ShapeReader, ShapeWriter } from './predictor-shapes.js';

/** A ShapeWriter over a plain registry, and the names it was asked to register. */
function writerOverMap(): { writer: ShapeWriter; registry: string[]; lookups: string[] } {
  const registry: string[] = [];
  const lookups: string[] = [];
  const writer = new ShapeWriter((names) => {
    lookups.push(names);
    const at = registry.indexOf(names);
    if (at >= 0) return at + 1;
    registry.push(names);
    return registry.length;
  });
  return { writer, registry, lookups };
}

describe('ShapeWriter and ShapeReader', () => {
  const records: Predictors[] = [
    { 'customer.age': 42, 'customer.segment': 'A', 'context.intent': 'browse', 'customer.x': null, 'customer.vip': true },
    // integer-like names enumerate first (in JSON and in objects alike), whatever the order they were set in
    { b: 1, '10': 2, '2': 'two', a: -0.5 },
    { 'quote"d': 'new\nline', 'ünï': '✓', '': 0 },
    JSON.parse('{"__proto__": 7, "x": 1}') as Predictors,
    {},
  ];

  it('reads back the record it stored: the same names, values and order', () => {
    const { writer, registry } = writerOverMap();
    const reader = new ShapeReader();
    for (const record of records) {
      const { shape, values } = writer.encode(record);
      const back = reader.decode(shape, registry[shape - 1]!, values, 'test');
      expect(JSON.stringify(back)).toBe(JSON.stringify(record));
      expect(back).toStrictEqual(record);
    }
  });

  it('skips undefined values, as JSON does', () => {
    const { writer, registry } = writerOverMap();
    const { shape, values } = writer.encode({ a: 1, b: undefined as unknown as null, c: 'x' });
    expect(registry[shape - 1]).toBe('["a","c"]');
    expect(values).toBe('[1,"x"]');
  });

  it('stores names once per shape, and looks a shape up again only after forget()', () => {
    const { writer, registry, lookups } = writerOverMap();
    expect(writer.encode({ a: 1, b: 2 }).shape).toBe(1);
    expect(writer.encode({ a: 3, b: 4 }).shape).toBe(1);
    expect(writer.encode({ b: 1, a: 2 }).shape).toBe(2); // another order is another shape
    expect(writer.encode({ a: 5, b: 6 }).shape).toBe(1);
    expect(registry).toEqual(['["a","b"]', '["b","a"]']);
    expect(lookups).toEqual(['["a","b"]', '["b","a"]']);
    writer.forget();
    expect(writer.encode({ a: 7, b: 8 }).shape).toBe(1);
    expect(lookups).toHaveLength(3);
  });

  it('refuses a row that does not fit its shape, naming the decision', () => {
    const reader = new ShapeReader();
    expect(() => reader.decode(7, '["a","b"]', '[1]', 'decision d1')).toThrowError(
      'stored JSON is corrupt (decision d1: 2 predictor values expected for shape 7)',
    );
    expect(() => reader.decode(8, null, '[1]', 'decision d2')).toThrowError('stored JSON is corrupt (decision d2: predictor shape 8 is missing)');
    expect(() => reader.decode(9, '{"a":1}', '[1]', 'decision d3')).toThrowError('stored JSON is corrupt (predictor shape 9 is not a list of names)');
    expect(reader.decode(null, null, '{"b":1,"a":2}', 'decision d4')).toStrictEqual({ b: 1, a: 2 });
  });
});

describe('SqliteStore: decision snapshots by shape', () => {
  const paths: string[] = [];
  const stores: SqliteStore[] = [];
  afterEach(async () => {
    for (const store of stores.splice(0)) await store.close();
    for (const path of paths.splice(0)) for (const suffix of ['', '-wal', '-shm']) rmSync(path + suffix, { force: true });
  });

  function temporaryPath(): string {
    const path = join(tmpdir(), `nextbest-shapes-${randomBytes(8).toString('hex')}.db`);
    paths.push(path);
    return path;
  }

  function open(path = temporaryPath()): { store: SqliteStore; path: string } {
    const store = SqliteStore.open(path);
    stores.push(store);
    return { store, path };
  }

  function peek<T>(path: string, read: (db: Database.Database) => T): T {
    const db = new Database(path, { readonly: true });
    try {
      return read(db);
    } finally {
      db.close();
    }
  }

  function decision(decisionId: string, customerId: string, predictors: Predictors): DecisionRecord {
    return {
      decisionId,
      customerId,
      channel: 'web',
      direction: 'inbound',
      catalogVersion: 1,
      createdAt: '2026-05-04T10:00:00.000Z',
      context: {},
      actions: [],
      predictors,
      controlGroup: false,
    };
  }

  it('stores the values of a record and its names once, and reads the record back', async () => {
    const { store, path } = open();
    await store.saveDecision(decision('d1', 'c1', { 'customer.age': 42, 'customer.segment': 'A' }), { respondBy: '2026-05-05T10:00:00.000Z' });
    await store.saveDecisions([
      { decision: decision('d2', 'c2', { 'customer.age': 30, 'customer.segment': 'B' }) },
      { decision: decision('d3', 'c2', { 'customer.age': 31, 'customer.segment': null, 'customer.vip': true }) },
    ]);
    expect(peek(path, (db) => db.prepare('SELECT decision_id, predictors, predictor_shape FROM decisions ORDER BY decision_id').all())).toEqual([
      { decision_id: 'd1', predictors: '[42,"A"]', predictor_shape: 1 },
      { decision_id: 'd2', predictors: '[30,"B"]', predictor_shape: 1 },
      { decision_id: 'd3', predictors: '[31,null,true]', predictor_shape: 2 },
    ]);
    expect(peek(path, (db) => db.prepare('SELECT shape_id, names FROM predictor_shapes ORDER BY shape_id').all())).toEqual([
      { shape_id: 1, names: '["customer.age","customer.segment"]' },
      { shape_id: 2, names: '["customer.age","customer.segment","customer.vip"]' },
    ]);
    expect((await store.getDecision('d3'))?.predictors).toStrictEqual({ 'customer.age': 31, 'customer.segment': null, 'customer.vip': true });
    expect(await store.listDueDecisions('2030-01-01T00:00:00.000Z', 10)).toStrictEqual([
      { decision: decision('d1', 'c1', { 'customer.age': 42, 'customer.segment': 'A' }), respondBy: '2026-05-05T10:00:00.000Z' },
    ]);
  });

  it('leaves no decision pointing at a shape that a failed group rolled back', async () => {
    const { store } = open();
    await store.saveDecision(decision('dup', 'c1', { a: 1 }));
    // Asked for in the same turn, these share a transaction: 'fresh' registers a new shape in it,
    // the duplicate fails it, and each write is then applied again alone.
    const outcomes = await Promise.allSettled([
      store.saveDecision(decision('fresh', 'c1', { 'customer.new': 'x', 'customer.other': 2 })),
      store.saveDecision(decision('dup', 'c1', { a: 2 })),
      store.saveDecision(decision('later', 'c2', { 'customer.new': 'y', 'customer.other': 3 })),
    ]);
    expect(outcomes.map((o) => o.status)).toEqual(['fulfilled', 'rejected', 'fulfilled']);
    expect((await store.getDecision('fresh'))?.predictors).toStrictEqual({ 'customer.new': 'x', 'customer.other': 2 });
    expect((await store.getDecision('later'))?.predictors).toStrictEqual({ 'customer.new': 'y', 'customer.other': 3 });
  });

  it('erases with a customer the shapes only their decisions used', async () => {
    const { store, path } = open();
    await store.saveDecision(decision('d1', 'c1', { 'customer.age': 42, 'customer.products=secret-loan': true }));
    await store.saveDecision(decision('d2', 'c1', { 'customer.age': 43 }));
    await store.saveDecision(decision('d3', 'c2', { 'customer.age': 50 }));
    expect(await store.eraseCustomer('c1')).toEqual({ profile: false, decisions: 2, responses: 0 });
    expect(peek(path, (db) => db.prepare('SELECT names FROM predictor_shapes').all())).toEqual([{ names: '["customer.age"]' }]);
    expect((await store.getDecision('d3'))?.predictors).toStrictEqual({ 'customer.age': 50 });
    // the erased shape comes back as a new one when a record needs it again
    await store.saveDecision(decision('d4', 'c3', { 'customer.age': 20, 'customer.products=secret-loan': true }));
    expect((await store.getDecision('d4'))?.predictors).toStrictEqual({ 'customer.age': 20, 'customer.products=secret-loan': true });
    expect(peek(path, (db) => db.prepare('SELECT shape_id FROM predictor_shapes ORDER BY shape_id').all())).toEqual([{ shape_id: 2 }, { shape_id: 3 }]);
  });

  it('upgrades a version-3 database: decisions stored before read back as they were', async () => {
    const path = temporaryPath();
    const db = new Database(path);
    db.exec('CREATE TABLE schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)');
    for (const migration of SQLITE_MIGRATIONS.filter((m) => m.version <= 3)) {
      db.exec(migration.sql);
      db.prepare('INSERT INTO schema_migrations VALUES (?, ?, ?)').run(migration.version, migration.name, '2026-01-01T00:00:00.000Z');
    }
    db.prepare(
      `INSERT INTO decisions (decision_id, customer_id, channel, direction, catalog_version, created_at, context, actions, predictors, control_group, respond_by)
       VALUES ('old', 'c1', 'web', 'inbound', 1, '2026-01-02T00:00:00.000Z', '{}', '[]', '{"customer.b":1,"customer.a":"x"}', 0, '2026-01-03T00:00:00.000Z')`,
    ).run();
    db.close();
    const { store } = open(path);
    expect((await store.getDecision('old'))?.predictors).toStrictEqual({ 'customer.b': 1, 'customer.a': 'x' });
    expect((await store.listDueDecisions('2030-01-01T00:00:00.000Z', 10))[0]?.decision.predictors).toStrictEqual({ 'customer.b': 1, 'customer.a': 'x' });
    await store.saveDecision(decision('new', 'c1', { 'customer.b': 2, 'customer.a': 'y' }));
    expect((await store.getDecision('new'))?.predictors).toStrictEqual({ 'customer.b': 2, 'customer.a': 'y' });
    expect(await store.eraseCustomer('c1')).toEqual({ profile: false, decisions: 2, responses: 0 });
    expect(peek(path, (check) => check.prepare('SELECT count(*) AS n FROM predictor_shapes').get())).toEqual({ n: 0 });
  });
});
