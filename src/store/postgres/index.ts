/**
 * The production `Store`: PostgreSQL through a `pg` connection pool, shared by every decision node.
 * Every table name is qualified with the configured schema (default `public`), so nothing depends on
 * the connection's search_path. Writes are single statements or explicit transactions; a write's
 * promise resolves after COMMIT (durable under the server's default `synchronous_commit = on`).
 */
import { userInfo } from 'node:os';
import pg from 'pg';
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
  maskUrlPassword,
  storeError,
  toCatalogInfo,
  toHistory,
  toResponse,
  type CatalogRow,
  type HistoryDbRow,
  type ResponseRow,
} from '../support.js';
import { migratePostgres, quoteIdentifier } from './migrations.js';
import { TurnBatch } from './turn-batch.js';

export interface PostgresStoreOptions {
  /** Schema holding nextbest's tables; created when missing. Default `public`. */
  schema?: string;
}

interface ProfileRow {
  customer_id: string;
  attributes: JsonObject;
  updated_at: string;
}

interface DecisionRow {
  decision_id: string;
  customer_id: string;
  channel: string;
  direction: string;
  catalog_version: number;
  created_at: string;
  context: JsonObject;
  actions: RankedAction[];
  predictors: Predictors;
  control_group: boolean | null;
}

interface CatalogDocumentRow extends CatalogRow {
  document: JsonValue;
}

/** A `saveResponse` waiting for its turn's statement: increments merged, as `saveResponse` writes them. */
interface PendingResponse {
  response: ResponseRecord;
  history: HistoryRow[];
  booking: { advisorId: string; week: string } | undefined;
}

/** Requests per batched statement (`TurnBatch`): customers per `getDecisionInputs`, decisions, responses. */
const INPUTS_BATCH = 256;
/** `getDecisionInputs` batches kept, one per distinct `sinceDay` (a new one each day): past this, they start again. */
const INPUT_BATCHES_KEPT = 16;

/** Rows per statement in `putProfiles`. */
const PROFILE_BATCH = 1000;

const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/**
 * Like libpq (psql): a URL without a user name connects as PGUSER, else as the operating-system
 * user. (`pg` alone would send no user at all when USER is unset, which the server refuses.) A URL
 * without a host (`postgres:///db?host=/var/run/postgresql`, a Unix socket) cannot hold a user
 * name before the host, so there it becomes the `user` parameter.
 */
export function postgresUrlWithDefaultUser(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.username || parsed.searchParams.has('user') || process.env.PGUSER) return url;
    const user = process.env.USER || userInfo().username;
    if (!user) return url;
    if (parsed.hostname) parsed.username = encodeURIComponent(user);
    else parsed.searchParams.set('user', user);
    return parsed.toString();
  } catch {
    return url;
  }
}

function toProfile(row: ProfileRow): CustomerProfile {
  return { customerId: row.customer_id, attributes: row.attributes, updatedAt: row.updated_at };
}

function toDecision(row: DecisionRow): DecisionRecord {
  return {
    decisionId: row.decision_id,
    customerId: row.customer_id,
    channel: row.channel,
    direction: row.direction as Direction,
    catalogVersion: row.catalog_version,
    createdAt: row.created_at,
    context: row.context,
    actions: row.actions,
    predictors: row.predictors,
    ...(row.control_group === null || row.control_group === undefined ? {} : { controlGroup: row.control_group }),
  };
}

function toStoredCatalog(row: CatalogDocumentRow): StoredCatalog {
  return { ...toCatalogInfo(row), document: row.document };
}

/**
 * Sums increments with the same key, so one INSERT ... ON CONFLICT never touches a row twice, and
 * sorts them by key, so concurrent writes for one customer lock rows in the same order (no deadlock).
 */
function mergeHistory(rows: HistoryRow[] | undefined): HistoryRow[] {
  const byKey = new Map<string, HistoryRow>();
  for (const row of rows ?? []) {
    const key = JSON.stringify([row.day, row.channel, row.issue, row.group, row.actionId, row.outcome]);
    const existing = byKey.get(key);
    if (existing) existing.count += row.count;
    else byKey.set(key, { ...row });
  }
  return [...byKey.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, row]) => row);
}

/**
 * A batched read's result for `key`: as it is the first time the batch gives that key, a copy
 * after that, so that every caller gets objects of its own, as from a read of its own.
 */
function ownCopy<T>(given: Set<string>, key: string, value: T): T {
  if (given.has(key)) return structuredClone(value);
  given.add(key);
  return value;
}

/** SQL texts for one schema, built once at open. */
function buildSql(schema: string) {
  const s = quoteIdentifier(schema);
  const profileColumns = 'customer_id, attributes, updated_at';
  const decisionColumns =
    'decision_id, customer_id, channel, direction, catalog_version, created_at, context, actions, predictors, control_group';
  const responseColumns = 'decision_id, action_id, outcome, customer_id, channel, at, received_at';
  const catalogColumns = 'version, created_at, source, checksum';
  return {
    getProfile: `SELECT ${profileColumns} FROM ${s}.profiles WHERE customer_id = $1`,
    putProfile: `INSERT INTO ${s}.profiles (${profileColumns}) VALUES ($1, $2::jsonb, $3)
      ON CONFLICT (customer_id) DO UPDATE SET attributes = excluded.attributes, updated_at = excluded.updated_at
      RETURNING ${profileColumns}`,
    // One statement, so concurrent patches of a profile never lose each other's keys.
    patchProfile: `INSERT INTO ${s}.profiles AS p (${profileColumns}) VALUES ($1, $2::jsonb, $4)
      ON CONFLICT (customer_id) DO UPDATE
        SET attributes = (p.attributes - $3::text[]) || excluded.attributes, updated_at = excluded.updated_at
      RETURNING ${profileColumns}`,
    putProfiles: `INSERT INTO ${s}.profiles (${profileColumns})
      SELECT element->>'customerId', element->'attributes', $2 FROM jsonb_array_elements($1::jsonb) AS element
      ON CONFLICT (customer_id) DO UPDATE SET attributes = excluded.attributes, updated_at = excluded.updated_at`,
    countProfiles: `SELECT count(*) AS n FROM ${s}.profiles`,
    deleteCustomerResponses: `DELETE FROM ${s}.responses WHERE customer_id = $1
      OR decision_id IN (SELECT decision_id FROM ${s}.decisions WHERE customer_id = $1)`,
    deleteCustomerDecisions: `DELETE FROM ${s}.decisions WHERE customer_id = $1`,
    deleteProfile: `DELETE FROM ${s}.profiles WHERE customer_id = $1`,
    deleteCustomerHistory: `DELETE FROM ${s}.ih_daily WHERE customer_id = $1`,
    deleteCustomerPreferences: `DELETE FROM ${s}.preferences WHERE customer_id = $1`,

    // A whole batch of decisions and their history increments in one statement: one round trip, and
    // atomic without BEGIN/COMMIT (a statement is its own transaction). Both as JSON documents (one
    // JSON.stringify each; a json column of the recordset keeps the exact text, key order included).
    // No ON CONFLICT on the decisions: a duplicate id fails the statement, so nothing of it is saved.
    saveDecisions: `WITH d AS (
        INSERT INTO ${s}.decisions (${decisionColumns}, top_issue, respond_by)
        SELECT x.decision_id, x.customer_id, x.channel, x.direction, x.catalog_version, x.created_at,
               x.context, x.actions, x.predictors, x.control_group, x.top_issue, x.respond_by
        FROM json_to_recordset($1::json) AS x(decision_id text, customer_id text, channel text, direction text,
          catalog_version integer, created_at text, context json, actions json, predictors json,
          control_group boolean, top_issue text, respond_by text)
        RETURNING 1
      ), h AS (
        INSERT INTO ${s}.ih_daily AS h (customer_id, day, channel, issue, grp, action_id, outcome, count)
        SELECT e.customer_id, e.day, e.channel, e.issue, e.grp, e.action_id, e.outcome, e.count
        FROM json_to_recordset($2::json) AS e(customer_id text, day text, channel text, issue text, grp text,
          action_id text, outcome text, count integer)
        ON CONFLICT (customer_id, day, channel, issue, grp, action_id, outcome) DO UPDATE SET count = h.count + excluded.count
        RETURNING 1
      )
      SELECT (SELECT count(*) FROM d) AS decisions`,
    getHistory: `SELECT day, channel, issue, grp, action_id, outcome, count FROM ${s}.ih_daily
      WHERE customer_id = $1 AND day >= $2
      ORDER BY day COLLATE "C", channel COLLATE "C", action_id COLLATE "C", outcome COLLATE "C", issue COLLATE "C", grp COLLATE "C"`,
    dueDecisions: `SELECT ${decisionColumns}, respond_by FROM ${s}.decisions
      WHERE respond_by IS NOT NULL AND respond_by <= $1 ORDER BY respond_by COLLATE "C", decision_id COLLATE "C" LIMIT $2`,
    markSwept: `UPDATE ${s}.decisions SET respond_by = NULL WHERE decision_id = ANY($1::text[])`,
    impact: `SELECT coalesce(d.control_group, false) AS control, count(*) AS decisions,
        count(*) FILTER (WHERE EXISTS (SELECT 1 FROM ${s}.responses r WHERE r.decision_id = d.decision_id
                                         AND (d.channel || '|' || r.outcome) = ANY($1::text[]))) AS positives
      FROM ${s}.decisions d
      WHERE d.top_issue IS NOT NULL AND d.created_at COLLATE "C" >= $2 AND d.created_at COLLATE "C" < $3
        AND ($4::text IS NULL OR d.channel = $4) AND ($5::text IS NULL OR d.top_issue = $5)
      GROUP BY coalesce(d.control_group, false)`,
    getPreferences: `SELECT customer_id, document, updated_at FROM ${s}.preferences WHERE customer_id = $1`,
    // Everything a decision reads about its customer, in one round trip.
    // What decisions read about their customers, for several customers in one round trip (the
    // reads of one event-loop turn are batched): one row per distinct customer id.
    decisionInputs: `SELECT k.customer_id, p.attributes AS profile_attributes, p.updated_at AS profile_updated_at,
        q.document AS preferences_document, q.updated_at AS preferences_updated_at,
        CASE WHEN $2::text IS NULL THEN NULL ELSE
          (SELECT json_agg(h ORDER BY h.day COLLATE "C", h.channel COLLATE "C", h.action_id COLLATE "C", h.outcome COLLATE "C", h.issue COLLATE "C", h.grp COLLATE "C")
           FROM (SELECT day, channel, issue, grp, action_id, outcome, count FROM ${s}.ih_daily WHERE customer_id = k.customer_id AND day >= $2) h)
        END AS history
      FROM unnest($1::text[]) AS k(customer_id)
      LEFT JOIN ${s}.profiles p ON p.customer_id = k.customer_id
      LEFT JOIN ${s}.preferences q ON q.customer_id = k.customer_id`,
    putPreferences: `INSERT INTO ${s}.preferences (customer_id, document, updated_at) VALUES ($1, $2::json, $3)
      ON CONFLICT (customer_id) DO UPDATE SET document = excluded.document, updated_at = excluded.updated_at`,
    putManyPreferences: `INSERT INTO ${s}.preferences (customer_id, document, updated_at)
      SELECT element.customer_id, element.document, $3 FROM unnest($1::text[], $2::json[]) AS element(customer_id, document)
      ON CONFLICT (customer_id) DO UPDATE SET document = excluded.document, updated_at = excluded.updated_at`,
    advisorLoad: `SELECT advisor_id, count FROM ${s}.advisor_bookings WHERE week = $1 ORDER BY advisor_id COLLATE "C"`,
    countDecisions: `SELECT count(*) AS n FROM ${s}.decisions`,
    countCustomerDecisions: `SELECT count(*) AS n FROM ${s}.decisions WHERE customer_id = $1`,

    // The batched forms (TurnBatch): the decisions, and the responses of decisions, asked for in a turn.
    getDecisions: `SELECT ${decisionColumns} FROM ${s}.decisions WHERE decision_id = ANY($1::text[])`,
    listResponsesOf: `SELECT ${responseColumns} FROM ${s}.responses WHERE decision_id = ANY($1::text[]) ORDER BY seq`,
    // The responses of a turn (distinct keys: the store keeps a batch's first of equal ones), in one
    // statement: $1 the responses with their place n, $2 their increments (n: whose), $3 their
    // bookings. Increments and bookings count only for the responses inserted (returned by r), summed
    // per key and sorted (in the order of saveDecisions' increments), so that ON CONFLICT touches a row
    // once and concurrent writers lock rows in the same order.
    saveResponses: `WITH x AS (
        SELECT * FROM json_to_recordset($1::json) AS x(n integer, decision_id text, action_id text, outcome text,
          customer_id text, channel text, at text, received_at text)
      ), r AS (
        INSERT INTO ${s}.responses (${responseColumns})
        SELECT decision_id, action_id, outcome, customer_id, channel, at, received_at FROM x ORDER BY n
        ON CONFLICT (decision_id, action_id, outcome) DO NOTHING
        RETURNING decision_id, action_id, outcome
      ), saved AS (
        SELECT x.n, x.customer_id FROM x JOIN r USING (decision_id, action_id, outcome)
      ), h AS (
        INSERT INTO ${s}.ih_daily AS h (customer_id, day, channel, issue, grp, action_id, outcome, count)
        SELECT saved.customer_id, e.day, e.channel, e.issue, e.grp, e.action_id, e.outcome, sum(e.count)
        FROM json_to_recordset($2::json) AS e(n integer, day text, channel text, issue text, grp text, action_id text,
          outcome text, count integer)
        JOIN saved ON saved.n = e.n
        GROUP BY 1, 2, 3, 4, 5, 6, 7
        ORDER BY saved.customer_id COLLATE "C", e.day COLLATE "C", e.channel COLLATE "C", e.issue COLLATE "C", e.grp COLLATE "C",
          e.action_id COLLATE "C", e.outcome COLLATE "C"
        ON CONFLICT (customer_id, day, channel, issue, grp, action_id, outcome) DO UPDATE SET count = h.count + excluded.count
      ), b AS (
        INSERT INTO ${s}.advisor_bookings AS b (advisor_id, week, count)
        SELECT k.advisor_id, k.week, count(*)
        FROM json_to_recordset($3::json) AS k(n integer, advisor_id text, week text)
        JOIN saved ON saved.n = k.n
        GROUP BY 1, 2
        ORDER BY k.advisor_id COLLATE "C", k.week COLLATE "C"
        ON CONFLICT (advisor_id, week) DO UPDATE SET count = b.count + excluded.count
      )
      SELECT n FROM saved`,
    countResponses: `SELECT count(*) AS n FROM ${s}.responses`,
    countCustomerResponses: `SELECT count(*) AS n FROM ${s}.responses WHERE customer_id = $1`,

    // EXCLUSIVE conflicts with itself and with writers but not with plain reads.
    lockCatalogs: `LOCK TABLE ${s}.catalog_versions IN EXCLUSIVE MODE`,
    latestCatalog: `SELECT ${catalogColumns} FROM ${s}.catalog_versions ORDER BY version DESC LIMIT 1`,
    insertCatalog: `INSERT INTO ${s}.catalog_versions (${catalogColumns}, document) VALUES ($1, $2, $3, $4, $5::json)`,
    activeCatalog: `SELECT ${catalogColumns}, document FROM ${s}.catalog_versions ORDER BY version DESC LIMIT 1`,
    getCatalog: `SELECT ${catalogColumns}, document FROM ${s}.catalog_versions WHERE version = $1`,
    listCatalogs: `SELECT ${catalogColumns} FROM ${s}.catalog_versions ORDER BY version`,

    saveModelStates: `INSERT INTO ${s}.model_states (kind, key, state, updated_at)
      SELECT $1, element.key, element.state, $4 FROM unnest($2::text[], $3::json[]) AS element(key, state)
      ON CONFLICT (kind, key) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at`,
    // Byte order, the same order as SQLite's BINARY collation whatever the database's collation.
    loadModelStates: `SELECT key, state FROM ${s}.model_states WHERE kind = $1 ORDER BY key COLLATE "C"`,
  };
}

type Sql = ReturnType<typeof buildSql>;

export class PostgresStore implements Store {
  readonly description: string;
  private readonly pool: pg.Pool;
  private readonly sql: Sql;
  private closed = false;
  /** The `getDecisionInputs` of a turn, batched per `sinceDay` (its key; '' for none). */
  private readonly inputReads = new Map<string, TurnBatch<string, DecisionInputs>>();
  /** The reads and writes of the response path, each batched per turn (see `TurnBatch`). */
  private readonly decisionReads = new TurnBatch<string, DecisionRecord | undefined>(INPUTS_BATCH, (ids) => this.readDecisions(ids));
  private readonly responseReads = new TurnBatch<string, ResponseRecord[]>(INPUTS_BATCH, (ids) => this.readResponses(ids));
  private readonly responseWrites = new TurnBatch<PendingResponse, boolean>(
    INPUTS_BATCH,
    (pending) => this.writeResponses(pending),
    async (one) => (await this.writeResponses([one]))[0]!,
  );

  private constructor(description: string, pool: pg.Pool, schema: string) {
    this.description = description;
    this.pool = pool;
    this.sql = buildSql(schema);
  }

  /** Connects, creates the schema when missing and applies pending migrations. */
  static async open(url: string, options: PostgresStoreOptions = {}): Promise<PostgresStore> {
    const schema = options.schema ?? 'public';
    const description = `${maskUrlPassword(url)} (schema ${schema})`;
    if (!SCHEMA_NAME.test(schema)) {
      throw new Error(`postgres store: invalid schema name ${JSON.stringify(schema)} (letters, digits, _; at most 63)`);
    }
    const pool = new pg.Pool({ connectionString: postgresUrlWithDefaultUser(url) });
    // An idle client that loses its connection (server restart, network) emits 'error' on the pool;
    // the pool drops that client and the next query opens a new one. Without a listener the
    // process would crash.
    pool.on('error', () => undefined);
    try {
      const client = await pool.connect();
      try {
        await migratePostgres(client, schema);
      } finally {
        client.release();
      }
      return new PostgresStore(description, pool, schema);
    } catch (cause) {
      await pool.end().catch(() => undefined);
      throw storeError('postgres', `open ${description}`, cause);
    }
  }

  /** One statement on a pooled connection; `name` makes it a prepared statement (parsed once per connection). */
  private async query<Row extends pg.QueryResultRow>(
    operation: string,
    text: string,
    values: unknown[] = [],
    name?: string,
  ): Promise<pg.QueryResult<Row>> {
    try {
      if (this.closed) throw new Error('the store is closed');
      return await this.pool.query<Row>(name === undefined ? { text, values } : { name, text, values });
    } catch (cause) {
      throw storeError('postgres', operation, cause);
    }
  }

  /** Runs `work` in one transaction on one pooled connection; rolls back on any error. */
  private async transaction<T>(operation: string, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    try {
      if (this.closed) throw new Error('the store is closed');
      const client = await this.pool.connect();
      let broken: Error | undefined;
      try {
        await client.query('BEGIN');
        const result = await work(client);
        await client.query('COMMIT');
        return result;
      } catch (error) {
        await client.query('ROLLBACK').catch((rollbackError: unknown) => {
          broken = rollbackError instanceof Error ? rollbackError : new Error(String(rollbackError));
        });
        throw error;
      } finally {
        // A connection that could not even roll back is discarded, not reused.
        client.release(broken);
      }
    } catch (cause) {
      throw storeError('postgres', operation, cause);
    }
  }

  private async count(operation: string, text: string, values: unknown[] = []): Promise<number> {
    const result = await this.query<{ n: string }>(operation, text, values);
    return Number(result.rows[0]?.n ?? 0);
  }

  // --- profiles

  async getProfile(customerId: string): Promise<CustomerProfile | undefined> {
    const result = await this.query<ProfileRow>('getProfile', this.sql.getProfile, [customerId]);
    const row = result.rows[0];
    return row ? toProfile(row) : undefined;
  }

  async putProfile(customerId: string, attributes: JsonObject, at: Date): Promise<CustomerProfile> {
    const values = [customerId, JSON.stringify(attributes), at.toISOString()];
    const result = await this.query<ProfileRow>('putProfile', this.sql.putProfile, values);
    return toProfile(result.rows[0] as ProfileRow);
  }

  async patchProfile(customerId: string, attributes: JsonObject, at: Date): Promise<CustomerProfile> {
    const set: JsonObject = {};
    const removed: string[] = [];
    for (const [key, value] of Object.entries(attributes)) {
      if (value === null) removed.push(key);
      else if (value !== undefined) set[key] = value;
    }
    const values = [customerId, JSON.stringify(set), removed, at.toISOString()];
    const result = await this.query<ProfileRow>('patchProfile', this.sql.patchProfile, values);
    return toProfile(result.rows[0] as ProfileRow);
  }

  async putProfiles(profiles: Array<{ customerId: string; attributes: JsonObject }>, at: Date): Promise<void> {
    // ON CONFLICT cannot touch a row twice in one statement: duplicates are resolved first.
    const unique = lastProfilePerCustomer(profiles);
    if (unique.length === 0) return;
    const updatedAt = at.toISOString();
    await this.transaction('putProfiles', async (client) => {
      for (let start = 0; start < unique.length; start += PROFILE_BATCH) {
        const batch = unique.slice(start, start + PROFILE_BATCH);
        await client.query(this.sql.putProfiles, [JSON.stringify(batch), updatedAt]);
      }
    });
  }

  countProfiles(): Promise<number> {
    return this.count('countProfiles', this.sql.countProfiles);
  }

  eraseCustomer(customerId: string): Promise<ErasureResult> {
    return this.transaction('eraseCustomer', async (client) => {
      const responses = await client.query(this.sql.deleteCustomerResponses, [customerId]);
      const decisions = await client.query(this.sql.deleteCustomerDecisions, [customerId]);
      await client.query(this.sql.deleteCustomerHistory, [customerId]);
      await client.query(this.sql.deleteCustomerPreferences, [customerId]);
      const profile = await client.query(this.sql.deleteProfile, [customerId]);
      return {
        profile: (profile.rowCount ?? 0) > 0,
        decisions: decisions.rowCount ?? 0,
        responses: responses.rowCount ?? 0,
      };
    });
  }

  // --- interaction history

  saveDecisions(batch: ReadonlyArray<{ decision: DecisionRecord; options?: SaveDecisionOptions }>): Promise<void> {
    if (batch.length === 0) return this.closed ? Promise.reject(storeError('postgres', 'saveDecision', new Error('the store is closed'))) : Promise.resolve();
    return this.insertDecisions(batch);
  }

  saveDecision(decision: DecisionRecord, options: SaveDecisionOptions = {}): Promise<void> {
    return this.insertDecisions([{ decision, options }]);
  }

  /** One statement for the batch and its history (see `saveDecisions` in the SQL). */
  private async insertDecisions(batch: ReadonlyArray<{ decision: DecisionRecord; options?: SaveDecisionOptions }>): Promise<void> {
    const rows = batch.map(({ decision, options = {} }) => ({
      decision_id: decision.decisionId,
      customer_id: decision.customerId,
      channel: decision.channel,
      direction: decision.direction,
      catalog_version: decision.catalogVersion,
      created_at: decision.createdAt,
      context: decision.context,
      actions: decision.actions,
      predictors: decision.predictors,
      control_group: decision.controlGroup ?? null,
      top_issue: decision.actions[0]?.issue ?? null,
      respond_by: options.respondBy ?? null,
    }));
    const history = mergeBatchHistory(batch);
    try {
      if (this.closed) throw new Error('the store is closed');
      await this.pool.query({
        name: 'nextbest_save_decisions',
        text: this.sql.saveDecisions,
        values: [
          JSON.stringify(rows),
          JSON.stringify(
            history.map(({ customerId, row }) => ({
              customer_id: customerId,
              day: row.day,
              channel: row.channel,
              issue: row.issue,
              grp: row.group,
              action_id: row.actionId,
              outcome: row.outcome,
              count: row.count,
            })),
          ),
        ],
      });
    } catch (cause) {
      throw storeError('postgres', 'saveDecision', duplicateDecision(cause, batch) ?? cause);
    }
  }

  getDecision(decisionId: string): Promise<DecisionRecord | undefined> {
    if (this.closed) return Promise.reject(storeError('postgres', 'getDecision', new Error('the store is closed')));
    return this.decisionReads.add(decisionId);
  }

  /** One statement for the `getDecision`s of a turn; a decision asked for twice is copied for the second caller. */
  private async readDecisions(ids: string[]): Promise<Array<DecisionRecord | undefined>> {
    // Not a named statement: a plan cached while the table was small (a sequential scan) would stay.
    const result = await this.query<DecisionRow>('getDecision', this.sql.getDecisions, [[...new Set(ids)]]);
    const rows = new Map(result.rows.map((row) => [row.decision_id, row]));
    const given = new Set<string>();
    return ids.map((id) => {
      const row = rows.get(id);
      return row ? ownCopy(given, id, toDecision(row)) : undefined;
    });
  }

  /**
   * A response, its history increments and the advisor's booking. The responses of a turn are
   * written by one statement (`saveResponses`); should it fail, each is written again alone (by the
   * same statement), so that only the one at fault fails.
   */
  saveResponse(response: ResponseRecord, options: SaveResponseOptions = {}): Promise<boolean> {
    if (this.closed) return Promise.reject(storeError('postgres', 'saveResponse', new Error('the store is closed')));
    return this.responseWrites.add({ response, history: mergeHistory(options.history), booking: options.advisorBooking });
  }

  /** One statement for the responses of a turn; of equal ones (same decision, action, outcome) the first counts. */
  private async writeResponses(pending: PendingResponse[]): Promise<boolean[]> {
    const seen = new Set<string>();
    const responses: unknown[] = [];
    const increments: unknown[] = [];
    const bookings: unknown[] = [];
    pending.forEach(({ response: r, history, booking }, n) => {
      const key = JSON.stringify([r.decisionId, r.actionId, r.outcome]);
      if (seen.has(key)) return;
      seen.add(key);
      responses.push({ n, decision_id: r.decisionId, action_id: r.actionId, outcome: r.outcome, customer_id: r.customerId, channel: r.channel, at: r.at, received_at: r.receivedAt });
      for (const h of history) increments.push({ n, day: h.day, channel: h.channel, issue: h.issue, grp: h.group, action_id: h.actionId, outcome: h.outcome, count: h.count });
      if (booking) bookings.push({ n, advisor_id: booking.advisorId, week: booking.week });
    });
    const result = await this.query<{ n: number }>(
      'saveResponse',
      this.sql.saveResponses,
      [JSON.stringify(responses), JSON.stringify(increments), JSON.stringify(bookings)],
      'nextbest_save_responses',
    );
    const saved = new Set(result.rows.map((row) => row.n));
    return pending.map((_, n) => saved.has(n));
  }

  async getHistory(customerId: string, sinceDay: string): Promise<HistoryRow[]> {
    const result = await this.query<HistoryDbRow>('getHistory', this.sql.getHistory, [customerId, sinceDay]);
    return result.rows.map(toHistory);
  }

  async listDueDecisions(now: string, limit: number): Promise<Array<{ decision: DecisionRecord; respondBy: string }>> {
    const result = await this.query<DecisionRow & { respond_by: string }>('listDueDecisions', this.sql.dueDecisions, [
      now,
      Math.max(0, Math.floor(limit)),
    ]);
    return result.rows.map((row) => ({ decision: toDecision(row), respondBy: row.respond_by }));
  }

  async markDecisionsSwept(decisionIds: string[]): Promise<void> {
    if (decisionIds.length === 0) return;
    await this.query('markDecisionsSwept', this.sql.markSwept, [decisionIds]);
  }

  async impactCounts(filter: ImpactFilter, positive: Array<{ channel: string; outcome: string }>): Promise<{ nba: ArmCounts; control: ArmCounts }> {
    const result = await this.query<{ control: boolean; decisions: string; positives: string }>('impactCounts', this.sql.impact, [
      positive.map((p) => `${p.channel}|${p.outcome}`),
      filter.from ?? '',
      filter.to ?? '~',
      filter.channel ?? null,
      filter.issue ?? null,
    ]);
    const arm = (control: boolean): ArmCounts => {
      const row = result.rows.find((r) => r.control === control);
      return { decisions: Number(row?.decisions ?? 0), positives: Number(row?.positives ?? 0) };
    };
    return { nba: arm(false), control: arm(true) };
  }

  // --- preferences and advisors

  /**
   * Reads asked for in the same turn of the event loop (the decisions of the requests that turn
   * parsed) are sent together, as one statement, when the turn ends: one round trip and one
   * statement on the server for all of them instead of one each. Each read still sees what was
   * committed before it was asked for.
   */
  getDecisionInputs(customerId: string, sinceDay: string | null): Promise<DecisionInputs> {
    if (this.closed) return Promise.reject(storeError('postgres', 'getDecisionInputs', new Error('the store is closed')));
    const key = sinceDay ?? '';
    let batch = this.inputReads.get(key);
    if (!batch) {
      // a batch that is dropped here still sends what it holds at the end of its turn
      if (this.inputReads.size >= INPUT_BATCHES_KEPT) this.inputReads.clear();
      batch = new TurnBatch(INPUTS_BATCH, (ids) => this.readInputs(ids, sinceDay));
      this.inputReads.set(key, batch);
    }
    return batch.add(customerId);
  }

  /** One statement for the `getDecisionInputs` of a turn; a customer asked for twice gets copies the second time. */
  private async readInputs(ids: string[], sinceDay: string | null): Promise<DecisionInputs[]> {
    const result = await this.query<{
      customer_id: string;
      profile_attributes: JsonObject | null;
      profile_updated_at: string | null;
      preferences_document: CustomerPreferences | null;
      preferences_updated_at: string | null;
      history: HistoryDbRow[] | null;
    }>('getDecisionInputs', this.sql.decisionInputs, [[...new Set(ids)], sinceDay], 'nextbest_decision_inputs');
    const rows = new Map(result.rows.map((row) => [row.customer_id, row]));
    const given = new Set<string>();
    return ids.map((customerId) => {
      const row = rows.get(customerId);
      const inputs: DecisionInputs = {
        profile:
          row && row.profile_attributes !== null && row.profile_updated_at !== null
            ? { customerId, attributes: row.profile_attributes, updatedAt: row.profile_updated_at }
            : undefined,
        preferences:
          row && row.preferences_document !== null && row.preferences_updated_at !== null
            ? { customerId, preferences: row.preferences_document, updatedAt: row.preferences_updated_at }
            : undefined,
        history: (row?.history ?? []).map(toHistory),
      };
      return ownCopy(given, customerId, inputs);
    });
  }

  async getPreferences(customerId: string): Promise<StoredPreferences | undefined> {
    const result = await this.query<{ customer_id: string; document: CustomerPreferences; updated_at: string }>(
      'getPreferences',
      this.sql.getPreferences,
      [customerId],
    );
    const row = result.rows[0];
    return row ? { customerId: row.customer_id, preferences: row.document, updatedAt: row.updated_at } : undefined;
  }

  async putPreferences(customerId: string, preferences: CustomerPreferences, at: Date): Promise<StoredPreferences> {
    const text = JSON.stringify(preferences);
    const updatedAt = at.toISOString();
    await this.query('putPreferences', this.sql.putPreferences, [customerId, text, updatedAt]);
    return { customerId, preferences: JSON.parse(text) as CustomerPreferences, updatedAt };
  }

  async putManyPreferences(entries: Array<{ customerId: string; preferences: CustomerPreferences }>, at: Date): Promise<void> {
    // ON CONFLICT cannot touch a row twice in one statement: the last duplicate wins first.
    const byCustomer = new Map<string, string>();
    for (const { customerId, preferences } of entries) {
      byCustomer.delete(customerId);
      byCustomer.set(customerId, JSON.stringify(preferences));
    }
    if (byCustomer.size === 0) return;
    const ids = [...byCustomer.keys()];
    const documents = [...byCustomer.values()];
    const updatedAt = at.toISOString();
    await this.transaction('putManyPreferences', async (client) => {
      for (let start = 0; start < ids.length; start += PROFILE_BATCH) {
        await client.query(this.sql.putManyPreferences, [ids.slice(start, start + PROFILE_BATCH), documents.slice(start, start + PROFILE_BATCH), updatedAt]);
      }
    });
  }

  async getAdvisorLoad(week: string): Promise<Record<string, number>> {
    const result = await this.query<{ advisor_id: string; count: number }>('getAdvisorLoad', this.sql.advisorLoad, [week]);
    return Object.fromEntries(result.rows.map((row) => [row.advisor_id, row.count]));
  }

  listResponses(decisionId: string): Promise<ResponseRecord[]> {
    if (this.closed) return Promise.reject(storeError('postgres', 'listResponses', new Error('the store is closed')));
    return this.responseReads.add(decisionId);
  }

  /** One statement for the `listResponses` of a turn. */
  private async readResponses(ids: string[]): Promise<ResponseRecord[][]> {
    // Not a named statement: a plan cached while the table was small (a sequential scan) would stay.
    const result = await this.query<ResponseRow>('listResponses', this.sql.listResponsesOf, [[...new Set(ids)]]);
    const byDecision = new Map<string, ResponseRow[]>();
    for (const row of result.rows) {
      const rows = byDecision.get(row.decision_id);
      if (rows) rows.push(row);
      else byDecision.set(row.decision_id, [row]);
    }
    return ids.map((id) => (byDecision.get(id) ?? []).map(toResponse));
  }

  countDecisions(customerId?: string): Promise<number> {
    return customerId === undefined
      ? this.count('countDecisions', this.sql.countDecisions)
      : this.count('countDecisions', this.sql.countCustomerDecisions, [customerId]);
  }

  countResponses(customerId?: string): Promise<number> {
    return customerId === undefined
      ? this.count('countResponses', this.sql.countResponses)
      : this.count('countResponses', this.sql.countCustomerResponses, [customerId]);
  }

  // --- catalog versions

  saveCatalog(document: JsonValue, source: string, at: Date): Promise<CatalogVersionInfo> {
    const checksum = catalogChecksum(document);
    const text = JSON.stringify(document);
    const createdAt = at.toISOString();
    return this.transaction('saveCatalog', async (client) => {
      await client.query(this.sql.lockCatalogs);
      const latest = (await client.query<CatalogRow>(this.sql.latestCatalog)).rows[0];
      if (latest && latest.checksum === checksum) return toCatalogInfo(latest);
      const version = (latest?.version ?? 0) + 1;
      await client.query(this.sql.insertCatalog, [version, createdAt, source, checksum, text]);
      return { version, createdAt, source, checksum };
    });
  }

  async getActiveCatalog(): Promise<StoredCatalog | undefined> {
    const row = (await this.query<CatalogDocumentRow>('getActiveCatalog', this.sql.activeCatalog)).rows[0];
    return row ? toStoredCatalog(row) : undefined;
  }

  async getCatalog(version: number): Promise<StoredCatalog | undefined> {
    // Versions are integers: anything else cannot exist (and would make PostgreSQL raise).
    if (!Number.isSafeInteger(version) || version < 1 || version > 2_147_483_647) return undefined;
    const row = (await this.query<CatalogDocumentRow>('getCatalog', this.sql.getCatalog, [version])).rows[0];
    return row ? toStoredCatalog(row) : undefined;
  }

  async listCatalogVersions(): Promise<CatalogVersionInfo[]> {
    const result = await this.query<CatalogRow>('listCatalogVersions', this.sql.listCatalogs);
    return result.rows.map(toCatalogInfo);
  }

  // --- model state

  async saveModelStates(kind: string, states: Array<{ key: string; state: JsonValue }>, at: Date): Promise<void> {
    if (states.length === 0) return;
    // One statement: ON CONFLICT cannot touch a row twice, so the last state of a repeated key wins.
    const byKey = new Map<string, string>();
    for (const { key, state } of states) {
      byKey.delete(key);
      byKey.set(key, JSON.stringify(state));
    }
    await this.query('saveModelStates', this.sql.saveModelStates, [kind, [...byKey.keys()], [...byKey.values()], at.toISOString()]);
  }

  async loadModelStates(kind: string): Promise<Array<{ key: string; state: JsonValue }>> {
    const result = await this.query<{ key: string; state: JsonValue }>('loadModelStates', this.sql.loadModelStates, [kind]);
    return result.rows.map((row) => ({ key: row.key, state: row.state }));
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    try {
      await this.pool.end();
    } catch (cause) {
      throw storeError('postgres', 'close', cause);
    }
  }
}

/**
 * The history increments of a whole batch, summed per (customer, key) and sorted (see
 * `mergeHistory`): one INSERT ... ON CONFLICT never touches a row twice.
 */
function mergeBatchHistory(
  batch: ReadonlyArray<{ decision: DecisionRecord; options?: SaveDecisionOptions }>,
): Array<{ customerId: string; row: HistoryRow }> {
  const byKey = new Map<string, { customerId: string; row: HistoryRow }>();
  for (const { decision, options } of batch) {
    for (const row of options?.history ?? []) {
      const key = JSON.stringify([decision.customerId, row.day, row.channel, row.issue, row.group, row.actionId, row.outcome]);
      const existing = byKey.get(key);
      if (existing) existing.row.count += row.count;
      else byKey.set(key, { customerId: decision.customerId, row: { ...row } });
    }
  }
  return [...byKey.entries()].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)).map(([, entry]) => entry);
}

/**
 * A unique violation on the decisions' primary key, as the error every store gives for it:
 * `decision <id> already exists` (the driver's error kept as cause).
 */
function duplicateDecision(
  cause: unknown,
  batch: ReadonlyArray<{ decision: DecisionRecord }>,
): Error | undefined {
  const error = cause as { code?: unknown; constraint?: unknown; detail?: unknown } | null;
  if (error?.code !== '23505' || typeof error.constraint !== 'string' || !error.constraint.startsWith('decisions_pkey')) return undefined;
  const fromDetail = typeof error.detail === 'string' ? /\(decision_id\)=\((.*)\) already exists/s.exec(error.detail)?.[1] : undefined;
  const id = fromDetail ?? (batch.length === 1 ? batch[0]?.decision.decisionId : undefined);
  return new Error(id === undefined ? 'a decision of the batch already exists' : `decision ${id} already exists`, { cause });
}
