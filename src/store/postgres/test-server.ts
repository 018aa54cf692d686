/**
 * The PostgreSQL server tests run against (NEXTBEST_TEST_PG, default postgres://127.0.0.1:5432/test):
 * whether it is reachable, and dropping a test schema. For test files other than postgres.test.ts
 * that also run on PostgreSQL; they must fail under CI when it is unreachable, as that suite does.
 */
import pg from 'pg';
import { postgresUrlWithDefaultUser } from './index.js';

export const POSTGRES_TEST_URL = process.env.NEXTBEST_TEST_PG ?? 'postgres://127.0.0.1:5432/test';

/** Undefined when the server answers, else why not. */
export async function postgresUnreachableReason(url = POSTGRES_TEST_URL): Promise<string | undefined> {
  const client = new pg.Client({ connectionString: postgresUrlWithDefaultUser(url), connectionTimeoutMillis: 3000 });
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('SELECT 1');
    return undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  } finally {
    await client.end().catch(() => undefined);
  }
}

export async function dropPostgresSchema(schema: string, url = POSTGRES_TEST_URL): Promise<void> {
  const client = new pg.Client({ connectionString: postgresUrlWithDefaultUser(url) });
  client.on('error', () => undefined);
  await client.connect();
  try {
    await client.query(`DROP SCHEMA IF EXISTS "${schema.replaceAll('"', '""')}" CASCADE`);
  } finally {
    await client.end();
  }
}
