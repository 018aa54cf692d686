/**
 * Predictor extraction: turns a profile and a request context into the flat predictor record that
 * models learn from and that is stored with each decision (so a late response teaches what was
 * known at decision time). Scalars keep their value; arrays of scalars become one flag per value
 * (`customer.products=gold-card: true`) plus a count; nested objects are flattened with dots.
 */
import type { JsonValue, Predictors, PredictorValue } from './types.js';

/** Arrays longer than this are summarised by their count only (protects against unbounded flags). */
const MAX_ARRAY_FLAGS = 50;
const MAX_DEPTH = 3;

export function extractPredictors(
  customer: Record<string, JsonValue> | undefined,
  context: Record<string, JsonValue> | undefined,
): Predictors {
  count = 0;
  if (customer) flatten('customer', customer, 0);
  if (context) flatten('context', context, 0);
  return materialise();
}

/** The record being extracted, name by name in order (a name may come twice: the later value wins). */
const names: string[] = [];
const values: PredictorValue[] = [];
let count = 0;

function put(name: string, value: PredictorValue): void {
  names[count] = name;
  values[count] = value;
  count++;
}

function flatten(prefix: string, value: JsonValue, depth: number): void {
  if (value === null || typeof value === 'number' || typeof value === 'string' || typeof value === 'boolean') {
    if (typeof value === 'number' && !Number.isFinite(value)) return;
    put(prefix, value);
    return;
  }
  if (Array.isArray(value)) {
    put(`${prefix}.count`, value.length);
    if (value.length > MAX_ARRAY_FLAGS) return;
    for (const item of value) {
      if (typeof item === 'string' || typeof item === 'number' || typeof item === 'boolean') {
        put(`${prefix}=${String(item)}`, true);
      }
    }
    return;
  }
  if (depth >= MAX_DEPTH) return;
  const children = childNames(prefix);
  for (const key in value) {
    if (!Object.hasOwn(value, key)) continue;
    let name = children.get(key);
    if (name === undefined) {
      name = `${prefix}.${key}`;
      if (children.size < MAX_CACHED_NAMES) children.set(key, name);
    }
    flatten(name, value[key] as JsonValue, depth + 1);
  }
}

/**
 * The names of the last record extracted, and once a second record came with the same names, an
 * object holding them built by the JSON parser. An object given its properties one by one under
 * computed names becomes a dictionary past a dozen of them (V8), slower to read, copy to the
 * writer thread and serialise; a copy of the template keeps the parser's compact layout, and the
 * record's values are then written over the template's. Profiles of one bank mostly share their
 * names and order, so most records are copies.
 */
let shapeNames: string[] = [];
let shapeTemplate: Predictors | undefined;

/** The extracted record as an object: `out[name] = value` in order, as a copy of the template when the names match. */
function materialise(): Predictors {
  const n = count;
  let same = shapeNames.length === n;
  for (let i = 0; same && i < n; i++) same = shapeNames[i] === names[i];
  if (!same) {
    shapeNames = names.slice(0, n);
    shapeTemplate = undefined;
    return assigned({}, n);
  }
  shapeTemplate ??= recordTemplate(shapeNames);
  return assigned({ ...shapeTemplate }, n);
}

/**
 * An object holding `names` in order (values null), built by the JSON parser so that it has V8's
 * compact layout: records copied from it and given their values keep that layout.
 */
export function recordTemplate(names: readonly string[]): Predictors {
  return JSON.parse(`{${names.map((name) => `${JSON.stringify(name)}:null`).join(',')}}`) as Predictors;
}

function assigned(out: Predictors, n: number): Predictors {
  for (let i = 0; i < n; i++) out[names[i]!] = values[i]!;
  return out;
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
