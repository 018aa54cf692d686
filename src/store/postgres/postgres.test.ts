/**
 * Runs the shared Store contract against PostgresStore on a real PostgreSQL server
 * (NEXTBEST_TEST_PG, default postgres://127.0.0.1:5432/test), one fresh schema per test, dropped
 * afterwards. Unreachable server: the suite fails when CI is set, and is skipped (loudly) otherwise.
 */
import { randomBytes } from 'node:crypto';
import pg from 'pg';
import { describe, expect, it } from 'vitest';
import { runStoreContract } from '../store.contract.js';
import type { Store } from '../store.js';
import { maskUrlPassword } from '../support.js';
import { POSTGRES_MIGRATIONS } from './migrations.js';
import { PostgresStore, postgresUrlWithDefaultUser } from './index.js';
import { postgresUnreachableReason } from './test-server.js';

const url = process.env.NEXTBEST_TEST_PG ?? 'postgres://127.0.0.1:5432/test';
const shownUrl = maskUrlPassword(url);

/** The store's own default-user rule (libpq's), so test connections match the store's. */
const urlWithUser = postgresUrlWithDefaultUser;

async function reachable(): Promise<string | undefined> {
  return postgresUnreachableReason(url);
}

function schemaName(): string {
  return `nb_test_${randomBytes(6).toString('hex')}`;
}

async function dropSchema(schema: string): Promise<void> {
  const client = new pg.Client({ connectionString: urlWithUser(url) });
  client.on('error', () => undefined);
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
  } finally {
    await client.end();
  }
}

const unreachableReason = await reachable();

if (unreachableReason === undefined) {
  runStoreContract('postgres (fresh schema per test)', async () => {
    const schema = schemaName();
    const opened: Store[] = [await PostgresStore.open(url, { schema })];
    return {
      store: opened[0] as Store,
      reopen: async () => {
        const store = await PostgresStore.open(url, { schema });
        opened.push(store);
        return store;
      },
      cleanup: async () => {
        for (const store of opened) await store.close();
        await dropSchema(schema);
      },
    };
  });

  describe('PostgresStore specifics', () => {
    it('migrates once when several nodes start at the same time on a fresh schema', async () => {
      const schema = schemaName();
      try {
        const stores = await Promise.all(Array.from({ length: 4 }, () => PostgresStore.open(url, { schema })));
        await Promise.all(stores.map((store) => store.close()));
        const client = new pg.Client({ connectionString: urlWithUser(url) });
        await client.connect();
        try {
          const rows = (await client.query(`SELECT version, name FROM "${schema}".schema_migrations ORDER BY version`)).rows;
          expect(rows).toStrictEqual(POSTGRES_MIGRATIONS.map(({ version, name }) => ({ version, name })));
        } finally {
          await client.end();
        }
      } finally {
        await dropSchema(schema);
      }
    });

    it('never shows the password in its description', async () => {
      const schema = schemaName();
      const withPassword = new URL(urlWithUser(url));
      withPassword.password = 's3cr3t-value';
      try {
        const store = await PostgresStore.open(withPassword.toString(), { schema });
        expect(store.description).not.toContain('s3cr3t-value');
        expect(store.description).toContain('***');
        expect(store.description).toContain(schema);
        await store.close();
      } catch (error) {
        // A server that checks passwords refuses the made-up one: the error must not leak it either.
        expect(String(error)).not.toContain('s3cr3t-value');
      } finally {
        await dropSchema(schema);
      }
    });

    it('upgrades a version-1 schema: old decisions keep working and count in impact by their first issue', async () => {
      const schema = schemaName();
      const client = new pg.Client({ connectionString: urlWithUser(url) });
      await client.connect();
      try {
        await client.query(`CREATE SCHEMA "${schema}"`);
        await client.query(POSTGRES_MIGRATIONS[0]!.sql(`"${schema}"`));
        await client.query(`CREATE TABLE "${schema}".schema_migrations (version integer PRIMARY KEY, name text NOT NULL, applied_at text NOT NULL)`);
        await client.query(`INSERT INTO "${schema}".schema_migrations VALUES (1, 'initial schema', '2026-01-01T00:00:00.000Z')`);
        const actions = JSON.stringify([{ rank: 1, actionId: 'gold-card', issue: 'grow', group: 'cards', treatmentId: 't', propensity: 0.1, contextWeight: 1, value: 1, lever: 1, priority: 0.1 }]);
        await client.query(`INSERT INTO "${schema}".decisions VALUES ('d1', 'c1', 'web', 'inbound', 1, '2026-01-02T00:00:00.000Z', '{}', $1, '{}')`, [actions]);
        const store = await PostgresStore.open(url, { schema });
        try {
          expect((await store.getDecision('d1'))?.controlGroup).toBeUndefined();
          expect(await store.impactCounts({ issue: 'grow' }, [])).toStrictEqual({ nba: { decisions: 1, positives: 0 }, control: { decisions: 0, positives: 0 } });
          expect(await store.listDueDecisions('2030-01-01T00:00:00.000Z', 10)).toStrictEqual([]);
        } finally {
          await store.close();
        }
      } finally {
        await client.end();
        await dropSchema(schema);
      }
    });

    it('compresses decision records with lz4 where the server has it, and reads them back as written', async () => {
      const schema = schemaName();
      const client = new pg.Client({ connectionString: urlWithUser(url) });
      await client.connect();
      try {
        const store = await PostgresStore.open(url, { schema });
        // a predictor record of 60 attributes (~2.7 KB with the rest): over the TOAST threshold
        const predictors: Record<string, number | string> = {};
        for (let i = 0; i < 30; i++) predictors[`customer.n${i}`] = i / 7;
        for (let i = 0; i < 30; i++) predictors[`customer.s${i}`] = `value-${i % 4}-of-a-repetitive-record`;
        const record = {
          decisionId: 'd-lz4',
          customerId: 'c1',
          channel: 'web',
          direction: 'inbound' as const,
          catalogVersion: 1,
          createdAt: '2026-03-01T09:15:30.123Z',
          context: { intent: 'browse' },
          actions: [{ rank: 1, actionId: 'gold-card', issue: 'grow', group: 'cards', treatmentId: 't', propensity: 0.1, contextWeight: 1, value: 1, lever: 1, priority: 0.1 }],
          predictors,
        };
        try {
          await store.saveDecision(record);
          expect(await store.getDecision('d-lz4')).toStrictEqual(record);
        } finally {
          await store.close();
        }
        const lz4 = (await client.query(`SELECT 'lz4' = ANY (enumvals) AS lz4 FROM pg_settings WHERE name = 'default_toast_compression'`)).rows[0]?.lz4 === true;
        const columns = (
          await client.query<{ attname: string; attcompression: string }>(
            `SELECT attname, attcompression FROM pg_attribute WHERE attrelid = '"${schema}".decisions'::regclass AND attname IN ('context', 'actions', 'predictors') ORDER BY attname`,
          )
        ).rows;
        const method = lz4 ? 'l' : '';
        expect(columns).toStrictEqual([
          { attname: 'actions', attcompression: method },
          { attname: 'context', attcompression: method },
          { attname: 'predictors', attcompression: method },
        ]);
        const stored = (await client.query(`SELECT pg_column_compression(predictors) AS method FROM "${schema}".decisions WHERE decision_id = 'd-lz4'`)).rows[0];
        expect(stored).toStrictEqual({ method: lz4 ? 'lz4' : 'pglz' });
      } finally {
        await client.end();
        await dropSchema(schema);
      }
    });

    it('refuses a schema name that is not a plain identifier', async () => {
      await expect(PostgresStore.open(url, { schema: 'x"; DROP TABLE y; --' })).rejects.toThrowError(/invalid schema name/);
    });

    it('refuses a schema migrated by a newer nextbest', async () => {
      const schema = schemaName();
      try {
        await (await PostgresStore.open(url, { schema })).close();
        const client = new pg.Client({ connectionString: urlWithUser(url) });
        await client.connect();
        await client.query(`INSERT INTO "${schema}".schema_migrations VALUES (999, 'future', '2030-01-01T00:00:00.000Z')`);
        await client.end();
        await expect(PostgresStore.open(url, { schema })).rejects.toThrowError(/is at version 999/);
      } finally {
        await dropSchema(schema);
      }
    });
  });
} else if (process.env.CI) {
  describe('PostgresStore', () => {
    it('needs a reachable PostgreSQL', () => {
      throw new Error(`PostgreSQL not reachable at ${shownUrl}; CI requires it (${unreachableReason})`);
    });
  });
} else {
  console.warn(`[postgres.test] PostgreSQL not reachable at ${shownUrl} (${unreachableReason}); skipping the PostgreSQL store suite. Set NEXTBEST_TEST_PG to run it.`);
  describe.skip(`PostgresStore: skipped, PostgreSQL not reachable at ${shownUrl}`, () => {
    it('runs the store contract', () => undefined);
  });
}
