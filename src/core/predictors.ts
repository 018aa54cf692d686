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
  for (const [key, child] of Object.entries(value)) flatten(`${prefix}.${key}`, child, out, depth + 1);
}
