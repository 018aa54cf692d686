/**
 * The production `Store`: PostgreSQL through a `pg` connection pool, shared by every decision node.
 * Every table name is qualified with the configured schema (default `public`), so nothing depends on
 * the connection's search_path. Writes are single statements or explicit transactions; a write's
 * promise resolves after COMMIT (durable under the server's default `synchronous_commit = on`).
 */
import { userInfo } from 'node:os';
import pg from 'pg';
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
import { catalogChecksum, lastProfilePerCustomer, maskUrlPassword, storeError } from '../support.js';
import { migratePostgres, quoteIdentifier } from './migrations.js';

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
  document: JsonValue;
}

/** Rows per statement in `putProfiles`. */
const PROFILE_BATCH = 1000;

const SCHEMA_NAME = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/**
 * Like libpq (psql): a URL without a user name connects as PGUSER, else as the operating-system
 * user. (`pg` alone would send no user at all when USER is unset, which the server refuses.)
 */
export function postgresUrlWithDefaultUser(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.username || !parsed.hostname || process.env.PGUSER) return url;
    const user = process.env.USER || userInfo().username;
    if (!user) return url;
    parsed.username = encodeURIComponent(user);
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
  return { ...toCatalogInfo(row), document: row.document };
}

/** SQL texts for one schema, built once at open. */
function buildSql(schema: string) {
  const s = quoteIdentifier(schema);
  const profileColumns = 'customer_id, attributes, updated_at';
  const decisionColumns =
    'decision_id, customer_id, channel, direction, catalog_version, created_at, context, actions, predictors';
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

    insertDecision: `INSERT INTO ${s}.decisions (${decisionColumns})
      VALUES ($1, $2, $3, $4, $5, $6, $7::json, $8::json, $9::json)
      ON CONFLICT (decision_id) DO NOTHING`,
    getDecision: `SELECT ${decisionColumns} FROM ${s}.decisions WHERE decision_id = $1`,
    countDecisions: `SELECT count(*) AS n FROM ${s}.decisions`,
    countCustomerDecisions: `SELECT count(*) AS n FROM ${s}.decisions WHERE customer_id = $1`,

    insertResponse: `INSERT INTO ${s}.responses (${responseColumns}) VALUES ($1, $2, $3, $4, $5, $6, $7)
      ON CONFLICT (decision_id, action_id, outcome) DO NOTHING`,
    listResponses: `SELECT ${responseColumns} FROM ${s}.responses WHERE decision_id = $1 ORDER BY seq`,
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

  private async query<Row extends pg.QueryResultRow>(
    operation: string,
    text: string,
    values: unknown[] = [],
  ): Promise<pg.QueryResult<Row>> {
    try {
      if (this.closed) throw new Error('the store is closed');
      return await this.pool.query<Row>(text, values);
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
      const profile = await client.query(this.sql.deleteProfile, [customerId]);
      return {
        profile: (profile.rowCount ?? 0) > 0,
        decisions: decisions.rowCount ?? 0,
        responses: responses.rowCount ?? 0,
      };
    });
  }

  // --- interaction history

  async saveDecision(decision: DecisionRecord): Promise<void> {
    const result = await this.query('saveDecision', this.sql.insertDecision, [
      decision.decisionId,
      decision.customerId,
      decision.channel,
      decision.direction,
      decision.catalogVersion,
      decision.createdAt,
      JSON.stringify(decision.context),
      JSON.stringify(decision.actions),
      JSON.stringify(decision.predictors),
    ]);
    if (result.rowCount !== 1) {
      throw storeError('postgres', 'saveDecision', new Error(`decision ${decision.decisionId} already exists`));
    }
  }

  async getDecision(decisionId: string): Promise<DecisionRecord | undefined> {
    const result = await this.query<DecisionRow>('getDecision', this.sql.getDecision, [decisionId]);
    const row = result.rows[0];
    return row ? toDecision(row) : undefined;
  }

  async saveResponse(response: ResponseRecord): Promise<boolean> {
    const result = await this.query('saveResponse', this.sql.insertResponse, [
      response.decisionId,
      response.actionId,
      response.outcome,
      response.customerId,
      response.channel,
      response.at,
      response.receivedAt,
    ]);
    return result.rowCount === 1;
  }

  async listResponses(decisionId: string): Promise<ResponseRecord[]> {
    const result = await this.query<ResponseRow>('listResponses', this.sql.listResponses, [decisionId]);
    return result.rows.map(toResponse);
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
