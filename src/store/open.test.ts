/** openStore picks the adapter from the location and never shows a password in `description`. */
import { randomBytes } from 'node:crypto';
import { existsSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { openStore } from './open.js';
import { PostgresStore, postgresUrlWithDefaultUser } from './postgres/index.js';
import { SqliteStore } from './sqlite/index.js';
import { maskUrlPassword } from './support.js';

const pgUrl = process.env.NEXTBEST_TEST_PG ?? 'postgres://127.0.0.1:5432/test';

async function postgresReachable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: postgresUrlWithDefaultUser(pgUrl), connectionTimeoutMillis: 3000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

const canReachPostgres = await postgresReachable();

describe('openStore', () => {
  it('opens a SQLite file for a plain path, with or without the sqlite: prefix', async () => {
    const path = join(tmpdir(), `nextbest-open-${randomBytes(6).toString('hex')}.db`);
    try {
      for (const location of [path, `sqlite:${path}`]) {
        const store = await openStore(location);
        expect(store).toBeInstanceOf(SqliteStore);
        expect(store.description).toBe(`sqlite:${path}`);
        await store.close();
      }
      expect(existsSync(path)).toBe(true);
    } finally {
      for (const suffix of ['', '-wal', '-shm']) rmSync(path + suffix, { force: true });
    }
  });

  it('opens an in-memory SQLite database', async () => {
    const store = await openStore(':memory:');
    expect(store.description).toBe('sqlite::memory:');
    await store.close();
  });

  it('refuses an empty location', async () => {
    await expect(openStore('')).rejects.toThrowError(/empty/);
  });

  it.skipIf(!canReachPostgres)('opens PostgreSQL for postgres:// and postgresql:// URLs, schema from ?schema=, password masked', async () => {
    const schema = `nb_test_${randomBytes(6).toString('hex')}`;
    const base = new URL(postgresUrlWithDefaultUser(pgUrl));
    base.password = 'hunter2-secret';
    base.searchParams.set('schema', schema);
    try {
      for (const protocol of ['postgres:', 'postgresql:']) {
        const location = protocol + base.toString().slice(base.protocol.length);
        const store = await openStore(location);
        expect(store).toBeInstanceOf(PostgresStore);
        expect(store.description).not.toContain('hunter2-secret');
        expect(store.description).toMatch(new RegExp(`^${protocol}//[^:]+:\\*\\*\\*@.* \\(schema ${schema}\\)$`));
        await store.close();
      }
    } finally {
      const client = new pg.Client({ connectionString: postgresUrlWithDefaultUser(pgUrl) });
      await client.connect();
      await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await client.end();
    }
  });
});

describe('maskUrlPassword', () => {
  it('masks the password of a URL and of a password= parameter, and leaves other URLs alone', () => {
    expect(maskUrlPassword('postgres://alice:s3cret@db.example:5432/nb')).toBe('postgres://alice:***@db.example:5432/nb');
    expect(maskUrlPassword('postgresql://alice@db/nb?password=s3cret&sslmode=require')).toBe(
      'postgresql://alice@db/nb?password=***&sslmode=require',
    );
    expect(maskUrlPassword('postgres://db/nb')).toBe('postgres://db/nb');
    expect(maskUrlPassword('not a url user:pw@host')).toBe('not a url user:pw@host');
  });
});
