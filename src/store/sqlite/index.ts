/**
 * The embedded `Store`: one SQLite file (or `:memory:`) through better-sqlite3. No server needed;
 * the default for a single node, demos and tests. All statements are prepared once at open.
 */
import Database from 'better-sqlite3';
import type {
  CustomerProfile,
  DecisionRecord,
  Direction,
  JsonObject,
  JsonValue,
  Outcome,
  Predictors,
  RankedAction,
  ResponseRecord,
} from '../../core/types.js';
import type { CatalogVersionInfo, ErasureResult, Store, StoredCatalog } from '../store.js';
import {
  catalogChecksum,
  lastProfilePerCustomer,
  mergeAttributes,
  parseJsonColumn,
  storeError,
} from '../support.js';
import { migrateSqlite } from './migrations.js';

interface ProfileRow {
  customer_id: string;
  attributes: string;
  updated_at: string;
}

interface DecisionRow {
  decision_id: string;
  customer_id: string;
  channel: string;
  direction: string;
  catalog_version: number;
  created_at: string;
  context: string;
  actions: string;
  predictors: string;
}

interface ResponseRow {
  decision_id: string;
  action_id: string;
  outcome: string;
  customer_id: string;
  channel: string;
  at: string;
  received_at: string;
}

interface CatalogRow {
  version: number;
  created_at: string;
  source: string;
  checksum: string;
}

interface CatalogDocumentRow extends CatalogRow {
  document: string;
}

interface ModelStateRow {
  key: string;
  state: string;
}

function prepareStatements(db: Database.Database) {
  return {
    getProfile: db.prepare<[string], ProfileRow>(
      'SELECT customer_id, attributes, updated_at FROM profiles WHERE customer_id = ?',
    ),
    putProfile: db.prepare<[string, string, string]>(
      `INSERT INTO profiles (customer_id, attributes, updated_at) VALUES (?, ?, ?)
       ON CONFLICT (customer_id) DO UPDATE SET attributes = excluded.attributes, updated_at = excluded.updated_at`,
    ),
    countProfiles: db.prepare<[], { n: number }>('SELECT count(*) AS n FROM profiles'),
    deleteProfile: db.prepare<[string]>('DELETE FROM profiles WHERE customer_id = ?'),
    deleteCustomerResponses: db.prepare<[string, string]>(
      `DELETE FROM responses WHERE customer_id = ?
         OR decision_id IN (SELECT decision_id FROM decisions WHERE customer_id = ?)`,
    ),
    deleteCustomerDecisions: db.prepare<[string]>('DELETE FROM decisions WHERE customer_id = ?'),

    insertDecision: db.prepare<[string, string, string, string, number, string, string, string, string]>(
      `INSERT INTO decisions (decision_id, customer_id, channel, direction, catalog_version, created_at,
                              context, actions, predictors)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ),
    decisionExists: db.prepare<[string], { one: number }>('SELECT 1 AS one FROM decisions WHERE decision_id = ?'),
    getDecision: db.prepare<[string], DecisionRow>(
      `SELECT decision_id, customer_id, channel, direction, catalog_version, created_at, context, actions, predictors
       FROM decisions WHERE decision_id = ?`,
    ),
    countDecisions: db.prepare<[], { n: number }>('SELECT count(*) AS n FROM decisions'),
    countCustomerDecisions: db.prepare<[string], { n: number }>(
      'SELECT count(*) AS n FROM decisions WHERE customer_id = ?',
    ),

    insertResponse: db.prepare<[string, string, string, string, string, string, string]>(
      `INSERT INTO responses (decision_id, action_id, outcome, customer_id, channel, at, received_at)
       VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (decision_id, action_id, outcome) DO NOTHING`,
    ),
    // rowid order is insertion order: responses come back in the order they were stored.
    listResponses: db.prepare<[string], ResponseRow>(
      `SELECT decision_id, action_id, outcome, customer_id, channel, at, received_at
       FROM responses WHERE decision_id = ? ORDER BY rowid`,
    ),
    countResponses: db.prepare<[], { n: number }>('SELECT count(*) AS n FROM responses'),
    countCustomerResponses: db.prepare<[string], { n: number }>(
      'SELECT count(*) AS n FROM responses WHERE customer_id = ?',
    ),

    latestCatalog: db.prepare<[], CatalogRow>(
      'SELECT version, created_at, source, checksum FROM catalog_versions ORDER BY version DESC LIMIT 1',
    ),
    insertCatalog: db.prepare<[number, string, string, string, string]>(
      'INSERT INTO catalog_versions (version, created_at, source, checksum, document) VALUES (?, ?, ?, ?, ?)',
    ),
    activeCatalog: db.prepare<[], CatalogDocumentRow>(
      'SELECT version, created_at, source, checksum, document FROM catalog_versions ORDER BY version DESC LIMIT 1',
    ),
    getCatalog: db.prepare<[number], CatalogDocumentRow>(
      'SELECT version, created_at, source, checksum, document FROM catalog_versions WHERE version = ?',
    ),
    listCatalogs: db.prepare<[], CatalogRow>(
      'SELECT version, created_at, source, checksum FROM catalog_versions ORDER BY version',
    ),

    upsertModelState: db.prepare<[string, string, string, string]>(
      `INSERT INTO model_states (kind, key, state, updated_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (kind, key) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at`,
    ),
    // BINARY collation: byte order of the UTF-8 text, the same order as PostgreSQL's "C" collation.
    loadModelStates: db.prepare<[string], ModelStateRow>(
      'SELECT key, state FROM model_states WHERE kind = ? ORDER BY key',
    ),
  };
}

type Statements = ReturnType<typeof prepareStatements>;

function toProfile(row: ProfileRow): CustomerProfile {
  return {
    customerId: row.customer_id,
    attributes: parseJsonColumn<JsonObject>(row.attributes, `profile ${row.customer_id}`),
    updatedAt: row.updated_at,
  };
}

function toDecision(row: DecisionRow): DecisionRecord {
  const where = `decision ${row.decision_id}`;
  return {
    decisionId: row.decision_id,
    customerId: row.customer_id,
    channel: row.channel,
    direction: row.direction as Direction,
    catalogVersion: row.catalog_version,
    createdAt: row.created_at,
    context: parseJsonColumn<JsonObject>(row.context, where),
    actions: parseJsonColumn<RankedAction[]>(row.actions, where),
    predictors: parseJsonColumn<Predictors>(row.predictors, where),
  };
}

function toResponse(row: ResponseRow): ResponseRecord {
  return {
    decisionId: row.decision_id,
    actionId: row.action_id,
    customerId: row.customer_id,
    channel: row.channel,
    outcome: row.outcome as Outcome,
    at: row.at,
    receivedAt: row.received_at,
  };
}

function toCatalogInfo(row: CatalogRow): CatalogVersionInfo {
  return { version: row.version, createdAt: row.created_at, source: row.source, checksum: row.checksum };
}

function toStoredCatalog(row: CatalogDocumentRow): StoredCatalog {
  return {
    ...toCatalogInfo(row),
    document: parseJsonColumn<JsonValue>(row.document, `catalog version ${row.version}`),
  };
}

export class SqliteStore implements Store {
  readonly description: string;
  private readonly db: Database.Database;
  private readonly statements: Statements;
  private closed = false;

  private constructor(path: string, db: Database.Database) {
    this.description = `sqlite:${path}`;
    this.db = db;
    this.statements = prepareStatements(db);
  }

  /** Opens (creating when absent) and migrates the database at `path`; `:memory:` for a throwaway one. */
  static open(path: string): SqliteStore {
    let db: Database.Database | undefined;
    try {
      db = new Database(path);
      // Durability: WAL with synchronous=FULL fsyncs the WAL at every commit, so a write whose
      // promise resolved survives a process crash AND an OS crash or power loss. (WAL with
      // synchronous=NORMAL would survive a process crash only: on power loss the last commits can
      // roll back.) The store's rule is "acknowledged is durable", so FULL, at one fsync per write.
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = FULL');
      // Another process (CLI next to the server) may hold the write lock briefly: wait, don't fail.
      db.pragma('busy_timeout = 5000');
      migrateSqlite(db);
      return new SqliteStore(path, db);
    } catch (cause) {
      db?.close();
      throw storeError('sqlite', `open ${path}`, cause);
    }
  }

  /** Runs a synchronous database operation, turning driver errors into plain `Error`s. */
  private run<T>(operation: string, work: (statements: Statements) => T): Promise<T> {
    try {
      if (this.closed) throw new Error('the store is closed');
      return Promise.resolve(work(this.statements));
    } catch (cause) {
      return Promise.reject(storeError('sqlite', operation, cause));
    }
  }

  // --- profiles

  getProfile(customerId: string): Promise<CustomerProfile | undefined> {
    return this.run('getProfile', (s) => {
      const row = s.getProfile.get(customerId);
      return row ? toProfile(row) : undefined;
    });
  }

  putProfile(customerId: string, attributes: JsonObject, at: Date): Promise<CustomerProfile> {
    return this.run('putProfile', (s) => {
      const updatedAt = at.toISOString();
      const text = JSON.stringify(attributes);
      s.putProfile.run(customerId, text, updatedAt);
      return { customerId, attributes: JSON.parse(text) as JsonObject, updatedAt };
    });
  }

  patchProfile(customerId: string, attributes: JsonObject, at: Date): Promise<CustomerProfile> {
    return this.run('patchProfile', (s) =>
      this.db.transaction(() => {
        const row = s.getProfile.get(customerId);
        const current = row ? toProfile(row).attributes : {};
        const merged = mergeAttributes(current, attributes);
        const updatedAt = at.toISOString();
        const text = JSON.stringify(merged);
        s.putProfile.run(customerId, text, updatedAt);
        return { customerId, attributes: JSON.parse(text) as JsonObject, updatedAt };
      }).immediate(),
    );
  }

  putProfiles(profiles: Array<{ customerId: string; attributes: JsonObject }>, at: Date): Promise<void> {
    return this.run('putProfiles', (s) => {
      const updatedAt = at.toISOString();
      this.db.transaction(() => {
        for (const profile of profiles) {
          s.putProfile.run(profile.customerId, JSON.stringify(profile.attributes), updatedAt);
        }
      }).immediate();
    });
  }

  countProfiles(): Promise<number> {
    return this.run('countProfiles', (s) => s.countProfiles.get()?.n ?? 0);
  }

  eraseCustomer(customerId: string): Promise<ErasureResult> {
    return this.run('eraseCustomer', (s) =>
      this.db.transaction((): ErasureResult => {
        const responses = s.deleteCustomerResponses.run(customerId, customerId).changes;
        const decisions = s.deleteCustomerDecisions.run(customerId).changes;
        const profile = s.deleteProfile.run(customerId).changes > 0;
        return { profile, decisions, responses };
      }).immediate(),
    );
  }

  // --- interaction history

  saveDecision(decision: DecisionRecord): Promise<void> {
    return this.run('saveDecision', (s) => {
      this.db.transaction(() => {
        if (s.decisionExists.get(decision.decisionId)) {
          throw new Error(`decision ${decision.decisionId} already exists`);
        }
        s.insertDecision.run(
          decision.decisionId,
          decision.customerId,
          decision.channel,
          decision.direction,
          decision.catalogVersion,
          decision.createdAt,
          JSON.stringify(decision.context),
          JSON.stringify(decision.actions),
          JSON.stringify(decision.predictors),
        );
      }).immediate();
    });
  }

  getDecision(decisionId: string): Promise<DecisionRecord | undefined> {
    return this.run('getDecision', (s) => {
      const row = s.getDecision.get(decisionId);
      return row ? toDecision(row) : undefined;
    });
  }

  saveResponse(response: ResponseRecord): Promise<boolean> {
    return this.run('saveResponse', (s) => {
      const result = s.insertResponse.run(
        response.decisionId,
        response.actionId,
        response.outcome,
        response.customerId,
        response.channel,
        response.at,
        response.receivedAt,
      );
      return result.changes === 1;
    });
  }

  listResponses(decisionId: string): Promise<ResponseRecord[]> {
    return this.run('listResponses', (s) => s.listResponses.all(decisionId).map(toResponse));
  }

  countDecisions(customerId?: string): Promise<number> {
    return this.run('countDecisions', (s) =>
      customerId === undefined ? (s.countDecisions.get()?.n ?? 0) : (s.countCustomerDecisions.get(customerId)?.n ?? 0),
    );
  }

  countResponses(customerId?: string): Promise<number> {
    return this.run('countResponses', (s) =>
      customerId === undefined ? (s.countResponses.get()?.n ?? 0) : (s.countCustomerResponses.get(customerId)?.n ?? 0),
    );
  }

  // --- catalog versions

  saveCatalog(document: JsonValue, source: string, at: Date): Promise<CatalogVersionInfo> {
    return this.run('saveCatalog', (s) => {
      const checksum = catalogChecksum(document);
      const text = JSON.stringify(document);
      const createdAt = at.toISOString();
      return this.db.transaction((): CatalogVersionInfo => {
        const latest = s.latestCatalog.get();
        if (latest && latest.checksum === checksum) return toCatalogInfo(latest);
        const version = (latest?.version ?? 0) + 1;
        s.insertCatalog.run(version, createdAt, source, checksum, text);
        return { version, createdAt, source, checksum };
      }).immediate();
    });
  }

  getActiveCatalog(): Promise<StoredCatalog | undefined> {
    return this.run('getActiveCatalog', (s) => {
      const row = s.activeCatalog.get();
      return row ? toStoredCatalog(row) : undefined;
    });
  }

  getCatalog(version: number): Promise<StoredCatalog | undefined> {
    return this.run('getCatalog', (s) => {
      const row = s.getCatalog.get(version);
      return row ? toStoredCatalog(row) : undefined;
    });
  }

  listCatalogVersions(): Promise<CatalogVersionInfo[]> {
    return this.run('listCatalogVersions', (s) => s.listCatalogs.all().map(toCatalogInfo));
  }

  // --- model state

  saveModelStates(kind: string, states: Array<{ key: string; state: JsonValue }>, at: Date): Promise<void> {
    return this.run('saveModelStates', (s) => {
      const updatedAt = at.toISOString();
      this.db.transaction(() => {
        for (const { key, state } of states) s.upsertModelState.run(kind, key, JSON.stringify(state), updatedAt);
      }).immediate();
    });
  }

  loadModelStates(kind: string): Promise<Array<{ key: string; state: JsonValue }>> {
    return this.run('loadModelStates', (s) =>
      s.loadModelStates
        .all(kind)
        .map((row) => ({ key: row.key, state: parseJsonColumn<JsonValue>(row.state, `model state ${kind} ${row.key}`) })),
    );
  }

  close(): Promise<void> {
    if (this.closed) return Promise.resolve();
    this.closed = true;
    try {
      this.db.close();
      return Promise.resolve();
    } catch (cause) {
      return Promise.reject(storeError('sqlite', 'close', cause));
    }
  }
}
