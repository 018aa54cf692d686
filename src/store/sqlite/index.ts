/**
 * The embedded `Store`: one SQLite file (or `:memory:`) through better-sqlite3. No server needed;
 * the default for a single node, demos and tests. All statements are prepared once at open.
 *
 * Reads run on the store's own connection, on the caller's thread. Writes run in a writer thread
 * with its own connection (see `writer.ts`), so that their commits (an fsync each) do not block
 * the event loop; a write's promise resolves after its commit. `:memory:` writes inline.
 */
import { resolve } from 'node:path';
import Database from 'better-sqlite3';
import type {
  CustomerPreferences,
  CustomerProfile,
  DecisionRecord,
  Direction,
  HistoryRow,
  JsonObject,
  JsonValue,
  RankedAction,
  ResponseRecord,
} from '../../core/types.js';
import type {
  ArmCounts,
  CatalogVersionInfo,
  ErasureResult,
  ImpactFilter,
  SaveDecisionOptions,
  SaveResponseOptions,
  Store,
  StoredCatalog,
  StoredPreferences,
  DecisionInputs,
} from '../store.js';
import {
  catalogChecksum,
  parseJsonColumn,
  storeError,
  toCatalogInfo,
  toHistory,
  toResponse,
  type CatalogRow,
  type HistoryDbRow,
  type ResponseRow,
} from '../support.js';
import type { CheckpointerOptions, CheckpointerStats } from './checkpointer.js';
import { configureConnection } from './connection.js';
import { migrateSqlite } from './migrations.js';
import { ShapeReader } from './predictor-shapes.js';
import { InlineWriter, ThreadWriter, type SqliteWriter } from './writer.js';
import type { WriteOp, WriteOps } from './writes.js';

export interface SqliteStoreOptions {
  /**
   * Where writes run: `thread` (default for a database file) in a writer thread with its own
   * connection; `inline` on the store's connection, blocking the caller during each commit
   * (always for `:memory:`, which one connection alone can see).
   */
  writer?: 'thread' | 'inline';
  /**
   * Where WAL checkpoints run with a writer thread: `thread` (default) in a checkpointer thread,
   * concurrently with commits; `writer`: SQLite's automatic checkpoint inside the commit that finds
   * the WAL too large.
   */
  checkpoints?: 'thread' | 'writer';
  /** Tuning of the checkpointer thread (see `checkpointer.ts`; the defaults suit a server). */
  checkpointer?: Partial<CheckpointerOptions>;
}

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
  /** The record's shape and its names (NULL for rows written before schema version 4). */
  predictor_shape: number | null;
  shape_names: string | null;
  control_group: number | null;
}

interface DecisionInputsRow {
  p_customer_id: string | null;
  p_attributes: string | null;
  p_updated_at: string | null;
  q_customer_id: string | null;
  q_document: string | null;
  q_updated_at: string | null;
}

interface CatalogDocumentRow extends CatalogRow {
  document: string;
}

interface ModelStateRow {
  key: string;
  state: string;
}

/** The columns of a `DecisionRow`, from `decisions d` joined with `predictor_shapes s`. */
const DECISION_COLUMNS = `d.decision_id, d.customer_id, d.channel, d.direction, d.catalog_version, d.created_at, d.context,
       d.actions, d.predictors, d.predictor_shape, s.names AS shape_names, d.control_group`;

function prepareStatements(db: Database.Database) {
  return {
    getProfile: db.prepare<[string], ProfileRow>(
      'SELECT customer_id, attributes, updated_at FROM profiles WHERE customer_id = ?',
    ),
    countProfiles: db.prepare<[], { n: number }>('SELECT count(*) AS n FROM profiles'),

    getDecision: db.prepare<[string], DecisionRow>(
      `SELECT ${DECISION_COLUMNS} FROM decisions d LEFT JOIN predictor_shapes s ON s.shape_id = d.predictor_shape
       WHERE d.decision_id = ?`,
    ),
    getHistory: db.prepare<[string, string], HistoryDbRow>(
      `SELECT day, channel, issue, grp, action_id, outcome, count FROM ih_daily
       WHERE customer_id = ? AND day >= ? ORDER BY day, channel, action_id, outcome, issue, grp`,
    ),
    dueDecisions: db.prepare<[string, number], DecisionRow & { respond_by: string }>(
      `SELECT ${DECISION_COLUMNS}, d.respond_by FROM decisions d LEFT JOIN predictor_shapes s ON s.shape_id = d.predictor_shape
       WHERE d.respond_by IS NOT NULL AND d.respond_by <= ? ORDER BY d.respond_by, d.decision_id LIMIT ?`,
    ),
    impact: db.prepare<[string, string, string, string | null, string | null, string | null, string | null], { control: number; decisions: number; positives: number }>(
      `SELECT coalesce(d.control_group, 0) AS control, count(*) AS decisions,
              sum(CASE WHEN EXISTS (SELECT 1 FROM responses r WHERE r.decision_id = d.decision_id
                                      AND (d.channel || '|' || r.outcome) IN (SELECT value FROM json_each(?)))
                   THEN 1 ELSE 0 END) AS positives
       FROM decisions d
       WHERE d.top_issue IS NOT NULL AND d.created_at >= ? AND d.created_at < ?
         AND (? IS NULL OR d.channel = ?) AND (? IS NULL OR d.top_issue = ?)
       GROUP BY coalesce(d.control_group, 0)`,
    ),
    // Profile and preferences of one customer in one statement (one read transaction, one snapshot).
    decisionInputs: db.prepare<[string], DecisionInputsRow>(
      `SELECT p.customer_id AS p_customer_id, p.attributes AS p_attributes, p.updated_at AS p_updated_at,
              q.customer_id AS q_customer_id, q.document AS q_document, q.updated_at AS q_updated_at
       FROM (SELECT ? AS customer_id) k
       LEFT JOIN profiles p ON p.customer_id = k.customer_id
       LEFT JOIN preferences q ON q.customer_id = k.customer_id`,
    ),
    getPreferences: db.prepare<[string], { customer_id: string; document: string; updated_at: string }>(
      'SELECT customer_id, document, updated_at FROM preferences WHERE customer_id = ?',
    ),
    advisorLoad: db.prepare<[string], { advisor_id: string; count: number }>(
      'SELECT advisor_id, count FROM advisor_bookings WHERE week = ? ORDER BY advisor_id',
    ),
    countDecisions: db.prepare<[], { n: number }>('SELECT count(*) AS n FROM decisions'),
    countCustomerDecisions: db.prepare<[string], { n: number }>(
      'SELECT count(*) AS n FROM decisions WHERE customer_id = ?',
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

    activeCatalog: db.prepare<[], CatalogDocumentRow>(
      'SELECT version, created_at, source, checksum, document FROM catalog_versions ORDER BY version DESC LIMIT 1',
    ),
    getCatalog: db.prepare<[number], CatalogDocumentRow>(
      'SELECT version, created_at, source, checksum, document FROM catalog_versions WHERE version = ?',
    ),
    listCatalogs: db.prepare<[], CatalogRow>(
      'SELECT version, created_at, source, checksum FROM catalog_versions ORDER BY version',
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

function toDecision(row: DecisionRow, shapes: ShapeReader): DecisionRecord {
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
    predictors: shapes.decode(row.predictor_shape, row.shape_names, row.predictors, where),
    ...(row.control_group === null || row.control_group === undefined ? {} : { controlGroup: row.control_group === 1 }),
  };
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
  private readonly writer: SqliteWriter;
  /** Decision snapshots back from their shapes (schema version 4). */
  private readonly shapes = new ShapeReader();
  private closed = false;

  private constructor(path: string, db: Database.Database, writer: SqliteWriter) {
    this.description = `sqlite:${path}`;
    this.db = db;
    this.statements = prepareStatements(db);
    this.writer = writer;
  }

  /** Opens (creating when absent) and migrates the database at `path`; `:memory:` for a throwaway one. */
  static open(path: string, options: SqliteStoreOptions = {}): SqliteStore {
    let db: Database.Database | undefined;
    try {
      db = new Database(path);
      configureConnection(db);
      migrateSqlite(db);
      // A database only this connection can see (`:memory:`, or '' for a private temporary one)
      // cannot be written from another connection.
      const shared = !db.memory && path !== '';
      const writer =
        shared && options.writer !== 'inline'
          ? new ThreadWriter(resolve(path), {
              checkpointerThread: options.checkpoints !== 'writer',
              ...(options.checkpointer ? { checkpointer: options.checkpointer } : {}),
            })
          : new InlineWriter(db);
      return new SqliteStore(path, db, writer);
    } catch (cause) {
      db?.close();
      throw storeError('sqlite', `open ${path}`, cause);
    }
  }

  /**
   * The writer thread commits, in one transaction, every batch that arrived during its previous
   * commit: sending the next batch before the previous one is answered keeps it committing.
   */
  get decisionBatchesInFlight(): number {
    return this.writer.mode === 'thread' ? 8 : 1;
  }

  /** Where this store's writes run (see `SqliteStoreOptions.writer`). */
  get writerMode(): 'thread' | 'inline' {
    return this.writer.mode;
  }

  /** Runs a synchronous read, turning driver errors into plain `Error`s. */
  private run<T>(operation: string, work: (statements: Statements) => T): Promise<T> {
    try {
      if (this.closed) throw new Error('the store is closed');
      return Promise.resolve(work(this.statements));
    } catch (cause) {
      return Promise.reject(storeError('sqlite', operation, cause));
    }
  }

  /** Asks the writer for a write; resolves after its commit, turning driver errors into plain `Error`s. */
  private write<K extends WriteOp>(operation: string, op: K, args: () => WriteOps[K]['args']): Promise<WriteOps[K]['result']> {
    try {
      if (this.closed) throw new Error('the store is closed');
      return this.writer.write(op, args()).catch((cause: unknown) => {
        throw storeError('sqlite', operation, cause);
      });
    } catch (cause) {
      return Promise.reject(storeError('sqlite', operation, cause));
    }
  }

  /** What the checkpointer thread did so far; undefined without one (or before the first write). */
  checkpointerStats(): Promise<CheckpointerStats | undefined> {
    return this.writer instanceof ThreadWriter ? this.writer.checkpointerStats() : Promise.resolve(undefined);
  }

  /** A pragma of the connection that writes (the writer thread's, or the store's own). */
  writerPragma(name: string): Promise<unknown> {
    return this.write('writerPragma', 'pragma', () => [name]);
  }

  // --- profiles

  getProfile(customerId: string): Promise<CustomerProfile | undefined> {
    return this.run('getProfile', (s) => {
      const row = s.getProfile.get(customerId);
      return row ? toProfile(row) : undefined;
    });
  }

  async putProfile(customerId: string, attributes: JsonObject, at: Date): Promise<CustomerProfile> {
    const updatedAt = at.toISOString();
    const text = JSON.stringify(attributes);
    await this.write('putProfile', 'putProfile', () => [customerId, text, updatedAt]);
    return { customerId, attributes: JSON.parse(text) as JsonObject, updatedAt };
  }

  async patchProfile(customerId: string, attributes: JsonObject, at: Date): Promise<CustomerProfile> {
    const updatedAt = at.toISOString();
    const text = await this.write('patchProfile', 'patchProfile', () => [customerId, JSON.stringify(attributes), updatedAt]);
    return { customerId, attributes: JSON.parse(text) as JsonObject, updatedAt };
  }

  async putProfiles(profiles: Array<{ customerId: string; attributes: JsonObject }>, at: Date): Promise<void> {
    await this.write('putProfiles', 'putProfiles', () => [
      profiles.map((p) => p.customerId),
      profiles.map((p) => JSON.stringify(p.attributes)),
      at.toISOString(),
    ]);
  }

  countProfiles(): Promise<number> {
    return this.run('countProfiles', (s) => s.countProfiles.get()?.n ?? 0);
  }

  async eraseCustomer(customerId: string): Promise<ErasureResult> {
    const result = await this.write('eraseCustomer', 'eraseCustomer', () => [customerId]);
    this.shapes.forget(); // the erasure may have removed shapes (their names can hold profile values)
    return result;
  }

  // --- interaction history

  saveDecision(decision: DecisionRecord, options: SaveDecisionOptions = {}): Promise<void> {
    return this.saveDecisions([{ decision, options }]);
  }

  saveDecisions(batch: ReadonlyArray<{ decision: DecisionRecord; options?: SaveDecisionOptions }>): Promise<void> {
    if (batch.length === 0 && !this.closed) return Promise.resolve();
    return this.write('saveDecision', 'saveDecisions', () => [batch]);
  }

  getDecision(decisionId: string): Promise<DecisionRecord | undefined> {
    return this.run('getDecision', (s) => {
      const row = s.getDecision.get(decisionId);
      return row ? toDecision(row, this.shapes) : undefined;
    });
  }

  saveResponse(response: ResponseRecord, options: SaveResponseOptions = {}): Promise<boolean> {
    return this.write('saveResponse', 'saveResponse', () => [response, options]);
  }

  getHistory(customerId: string, sinceDay: string): Promise<HistoryRow[]> {
    return this.run('getHistory', (s) => s.getHistory.all(customerId, sinceDay).map(toHistory));
  }

  listDueDecisions(now: string, limit: number): Promise<Array<{ decision: DecisionRecord; respondBy: string }>> {
    return this.run('listDueDecisions', (s) =>
      s.dueDecisions.all(now, Math.max(0, Math.floor(limit))).map((row) => ({ decision: toDecision(row, this.shapes), respondBy: row.respond_by })),
    );
  }

  async markDecisionsSwept(decisionIds: string[]): Promise<void> {
    await this.write('markDecisionsSwept', 'markDecisionsSwept', () => [[...decisionIds]]);
  }

  impactCounts(filter: ImpactFilter, positive: Array<{ channel: string; outcome: string }>): Promise<{ nba: ArmCounts; control: ArmCounts }> {
    return this.run('impactCounts', (s) => {
      const rows = s.impact.all(
        JSON.stringify(positive.map((p) => `${p.channel}|${p.outcome}`)),
        filter.from ?? '',
        filter.to ?? '~',
        filter.channel ?? null,
        filter.channel ?? null,
        filter.issue ?? null,
        filter.issue ?? null,
      );
      const arm = (control: number): ArmCounts => {
        const row = rows.find((r) => r.control === control);
        return { decisions: row?.decisions ?? 0, positives: row?.positives ?? 0 };
      };
      return { nba: arm(0), control: arm(1) };
    });
  }

  // --- preferences and advisors

  getDecisionInputs(customerId: string, sinceDay: string | null): Promise<DecisionInputs> {
    return this.run('getDecisionInputs', (s) => {
      const row = s.decisionInputs.get(customerId);
      const { p_customer_id: profileId, p_attributes: attributes, p_updated_at: profileAt } = row ?? {};
      const { q_customer_id: preferencesId, q_document: document, q_updated_at: preferencesAt } = row ?? {};
      return {
        profile:
          profileId != null && attributes != null && profileAt != null
            ? toProfile({ customer_id: profileId, attributes, updated_at: profileAt })
            : undefined,
        preferences:
          preferencesId != null && document != null && preferencesAt != null
            ? toPreferences({ customer_id: preferencesId, document, updated_at: preferencesAt })
            : undefined,
        history: sinceDay === null ? [] : s.getHistory.all(customerId, sinceDay).map(toHistory),
      };
    });
  }

  getPreferences(customerId: string): Promise<StoredPreferences | undefined> {
    return this.run('getPreferences', (s) => {
      const row = s.getPreferences.get(customerId);
      return row ? toPreferences(row) : undefined;
    });
  }

  async putPreferences(customerId: string, preferences: CustomerPreferences, at: Date): Promise<StoredPreferences> {
    const text = JSON.stringify(preferences);
    const updatedAt = at.toISOString();
    await this.write('putPreferences', 'putPreferences', () => [customerId, text, updatedAt]);
    return { customerId, preferences: JSON.parse(text) as CustomerPreferences, updatedAt };
  }

  async putManyPreferences(entries: Array<{ customerId: string; preferences: CustomerPreferences }>, at: Date): Promise<void> {
    await this.write('putManyPreferences', 'putManyPreferences', () => [
      entries.map((e) => e.customerId),
      entries.map((e) => JSON.stringify(e.preferences)),
      at.toISOString(),
    ]);
  }

  getAdvisorLoad(week: string): Promise<Record<string, number>> {
    return this.run('getAdvisorLoad', (s) => Object.fromEntries(s.advisorLoad.all(week).map((row) => [row.advisor_id, row.count])));
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

  async saveCatalog(document: JsonValue, source: string, at: Date): Promise<CatalogVersionInfo> {
    const row = await this.write('saveCatalog', 'saveCatalog', () => [catalogChecksum(document), JSON.stringify(document), source, at.toISOString()]);
    return toCatalogInfo(row);
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

  async saveModelStates(kind: string, states: Array<{ key: string; state: JsonValue }>, at: Date): Promise<void> {
    await this.write('saveModelStates', 'saveModelStates', () => [
      kind,
      states.map((s) => s.key),
      states.map((s) => JSON.stringify(s.state)),
      at.toISOString(),
    ]);
  }

  loadModelStates(kind: string): Promise<Array<{ key: string; state: JsonValue }>> {
    return this.run('loadModelStates', (s) =>
      s.loadModelStates
        .all(kind)
        .map((row) => ({ key: row.key, state: parseJsonColumn<JsonValue>(row.state, `model state ${kind} ${row.key}`) })),
    );
  }

  /** Lets the writes already asked for commit, then closes both connections. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    let failure: unknown;
    try {
      await this.writer.close();
    } catch (cause) {
      failure = cause;
    }
    try {
      this.db.close();
    } catch (cause) {
      failure ??= cause;
    }
    if (failure !== undefined) throw storeError('sqlite', 'close', failure);
  }
}

function toPreferences(row: { customer_id: string; document: string; updated_at: string }): StoredPreferences {
  return {
    customerId: row.customer_id,
    preferences: parseJsonColumn<CustomerPreferences>(row.document, `preferences ${row.customer_id}`),
    updatedAt: row.updated_at,
  };
}
