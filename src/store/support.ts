/**
 * Helpers shared by the store adapters: canonical JSON and catalog checksums, the shallow
 * profile merge of `patchProfile`, and wrapping driver errors into plain `Error`s.
 */
import { createHash } from 'node:crypto';
import type { HistoryOutcome, HistoryRow, JsonObject, JsonValue, Outcome, ResponseRecord } from '../core/types.js';
import type { CatalogVersionInfo } from './store.js';

/**
 * JSON with object keys sorted (by UTF-16 code units, as RFC 8785 does) at every depth and no
 * whitespace: two documents that mean the same thing give the same text.
 */
export function canonicalJson(value: JsonValue): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map((item) => canonicalJson(item)).join(',')}]`;
  const keys = Object.keys(value)
    .filter((key) => value[key] !== undefined)
    .sort();
  const members = keys.map((key) => `${JSON.stringify(key)}:${canonicalJson(value[key] as JsonValue)}`);
  return `{${members.join(',')}}`;
}

/** SHA-256 (hex) of the canonical JSON of a catalog document. */
export function catalogChecksum(document: JsonValue): string {
  return createHash('sha256').update(canonicalJson(document), 'utf8').digest('hex');
}

/** `patchProfile` semantics: shallow merge, a `null` value removes the key. */
export function mergeAttributes(current: JsonObject, patch: JsonObject): JsonObject {
  const merged: JsonObject = { ...current };
  for (const [key, value] of Object.entries(patch)) {
    if (value === null) delete merged[key];
    else if (value !== undefined) merged[key] = value;
  }
  return merged;
}

/** The last occurrence of each customer wins, as if the profiles had been put one by one. */
export function lastProfilePerCustomer(
  profiles: Array<{ customerId: string; attributes: JsonObject }>,
): Array<{ customerId: string; attributes: JsonObject }> {
  const byCustomer = new Map<string, JsonObject>();
  for (const profile of profiles) {
    byCustomer.delete(profile.customerId);
    byCustomer.set(profile.customerId, profile.attributes);
  }
  return [...byCustomer].map(([customerId, attributes]) => ({ customerId, attributes }));
}

/** A plain `Error` naming the store and operation, keeping the driver error as `cause`. */
export function storeError(storeKind: string, operation: string, cause: unknown): Error {
  const reason = cause instanceof Error ? cause.message : String(cause);
  return new Error(`${storeKind} store: ${operation} failed: ${reason}`, { cause });
}

/** Parses a JSON column; a corrupt value becomes an error naming where it was found. */
export function parseJsonColumn<T>(text: string, where: string): T {
  try {
    return JSON.parse(text) as T;
  } catch (cause) {
    throw new Error(`stored JSON is corrupt (${where})`, { cause });
  }
}

/** A connection URL fit for logs and `description`: any password replaced by `***`. */
export function maskUrlPassword(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    if (parsed.searchParams.has('password')) parsed.searchParams.set('password', '***');
    return parsed.toString();
  } catch {
    return url.replace(/(\/\/[^:/@]*:)[^@]*@/, '$1***@').replace(/(password=)[^&\s]*/gi, '$1***');
  }
}

// --- row shapes and mappers shared by the SQLite and PostgreSQL adapters (same column names)

export interface HistoryDbRow {
  day: string;
  channel: string;
  issue: string;
  grp: string;
  action_id: string;
  outcome: string;
  count: number;
}

export interface ResponseRow {
  decision_id: string;
  action_id: string;
  outcome: string;
  customer_id: string;
  channel: string;
  at: string;
  received_at: string;
}

export interface CatalogRow {
  version: number;
  created_at: string;
  source: string;
  checksum: string;
}

export function toHistory(row: HistoryDbRow): HistoryRow {
  return {
    day: row.day,
    channel: row.channel,
    issue: row.issue,
    group: row.grp,
    actionId: row.action_id,
    outcome: row.outcome as HistoryOutcome,
    count: row.count,
  };
}

/** A response's values in the order of both stores' `responses` insert: decision_id, action_id, outcome, customer_id, channel, at, received_at. */
export function responseValues(r: ResponseRecord): [string, string, string, string, string, string, string] {
  return [r.decisionId, r.actionId, r.outcome, r.customerId, r.channel, r.at, r.receivedAt];
}

export function toResponse(row: ResponseRow): ResponseRecord {
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

export function toCatalogInfo(row: CatalogRow): CatalogVersionInfo {
  return { version: row.version, createdAt: row.created_at, source: row.source, checksum: row.checksum };
}
