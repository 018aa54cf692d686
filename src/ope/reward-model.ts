/**
 * Reward models for the direct method (DM) and the doubly robust estimator (DR), fitted on a
 * training split that the evaluated rows are not part of.
 *
 * - `table` (default): the click rate of each action x position with Beta smoothing. A cell with
 *   c clicks in n rows predicts (c + m * base) / (n + m), where base is the position's own rate
 *   smoothed the same way towards the overall rate and m = `priorStrength` pseudo-rows (default
 *   100). With ~0.5% click rates and ~100 rows per cell, a cell holds about half a click: without
 *   heavy smoothing DM would mostly replay noise.
 * - `adaptive`: nextbest's own adaptive model (`AdaptiveModel`, naive Bayes per action) learning
 *   (context predictors + position) -> reward > 0, asked for its point estimate (no exploration);
 *   actions it never saw fall back to the table.
 */
import type { Predictors } from '../core/types.js';
import { SeededRandom } from '../core/random.js';
import { AdaptiveModel, type AdaptiveModelOptions } from '../core/models/adaptive/index.js';
import type { PropensityModel } from '../core/models/model.js';
import type { LoggedRow, RewardModel } from './estimators.js';

export type RewardModelKind = 'table' | 'adaptive';

export interface RewardModelOptions {
  kind?: RewardModelKind;
  /** Pseudo-rows of the Beta prior of the table model. Default 100. */
  priorStrength?: number;
  /** Options of the adaptive model (kind `adaptive`). */
  adaptive?: AdaptiveModelOptions;
}

/** Position key used in tables: "-" when the log has no positions. */
export function positionKey(position: number | undefined): string {
  return position === undefined ? '-' : String(position);
}

export class TableRewardModel implements RewardModel {
  readonly name: string;
  readonly contextFree = true;
  private readonly cells = new Map<string, number>();
  private readonly positions = new Map<string, number>();
  private readonly overall: number;

  constructor(train: readonly LoggedRow[], priorStrength = 100) {
    if (!(priorStrength >= 0)) throw new RangeError(`prior strength must be >= 0, got ${priorStrength}`);
    this.name = `table(action x position, prior ${priorStrength})`;
    let sum = 0;
    const byPosition = new Map<string, { s: number; n: number }>();
    const byCell = new Map<string, { s: number; n: number; k: string }>();
    for (const row of train) {
      sum += row.reward;
      const k = positionKey(row.position);
      const p = byPosition.get(k) ?? { s: 0, n: 0 };
      p.s += row.reward;
      p.n += 1;
      byPosition.set(k, p);
      const ck = `${row.action}\u0000${k}`;
      const c = byCell.get(ck) ?? { s: 0, n: 0, k };
      c.s += row.reward;
      c.n += 1;
      byCell.set(ck, c);
    }
    this.overall = train.length > 0 ? sum / train.length : 0;
    const m = priorStrength;
    for (const [k, p] of byPosition) this.positions.set(k, (p.s + m * this.overall) / (p.n + m || 1));
    for (const [ck, c] of byCell) {
      const base = this.positions.get(c.k) ?? this.overall;
      this.cells.set(ck, (c.s + m * base) / (c.n + m || 1));
    }
  }

  predict(_context: Predictors, action: string, position: number | undefined): number {
    const k = positionKey(position);
    return this.cells.get(`${action}\u0000${k}`) ?? this.positions.get(k) ?? this.overall;
  }
}

/** Predictors the adaptive models see: the context plus the position. */
export function predictorsOf(context: Predictors, position: number | undefined): Predictors {
  return position === undefined ? context : { ...context, position };
}

/** Model key of an action in the OPE models (one model per action). */
export function actionKey(action: string): string {
  return `action:${action}`;
}

export class AdaptiveRewardModel implements RewardModel {
  readonly name = 'adaptive (naive Bayes per action on context + position)';
  readonly model: PropensityModel;
  private readonly fallback: TableRewardModel;
  private readonly known: Set<string>;
  private readonly random = new SeededRandom(0); // unused: exploration is off
  private readonly cache = new Map<string, number>();

  constructor(train: readonly LoggedRow[], options: RewardModelOptions = {}) {
    this.model = new AdaptiveModel({ ...options.adaptive, explore: false });
    for (const row of train) this.model.learn(actionKey(row.action), predictorsOf(row.context, row.position), row.reward > 0);
    this.known = new Set(this.model.keys());
    this.fallback = new TableRewardModel(train, options.priorStrength);
  }

  predict(context: Predictors, action: string, position: number | undefined): number {
    const key = actionKey(action);
    if (!this.known.has(key)) return this.fallback.predict(context, action, position);
    const predictors = predictorsOf(context, position);
    const cacheKey = `${key}\u0000${JSON.stringify(predictors)}`;
    let v = this.cache.get(cacheKey);
    if (v === undefined) {
      v = this.model.estimate(key, predictors, this.random).mean;
      if (this.cache.size < 200_000) this.cache.set(cacheKey, v);
    }
    return v;
  }
}

export function fitRewardModel(train: readonly LoggedRow[], options: RewardModelOptions = {}): RewardModel {
  const kind = options.kind ?? 'table';
  if (kind === 'table') return new TableRewardModel(train, options.priorStrength);
  if (kind === 'adaptive') return new AdaptiveRewardModel(train, options);
  throw new RangeError(`unknown reward model "${String(kind)}": use table or adaptive`);
}
