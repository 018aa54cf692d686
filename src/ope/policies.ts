/**
 * Target policies for off-policy evaluation.
 *
 * - `uniformPolicy`: every action of the action set with the same probability.
 * - `readPolicyFile`: probabilities from a CSV file: columns `action,probability`, optionally
 *   `position` and context key columns (any other column must be a context column of the log; its
 *   value selects the group). Each group's probabilities must sum to 1 (within 0.001, then they
 *   are renormalised exactly), otherwise a clear error names the group.
 * - `policyFromLog`: the policy that wrote another log, recovered per position from that log
 *   (see `FromLogMethod`); `writePolicyFile` saves it in the policy-file format.
 * - `NextbestPolicy`: nextbest's adaptive model trained on logged rows, then acting as a ranking
 *   policy with Thompson sampling: on each request every action's propensity is drawn from the
 *   model (`PropensityModel.estimate`, exploration on) and the actions are ranked by their draws;
 *   position k shows the k-th ranked action (the way the Open Bandit BTS policy fills its slots).
 *   The probability that action a lands at rank k is estimated by Monte Carlo with `draws`
 *   seeded draws per distinct context. Why Monte Carlo rather than an epsilon-greedy/softmax
 *   surrogate: it evaluates the policy nextbest actually runs (Thompson draws, argmax), and the
 *   Monte Carlo frequency is an unbiased estimate of the true rank probability, so IPS/DR stay
 *   unbiased (only their variance grows a little). `mode: 'greedy'` ranks by the point
 *   estimate instead (a deterministic policy: weights are 0 or 1/propensity, a much noisier
 *   estimate).
 */
import { writeFileSync } from 'node:fs';
import type { Predictors, PredictorValue } from '../core/types.js';
import type { Random } from '../core/random.js';
import type { PropensityModel } from '../core/models/model.js';
import { AdaptiveModel } from '../core/models/adaptive/index.js';
import { InputError, readRows } from '../evaluate/read-rows.js';
import type { LoggedRow, TargetPolicy } from './estimators.js';
import type { OpeLog } from './read-log.js';
import { actionKey, positionKey } from './reward-model.js';

/** Probabilities summing to 1 within this tolerance are accepted (and renormalised). */
export const SUM_TOLERANCE = 1e-3;

export function uniformPolicy(actions: readonly string[]): TargetPolicy {
  if (actions.length === 0) throw new InputError('the uniform policy needs at least one action');
  const p = 1 / actions.length;
  const dist = new Map(actions.map((a) => [a, p]));
  return { name: 'uniform', distribution: () => dist };
}

/** A policy given by fixed distributions per group (position and/or context values). */
export class TablePolicy implements TargetPolicy {
  constructor(
    readonly name: string,
    /** Group key -> distribution. */
    private readonly groups: ReadonlyMap<string, ReadonlyMap<string, number>>,
    /** Whether the group key includes the position. */
    private readonly byPosition: boolean,
    /** Context columns whose values are part of the group key. */
    private readonly contextColumns: readonly string[],
    private readonly source: string,
  ) {}

  distribution(context: Predictors, position: number | undefined): ReadonlyMap<string, number> {
    if (this.byPosition && position === undefined) {
      throw new InputError(`${this.source}: the policy gives probabilities per position but the log has no position; pass --position-col or drop the position column from the policy`);
    }
    const values: PredictorValue[] = [];
    for (const c of this.contextColumns) {
      if (!(c in context)) {
        throw new InputError(`${this.source}: the policy is keyed by column "${c}" but the log has no such context column; add it to --context-cols or drop it from the policy file`);
      }
      values.push(context[c] ?? null);
    }
    const key = groupKey(this.byPosition ? position : undefined, values);
    const dist = this.groups.get(key);
    if (!dist) {
      throw new InputError(`${this.source}: no probabilities for ${describeGroup(this.byPosition ? position : undefined, this.contextColumns, values)}; the policy file must cover every position/context value of the log`);
    }
    return dist;
  }

  /** The groups, for writing and reports. */
  entries(): Array<[string, ReadonlyMap<string, number>]> {
    return [...this.groups.entries()];
  }
}

function groupKey(position: number | undefined, values: readonly PredictorValue[]): string {
  return JSON.stringify([position ?? null, ...values]);
}

function describeGroup(position: number | undefined, columns: readonly string[], values: readonly PredictorValue[]): string {
  const parts: string[] = [];
  if (position !== undefined) parts.push(`position ${position}`);
  columns.forEach((c, i) => parts.push(`${c}=${JSON.stringify(values[i] ?? null)}`));
  return parts.length > 0 ? parts.join(', ') : 'the log';
}

/**
 * Reads a policy file. `contextColumns` are the log's context columns: any column of the file
 * other than action, probability and position must be one of them.
 */
export async function readPolicyFile(file: string, contextColumns: readonly string[]): Promise<TablePolicy> {
  let keyColumns: string[] = [];
  let byPosition = false;
  const sums = new Map<string, { sum: number; line: number; position: number | undefined; values: PredictorValue[]; dist: Map<string, number> }>();
  const known = new Set(contextColumns);
  for await (const { line, row } of readRows(file, {
    onStart: (info) => {
      const fields = info.fields ?? [];
      for (const required of ['action', 'probability']) {
        if (!fields.includes(required)) {
          throw new InputError(`${file}: a policy file needs the columns action and probability (optionally position and context key columns); "${required}" is missing (found ${fields.join(', ')})`);
        }
      }
      byPosition = fields.includes('position');
      keyColumns = fields.filter((f) => f !== 'action' && f !== 'probability' && f !== 'position' && f !== '');
      const unknown = keyColumns.filter((c) => !known.has(c));
      if (unknown.length > 0) {
        throw new InputError(
          `${file}: column(s) ${unknown.map((c) => `"${c}"`).join(', ')} are not context columns of the log (it has ${contextColumns.length > 0 ? contextColumns.slice(0, 8).join(', ') + (contextColumns.length > 8 ? ', ...' : '') : 'none'}); a policy file may only have action, probability, position and context key columns`,
        );
      }
    },
  })) {
    const action = row['action'];
    if (action === null || action === undefined || action === '') throw new InputError(`${file}:${line}: the action is empty`);
    const p = row['probability'];
    if (typeof p !== 'number' || !(p >= 0 && p <= 1)) {
      throw new InputError(`${file}:${line}: probability ${JSON.stringify(p ?? null)} of action ${String(action)} must be a number in [0, 1]`);
    }
    let position: number | undefined;
    if (byPosition) {
      const v = row['position'];
      if (typeof v !== 'number') throw new InputError(`${file}:${line}: position ${JSON.stringify(v ?? null)} must be a number`);
      position = v;
    }
    const values = keyColumns.map((c) => row[c] ?? null);
    const key = groupKey(position, values);
    let g = sums.get(key);
    if (!g) {
      g = { sum: 0, line, position, values, dist: new Map() };
      sums.set(key, g);
    }
    const a = String(action);
    if (g.dist.has(a)) throw new InputError(`${file}:${line}: action ${a} appears twice for ${describeGroup(position, keyColumns, values)}; give each action once per group`);
    g.dist.set(a, p);
    g.sum += p;
  }
  if (sums.size === 0) throw new InputError(`${file} has no rows: a policy file needs action,probability rows`);
  const groups = new Map<string, ReadonlyMap<string, number>>();
  for (const [key, g] of sums) {
    if (Math.abs(g.sum - 1) > SUM_TOLERANCE) {
      throw new InputError(
        `${file}: the probabilities for ${describeGroup(g.position, keyColumns, g.values)} (from line ${g.line}) sum to ${g.sum.toPrecision(6)}, not 1; fix them so that each ${byPosition ? 'position' : 'group'}'s probabilities sum to 1`,
      );
    }
    groups.set(key, new Map([...g.dist].map(([a, p]) => [a, p / g.sum])));
  }
  return new TablePolicy(`file:${file}`, groups, byPosition, keyColumns, file);
}

/**
 * How `policyFromLog` recovers the logging policy of a log, per position (the policy may change
 * over time, e.g. Thompson sampling updating its posterior; what is recovered is its average over
 * the log's period, a context-free policy):
 * - `propensity` (default): for each action, the harmonic mean of the logged propensities of the
 *   rows where it was shown, renormalised per position. Consistent for the time-averaged
 *   probability: sum over those rows of 1/propensity estimates the number of rounds, so
 *   (rows of a) / sum(1/propensity) estimates the average probability of a.
 * - `mean`: the arithmetic mean of those propensities, renormalised. Biased: rows are sampled where
 *   the action's probability was high (size-biased), so the raw means sum well above 1.
 * - `frequency`: the share of the position's rows that show the action (ignores propensities).
 */
export type FromLogMethod = 'propensity' | 'mean' | 'frequency';

export interface FromLogSummary {
  /** Sum over actions of the raw (unnormalised) values per position. */
  rawSums: Record<string, number>;
}

export function policyFromLog(log: OpeLog, method: FromLogMethod = 'propensity'): TablePolicy & { summary: FromLogSummary } {
  if (!['propensity', 'mean', 'frequency'].includes(method)) {
    throw new InputError(`unknown --from-log-method "${method}": use propensity, mean or frequency`);
  }
  const byPosition = log.positions.length > 0;
  const stats = new Map<string, Map<string, { n: number; sum: number; inv: number }>>();
  for (const row of log.rows) {
    const k = positionKey(row.position);
    let m = stats.get(k);
    if (!m) {
      m = new Map();
      stats.set(k, m);
    }
    const s = m.get(row.action) ?? { n: 0, sum: 0, inv: 0 };
    s.n += 1;
    s.sum += row.propensity;
    s.inv += 1 / row.propensity;
    m.set(row.action, s);
  }
  const groups = new Map<string, ReadonlyMap<string, number>>();
  const rawSums: Record<string, number> = {};
  for (const [k, m] of stats) {
    const raw = new Map<string, number>();
    for (const [a, s] of m) raw.set(a, method === 'propensity' ? s.n / s.inv : method === 'mean' ? s.sum / s.n : s.n);
    const total = [...raw.values()].reduce((x, y) => x + y, 0);
    rawSums[k] = total;
    const dist = new Map<string, number>();
    for (const a of log.actions) {
      const v = raw.get(a);
      if (v !== undefined) dist.set(a, v / total);
    }
    groups.set(groupKey(byPosition ? Number(k) : undefined, []), dist);
  }
  const policy = new TablePolicy(`from-log:${log.file}`, groups, byPosition, [], log.file) as TablePolicy & { summary: FromLogSummary };
  policy.summary = { rawSums };
  return policy;
}

/** Writes a position/context-free or per-position table policy as a policy file. */
export function writePolicyFile(file: string, policy: TablePolicy): void {
  const lines: string[] = [];
  const entries = policy.entries();
  const byPosition = entries.some(([k]) => (JSON.parse(k) as unknown[])[0] !== null);
  lines.push(byPosition ? 'position,action,probability' : 'action,probability');
  for (const [k, dist] of entries.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const position = (JSON.parse(k) as unknown[])[0];
    for (const [a, p] of dist) lines.push(`${byPosition ? `${String(position)},` : ''}${csvField(a)},${p}`);
  }
  writeFileSync(file, lines.join('\n') + '\n');
}

function csvField(s: string): string {
  return /[",\n]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

export type NextbestMode = 'thompson' | 'greedy';

export interface NextbestPolicyOptions {
  /** The action set. */
  actions: readonly string[];
  /** The log's positions, ascending: position positions[k] shows the (k+1)-th ranked action. */
  positions: readonly number[];
  /** Randomness of the Monte Carlo draws. */
  random: Random;
  /** Monte Carlo draws per distinct context. Default 500. */
  draws?: number;
  mode?: NextbestMode;
  /** The propensity model (default: nextbest's `AdaptiveModel` with Thompson exploration). */
  model?: PropensityModel;
}

export class NextbestPolicy implements TargetPolicy {
  readonly name: string;
  readonly model: PropensityModel;
  private readonly actions: readonly string[];
  private readonly rankOf = new Map<string, number>();
  private readonly random: Random;
  private readonly draws: number;
  private readonly mode: NextbestMode;
  /** context JSON -> per rank, the distribution over actions. */
  private readonly cache = new Map<string, Array<Map<string, number>>>();
  private readonly ranks: number;

  constructor(train: readonly LoggedRow[], options: NextbestPolicyOptions) {
    if (options.actions.length === 0) throw new InputError('the nextbest policy needs at least one action');
    this.actions = options.actions;
    this.random = options.random;
    this.draws = options.draws ?? 500;
    if (!Number.isInteger(this.draws) || this.draws < 1) throw new RangeError(`Monte Carlo draws must be an integer >= 1, got ${this.draws}`);
    this.mode = options.mode ?? 'thompson';
    this.model = options.model ?? new AdaptiveModel({ explore: true });
    options.positions.forEach((p, i) => this.rankOf.set(positionKey(p), i));
    this.ranks = Math.min(Math.max(1, options.positions.length), this.actions.length);
    this.name = `nextbest(${this.model.kind}, ${this.mode}${this.mode === 'thompson' ? `, ${this.draws} draws` : ''})`;
    // Learns (context) -> click per action. The position is not a predictor: it is where the
    // ranking puts an action, not a property of the customer.
    for (const row of train) this.model.learn(actionKey(row.action), row.context, row.reward > 0);
  }

  distribution(context: Predictors, position: number | undefined): ReadonlyMap<string, number> {
    const rank = position === undefined ? 0 : this.rankOf.get(positionKey(position));
    if (rank === undefined || rank >= this.ranks) {
      throw new InputError(`position ${String(position)} is not one of the positions the nextbest policy was built for`);
    }
    const cacheKey = JSON.stringify(context);
    let perRank = this.cache.get(cacheKey);
    if (!perRank) {
      perRank = this.mode === 'greedy' ? this.greedy(context) : this.thompson(context);
      this.cache.set(cacheKey, perRank);
    }
    return perRank[rank]!;
  }

  private thompson(context: Predictors): Array<Map<string, number>> {
    const n = this.actions.length;
    const counts = Array.from({ length: this.ranks }, () => new Float64Array(n));
    const scores = new Float64Array(n);
    const order = Array.from({ length: n }, (_, i) => i);
    for (let d = 0; d < this.draws; d++) {
      for (let i = 0; i < n; i++) scores[i] = this.model.estimate(actionKey(this.actions[i]!), context, this.random).propensity;
      topK(order, scores, this.ranks);
      for (let r = 0; r < this.ranks; r++) counts[r]![order[r]!]! += 1;
    }
    return counts.map((c) => {
      const dist = new Map<string, number>();
      for (let i = 0; i < n; i++) if (c[i]! > 0) dist.set(this.actions[i]!, c[i]! / this.draws);
      return dist;
    });
  }

  private greedy(context: Predictors): Array<Map<string, number>> {
    const means = this.actions.map((a) => this.model.estimate(actionKey(a), context, this.random).mean);
    // Ties are shared: actions with equal means split the ranks they jointly occupy.
    const sorted = [...means].sort((a, b) => b - a);
    const out: Array<Map<string, number>> = [];
    for (let r = 0; r < this.ranks; r++) {
      const v = sorted[r]!;
      const tied = means.map((m, i) => (m === v ? i : -1)).filter((i) => i >= 0);
      out.push(new Map(tied.map((i) => [this.actions[i]!, 1 / tied.length])));
    }
    return out;
  }
}

/** Moves the indices of the k highest scores to order[0..k) in descending order (partial selection sort). */
function topK(order: number[], scores: Float64Array, k: number): void {
  for (let i = 0; i < order.length; i++) order[i] = i;
  for (let r = 0; r < k; r++) {
    let best = r;
    for (let j = r + 1; j < order.length; j++) if (scores[order[j]!]! > scores[order[best]!]!) best = j;
    const t = order[r]!;
    order[r] = order[best]!;
    order[best] = t;
  }
}
