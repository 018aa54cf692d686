/**
 * The `Store` port: everything nextbest keeps. Profiles, decisions (with their factors and
 * predictor snapshot), responses, catalog versions and model state. Every implementation
 * (SQLite embedded, PostgreSQL for production) must pass `store.contract.ts`.
 *
 * Durability rule: when a promise returned by a write resolves, the data is committed.
 */
import type {
  CustomerProfile,
  DecisionRecord,
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

export interface Store {
  /** Human-readable kind and location, e.g. `sqlite:./nextbest.db`. Never includes secrets. */
  readonly description: string;

  // --- profiles
  getProfile(customerId: string): Promise<CustomerProfile | undefined>;
  /** Replace the whole profile (creates it when absent). */
  putProfile(customerId: string, attributes: JsonObject, at: Date): Promise<CustomerProfile>;
  /** Shallow-merge attributes into the profile (creates it when absent); a `null` value removes the key. */
  patchProfile(customerId: string, attributes: JsonObject, at: Date): Promise<CustomerProfile>;
  /** Insert many profiles at once (demo seeding, bulk loads); replaces existing ones. */
  putProfiles(profiles: Array<{ customerId: string; attributes: JsonObject }>, at: Date): Promise<void>;
  countProfiles(): Promise<number>;
  /** Erase the profile and every decision and response of the customer (the bank's erasure duty). */
  eraseCustomer(customerId: string): Promise<ErasureResult>;

  // --- interaction history
  saveDecision(decision: DecisionRecord): Promise<void>;
  getDecision(decisionId: string): Promise<DecisionRecord | undefined>;
  /** Store a response; resolves false (and stores nothing) when (decisionId, actionId, outcome) is already there. */
  saveResponse(response: ResponseRecord): Promise<boolean>;
  listResponses(decisionId: string): Promise<ResponseRecord[]>;
  countDecisions(customerId?: string): Promise<number>;
  countResponses(customerId?: string): Promise<number>;

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
