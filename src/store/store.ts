/**
 * The `Store` port: everything nextbest keeps. Profiles, decisions (with their factors and
 * predictor snapshot), responses, the interaction-history summary (daily counts, maintained in the
 * same transaction as the decision or response that changes it), customer preferences, advisor
 * bookings, catalog versions and model state. Every implementation (SQLite embedded, PostgreSQL
 * for production) must pass `store.contract.ts`.
 *
 * Durability rule: when a promise returned by a write resolves, the data is committed.
 */
import type {
  CustomerPreferences,
  CustomerProfile,
  DecisionRecord,
  HistoryRow,
  JsonObject,
  JsonValue,
  ResponseRecord,
} from '../core/types.js';

export interface CatalogVersionInfo {
  version: number;
  createdAt: string;
  /** Free text: where it came from (`file:/path`, `api`, `demo`). */
  source: string;
  /** SHA-256 of the canonical JSON document: the same document is not stored twice in a row. */
  checksum: string;
}

export interface StoredCatalog extends CatalogVersionInfo {
  document: JsonValue;
}

export interface ErasureResult {
  profile: boolean;
  decisions: number;
  responses: number;
}

export interface SaveDecisionOptions {
  /** Interaction-history increments (`decided`, `contact`), applied in the same transaction. */
  history?: HistoryRow[];
  /**
   * When the decision's offered actions without a positive or negative response count as ignored
   * (ISO time). Absent: nothing to wait for. `listDueDecisions` returns it once due.
   */
  respondBy?: string;
}

export interface SaveResponseOptions {
  /** Interaction-history increments, applied in the same transaction, only if the response is new. */
  history?: HistoryRow[];
  /** A conversation booked with an advisor (counts against the advisor's weekly capacity), only if new. */
  advisorBooking?: { advisorId: string; week: string };
}

export interface StoredPreferences {
  customerId: string;
  preferences: CustomerPreferences;
  updatedAt: string;
}

/** What a decision reads about its customer, in one call (one round trip where the store can). */
export interface DecisionInputs {
  profile: CustomerProfile | undefined;
  preferences: StoredPreferences | undefined;
  /** The history summary from `sinceDay`; empty when `sinceDay` is null (the catalog needs none). */
  history: HistoryRow[];
}

export interface ImpactFilter {
  channel?: string;
  /** The issue of the decision's first-ranked action. */
  issue?: string;
  /** Inclusive ISO time. */
  from?: string;
  /** Exclusive ISO time. */
  to?: string;
}

export interface ArmCounts {
  /** Decisions that offered at least one action. */
  decisions: number;
  /** Of those, decisions with at least one positive response. */
  positives: number;
}

export interface Store {
  /** Human-readable kind and location, e.g. `sqlite:./nextbest.db`. Never includes secrets. */
  readonly description: string;
  /**
   * How many `saveDecisions` batches a group-committing writer may have in flight at once (default
   * 1): a store that commits batches in parallel, or queues them to commit as soon as the previous
   * commit is done, takes more, so that a batch never waits for the previous one's answer.
   */
  readonly decisionBatchesInFlight?: number;

  // --- profiles
  getProfile(customerId: string): Promise<CustomerProfile | undefined>;
  /** Replace the whole profile (creates it when absent). */
  putProfile(customerId: string, attributes: JsonObject, at: Date): Promise<CustomerProfile>;
  /** Shallow-merge attributes into the profile (creates it when absent); a `null` value removes the key. */
  patchProfile(customerId: string, attributes: JsonObject, at: Date): Promise<CustomerProfile>;
  /** Insert many profiles at once (demo seeding, bulk loads); replaces existing ones. */
  putProfiles(profiles: Array<{ customerId: string; attributes: JsonObject }>, at: Date): Promise<void>;
  countProfiles(): Promise<number>;
  /** Erase the profile, preferences, history summary and every decision and response of the customer (the bank's erasure duty). */
  eraseCustomer(customerId: string): Promise<ErasureResult>;

  // --- interaction history
  saveDecision(decision: DecisionRecord, options?: SaveDecisionOptions): Promise<void>;
  /**
   * Save several decisions in one transaction (group commit: one disk sync for the batch). All or
   * nothing: when one fails (e.g. a duplicate id) none is saved and the promise rejects.
   */
  saveDecisions(batch: ReadonlyArray<{ decision: DecisionRecord; options?: SaveDecisionOptions }>): Promise<void>;
  getDecision(decisionId: string): Promise<DecisionRecord | undefined>;
  /** Store a response; resolves false (and stores nothing) when (decisionId, actionId, outcome) is already there. */
  saveResponse(response: ResponseRecord, options?: SaveResponseOptions): Promise<boolean>;
  listResponses(decisionId: string): Promise<ResponseRecord[]>;
  countDecisions(customerId?: string): Promise<number>;
  countResponses(customerId?: string): Promise<number>;
  /** The customer's history summary from `sinceDay` (YYYY-MM-DD, inclusive), ordered by day, channel, action, outcome. */
  getHistory(customerId: string, sinceDay: string): Promise<HistoryRow[]>;
  /** Decisions whose `respondBy` is at or before `now` and not yet marked swept, oldest deadline first. */
  listDueDecisions(now: string, limit: number): Promise<Array<{ decision: DecisionRecord; respondBy: string }>>;
  /** Marks decisions as swept: `listDueDecisions` no longer returns them. */
  markDecisionsSwept(decisionIds: string[]): Promise<void>;
  /**
   * Decisions and decisions with a positive response per arm (NBA, control). `positive` lists the
   * outcomes that count as positive per channel (the catalog's mapping).
   */
  impactCounts(filter: ImpactFilter, positive: Array<{ channel: string; outcome: string }>): Promise<{ nba: ArmCounts; control: ArmCounts }>;

  // --- preferences and advisors
  getPreferences(customerId: string): Promise<StoredPreferences | undefined>;
  /** Profile, preferences and history summary (from `sinceDay`, or none when null) of one customer at once. */
  getDecisionInputs(customerId: string, sinceDay: string | null): Promise<DecisionInputs>;
  /** Replace the customer's preferences. Erased with the customer. */
  putPreferences(customerId: string, preferences: CustomerPreferences, at: Date): Promise<StoredPreferences>;
  /** Replace many customers' preferences in one transaction (demo seeding, bulk loads); the last duplicate wins. */
  putManyPreferences(entries: Array<{ customerId: string; preferences: CustomerPreferences }>, at: Date): Promise<void>;
  /** Conversations booked per advisor in an ISO week (e.g. `2026-W25`). */
  getAdvisorLoad(week: string): Promise<Record<string, number>>;

  // --- catalog versions
  /** Store a new active catalog version; returns the stored version (numbers start at 1). */
  saveCatalog(document: JsonValue, source: string, at: Date): Promise<CatalogVersionInfo>;
  getActiveCatalog(): Promise<StoredCatalog | undefined>;
  getCatalog(version: number): Promise<StoredCatalog | undefined>;
  listCatalogVersions(): Promise<CatalogVersionInfo[]>;

  // --- model state
  saveModelStates(kind: string, states: Array<{ key: string; state: JsonValue }>, at: Date): Promise<void>;
  loadModelStates(kind: string): Promise<Array<{ key: string; state: JsonValue }>>;

  close(): Promise<void>;
}
