/**
 * Off-policy estimators over logged bandit feedback (DESIGN section 5, "Real data").
 *
 * A log row says: in context x (at slot `position`, when the surface has several), the logging
 * policy chose `action` with probability `propensity` and observed `reward`. A target policy pi
 * gives, for a context and position, a distribution over actions. With w = pi(a_logged | x, k) /
 * propensity:
 *
 *   IPS   = (1/n) sum_i r_i w_i
 *   SNIPS = sum_i r_i w_i / sum_i w_i
 *   DM    = (1/n) sum_i sum_a pi(a | x_i, k_i) qhat(x_i, a, k_i)
 *   DR    = DM + (1/n) sum_i w_i (r_i - qhat(x_i, a_i, k_i))
 *
 * Everything a policy and a reward model contribute is computed once per row (`rowTerms`); the
 * estimators and the bootstrap then work on those numbers only, so resampling is cheap and the
 * functions are pure (randomness comes from an injected `Random`, never Math.random).
 */
import type { Predictors } from '../core/types.js';
import type { Random } from '../core/random.js';

/** One logged decision. */
export interface LoggedRow {
  action: string;
  reward: number;
  /** Probability with which the logging policy chose `action` here, in (0, 1]. */
  propensity: number;
  context: Predictors;
  /** Slot of the action on the surface (Open Bandit: 1..3), when there are several. */
  position?: number;
  /** 1-based line of the row in its file (for error messages). */
  line?: number;
}

/** A target policy: the distribution over actions it would use in a context at a position. */
export interface TargetPolicy {
  readonly name: string;
  /**
   * Probabilities of the actions (absent = 0). They should sum to 1 over the action set; the
   * estimators only read them.
   */
  distribution(context: Predictors, position: number | undefined): ReadonlyMap<string, number>;
}

/** The direct method's reward model: the expected reward of an action in a context at a position. */
export interface RewardModel {
  readonly name: string;
  /** True when predictions ignore the context (lets row terms be memoised per distribution and position). */
  readonly contextFree?: boolean;
  predict(context: Predictors, action: string, position: number | undefined): number;
}

/** Per-row numbers every estimator needs. */
export interface RowTerms {
  /** Logged reward r_i. */
  reward: Float64Array;
  /** Importance weight w_i = pi(a_i | x_i, k_i) / propensity_i. */
  weight: Float64Array;
  /** qhat(x_i, a_i, k_i) (0 without a reward model). */
  qLogged: Float64Array;
  /** sum_a pi(a | x_i, k_i) qhat(x_i, a, k_i) (0 without a reward model). */
  qPolicy: Float64Array;
}

/** Computes the per-row terms of `log` for `policy` (and `model`, for DM and DR). */
export function rowTerms(log: readonly LoggedRow[], policy: TargetPolicy, model?: RewardModel): RowTerms {
  const dists = log.map((row) => policy.distribution(row.context, row.position));
  return termsFromDistributions(log, dists, model ? () => model : undefined);
}

/**
 * Row terms from the policy's distributions already computed for each row (`dists[i]` for
 * `rows[i]`), with the reward model of each row given by `modelOf(i)` (cross-fitting and
 * bootstrap refits use different models for different rows).
 */
export function termsFromDistributions(
  rows: readonly LoggedRow[],
  dists: ReadonlyArray<ReadonlyMap<string, number>>,
  modelOf?: (i: number) => RewardModel,
): RowTerms {
  const n = rows.length;
  const terms: RowTerms = {
    reward: new Float64Array(n),
    weight: new Float64Array(n),
    qLogged: new Float64Array(n),
    qPolicy: new Float64Array(n),
  };
  const memo = new Map<RewardModel, Map<ReadonlyMap<string, number>, Map<number | undefined, number>>>();
  for (let i = 0; i < n; i++) {
    const row = rows[i]!;
    const dist = dists[i]!;
    terms.reward[i] = row.reward;
    terms.weight[i] = (dist.get(row.action) ?? 0) / row.propensity;
    if (!modelOf) continue;
    const model = modelOf(i);
    terms.qLogged[i] = model.predict(row.context, row.action, row.position);
    let byPosition: Map<number | undefined, number> | undefined;
    if (model.contextFree) {
      let byDist = memo.get(model);
      if (!byDist) memo.set(model, (byDist = new Map()));
      byPosition = byDist.get(dist);
      if (!byPosition) byDist.set(dist, (byPosition = new Map()));
      const known = byPosition.get(row.position);
      if (known !== undefined) {
        terms.qPolicy[i] = known;
        continue;
      }
    }
    let q = 0;
    for (const [action, p] of dist) if (p > 0) q += p * model.predict(row.context, action, row.position);
    terms.qPolicy[i] = q;
    byPosition?.set(row.position, q);
  }
  return terms;
}

/** The four point estimates over the rows `indices` (all rows when omitted). */
export interface PointEstimates {
  ips: number;
  snips: number;
  dm: number;
  dr: number;
}

/**
 * IPS, SNIPS, DM and DR over the rows `indices` of `terms` (repeats allowed: that is how a
 * bootstrap resample is passed). SNIPS is NaN when every weight is 0 (the policy never takes a
 * logged action: the log says nothing about it).
 */
export function pointEstimates(terms: RowTerms, indices?: ArrayLike<number>): PointEstimates {
  const n = indices ? indices.length : terms.reward.length;
  let rw = 0;
  let w = 0;
  let q = 0;
  let corr = 0;
  for (let j = 0; j < n; j++) {
    const i = indices ? indices[j]! : j;
    const wi = terms.weight[i]!;
    const ri = terms.reward[i]!;
    rw += ri * wi;
    w += wi;
    q += terms.qPolicy[i]!;
    corr += wi * (ri - terms.qLogged[i]!);
  }
  if (n === 0) return { ips: NaN, snips: NaN, dm: NaN, dr: NaN };
  return { ips: rw / n, snips: w > 0 ? rw / w : NaN, dm: q / n, dr: (q + corr) / n };
}

export function ips(terms: RowTerms): number {
  return pointEstimates(terms).ips;
}
export function snips(terms: RowTerms): number {
  return pointEstimates(terms).snips;
}
export function dm(terms: RowTerms): number {
  return pointEstimates(terms).dm;
}
export function dr(terms: RowTerms): number {
  return pointEstimates(terms).dr;
}

/** Importance-weight diagnostics: how much of the log actually informs the estimate. */
export interface WeightDiagnostics {
  rows: number;
  /** Mean weight: about 1 when the policy's actions are all covered by the logging policy. */
  meanWeight: number;
  maxWeight: number;
  /** Kish effective sample size (sum w)^2 / sum w^2: rows an unweighted sample would need. */
  effectiveSampleSize: number;
  /** Rows whose logged action the target policy never takes (w = 0). */
  zeroWeightRows: number;
  /** Rows with a positive reward and a positive weight: the rows IPS's numerator is made of. */
  rewardedRowsUsed: number;
}

export function weightDiagnostics(terms: RowTerms): WeightDiagnostics {
  const n = terms.weight.length;
  let sum = 0;
  let sum2 = 0;
  let max = 0;
  let zero = 0;
  let rewarded = 0;
  for (let i = 0; i < n; i++) {
    const w = terms.weight[i]!;
    sum += w;
    sum2 += w * w;
    if (w > max) max = w;
    if (w === 0) zero++;
    else if (terms.reward[i]! > 0) rewarded++;
  }
  return {
    rows: n,
    meanWeight: n > 0 ? sum / n : NaN,
    maxWeight: max,
    effectiveSampleSize: sum2 > 0 ? (sum * sum) / sum2 : 0,
    zeroWeightRows: zero,
    rewardedRowsUsed: rewarded,
  };
}

/** A point estimate with its bootstrap percentile interval. */
export interface Interval {
  estimate: number;
  low: number;
  high: number;
}

export interface EstimatesWithIntervals {
  ips: Interval;
  snips: Interval;
  dm: Interval;
  dr: Interval;
}

export interface BootstrapOptions {
  /** Resamples. Default 200. */
  resamples?: number;
  /** Coverage of the interval. Default 0.95. */
  confidence?: number;
  /**
   * Recomputes the terms of a resample (row `indices[j]` of the original terms at place j), e.g.
   * with the reward model refitted on the resampled rows, so that DM/DR intervals include the
   * reward model's own estimation error. Without it, the terms are reused as they are and the DM
   * interval only reflects the spread of the rows' predictions (too narrow). It may draw from
   * `random` (e.g. to resample training rows too).
   */
  refit?: (indices: Uint32Array, random: Random) => RowTerms;
}

/**
 * The four estimates with bootstrap percentile intervals: `resamples` times, draw n rows with
 * replacement (the same resample for all four estimators) and take the (1-c)/2 and (1+c)/2
 * quantiles of each estimator over the resamples (linear interpolation between order
 * statistics). Reproducible: the only randomness is `random`.
 */
export function bootstrapEstimates(terms: RowTerms, random: Random, options: BootstrapOptions = {}): EstimatesWithIntervals {
  const resamples = options.resamples ?? 200;
  const confidence = options.confidence ?? 0.95;
  if (!Number.isInteger(resamples) || resamples < 1) throw new RangeError(`bootstrap resamples must be an integer >= 1, got ${resamples}`);
  if (!(confidence > 0 && confidence < 1)) throw new RangeError(`confidence must be in (0, 1), got ${confidence}`);
  const point = pointEstimates(terms);
  const n = terms.reward.length;
  const draws = { ips: [] as number[], snips: [] as number[], dm: [] as number[], dr: [] as number[] };
  const indices = new Uint32Array(n);
  for (let b = 0; b < resamples && n > 0; b++) {
    for (let j = 0; j < n; j++) indices[j] = Math.floor(random.next() * n);
    const e = options.refit ? pointEstimates(options.refit(indices, random)) : pointEstimates(terms, indices);
    draws.ips.push(e.ips);
    if (!Number.isNaN(e.snips)) draws.snips.push(e.snips);
    draws.dm.push(e.dm);
    draws.dr.push(e.dr);
  }
  const lo = (1 - confidence) / 2;
  const hi = (1 + confidence) / 2;
  const interval = (estimate: number, values: number[]): Interval => {
    values.sort((a, b) => a - b);
    return { estimate, low: quantile(values, lo), high: quantile(values, hi) };
  };
  return {
    ips: interval(point.ips, draws.ips),
    snips: interval(point.snips, draws.snips),
    dm: interval(point.dm, draws.dm),
    dr: interval(point.dr, draws.dr),
  };
}

/** Quantile of sorted values by linear interpolation (R type 7); NaN when empty. */
export function quantile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const h = (sorted.length - 1) * p;
  const i = Math.floor(h);
  const a = sorted[i]!;
  const b = sorted[Math.min(i + 1, sorted.length - 1)]!;
  return a + (h - i) * (b - a);
}

/** Wilson score interval of a proportion (for a log's own reward rate when rewards are 0/1). */
export function wilsonInterval(successes: number, n: number, confidence = 0.95): Interval {
  if (n === 0) return { estimate: NaN, low: NaN, high: NaN };
  const z = normalQuantile((1 + confidence) / 2);
  const p = successes / n;
  const z2 = z * z;
  const centre = (p + z2 / (2 * n)) / (1 + z2 / n);
  const half = (z / (1 + z2 / n)) * Math.sqrt((p * (1 - p)) / n + z2 / (4 * n * n));
  return { estimate: p, low: Math.max(0, centre - half), high: Math.min(1, centre + half) };
}

/** Inverse standard normal CDF (Acklam's rational approximation, |error| < 1.2e-9). */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`normal quantile needs p in (0, 1), got ${p}`);
  const a = [-3.969683028665376e1, 2.209460984245205e2, -2.759285104469687e2, 1.38357751867269e2, -3.066479806614716e1, 2.506628277459239];
  const b = [-5.447609879822406e1, 1.615858368580409e2, -1.556989798598866e2, 6.680131188771972e1, -1.328068155288572e1];
  const c = [-7.784894002430293e-3, -3.223964580411365e-1, -2.400758277161838, -2.549732539343734, 4.374664141464968, 2.938163982698783];
  const d = [7.784695709041462e-3, 3.224671290700398e-1, 2.445134137142996, 3.754408661907416];
  const pl = 0.02425;
  const poly = (k: number[], x: number): number => k.reduce((acc, v) => acc * x + v, 0);
  if (p < pl) {
    const q = Math.sqrt(-2 * Math.log(p));
    return poly(c, q) / (poly(d, q) * q + 1);
  }
  if (p > 1 - pl) {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    return -poly(c, q) / (poly(d, q) * q + 1);
  }
  const q = p - 0.5;
  const r = q * q;
  return (poly(a, r) * q) / (poly(b, r) * r + 1);
}
