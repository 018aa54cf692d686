/**
 * The embedded `Store`: one SQLite file (or `:memory:`) through better-sqlite3. No server needed;
 * the default for a single node, demos and tests. All statements are prepared once at open.
 */
import Database from 'better-sqlite3';
import type {
  CustomerPreferences,
  CustomerProfile,
  DecisionRecord,
  Direction,
  HistoryRow,
  JsonObject,
  JsonValue,
  Predictors,
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
  lastProfilePerCustomer,
  mergeAttributes,
  parseJsonColumn,
  storeError,
  toCatalogInfo,
  toHistory,
  toResponse,
  type CatalogRow,
  type HistoryDbRow,
  type ResponseRow,
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
  control_group: number | null;
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
    deleteCustomerHistory: db.prepare<[string]>('DELETE FROM ih_daily WHERE customer_id = ?'),
    deleteCustomerPreferences: db.prepare<[string]>('DELETE FROM preferences WHERE customer_id = ?'),

    insertDecision: db.prepare<
      [string, string, string, string, number, string, string, string, string, number | null, string | null, string | null]
    >(
      `INSERT INTO decisions (decision_id, customer_id, channel, direction, catalog_version, created_at,
                              context, actions, predictors, control_group, top_issue, respond_by)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (decision_id) DO NOTHING`,
    ),
    getDecision: db.prepare<[string], DecisionRow>(
      `SELECT decision_id, customer_id, channel, direction, catalog_version, created_at, context, actions, predictors, control_group
       FROM decisions WHERE decision_id = ?`,
    ),
    addHistory: db.prepare<[string, string, string, string, string, string, string, number]>(
      `INSERT INTO ih_daily (customer_id, day, channel, issue, grp, action_id, outcome, count) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (customer_id, day, channel, issue, grp, action_id, outcome) DO UPDATE SET count = ih_daily.count + excluded.count`,
    ),
    getHistory: db.prepare<[string, string], HistoryDbRow>(
      `SELECT day, channel, issue, grp, action_id, outcome, count FROM ih_daily
       WHERE customer_id = ? AND day >= ? ORDER BY day, channel, action_id, outcome, issue, grp`,
    ),
    dueDecisions: db.prepare<[string, number], DecisionRow & { respond_by: string }>(
      `SELECT decision_id, customer_id, channel, direction, catalog_version, created_at, context, actions, predictors, control_group, respond_by
       FROM decisions WHERE respond_by IS NOT NULL AND respond_by <= ? ORDER BY respond_by, decision_id LIMIT ?`,
    ),
    markSwept: db.prepare<[string]>('UPDATE decisions SET respond_by = NULL WHERE decision_id = ?'),
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
    getPreferences: db.prepare<[string], { customer_id: string; document: string; updated_at: string }>(
      'SELECT customer_id, document, updated_at FROM preferences WHERE customer_id = ?',
    ),
    putPreferences: db.prepare<[string, string, string]>(
      `INSERT INTO preferences (customer_id, document, updated_at) VALUES (?, ?, ?)
       ON CONFLICT (customer_id) DO UPDATE SET document = excluded.document, updated_at = excluded.updated_at`,
    ),
    addBooking: db.prepare<[string, string]>(
      `INSERT INTO advisor_bookings (advisor_id, week, count) VALUES (?, ?, 1)
       ON CONFLICT (advisor_id, week) DO UPDATE SET count = advisor_bookings.count + 1`,
    ),
    advisorLoad: db.prepare<[string], { advisor_id: string; count: number }>(
      'SELECT advisor_id, count FROM advisor_bookings WHERE week = ? ORDER BY advisor_id',
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
        s.deleteCustomerHistory.run(customerId);
        s.deleteCustomerPreferences.run(customerId);
        const profile = s.deleteProfile.run(customerId).changes > 0;
        return { profile, decisions, responses };
      }).immediate(),
    );
  }

  // --- interaction history

  saveDecision(decision: DecisionRecord, options: SaveDecisionOptions = {}): Promise<void> {
    return this.saveDecisions([{ decision, options }]);
  }

  saveDecisions(batch: ReadonlyArray<{ decision: DecisionRecord; options?: SaveDecisionOptions }>): Promise<void> {
    return this.run('saveDecision', (s) => {
      if (batch.length === 0) return;
      this.db.transaction(() => {
        for (const { decision, options = {} } of batch) this.insertDecision(s, decision, options);
      }).immediate();
    });
  }

  private insertDecision(s: Statements, decision: DecisionRecord, options: SaveDecisionOptions): void {
    const result = s.insertDecision.run(
      decision.decisionId,
      decision.customerId,
      decision.channel,
      decision.direction,
      decision.catalogVersion,
      decision.createdAt,
      JSON.stringify(decision.context),
      JSON.stringify(decision.actions),
      JSON.stringify(decision.predictors),
      decision.controlGroup === undefined ? null : decision.controlGroup ? 1 : 0,
      decision.actions[0]?.issue ?? null,
      options.respondBy ?? null,
    );
    if (result.changes !== 1) throw new Error(`decision ${decision.decisionId} already exists`);
    this.addHistory(s, decision.customerId, options.history);
  }

  private addHistory(s: Statements, customerId: string, rows: HistoryRow[] | undefined): void {
    for (const row of rows ?? []) {
      s.addHistory.run(customerId, row.day, row.channel, row.issue, row.group, row.actionId, row.outcome, row.count);
    }
  }

  getDecision(decisionId: string): Promise<DecisionRecord | undefined> {
    return this.run('getDecision', (s) => {
      const row = s.getDecision.get(decisionId);
      return row ? toDecision(row) : undefined;
    });
  }

  saveResponse(response: ResponseRecord, options: SaveResponseOptions = {}): Promise<boolean> {
    return this.run('saveResponse', (s) =>
      this.db.transaction((): boolean => {
        const result = s.insertResponse.run(
          response.decisionId,
          response.actionId,
          response.outcome,
          response.customerId,
          response.channel,
          response.at,
          response.receivedAt,
        );
        if (result.changes !== 1) return false;
        this.addHistory(s, response.customerId, options.history);
        if (options.advisorBooking) s.addBooking.run(options.advisorBooking.advisorId, options.advisorBooking.week);
        return true;
      }).immediate(),
    );
  }

  getHistory(customerId: string, sinceDay: string): Promise<HistoryRow[]> {
    return this.run('getHistory', (s) => s.getHistory.all(customerId, sinceDay).map(toHistory));
  }

  listDueDecisions(now: string, limit: number): Promise<Array<{ decision: DecisionRecord; respondBy: string }>> {
    return this.run('listDueDecisions', (s) =>
      s.dueDecisions.all(now, Math.max(0, Math.floor(limit))).map((row) => ({ decision: toDecision(row), respondBy: row.respond_by })),
    );
  }

  markDecisionsSwept(decisionIds: string[]): Promise<void> {
    return this.run('markDecisionsSwept', (s) => {
      this.db.transaction(() => {
        for (const id of decisionIds) s.markSwept.run(id);
      }).immediate();
    });
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
      const profile = s.getProfile.get(customerId);
      const preferences = s.getPreferences.get(customerId);
      return {
        profile: profile ? toProfile(profile) : undefined,
        preferences: preferences ? toPreferences(preferences) : undefined,
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

  putPreferences(customerId: string, preferences: CustomerPreferences, at: Date): Promise<StoredPreferences> {
    return this.run('putPreferences', (s) => {
      const text = JSON.stringify(preferences);
      const updatedAt = at.toISOString();
      s.putPreferences.run(customerId, text, updatedAt);
      return { customerId, preferences: JSON.parse(text) as CustomerPreferences, updatedAt };
    });
  }

  putManyPreferences(entries: Array<{ customerId: string; preferences: CustomerPreferences }>, at: Date): Promise<void> {
    return this.run('putManyPreferences', (s) => {
      const updatedAt = at.toISOString();
      this.db.transaction(() => {
        for (const { customerId, preferences } of entries) s.putPreferences.run(customerId, JSON.stringify(preferences), updatedAt);
      }).immediate();
    });
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

function toPreferences(row: { customer_id: string; document: string; updated_at: string }): StoredPreferences {
  return {
    customerId: row.customer_id,
    preferences: parseJsonColumn<CustomerPreferences>(row.document, `preferences ${row.customer_id}`),
    updatedAt: row.updated_at,
  };
}
