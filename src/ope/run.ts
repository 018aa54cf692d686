/**
 * `runOpe`: off-policy evaluation of one or more target policies on a log of bandit feedback, and
 * the text table of its report.
 *
 * Rows and reward models:
 * - `uniform`, `file:` and `from-log:` policies are evaluated on every row of the log. Their DM/DR
 *   reward model is cross-fitted on 2 folds (odd/even rows): the prediction for a row always comes
 *   from the model fitted on the other fold, so no row's own reward leaks into its prediction.
 * - `nextbest` is trained on the first `trainShare` of the log (file order, i.e. time order for
 *   the Open Bandit Dataset) and evaluated on the rest; its reward model is fitted on the same
 *   training part.
 *
 * Randomness (bootstrap, Monte Carlo) comes from `SeededRandom`s derived from `seed` and the
 * policy spec, so one policy's figures do not depend on which other policies are evaluated.
 */
import { existsSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { SeededRandom } from '../core/random.js';
import { AdaptiveModel } from '../core/models/adaptive/index.js';
import { BetaBernoulliModel } from '../core/models/beta-bernoulli.js';
import {
  bootstrapEstimates,
  pointEstimates,
  termsFromDistributions,
  weightDiagnostics,
  type BootstrapOptions,
  wilsonInterval,
  type EstimatesWithIntervals,
  type Interval,
  type LoggedRow,
  type RewardModel,
  type RowTerms,
  type TargetPolicy,
  type WeightDiagnostics,
} from './estimators.js';
import { InputError, readLog, type GenericColumns, type LogFormat, type OpeLog } from './read-log.js';
import {
  NextbestPolicy,
  policyFromLog,
  readPolicyFile,
  uniformPolicy,
  writePolicyFile,
  type FromLogMethod,
  type NextbestMode,
  type TablePolicy,
} from './policies.js';
import { fitRewardModel, positionKey, type RewardModelKind } from './reward-model.js';

export type NextbestModelKind = 'adaptive' | 'beta-bernoulli';

export type PolicySpec =
  | { kind: 'uniform' }
  | { kind: 'nextbest'; model?: NextbestModelKind }
  | { kind: 'file'; path: string }
  | { kind: 'from-log'; path: string };

const KINDS = ['uniform', 'nextbest', 'nextbest:', 'file:', 'from-log:'];

/**
 * Parses `--policy` values: each value may be a comma-separated list
 * (`uniform,from-log:bts.csv`); a piece that does not start with a policy kind is glued back to
 * the previous one (a path with a comma).
 */
export function parsePolicySpecs(values: readonly string[]): PolicySpec[] {
  const pieces: string[] = [];
  for (const value of values) {
    for (const piece of value.split(',')) {
      const t = piece.trim();
      if (pieces.length > 0 && !KINDS.some((k) => t === k || (k.endsWith(':') && t.startsWith(k)))) pieces[pieces.length - 1] += `,${piece}`;
      else pieces.push(t);
    }
  }
  return pieces.map((p): PolicySpec => {
    if (p === 'uniform') return { kind: 'uniform' };
    if (p === 'nextbest' || p === 'nextbest:adaptive') return { kind: 'nextbest' };
    if (p === 'nextbest:beta-bernoulli') return { kind: 'nextbest', model: 'beta-bernoulli' };
    if (p.startsWith('file:') && p.length > 5) return { kind: 'file', path: p.slice(5) };
    if (p.startsWith('from-log:') && p.length > 9) return { kind: 'from-log', path: p.slice(9) };
    throw new InputError(`unknown policy "${p}": use uniform, nextbest (or nextbest:beta-bernoulli), file:<policy.csv> or from-log:<log.csv>`);
  });
}

export function specText(spec: PolicySpec): string {
  if (spec.kind === 'file' || spec.kind === 'from-log') return `${spec.kind}:${spec.path}`;
  if (spec.kind === 'nextbest' && spec.model === 'beta-bernoulli') return 'nextbest:beta-bernoulli';
  return spec.kind;
}

export interface OpeOptions {
  log: string;
  format?: LogFormat;
  /** Generic format columns. */
  columns?: GenericColumns;
  /** Open Bandit item_context.csv; default: the one next to the log, when present. */
  itemContext?: string;
  policies: PolicySpec[];
  /** Another log (same format) whose own reward rate is printed next to the estimates. */
  compare?: string;
  /** Bootstrap resamples. Default 200. */
  bootstrap?: number;
  seed?: number;
  /** Share of the log (first rows) the nextbest policy trains on. Default 0.5. */
  trainShare?: number;
  confidence?: number;
  rewardModel?: RewardModelKind;
  /** Beta prior strength (pseudo-rows) of the table reward model. Default 100. */
  priorStrength?: number;
  fromLogMethod?: FromLogMethod;
  /** Monte Carlo draws per context for the nextbest policy. Default 500. */
  draws?: number;
  nextbestMode?: NextbestMode;
  /** Writes the first from-log policy to this file (policy-file format). */
  writePolicy?: string;
}

export interface PositionSummary {
  position: string;
  rows: number;
  rewardSum: number;
  rate: number;
}

export interface LogSummary {
  file: string;
  format: LogFormat;
  rows: number;
  rewardSum: number;
  /** Mean reward (click rate). */
  rate: number;
  /** Wilson interval of the rate for 0/1 rewards; a bootstrap-free normal interval otherwise. */
  interval: Interval;
  actions: number;
  positions: number[];
  byPosition: PositionSummary[];
  itemContext?: string;
}

export interface PolicyReport {
  spec: string;
  name: string;
  /** `all` rows, or the `test` part after the nextbest training part. */
  evaluatedOn: 'all' | 'test';
  evaluatedRows: number;
  trainRows: number;
  /** Mean reward of the evaluated rows under the logging policy. */
  loggedRate: number;
  rewardModel: string;
  estimates: EstimatesWithIntervals;
  diagnostics: WeightDiagnostics;
  /** IPS restricted to each position's rows (the overall IPS is their row-weighted mean). */
  ipsByPosition: Record<string, number>;
  notes: string[];
}

export interface OpeReport {
  log: LogSummary;
  compare?: LogSummary;
  settings: {
    bootstrap: number;
    seed: number;
    confidence: number;
    trainShare: number;
    rewardModel: RewardModelKind;
    priorStrength: number;
    fromLogMethod: FromLogMethod;
    draws: number;
    nextbestMode: NextbestMode;
  };
  policies: PolicyReport[];
  writtenPolicy?: string;
}

export async function runOpe(options: OpeOptions): Promise<OpeReport> {
  const format = options.format ?? 'obd';
  const bootstrap = options.bootstrap ?? 200;
  const seed = options.seed ?? 1;
  const trainShare = options.trainShare ?? 0.5;
  const confidence = options.confidence ?? 0.95;
  const rewardModel = options.rewardModel ?? 'table';
  const priorStrength = options.priorStrength ?? 100;
  const fromLogMethod = options.fromLogMethod ?? 'propensity';
  const draws = options.draws ?? 500;
  const nextbestMode = options.nextbestMode ?? 'thompson';
  if (!Number.isInteger(bootstrap) || bootstrap < 1) throw new InputError(`--bootstrap must be a whole number >= 1, got ${bootstrap}`);
  if (!Number.isFinite(seed)) throw new InputError(`--seed must be a number, got ${seed}`);
  if (!(trainShare > 0 && trainShare < 1)) throw new InputError(`--train-share must be between 0 and 1 (exclusive), got ${trainShare}`);
  if (!(confidence > 0 && confidence < 1)) throw new InputError(`confidence must be between 0 and 1, got ${confidence}`);
  if (!(priorStrength >= 0)) throw new InputError(`--prior-strength must be >= 0, got ${priorStrength}`);
  if (!Number.isInteger(draws) || draws < 1) throw new InputError(`--draws must be a whole number >= 1, got ${draws}`);
  if (options.policies.length === 0) throw new InputError('no policy to evaluate: pass --policy uniform, nextbest, file:<csv> or from-log:<log>');

  const readOptions = (file: string): { format: LogFormat; columns?: GenericColumns; itemContext?: string } => {
    const o: { format: LogFormat; columns?: GenericColumns; itemContext?: string } = { format };
    if (options.columns) o.columns = options.columns;
    const item = file === options.log ? (options.itemContext ?? siblingItemContext(file, format)) : siblingItemContext(file, format);
    if (item) o.itemContext = item;
    return o;
  };
  const logs = new Map<string, OpeLog>();
  const load = async (file: string): Promise<OpeLog> => {
    const key = resolve(file);
    let log = logs.get(key);
    if (!log) {
      log = await readLog(file, readOptions(file));
      logs.set(key, log);
    }
    return log;
  };

  const log = await load(options.log);
  const report: OpeReport = {
    log: summarise(log, confidence, readOptions(options.log).itemContext),
    settings: { bootstrap, seed, confidence, trainShare, rewardModel, priorStrength, fromLogMethod, draws, nextbestMode },
    policies: [],
  };
  if (options.compare) report.compare = summarise(await load(options.compare), confidence, readOptions(options.compare).itemContext);

  // Reward models are cross-fitted on 2 folds of the evaluated rows (row i is predicted by the
  // model fitted on the fold without it: fold = i mod 2). For nextbest this keeps the reward model
  // independent of the policy's training rows: a model fitted on the same rows would be optimistic
  // exactly for the actions the policy learnt to favour (winner's curse). With the table model
  // every bootstrap resample refits the models on the resampled rows, so DM/DR intervals include
  // the reward model's estimation error; the adaptive model is too slow to refit 200 times, so its
  // DM interval is conditional on the fitted model (said in the report).
  const modelOptions = { kind: rewardModel, priorStrength };
  const refitModels = rewardModel === 'table';
  const crossFit = (rows: readonly LoggedRow[], foldOf: (j: number) => number): Array<RewardModel> => {
    const folds: [LoggedRow[], LoggedRow[]] = [[], []];
    rows.forEach((row, j) => folds[foldOf(j)]!.push(row));
    return [fitRewardModel(folds[1], modelOptions), fitRewardModel(folds[0], modelOptions)];
  };
  let fullCrossFit: RewardModel[] | undefined;

  let wrote = false;
  for (const spec of options.policies) {
    const text = specText(spec);
    const notes: string[] = [];
    let rows: readonly LoggedRow[];
    let trainRows = 0;
    let policy: TargetPolicy;
    if (spec.kind === 'nextbest') {
      const cut = Math.floor(log.rows.length * trainShare);
      if (cut < 1 || cut >= log.rows.length) throw new InputError(`--train-share ${trainShare} leaves no ${cut < 1 ? 'training' : 'evaluation'} rows in a log of ${log.rows.length}`);
      const train = log.rows.slice(0, cut);
      const test = log.rows.slice(cut);
      rows = test;
      trainRows = cut;
      policy = new NextbestPolicy(train, {
        actions: log.actions,
        positions: log.positions,
        random: new SeededRandom(`${seed}/mc/${text}`),
        draws,
        mode: nextbestMode,
        model: spec.model === 'beta-bernoulli' ? new BetaBernoulliModel({ explore: true }) : new AdaptiveModel({ explore: true }),
      });
      notes.push(
        `trained on rows 1-${cut} (${train.reduce((s, r) => s + r.reward, 0)} rewards), evaluated on rows ${cut + 1}-${log.rows.length}; ` +
          'the policy is frozen after training (it does not keep learning on the evaluated rows)',
      );
    } else {
      if (spec.kind === 'uniform') policy = uniformPolicy(log.actions);
      else if (spec.kind === 'file') policy = await readPolicyFile(spec.path, log.contextColumns);
      else {
        const source = await load(spec.path);
        const fromLog = policyFromLog(source, fromLogMethod);
        policy = fromLog;
        const sums = Object.entries(fromLog.summary.rawSums)
          .map(([k, v]) => `${k === '-' ? '' : `position ${k}: `}${v.toFixed(3)}`)
          .join(', ');
        notes.push(`recovered by the ${fromLogMethod} method from ${int(source.rows.length)} rows of ${source.file}; raw sums before renormalising: ${sums}`);
        if (options.writePolicy && !wrote) {
          writePolicyFile(options.writePolicy, fromLog as TablePolicy);
          report.writtenPolicy = options.writePolicy;
          notes.push(`written to ${options.writePolicy} (use it with --policy file:${options.writePolicy})`);
          wrote = true;
        }
      }
      rows = log.rows;
    }
    const evalRows = rows;
    const dists = evalRows.map((row) => policy.distribution(row.context, row.position));
    if (spec.kind === 'nextbest') notes.push(concentration(evalRows, dists, log.positions[0]));
    const models = evalRows === log.rows ? (fullCrossFit ??= crossFit(evalRows, (i) => i % 2)) : crossFit(evalRows, (i) => i % 2);
    const modelName = `${models[0]!.name}, cross-fitted on 2 folds of the evaluated rows`;
    const terms = termsFromDistributions(evalRows, dists, (i) => models[i % 2]!);
    let refit: ((indices: Uint32Array) => RowTerms) | undefined;
    if (refitModels) {
      refit = (indices) => {
        // Folds by original row, so copies of a row stay in one fold.
        const m = crossFit(pick(evalRows, indices), (j) => indices[j]! % 2);
        return termsFromDistributions(pick(evalRows, indices), pick(dists, indices), (j) => m[indices[j]! % 2]!);
      };
    }
    if (!refitModels) notes.push('DM interval is conditional on the fitted reward model (it is not refitted per resample), so it is too narrow');
    const bootstrapOptions: BootstrapOptions = { resamples: bootstrap, confidence };
    if (refit) bootstrapOptions.refit = refit;
    const estimates = bootstrapEstimates(terms, new SeededRandom(`${seed}/bootstrap/${text}`), bootstrapOptions);
    const diagnostics = weightDiagnostics(terms);
    if (diagnostics.meanWeight < 0.9) {
      notes.push(`mean weight ${diagnostics.meanWeight.toFixed(3)} < 1: the policy puts probability on actions/positions the log rarely or never shows; IPS is then biased low (SNIPS compensates)`);
    }
    report.policies.push({
      spec: text,
      name: policy.name,
      evaluatedOn: spec.kind === 'nextbest' ? 'test' : 'all',
      evaluatedRows: rows.length,
      trainRows,
      loggedRate: rows.reduce((s, r) => s + r.reward, 0) / rows.length,
      rewardModel: modelName,
      estimates,
      diagnostics,
      ipsByPosition: ipsByPosition(rows, terms),
      notes,
    });
  }
  return report;
}

function siblingItemContext(logFile: string, format: LogFormat): string | undefined {
  if (format !== 'obd') return undefined;
  const candidate = join(dirname(logFile), 'item_context.csv');
  return existsSync(candidate) ? candidate : undefined;
}

function summarise(log: OpeLog, confidence: number, itemContext: string | undefined): LogSummary {
  const n = log.rows.length;
  const byPos = new Map<string, PositionSummary>();
  for (const row of log.rows) {
    const k = positionKey(row.position);
    const s = byPos.get(k) ?? { position: k, rows: 0, rewardSum: 0, rate: 0 };
    s.rows++;
    s.rewardSum += row.reward;
    byPos.set(k, s);
  }
  for (const s of byPos.values()) s.rate = s.rewardSum / s.rows;
  let interval: Interval;
  if (log.binaryReward) interval = wilsonInterval(log.rewardSum, n, confidence);
  else {
    const mean = log.rewardSum / n;
    const variance = log.rows.reduce((s, r) => s + (r.reward - mean) ** 2, 0) / Math.max(1, n - 1);
    const half = 1.959963984540054 * Math.sqrt(variance / n);
    interval = { estimate: mean, low: mean - half, high: mean + half };
  }
  const summary: LogSummary = {
    file: log.file,
    format: log.format,
    rows: n,
    rewardSum: log.rewardSum,
    rate: log.rewardSum / n,
    interval,
    actions: log.actions.length,
    positions: log.positions,
    byPosition: [...byPos.values()].sort((a, b) => Number(a.position) - Number(b.position) || (a.position < b.position ? -1 : 1)),
  };
  if (itemContext) summary.itemContext = itemContext;
  return summary;
}

/** How concentrated a policy is at its first position: a near-deterministic policy leaves most rows with weight 0. */
function concentration(rows: readonly LoggedRow[], dists: ReadonlyArray<ReadonlyMap<string, number>>, first: number | undefined): string {
  let n = 0;
  let maxSum = 0;
  const top = new Map<string, number>();
  rows.forEach((row, i) => {
    if (row.position !== first) return;
    let best = '';
    let max = -1;
    for (const [a, p] of dists[i]!) if (p > max) [best, max] = [a, p];
    n++;
    maxSum += max;
    top.set(best, (top.get(best) ?? 0) + 1);
  });
  if (n === 0) return 'no rows at the first position';
  const [action, count] = [...top].sort((a, b) => b[1] - a[1])[0]!;
  return (
    `at ${first === undefined ? 'its single slot' : `position ${first}`} the policy's most likely action has probability ${(maxSum / n).toFixed(3)} on average; ` +
    `the most frequent top action is ${action} (${((100 * count) / n).toFixed(0)}% of those ${int(n)} rows)`
  );
}

function pick<T>(items: readonly T[], indices: Uint32Array): T[] {
  return Array.from(indices, (i) => items[i]!);
}

function ipsByPosition(rows: readonly LoggedRow[], terms: RowTerms): Record<string, number> {
  const groups = new Map<string, number[]>();
  rows.forEach((row, i) => {
    const k = positionKey(row.position);
    const g = groups.get(k) ?? [];
    g.push(i);
    groups.set(k, g);
  });
  const out: Record<string, number> = {};
  for (const k of [...groups.keys()].sort()) out[k] = pointEstimates(terms, groups.get(k)!).ips;
  return out;
}

// ---------------------------------------------------------------------------------------------
// Text report

const f6 = (x: number): string => (Number.isFinite(x) ? x.toFixed(6) : 'n/a');
const int = (x: number): string => (Number.isInteger(x) ? x.toLocaleString('en-US') : x.toFixed(2));
const pct = (x: number): string => `${(100 * x).toFixed(0)}%`;

function describeLog(s: LogSummary, confidence: number): string[] {
  const lines = [
    `${s.file} (${s.format}): ${int(s.rows)} rows, ${s.actions} actions${s.positions.length > 0 ? `, positions ${s.positions.join(', ')}` : ''}${s.itemContext ? ` (action set from ${s.itemContext})` : ''}`,
    `  own reward rate ${f6(s.rate)} (${int(s.rewardSum)}/${int(s.rows)}), ${pct(confidence)} interval [${f6(s.interval.low)}, ${f6(s.interval.high)}]`,
  ];
  if (s.byPosition.length > 1) lines.push(`  by position: ${s.byPosition.map((p) => `${p.position}: ${f6(p.rate)} (${int(p.rewardSum)}/${int(p.rows)})`).join(', ')}`);
  return lines;
}

export function formatOpeReport(report: OpeReport): string {
  const { settings } = report;
  const out: string[] = [];
  out.push('Off-policy evaluation');
  out.push(`log     ${describeLog(report.log, settings.confidence).join('\n        ')}`);
  if (report.compare) out.push(`compare ${describeLog(report.compare, settings.confidence).join('\n        ')}`);
  out.push(
    `intervals: bootstrap percentile, ${settings.bootstrap} resamples, ${pct(settings.confidence)}, seed ${settings.seed}`,
  );
  for (const p of report.policies) {
    out.push('');
    out.push(`policy ${p.spec} — ${p.name}`);
    out.push(`  evaluated on ${p.evaluatedOn === 'all' ? 'all' : 'the last'} ${int(p.evaluatedRows)} rows; logged rate on them ${f6(p.loggedRate)}; reward model ${p.rewardModel}`);
    for (const n of p.notes) out.push(`  ${n}`);
    const header = ['  estimator', 'estimate', `${pct(settings.confidence)} interval`.padEnd(24)];
    if (report.compare) header.push('vs compare', `compare ${f6(report.compare.rate)} inside`);
    out.push(header.join('  '));
    for (const [name, e] of [
      ['IPS', p.estimates.ips],
      ['SNIPS', p.estimates.snips],
      ['DM', p.estimates.dm],
      ['DR', p.estimates.dr],
    ] as const) {
      const cols = [`  ${name.padEnd(9)}`, f6(e.estimate).padStart(8), `[${f6(e.low)}, ${f6(e.high)}]`.padEnd(24)];
      if (report.compare) {
        const c = report.compare.rate;
        const rel = c !== 0 ? `${e.estimate >= c ? '+' : ''}${((100 * (e.estimate - c)) / c).toFixed(1)}%` : 'n/a';
        cols.push(rel.padStart(10), e.low <= c && c <= e.high ? 'yes' : 'no');
      }
      out.push(cols.join('  '));
    }
    const d = p.diagnostics;
    out.push(
      `  weights: mean ${d.meanWeight.toFixed(3)}, max ${d.maxWeight.toFixed(2)}, effective sample size ${int(Math.round(d.effectiveSampleSize))} of ${int(d.rows)} rows, ` +
        `${int(d.zeroWeightRows)} rows with weight 0, ${int(d.rewardedRowsUsed)} rewarded rows carry the IPS numerator`,
    );
    const byPos = Object.entries(p.ipsByPosition);
    if (byPos.length > 1) out.push(`  IPS by position: ${byPos.map(([k, v]) => `${k}: ${f6(v)}`).join(', ')}`);
  }
  if (report.writtenPolicy) {
    out.push('');
    out.push(`policy file written: ${report.writtenPolicy}`);
  }
  return out.join('\n') + '\n';
}
