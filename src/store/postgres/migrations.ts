/**
 * Versioned schema migrations of the PostgreSQL store. All pending migrations run in one
 * transaction under a transaction-scoped advisory lock per schema, so nodes starting at the same
 * time apply them exactly once; never edit a released migration, append a new one instead.
 */
import type { PoolClient } from 'pg';

export interface PostgresMigration {
  version: number;
  name: string;
  /** SQL for the given (already quoted) schema name. */
  sql: (schema: string) => string;
}

// Times are ISO-8601 text so they round-trip exactly as in SQLite. Profiles are JSONB (patched in
// SQL with `-` and `||`); write-once documents (decision parts, catalogs, model states) are JSON,
// which keeps the exact text and so the key order the writer used, identical to SQLite.
export const POSTGRES_MIGRATIONS: readonly PostgresMigration[] = [
  {
    version: 1,
    name: 'initial schema',
    sql: (s) => `
      CREATE TABLE ${s}.profiles (
        customer_id text PRIMARY KEY,
        attributes  jsonb NOT NULL,
        updated_at  text NOT NULL
      );

      CREATE TABLE ${s}.decisions (
        decision_id     text PRIMARY KEY,
        customer_id     text NOT NULL,
        channel         text NOT NULL,
        direction       text NOT NULL CHECK (direction IN ('inbound', 'outbound')),
        catalog_version integer NOT NULL,
        created_at      text NOT NULL,
        context         json NOT NULL,
        actions         json NOT NULL,
        predictors      json NOT NULL
      );
      CREATE INDEX decisions_customer_id ON ${s}.decisions (customer_id);

      CREATE TABLE ${s}.responses (
        decision_id text NOT NULL,
        action_id   text NOT NULL,
        outcome     text NOT NULL,
        customer_id text NOT NULL,
        channel     text NOT NULL,
        at          text NOT NULL,
        received_at text NOT NULL,
        seq         bigserial NOT NULL,
        PRIMARY KEY (decision_id, action_id, outcome)
      );
      CREATE INDEX responses_customer_id ON ${s}.responses (customer_id);

      CREATE TABLE ${s}.catalog_versions (
        version    integer PRIMARY KEY,
        created_at text NOT NULL,
        source     text NOT NULL,
        checksum   text NOT NULL,
        document   json NOT NULL
      );

      CREATE TABLE ${s}.model_states (
        kind       text NOT NULL,
        key        text NOT NULL,
        state      json NOT NULL,
        updated_at text NOT NULL,
        PRIMARY KEY (kind, key)
      );
    `,
  },
  {
    version: 2,
    name: 'interaction history, preferences, advisors, control group',
    sql: (s) => `
      ALTER TABLE ${s}.decisions ADD COLUMN control_group boolean;
      ALTER TABLE ${s}.decisions ADD COLUMN top_issue text;
      ALTER TABLE ${s}.decisions ADD COLUMN respond_by text;
      UPDATE ${s}.decisions SET top_issue = actions->0->>'issue';
      CREATE INDEX decisions_respond_by ON ${s}.decisions (respond_by) WHERE respond_by IS NOT NULL;
      CREATE INDEX decisions_created_at ON ${s}.decisions (created_at);

      CREATE TABLE ${s}.ih_daily (
        customer_id text NOT NULL,
        day         text NOT NULL,
        channel     text NOT NULL,
        issue       text NOT NULL,
        grp         text NOT NULL,
        action_id   text NOT NULL,
        outcome     text NOT NULL,
        count       integer NOT NULL,
        PRIMARY KEY (customer_id, day, channel, issue, grp, action_id, outcome)
      );

      CREATE TABLE ${s}.preferences (
        customer_id text PRIMARY KEY,
        document    json NOT NULL,
        updated_at  text NOT NULL
      );

      CREATE TABLE ${s}.advisor_bookings (
        advisor_id text NOT NULL,
        week       text NOT NULL,
        count      integer NOT NULL,
        PRIMARY KEY (advisor_id, week)
      );
    `,
  },
  {
    // A decision row (its predictor record, actions and context: ~2 KB) is over PostgreSQL's TOAST
    // threshold, so the server compresses it on insert; with the default (pglz) that was the
    // largest single cost of PostgreSQL's CPU per HTTP decision (~9%). lz4 compresses and reads
    // back several times faster. Only values written from now on are affected (no rewrite); a
    // server built without lz4 keeps its default.
    version: 3,
    name: 'decision records compressed with lz4',
    sql: (s) => `
      DO $nextbest$
      BEGIN
        IF EXISTS (SELECT 1 FROM pg_settings WHERE name = 'default_toast_compression' AND 'lz4' = ANY (enumvals)) THEN
          ALTER TABLE ${s}.decisions
            ALTER COLUMN context SET COMPRESSION lz4,
            ALTER COLUMN actions SET COMPRESSION lz4,
            ALTER COLUMN predictors SET COMPRESSION lz4;
        END IF;
      END
      $nextbest$;
    `,
  },
];

/** `"name"` with embedded quotes doubled. */
export function quoteIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

/**
 * Creates the schema when missing and applies every migration not yet recorded in its
 * `schema_migrations`; all or nothing. Must be given a client outside any transaction.
 */
export async function migratePostgres(client: PoolClient, schema: string, now: Date = new Date()): Promise<void> {
  const s = quoteIdentifier(schema);
  await client.query('BEGIN');
  try {
    // Serialise concurrent starts on the same schema; released at COMMIT or ROLLBACK.
    await client.query("SELECT pg_advisory_xact_lock(hashtext('nextbest.migrations'), hashtext($1))", [schema]);
    // CREATE SCHEMA IF NOT EXISTS still needs CREATE on the database: only try when it is missing.
    const existing = await client.query('SELECT 1 FROM pg_namespace WHERE nspname = $1', [schema]);
    if (existing.rowCount === 0) await client.query(`CREATE SCHEMA ${s}`);
    await client.query(`CREATE TABLE IF NOT EXISTS ${s}.schema_migrations (
      version    integer PRIMARY KEY,
      name       text NOT NULL,
      applied_at text NOT NULL
    )`);
    const applied = new Set(
      (await client.query<{ version: number }>(`SELECT version FROM ${s}.schema_migrations`)).rows.map(
        (row) => row.version,
      ),
    );
    const newest = Math.max(0, ...applied);
    const known = Math.max(0, ...POSTGRES_MIGRATIONS.map((migration) => migration.version));
    if (newest > known) {
      throw new Error(
        `database schema ${schema} is at version ${newest}, newer than this nextbest knows (${known}); upgrade nextbest`,
      );
    }
    for (const migration of POSTGRES_MIGRATIONS) {
      if (applied.has(migration.version)) continue;
      await client.query(migration.sql(s));
      await client.query(`INSERT INTO ${s}.schema_migrations (version, name, applied_at) VALUES ($1, $2, $3)`, [
        migration.version,
        migration.name,
        now.toISOString(),
      ]);
    }
    await client.query('COMMIT');
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  }
}
