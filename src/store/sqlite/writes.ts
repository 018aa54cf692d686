/**
 * Every write of the SQLite store, as plain requests of strings, numbers and arrays of them, applied
 * by one class to one connection. The same code runs on the store's own connection (`:memory:`
 * databases) and in the writer thread (`writer-worker.ts`, its own connection to the file), so both
 * ways behave alike. Requests hold plain data only (what structured clone copies to a thread):
 * strings, numbers, arrays, and the records themselves.
 */
import type Database from 'better-sqlite3';
import type { ErasureResult, SaveDecisionOptions, SaveResponseOptions } from '../store.js';
import { mergeAttributes, parseJsonColumn, responseValues, type CatalogRow } from '../support.js';
import type { DecisionRecord, HistoryRow, JsonObject, ResponseRecord } from '../../core/types.js';
import { ShapeWriter } from './predictor-shapes.js';


/** What each write takes and gives back. */
export interface WriteOps {
  putProfile: { args: [customerId: string, attributes: string, updatedAt: string]; result: void };
  /** Gives the merged attributes as JSON text. */
  patchProfile: { args: [customerId: string, patch: string, updatedAt: string]; result: string };
  putProfiles: { args: [customerIds: string[], attributes: string[], updatedAt: string]; result: void };
  eraseCustomer: { args: [customerId: string]; result: ErasureResult };
  /**
   * All or nothing. The records themselves, not their JSON: copying an object to the writer thread
   * (structured clone, numbers as raw doubles) costs less than serialising it to JSON, so the JSON
   * text is made here, on the writing side, with the same `JSON.stringify` as before.
   */
  saveDecisions: { args: [batch: ReadonlyArray<{ decision: DecisionRecord; options?: SaveDecisionOptions }>]; result: void };
  saveResponse: { args: [response: ResponseRecord, options: SaveResponseOptions]; result: boolean };
  markDecisionsSwept: { args: [decisionIds: string[]]; result: void };
  putPreferences: { args: [customerId: string, document: string, updatedAt: string]; result: void };
  putManyPreferences: { args: [customerIds: string[], documents: string[], updatedAt: string]; result: void };
  saveCatalog: { args: [checksum: string, document: string, source: string, createdAt: string]; result: CatalogRow };
  saveModelStates: { args: [kind: string, keys: string[], states: string[], updatedAt: string]; result: void };
  /** Reads a pragma of the writing connection (tests check durability settings with it). */
  pragma: { args: [name: string]; result: unknown };
}

export type WriteOp = keyof WriteOps;

const WRITE_OPS: ReadonlySet<string> = new Set<WriteOp>([
  'putProfile',
  'patchProfile',
  'putProfiles',
  'eraseCustomer',
  'saveDecisions',
  'saveResponse',
  'markDecisionsSwept',
  'putPreferences',
  'putManyPreferences',
  'saveCatalog',
  'saveModelStates',
  'pragma',
]);

export interface WriteRequest<K extends WriteOp = WriteOp> {
  op: K;
  args: WriteOps[K]['args'];
}

/** The outcome of one request of a group: its result, or the driver's error. */
export type WriteOutcome = { ok: true; result: unknown } | { ok: false; error: unknown };

/** Applies write requests to one connection, with its statements prepared once. */
export class SqliteWrites {
  private readonly s: ReturnType<typeof prepareWriteStatements>;
  /** Decision snapshots by shape; what it remembers is forgotten whenever a transaction fails. */
  private readonly shapes: ShapeWriter;

  constructor(private readonly db: Database.Database) {
    const s = (this.s = prepareWriteStatements(db));
    this.shapes = new ShapeWriter((names) => s.findShape.get(names)?.shape_id ?? Number(s.insertShape.run(names).lastInsertRowid));
  }

  apply<K extends WriteOp>(request: WriteRequest<K>): WriteOps[K]['result'] {
    if (!WRITE_OPS.has(request.op)) throw new Error(`unknown write ${String(request.op)}`);
    const method = this[request.op] as unknown as (...args: WriteOps[K]['args']) => WriteOps[K]['result'];
    try {
      return method.apply(this, request.args);
    } catch (error) {
      this.shapes.forget(); // its transaction rolled back, and with it any shape it registered
      throw error;
    }
  }

  /**
   * Group commit: applies several requests in one transaction, with one disk sync. Should any of
   * them fail, nothing of the group is kept: the transaction is rolled back and every request is
   * applied again alone, in its own transaction, so that only a request at fault is refused. A
   * failure is rare (a duplicate decision id, a constraint) and then costs one commit per request
   * of its group. (A savepoint around each request, rolling back the one at fault alone, cost every
   * group of decisions 11% more work: SQLite copies each page a savepoint changes first.) The
   * outcomes hold only once this returns: nothing is committed before the group's COMMIT.
   */
  applyGroup(requests: readonly WriteRequest[]): WriteOutcome[] {
    if (requests.length === 1) return [this.applyAlone(requests[0] as WriteRequest)];
    const outcomes: WriteOutcome[] = [];
    try {
      this.db
        .transaction(() => {
          for (const request of requests) outcomes.push({ ok: true, result: this.apply(request) });
        })
        .immediate();
      return outcomes;
    } catch {
      this.shapes.forget(); // shapes registered by the group's earlier requests were rolled back too
      return requests.map((request) => this.applyAlone(request));
    }
  }

  private applyAlone(request: WriteRequest): WriteOutcome {
    try {
      return { ok: true, result: this.apply(request) };
    } catch (error) {
      return { ok: false, error };
    }
  }

  private putProfile(customerId: string, attributes: string, updatedAt: string): void {
    this.s.putProfile.run(customerId, attributes, updatedAt);
  }

  private patchProfile(customerId: string, patch: string, updatedAt: string): string {
    return this.db
      .transaction(() => {
        const row = this.s.getProfile.get(customerId);
        const current = row ? parseJsonColumn<JsonObject>(row.attributes, `profile ${customerId}`) : {};
        const text = JSON.stringify(mergeAttributes(current, JSON.parse(patch) as JsonObject));
        this.s.putProfile.run(customerId, text, updatedAt);
        return text;
      })
      .immediate();
  }

  private putProfiles(customerIds: string[], attributes: string[], updatedAt: string): void {
    this.db
      .transaction(() => {
        customerIds.forEach((customerId, i) => this.s.putProfile.run(customerId, attributes[i] as string, updatedAt));
      })
      .immediate();
  }

  private eraseCustomer(customerId: string): ErasureResult {
    return this.db
      .transaction((): ErasureResult => {
        const responses = this.s.deleteCustomerResponses.run(customerId, customerId).changes;
        const shapes = this.s.customerShapes.all(customerId);
        const decisions = this.s.deleteCustomerDecisions.run(customerId).changes;
        // a shape's names can hold profile values (`customer.products=...`): none outlives its decisions
        for (const { shape } of shapes) this.s.deleteUnusedShape.run({ shape });
        this.shapes.forget();
        this.s.deleteCustomerHistory.run(customerId);
        this.s.deleteCustomerPreferences.run(customerId);
        const profile = this.s.deleteProfile.run(customerId).changes > 0;
        return { profile, decisions, responses };
      })
      .immediate();
  }

  private saveDecisions(batch: ReadonlyArray<{ decision: DecisionRecord; options?: SaveDecisionOptions }>): void {
    if (batch.length === 0) return;
    this.db
      .transaction(() => {
        for (const { decision, options = {} } of batch) {
          const predictors = this.shapes.encode(decision.predictors);
          const result = this.s.insertDecision.run(
            decision.decisionId,
            decision.customerId,
            decision.channel,
            decision.direction,
            decision.catalogVersion,
            decision.createdAt,
            JSON.stringify(decision.context),
            JSON.stringify(decision.actions),
            predictors.values,
            predictors.shape,
            decision.controlGroup === undefined ? null : decision.controlGroup ? 1 : 0,
            decision.actions[0]?.issue ?? null,
            options.respondBy ?? null,
          );
          if (result.changes !== 1) throw new Error(`decision ${decision.decisionId} already exists`);
          this.addHistory(decision.customerId, options.history);
        }
      })
      .immediate();
  }

  private addHistory(customerId: string, rows: readonly HistoryRow[] | undefined): void {
    for (const row of rows ?? []) {
      this.s.addHistory.run(customerId, row.day, row.channel, row.issue, row.group, row.actionId, row.outcome, row.count);
    }
  }

  private saveResponse(response: ResponseRecord, options: SaveResponseOptions): boolean {
    return this.db
      .transaction((): boolean => {
        const result = this.s.insertResponse.run(...responseValues(response));
        if (result.changes !== 1) return false;
        this.addHistory(response.customerId, options.history);
        if (options.advisorBooking) this.s.addBooking.run(options.advisorBooking.advisorId, options.advisorBooking.week);
        return true;
      })
      .immediate();
  }

  private markDecisionsSwept(decisionIds: string[]): void {
    this.db
      .transaction(() => {
        for (const id of decisionIds) this.s.markSwept.run(id);
      })
      .immediate();
  }

  private putPreferences(customerId: string, document: string, updatedAt: string): void {
    this.s.putPreferences.run(customerId, document, updatedAt);
  }

  private putManyPreferences(customerIds: string[], documents: string[], updatedAt: string): void {
    this.db
      .transaction(() => {
        customerIds.forEach((customerId, i) => this.s.putPreferences.run(customerId, documents[i] as string, updatedAt));
      })
      .immediate();
  }

  private saveCatalog(checksum: string, document: string, source: string, createdAt: string): CatalogRow {
    return this.db
      .transaction((): CatalogRow => {
        const latest = this.s.latestCatalog.get();
        if (latest && latest.checksum === checksum) return { ...latest };
        const version = (latest?.version ?? 0) + 1;
        this.s.insertCatalog.run(version, createdAt, source, checksum, document);
        return { version, created_at: createdAt, source, checksum };
      })
      .immediate();
  }

  private saveModelStates(kind: string, keys: string[], states: string[], updatedAt: string): void {
    this.db
      .transaction(() => {
        keys.forEach((key, i) => this.s.upsertModelState.run(kind, key, states[i] as string, updatedAt));
      })
      .immediate();
  }

  private pragma(name: string): unknown {
    if (!/^[a-z_]+$/.test(name)) throw new Error(`not a pragma name: ${name}`);
    return this.db.pragma(name, { simple: true });
  }
}

function prepareWriteStatements(db: Database.Database) {
  return {
    getProfile: db.prepare<[string], { attributes: string }>('SELECT attributes FROM profiles WHERE customer_id = ?'),
    putProfile: db.prepare<[string, string, string]>(
      `INSERT INTO profiles (customer_id, attributes, updated_at) VALUES (?, ?, ?)
       ON CONFLICT (customer_id) DO UPDATE SET attributes = excluded.attributes, updated_at = excluded.updated_at`,
    ),
    deleteProfile: db.prepare<[string]>('DELETE FROM profiles WHERE customer_id = ?'),
    deleteCustomerResponses: db.prepare<[string, string]>(
      `DELETE FROM responses WHERE customer_id = ?
         OR decision_id IN (SELECT decision_id FROM decisions WHERE customer_id = ?)`,
    ),
    deleteCustomerDecisions: db.prepare<[string]>('DELETE FROM decisions WHERE customer_id = ?'),
    deleteCustomerHistory: db.prepare<[string]>('DELETE FROM ih_daily WHERE customer_id = ?'),
    deleteCustomerPreferences: db.prepare<[string]>('DELETE FROM preferences WHERE customer_id = ?'),
    customerShapes: db.prepare<[string], { shape: number }>(
      'SELECT DISTINCT predictor_shape AS shape FROM decisions WHERE customer_id = ? AND predictor_shape IS NOT NULL',
    ),
    deleteUnusedShape: db.prepare<[{ shape: number }]>(
      'DELETE FROM predictor_shapes WHERE shape_id = @shape AND NOT EXISTS (SELECT 1 FROM decisions WHERE predictor_shape = @shape)',
    ),
    findShape: db.prepare<[string], { shape_id: number }>('SELECT shape_id FROM predictor_shapes WHERE names = ?'),
    insertShape: db.prepare<[string]>('INSERT INTO predictor_shapes (names) VALUES (?)'),
    insertDecision: db.prepare<
      [string, string, string, string, number, string, string, string, string, number, number | null, string | null, string | null]
    >(
      `INSERT INTO decisions (decision_id, customer_id, channel, direction, catalog_version, created_at,
                              context, actions, predictors, predictor_shape, control_group, top_issue, respond_by)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (decision_id) DO NOTHING`,
    ),
    addHistory: db.prepare<[string, string, string, string, string, string, string, number]>(
      `INSERT INTO ih_daily (customer_id, day, channel, issue, grp, action_id, outcome, count) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (customer_id, day, channel, issue, grp, action_id, outcome) DO UPDATE SET count = ih_daily.count + excluded.count`,
    ),
    markSwept: db.prepare<[string]>('UPDATE decisions SET respond_by = NULL WHERE decision_id = ?'),
    putPreferences: db.prepare<[string, string, string]>(
      `INSERT INTO preferences (customer_id, document, updated_at) VALUES (?, ?, ?)
       ON CONFLICT (customer_id) DO UPDATE SET document = excluded.document, updated_at = excluded.updated_at`,
    ),
    addBooking: db.prepare<[string, string]>(
      `INSERT INTO advisor_bookings (advisor_id, week, count) VALUES (?, ?, 1)
       ON CONFLICT (advisor_id, week) DO UPDATE SET count = advisor_bookings.count + 1`,
    ),
    insertResponse: db.prepare<[string, string, string, string, string, string, string]>(
      `INSERT INTO responses (decision_id, action_id, outcome, customer_id, channel, at, received_at)
       VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (decision_id, action_id, outcome) DO NOTHING`,
    ),
    latestCatalog: db.prepare<[], CatalogRow>(
      'SELECT version, created_at, source, checksum FROM catalog_versions ORDER BY version DESC LIMIT 1',
    ),
    insertCatalog: db.prepare<[number, string, string, string, string]>(
      'INSERT INTO catalog_versions (version, created_at, source, checksum, document) VALUES (?, ?, ?, ?, ?)',
    ),
    upsertModelState: db.prepare<[string, string, string, string]>(
      `INSERT INTO model_states (kind, key, state, updated_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (kind, key) DO UPDATE SET state = excluded.state, updated_at = excluded.updated_at`,
    ),
  };
}
