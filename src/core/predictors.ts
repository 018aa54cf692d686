/**
 * Predictor extraction: turns a profile and a request context into the flat predictor record that
 * models learn from and that is stored with each decision (so a late response teaches what was
 * known at decision time). Scalars keep their value; arrays of scalars become one flag per value
 * (`customer.products=gold-card: true`) plus a count; nested objects are flattened with dots.
 */
import type { JsonValue, Predictors } from './types.js';

/** Arrays longer than this are summarised by their count only (protects against unbounded flags). */
const MAX_ARRAY_FLAGS = 50;
const MAX_DEPTH = 3;

export function extractPredictors(
  customer: Record<string, JsonValue> | undefined,
  context: Record<string, JsonValue> | undefined,
): Predictors {
  const out: Predictors = {};
  if (customer) flatten('customer', customer, out, 0);
  if (context) flatten('context', context, out, 0);
  return out;
}

function flatten(prefix: string, value: JsonValue, out: Predictors, depth: number): void {
  if (value === null || typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean') {
    if (typeof value === 'number' && !Number.isFinite(value)) return;
    out[prefix] = value;
    return;
  }
  if (Array.isArray(value)) {
    out[`${prefix}.count`] = value.length;
    if (value.length > MAX_ARRAY_FLAGS) return;
    for (const item of value) {
      if (typeof item === 'string' || typeof item === 'number' || typeof item === 'boolean') {
        out[`${prefix}=${String(item)}`] = true;
      }
    }
    return;
  }
  if (depth >= MAX_DEPTH) return;
  const names = childNames(prefix);
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    let name = names.get(key);
    if (name === undefined) {
      name = `${prefix}.${key}`;
      if (names.size < MAX_CACHED_NAMES) names.set(key, name);
    }
    flatten(name, value[key] as JsonValue, out, depth + 1);
  }
}

/**
 * Predictor names by parent name and key (`customer` + `age` = `customer.age`), kept so that the
 * same profile fields, decision after decision, do not build the same strings again. Bounded.
 */
const namesByPrefix = new Map<string, Map<string, string>>();
const MAX_CACHED_NAMES = 10_000;

function childNames(prefix: string): Map<string, string> {
  let names = namesByPrefix.get(prefix);
  if (!names) {
    names = new Map();
    if (namesByPrefix.size < MAX_CACHED_NAMES) namesByPrefix.set(prefix, names);
  }
  return names;
}
