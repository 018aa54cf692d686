/**
 * Reads logged bandit feedback for off-policy evaluation.
 *
 * - Open Bandit Dataset format (`obd`): columns (unnamed index), timestamp, item_id, position,
 *   click, propensity_score, user_feature_0..3, user-item_affinity_0..33. Action = item_id,
 *   reward = click, propensity = propensity_score, position = position; every other column except
 *   the index and the timestamp is context. An optional item_context.csv (item_id + item
 *   features) gives the full action set (items the log happens never to show still count).
 * - Generic format: the action, reward and propensity columns (and optionally position and
 *   context columns) are named by options.
 *
 * Uses the streaming row reader of `src/evaluate/read-rows.ts`. Errors are `InputError`s that
 * name the file, the line, the column and the fix.
 */
import type { Predictors, PredictorValue } from '../core/types.js';
import { InputError, readRows } from '../evaluate/read-rows.js';
import type { LoggedRow } from './estimators.js';

export { InputError } from '../evaluate/read-rows.js';

export type LogFormat = 'obd' | 'generic';

export interface GenericColumns {
  action: string;
  reward: string;
  propensity: string;
  /** Optional slot column (numeric). */
  position?: string;
  /** Context columns; default: none. */
  context?: string[];
}

export interface ReadLogOptions {
  format: LogFormat;
  /** Required for the generic format. */
  columns?: GenericColumns;
  /** Open Bandit item_context.csv (its item_id column extends the action set). */
  itemContext?: string;
}

export interface OpeLog {
  file: string;
  format: LogFormat;
  rows: LoggedRow[];
  /** The action set: every action in the log (and in item_context.csv), sorted. */
  actions: string[];
  /** Distinct positions, ascending (empty when the log has none). */
  positions: number[];
  contextColumns: string[];
  /** Sum of rewards (clicks). */
  rewardSum: number;
  /** True when every reward is 0 or 1 (click logs). */
  binaryReward: boolean;
}

const OBD_COLUMNS = { action: 'item_id', reward: 'click', propensity: 'propensity_score', position: 'position' } as const;
/** Open Bandit columns that are neither the decision nor context. */
const OBD_IGNORED = new Set(['', 'index', 'Unnamed: 0', 'timestamp']);

export async function readLog(file: string, options: ReadLogOptions): Promise<OpeLog> {
  let columns: Required<Omit<GenericColumns, 'position'>> & { position?: string };
  let contextColumns: string[] | undefined;
  if (options.format === 'obd') {
    columns = { ...OBD_COLUMNS, context: [] };
  } else if (options.format === 'generic') {
    const c = options.columns;
    const missing = (['action', 'reward', 'propensity'] as const).filter((k) => !c?.[k]);
    if (!c || missing.length > 0) {
      throw new InputError(
        `the generic log format needs ${missing.map((m) => `--${m}-col`).join(', ')}: name the column holding each (e.g. --action-col offer --reward-col clicked --propensity-col p)`,
      );
    }
    columns = { action: c.action, reward: c.reward, propensity: c.propensity, context: c.context ?? [] };
    if (c.position) columns.position = c.position;
    contextColumns = c.context ?? [];
  } else {
    throw new InputError(`unknown log format "${String(options.format)}": use obd (Open Bandit Dataset) or generic`);
  }

  const rows: LoggedRow[] = [];
  const actions = new Set<string>();
  const positions = new Set<number>();
  let rewardSum = 0;
  let binary = true;
  let checked = false;
  for await (const { line, row } of readRows(file, {
    onStart: (info) => {
      const fields = info.fields;
      if (!fields) return; // NDJSON: columns are checked per row
      checkColumns(file, fields, columns, options.format);
      if (options.format === 'obd') contextColumns = fields.filter((f) => !OBD_IGNORED.has(f) && !Object.values(OBD_COLUMNS).includes(f as never));
      checked = true;
    },
  })) {
    if (!checked) {
      // NDJSON: the first row decides the columns
      const fields = Object.keys(row);
      checkColumns(file, fields, columns, options.format);
      if (options.format === 'obd') contextColumns = fields.filter((f) => !OBD_IGNORED.has(f) && !Object.values(OBD_COLUMNS).includes(f as never));
      checked = true;
    }
    const where = `${file}:${line}`;
    const actionValue = row[columns.action];
    if (actionValue === null || actionValue === undefined || actionValue === '') {
      throw new InputError(`${where}: the action column "${columns.action}" is empty; every row needs the action that was taken`);
    }
    const action = String(actionValue);
    const reward = toReward(row[columns.reward]);
    if (reward === undefined) {
      throw new InputError(
        `${where}: the reward column "${columns.reward}" holds ${show(row[columns.reward])}, not a number; rewards must be numbers (clicks 0/1; true/false also read as 1/0)`,
      );
    }
    const propensity = toNumber(row[columns.propensity]);
    if (propensity === undefined) {
      throw new InputError(
        `${where}: the propensity column "${columns.propensity}" holds ${show(row[columns.propensity])}, not a number; it must be the probability with which the logging policy chose the action`,
      );
    }
    if (!(propensity > 0 && propensity <= 1)) {
      throw new InputError(
        `${where}: the propensity column "${columns.propensity}" holds ${propensity}; a logging propensity must be in (0, 1] (rows the logging policy could not have chosen cannot be reweighted; drop them or fix the column)`,
      );
    }
    const out: LoggedRow = { action, reward, propensity, context: {}, line };
    if (columns.position !== undefined) {
      const position = toNumber(row[columns.position]);
      if (position === undefined) {
        throw new InputError(`${where}: the position column "${columns.position}" holds ${show(row[columns.position])}, not a number; positions are slot numbers (1, 2, 3...)`);
      }
      out.position = position;
      positions.add(position);
    }
    const context: Predictors = {};
    for (const c of contextColumns ?? []) {
      const v = row[c];
      if (v !== undefined) context[c] = v;
    }
    out.context = context;
    rows.push(out);
    actions.add(action);
    rewardSum += reward;
    if (reward !== 0 && reward !== 1) binary = false;
  }
  if (rows.length === 0) throw new InputError(`${file} has a header but no rows: off-policy evaluation needs logged decisions`);
  if (options.itemContext) for (const item of await readItemIds(options.itemContext)) actions.add(item);
  return {
    file,
    format: options.format,
    rows,
    actions: sortActions([...actions]),
    positions: [...positions].sort((a, b) => a - b),
    contextColumns: contextColumns ?? [],
    rewardSum,
    binaryReward: binary,
  };
}

/** The item ids of an Open Bandit item_context.csv. */
export async function readItemIds(file: string): Promise<string[]> {
  const ids: string[] = [];
  for await (const { line, row } of readRows(file, {
    onStart: (info) => {
      if (info.fields && !info.fields.includes('item_id')) {
        throw new InputError(`${file}: no item_id column (found ${list(info.fields)}); an item context file needs item_id and the item features`);
      }
    },
  })) {
    const v = row['item_id'];
    if (v === null || v === undefined) throw new InputError(`${file}:${line}: item_id is empty`);
    ids.push(String(v));
  }
  return ids;
}

function checkColumns(file: string, fields: string[], columns: { action: string; reward: string; propensity: string; position?: string; context: string[] }, format: LogFormat): void {
  const have = new Set(fields);
  const named: Array<[string, string]> = [
    ['action', columns.action],
    ['reward', columns.reward],
    ['propensity', columns.propensity],
  ];
  if (columns.position !== undefined) named.push(['position', columns.position]);
  for (const c of columns.context) named.push(['context', c]);
  for (const [role, name] of named) {
    if (have.has(name)) continue;
    const fix =
      format === 'obd'
        ? `an Open Bandit log has item_id, position, click and propensity_score; for another layout use --format generic with --${role === 'context' ? 'context-cols' : `${role}-col`}`
        : `name the right column with --${role === 'context' ? 'context-cols' : `${role}-col`}`;
    throw new InputError(`${file}: no ${role} column "${name}" (the file has ${list(fields)}); ${fix}`);
  }
}

function list(fields: string[]): string {
  const shown = fields.slice(0, 12).map((f) => (f === '' ? '(unnamed)' : f));
  return shown.join(', ') + (fields.length > 12 ? `, ... (${fields.length} columns)` : '');
}

function toNumber(v: PredictorValue | undefined): number | undefined {
  if (typeof v === 'number') return Number.isFinite(v) ? v : undefined;
  return undefined;
}

/** A reward: a number, or a boolean (JSON true/false, CSV text "true"/"false") as 1/0. */
function toReward(v: PredictorValue | undefined): number | undefined {
  if (typeof v === 'boolean') return v ? 1 : 0;
  if (typeof v === 'string') {
    const t = v.trim().toLowerCase();
    if (t === 'true') return 1;
    if (t === 'false') return 0;
  }
  return toNumber(v);
}

function show(v: PredictorValue | undefined): string {
  if (v === null || v === undefined) return 'nothing (empty)';
  return JSON.stringify(v);
}

/** Numeric ids in numeric order, then the rest alphabetically. */
export function sortActions(actions: string[]): string[] {
  const num = (s: string): number => (/^-?\d+(\.\d+)?$/.test(s) ? Number(s) : NaN);
  return actions.sort((a, b) => {
    const x = num(a);
    const y = num(b);
    if (!Number.isNaN(x) && !Number.isNaN(y)) return x - y;
    if (!Number.isNaN(x)) return -1;
    if (!Number.isNaN(y)) return 1;
    return a < b ? -1 : a > b ? 1 : 0;
  });
}
