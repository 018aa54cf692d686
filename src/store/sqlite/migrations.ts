/**
 * Versioned schema migrations of the SQLite store. Each migration runs once, in order, inside one
 * immediate transaction together with its row in `schema_migrations`; never edit a released
 * migration, append a new one instead.
 */
import type { Database } from 'better-sqlite3';

export interface SqliteMigration {
  version: number;
  name: string;
  sql: string;
}

// Times are ISO-8601 strings (TEXT) so they round-trip exactly; JSON columns are TEXT holding the
// exact serialized document (key order preserved).
export const SQLITE_MIGRATIONS: readonly SqliteMigration[] = [
  {
    version: 1,
    name: 'initial schema',
    sql: `
      CREATE TABLE profiles (
        customer_id TEXT PRIMARY KEY,
        attributes  TEXT NOT NULL,
        updated_at  TEXT NOT NULL
      );

      CREATE TABLE decisions (
        decision_id     TEXT PRIMARY KEY,
        customer_id     TEXT NOT NULL,
        channel         TEXT NOT NULL,
        direction       TEXT NOT NULL CHECK (direction IN ('inbound', 'outbound')),
        catalog_version INTEGER NOT NULL,
        created_at      TEXT NOT NULL,
        context         TEXT NOT NULL,
        actions         TEXT NOT NULL,
        predictors      TEXT NOT NULL
      );
      CREATE INDEX decisions_customer_id ON decisions (customer_id);

      CREATE TABLE responses (
        decision_id TEXT NOT NULL,
        action_id   TEXT NOT NULL,
        outcome     TEXT NOT NULL,
        customer_id TEXT NOT NULL,
        channel     TEXT NOT NULL,
        at          TEXT NOT NULL,
        received_at TEXT NOT NULL,
        PRIMARY KEY (decision_id, action_id, outcome)
      );
      CREATE INDEX responses_customer_id ON responses (customer_id);

      CREATE TABLE catalog_versions (
        version    INTEGER PRIMARY KEY,
        created_at TEXT NOT NULL,
        source     TEXT NOT NULL,
        checksum   TEXT NOT NULL,
        document   TEXT NOT NULL
      );

      CREATE TABLE model_states (
        kind       TEXT NOT NULL,
        key        TEXT NOT NULL,
        state      TEXT NOT NULL,
        updated_at TEXT NOT NULL,
        PRIMARY KEY (kind, key)
      );
    `,
  },
  {
    version: 2,
    name: 'interaction history, preferences, advisors, control group',
    sql: `
      -- control_group: NULL when the decision did not say (before version 2), else 0/1.
      ALTER TABLE decisions ADD COLUMN control_group INTEGER;
      -- The issue of the first-ranked action (NULL for an empty decision): the impact report's filter.
      ALTER TABLE decisions ADD COLUMN top_issue TEXT;
      -- When offered actions without a response count as ignored; NULL once swept (or nothing to wait for).
      ALTER TABLE decisions ADD COLUMN respond_by TEXT;
      UPDATE decisions SET top_issue = json_extract(actions, '$[0].issue');
      CREATE INDEX decisions_respond_by ON decisions (respond_by) WHERE respond_by IS NOT NULL;
      CREATE INDEX decisions_created_at ON decisions (created_at);

      CREATE TABLE ih_daily (
        customer_id TEXT NOT NULL,
        day         TEXT NOT NULL,
        channel     TEXT NOT NULL,
        issue       TEXT NOT NULL,
        grp         TEXT NOT NULL,
        action_id   TEXT NOT NULL,
        outcome     TEXT NOT NULL,
        count       INTEGER NOT NULL,
        PRIMARY KEY (customer_id, day, channel, issue, grp, action_id, outcome)
      );

      CREATE TABLE preferences (
        customer_id TEXT PRIMARY KEY,
        document    TEXT NOT NULL,
        updated_at  TEXT NOT NULL
      );

      CREATE TABLE advisor_bookings (
        advisor_id TEXT NOT NULL,
        week       TEXT NOT NULL,
        count      INTEGER NOT NULL,
        PRIMARY KEY (advisor_id, week)
      );
    `,
  },
  {
    version: 3,
    name: 'interaction history stored in key order',
    sql: `
      -- The history summary as a WITHOUT ROWID table: rows live in the primary key's B-tree, so a
      -- customer's rows lie together (reading them is one range of one tree, not an index range
      -- plus one table lookup per row), and a decision's increments change one tree instead of
      -- the table and its key index (fewer pages to write to the WAL at each commit).
      CREATE TABLE ih_daily_by_key (
        customer_id TEXT NOT NULL,
        day         TEXT NOT NULL,
        channel     TEXT NOT NULL,
        issue       TEXT NOT NULL,
        grp         TEXT NOT NULL,
        action_id   TEXT NOT NULL,
        outcome     TEXT NOT NULL,
        count       INTEGER NOT NULL,
        PRIMARY KEY (customer_id, day, channel, issue, grp, action_id, outcome)
      ) WITHOUT ROWID;
      INSERT INTO ih_daily_by_key (customer_id, day, channel, issue, grp, action_id, outcome, count)
        SELECT customer_id, day, channel, issue, grp, action_id, outcome, count FROM ih_daily;
      DROP TABLE ih_daily;
      ALTER TABLE ih_daily_by_key RENAME TO ih_daily;
    `,
  },
  {
    version: 4,
    name: 'decision snapshots stored by shape',
    sql: `
      -- A decision's predictor record as the JSON array of its values, its names once per distinct
      -- list (predictor-shapes.ts). Ids are never reused (AUTOINCREMENT), so a reader may keep them.
      CREATE TABLE predictor_shapes (
        shape_id INTEGER PRIMARY KEY AUTOINCREMENT,
        names    TEXT NOT NULL UNIQUE
      );
      -- NULL for rows written before version 4, whose predictors column holds the whole object.
      ALTER TABLE decisions ADD COLUMN predictor_shape INTEGER;
      -- An erasure removes the shapes that only the erased decisions used (names can hold values).
      CREATE INDEX decisions_predictor_shape ON decisions (predictor_shape) WHERE predictor_shape IS NOT NULL;
    `,
  },
];

/** Applies every migration not yet recorded in `schema_migrations`; all or nothing. */
export function migrateSqlite(db: Database, now: Date = new Date()): void {
  const apply = db.transaction(() => {
    db.exec(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version    INTEGER PRIMARY KEY,
      name       TEXT NOT NULL,
      applied_at TEXT NOT NULL
    )`);
    const applied = new Set(
      (db.prepare('SELECT version FROM schema_migrations').all() as Array<{ version: number }>).map(
        (row) => row.version,
      ),
    );
    const newest = Math.max(0, ...applied);
    const known = Math.max(0, ...SQLITE_MIGRATIONS.map((migration) => migration.version));
    if (newest > known) {
      throw new Error(
        `database schema is at version ${newest}, newer than this nextbest knows (${known}); upgrade nextbest`,
      );
    }
    const record = db.prepare('INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)');
    for (const migration of SQLITE_MIGRATIONS) {
      if (applied.has(migration.version)) continue;
      db.exec(migration.sql);
      record.run(migration.version, migration.name, now.toISOString());
    }
  });
  apply.immediate();
}
