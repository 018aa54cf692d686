/**
 * Benchmark helpers: per-call timing with percentiles, the "limit" loops (bare lookup-and-add
 * over typed arrays of the same sizes, what the machine can do at best), the floor of learning
 * (`learningFloorRun`), machine facts, and markdown/console tables.
 */
import { execSync } from 'node:child_process';
import { cpus, totalmem, loadavg } from 'node:os';

export interface Timing {
  calls: number;
  p50Us: number;
  p99Us: number;
  meanUs: number;
  perSecond: number;
}

/**
 * Times `a` and `b` call by call, in alternating runs of `runMs` each (a for runMs, b for runMs,
 * a, ...) until `a` has had `budgetMs`: both see the machine in the same state, so that their ratio
 * holds on a machine whose speed drifts (shared cores, other tenants). The first call of each run
 * is not counted: it finds the other's data in cache (a decision's models and the limit's table
 * are megabytes each), which says nothing about either. Returns each one's timing.
 */
export function timePaired(
  a: (i: number) => void,
  b: (i: number) => void,
  options: { budgetMs?: number; minCalls?: number; maxCalls?: number; warmup?: number; runMs?: number } = {},
): { a: Timing; b: Timing } {
  const budgetNs = BigInt(Math.round((options.budgetMs ?? 1500) * 1e6));
  const runNs = BigInt(Math.round((options.runMs ?? 200) * 1e6));
  const minCalls = options.minCalls ?? 200;
  const maxCalls = options.maxCalls ?? 200_000;
  for (let i = 0; i < (options.warmup ?? 200); i++) {
    a(i);
    b(i);
  }
  const samples = [new Float64Array(maxCalls), new Float64Array(maxCalls)] as const;
  const totals = [0, 0];
  const counts = [0, 0];
  const calls = [0, 0];
  let spent = 0n;
  while (counts[0]! < maxCalls && (counts[0]! < minCalls || spent < budgetNs)) {
    for (const which of [0, 1] as const) {
      const fn = which === 0 ? a : b;
      const runStart = process.hrtime.bigint();
      let last = runStart;
      for (let k = 0; counts[which]! < maxCalls && (k < 2 || last - runStart < runNs); k++) {
        fn(calls[which]!);
        calls[which]!++;
        const now = process.hrtime.bigint();
        if (k > 0) {
          const n = counts[which]!;
          samples[which][n] = Number(now - last) / 1000;
          totals[which]! += samples[which][n]!;
          counts[which] = n + 1;
          if (which === 0) spent += now - last;
        }
        last = now;
      }
    }
  }
  return { a: summarise(samples[0].subarray(0, counts[0]), totals[0]!), b: summarise(samples[1].subarray(0, counts[1]), totals[1]!) };
}

function summarise(samples: Float64Array, totalUs: number): Timing {
  const n = samples.length;
  const sorted = samples.sort();
  return {
    calls: n,
    p50Us: sorted[Math.floor(n * 0.5)] ?? 0,
    p99Us: sorted[Math.min(n - 1, Math.floor(n * 0.99))] ?? 0,
    meanUs: totalUs / n,
    perSecond: (n / totalUs) * 1e6,
  };
}

/**
 * Times each of `runs` over `count` operations, in turns of `chunk` operations (`run(from, to)`
 * does operations from..to-1: the first run's chunk, the second's, ..., then the next chunk), so
 * that all see the machine in the same state. Returns each one's operations per second.
 */
export function timeBulkAlternating(count: number, chunk: number, runs: Array<(from: number, to: number) => void>): number[] {
  const ns = runs.map(() => 0n);
  for (let from = 0; from < count; from += chunk) {
    const to = Math.min(count, from + chunk);
    runs.forEach((run, k) => {
      const t0 = process.hrtime.bigint();
      run(from, to);
      ns[k]! += process.hrtime.bigint() - t0;
    });
  }
  return ns.map((n) => count / (Number(n) / 1e9));
}

/** Times a bulk loop of `count` operations; returns operations per second. */
export function timeBulk(count: number, fn: () => void): number {
  const start = process.hrtime.bigint();
  fn();
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return count / seconds;
}

/**
 * The limit of a decision, as one call: for every action, look up one bin contribution per
 * predictor in a Float64Array table and add them (what a naive-Bayes score needs at the very least).
 */
export function decisionLimitCall(actions: number, predictors: number, bins = 10): (call: number) => void {
  const table = new Float64Array(actions * predictors * bins);
  for (let i = 0; i < table.length; i++) table[i] = ((i * 2654435761) % 1000) / 1000 - 0.5;
  const binOf = new Int32Array(predictors);
  const sink = new Float64Array(1);
  return (call) => {
    for (let p = 0; p < predictors; p++) binOf[p] = (call + p * 7) % bins;
    let best = -Infinity;
    for (let a = 0; a < actions; a++) {
      let score = 0;
      const base = a * predictors * bins;
      for (let p = 0; p < predictors; p++) score += table[base + p * bins + binOf[p]!]!;
      if (score > best) best = score;
    }
    sink[0]! += best;
  };
}

/**
 * The limit of learning, as a bulk loop over responses from..to-1: one counter increment per
 * predictor, in `models` models' tables taking turns.
 */
export function updateLimitRun(predictors: number, models = 100, bins = 10): (from: number, to: number) => void {
  const counts = new Float64Array(models * predictors * bins);
  return (from, to) => {
    for (let i = from; i < to; i++) {
      const base = (i % models) * predictors * bins;
      for (let p = 0; p < predictors; p++) counts[base + p * bins + ((i + p) % bins)]! += 1;
    }
  };
}

export function machine(): { cpu: string; cores: number; memoryGiB: number; node: string; load: string; commit: string; date: string } {
  let commit = 'unknown';
  try {
    commit = execSync('git rev-parse --short HEAD', { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
    const dirty = execSync('git status --porcelain --untracked-files=no', { stdio: ['ignore', 'pipe', 'ignore'] }).toString().trim();
    if (dirty) commit += ' (with uncommitted changes)';
  } catch {
    // not a git checkout
  }
  return {
    cpu: cpus()[0]?.model ?? 'unknown',
    cores: cpus().length,
    memoryGiB: Math.round(totalmem() / 2 ** 30),
    node: process.version,
    load: loadavg().map((x) => x.toFixed(2)).join(' '),
    commit,
    date: new Date().toISOString(),
  };
}

export function table(headers: string[], rows: Array<Array<string | number>>): string {
  const cells = rows.map((r) => r.map((c) => (typeof c === 'number' ? fmt(c) : c)));
  const widths = headers.map((h, i) => Math.max(h.length, ...cells.map((r) => String(r[i] ?? '').length)));
  const line = (r: string[]) => `| ${r.map((c, i) => c.padEnd(widths[i] ?? 0)).join(' | ')} |`;
  return [line(headers), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...cells.map((r) => line(r.map(String)))].join('\n');
}

export function fmt(x: number): string {
  if (!Number.isFinite(x)) return String(x);
  if (Number.isInteger(x)) return x.toLocaleString('en-US');
  if (Math.abs(x) >= 1000) return Math.round(x).toLocaleString('en-US');
  if (Math.abs(x) >= 100) return x.toFixed(0);
  if (Math.abs(x) >= 10) return x.toFixed(1);
  return x.toFixed(2);
}

/** Runs of responses per key in `learningFloorRun`, as `AdaptiveModel.learn` queues them (QUEUE_PER_KEY). */
const FLOOR_RUN = 32;
const FLOOR_COARSE = 20;
const FLOOR_FINE = 64;
const FLOOR_CLASSIFIERS = 5;
const FLOOR_CLASSIFIER_BINS = 100;

/**
 * The floor of learning, as a bulk loop over responses from..to-1 (response i learns record
 * i mod records.length): what learning a record into a naive-Bayes model of the default shape takes
 * at the least, on flat typed arrays. Per predictor of the record (enumerated by name): its bin (a
 * number: a branch-free search over 20 bounds; a symbol: a Map lookup), two logarithms for the
 * score the response is learnt on, one count added; per number also a branch-free search over a
 * 64-interval sketch and one count added there; then one search and one count in each of 5
 * calibration sketches of 100 intervals. `keys` models take turns in runs of 32 responses, as
 * `AdaptiveModel.learn` queues them. Left out: evidence thresholds, decay, missing values, new
 * predictors, the correlation window, refreshes (regrouping, AUCs, correlations), reports.
 */
export function learningFloorRun(records: Array<{ predictors: Record<string, unknown>; positive: boolean }>, keys: number): (from: number, to: number) => void {
  const names = Object.keys(records[0]!.predictors);
  const k = names.length;
  const numeric = names.map((n) => typeof records[0]!.predictors[n] === 'number');
  const symbols = [...new Set(records.flatMap((r) => names.filter((_, j) => !numeric[j]).map((n) => String(r.predictors[n]))))];
  // bounds spread over the values seen (numbers in [0, 1) and ages 18-77)
  const coarse = new Float64Array(k * FLOOR_COARSE);
  const fine = new Float64Array(k * FLOOR_FINE);
  for (let j = 0; j < k; j++) {
    const span = names[j] === 'age' ? 60 : 1;
    const low = names[j] === 'age' ? 18 : 0;
    for (let b = 0; b < FLOOR_COARSE; b++) coarse[j * FLOOR_COARSE + b] = low + (span * (b + 1)) / FLOOR_COARSE;
    for (let b = 0; b < FLOOR_FINE; b++) fine[j * FLOOR_FINE + b] = low + (span * (b + 1)) / FLOOR_FINE;
  }
  const classifierBounds = new Float64Array(FLOOR_CLASSIFIER_BINS);
  for (let b = 0; b < FLOOR_CLASSIFIER_BINS; b++) classifierBounds[b] = -2 + (4 * (b + 1)) / FLOOR_CLASSIFIER_BINS;
  // per key: its own copies of bounds and counts, and a symbol map per symbolic predictor
  const models = Array.from({ length: keys }, () => ({
    coarse: coarse.slice(),
    counts: new Float64Array(k * (FLOOR_COARSE + 1) * 2).fill(1),
    fine: fine.slice(),
    fineCounts: new Float64Array(k * FLOOR_FINE * 2),
    maps: numeric.map((isNumber) => (isNumber ? undefined : new Map(symbols.map((s, j) => [s, j % FLOOR_COARSE])))),
    classifierBounds: classifierBounds.slice(),
    classifierCounts: new Float64Array(FLOOR_CLASSIFIERS * FLOOR_CLASSIFIER_BINS * 2),
  }));
  const sink = new Float64Array(1);
  return (from, to) => {
    let total = 0;
    for (let i = from; i < to; i++) {
      const m = models[Math.floor(i / FLOOR_RUN) % keys]!;
      const { predictors, positive } = records[i % records.length]!;
      const side = positive ? 0 : 1;
      let score = 0;
      let j = 0;
      for (const name in predictors) {
        const v = predictors[name];
        let bin: number;
        if (typeof v === 'number') {
          let base = j * FLOOR_COARSE;
          let len = FLOOR_COARSE;
          while (len > 1) {
            const half = len >> 1;
            base += half * +(m.coarse[base + half - 1]! < v);
            len -= half;
          }
          bin = base - j * FLOOR_COARSE;
          let at = j * FLOOR_FINE;
          len = FLOOR_FINE;
          while (len > 1) {
            const half = len >> 1;
            at += half * +(m.fine[at + half - 1]! < v);
            len -= half;
          }
          m.fineCounts[2 * at + side]! += 1;
        } else bin = m.maps[j]?.get(v as string) ?? FLOOR_COARSE;
        const c = 2 * (j * (FLOOR_COARSE + 1) + bin);
        score += Math.log(m.counts[c]!) - Math.log(m.counts[c + 1]!);
        m.counts[c + side]! += 1;
        j++;
      }
      score /= 1 + j;
      for (let c = 0; c < FLOOR_CLASSIFIERS; c++) {
        let at = 0;
        let len = FLOOR_CLASSIFIER_BINS;
        while (len > 1) {
          const half = len >> 1;
          at += half * +(m.classifierBounds[at + half - 1]! < score);
          len -= half;
        }
        m.classifierCounts[2 * (c * FLOOR_CLASSIFIER_BINS + at) + side]! += 1;
      }
      total += score;
    }
    sink[0]! += total;
  };
}
