/**
 * Prequential ("test, then train") evaluation of the adaptive model on a file of past outcomes:
 * for each row in file order, predict its propensity from the other fields, then learn its
 * outcome. Pure apart from reading the file (and the clock for rows per second).
 */
import type { Predictors } from '../core/types.js';
import { AdaptiveModel, type AdaptiveModelOptions, type ModelSummary } from '../core/models/adaptive/index.js';
import { auc, calibration, capturedAt, logLoss, type CalibrationRow } from './metrics.js';
import { InputError, readRowBatches, type RowSourceInfo } from './read-rows.js';

export interface EvaluationOptions {
  file: string;
  /** Field holding the outcome. */
  outcome: string;
  /** Outcome values (as text) that count as positive. */
  positive: string[];
  /** Fields never used as predictors. */
  exclude?: string[];
  /** Keep one model per value of this field (the field is not a predictor). */
  modelKey?: string;
  /** Rows scored before metrics start (the model's warm-up). Default 1000. */
  warmup?: number;
  /** Options of the adaptive model (exploration is always off: the point estimate is scored). */
  model?: AdaptiveModelOptions;
  /** Progress: fraction of the file read and rows so far. */
  onProgress?: (fraction: number, rows: number) => void;
}

export interface EvaluationReport {
  file: string;
  format: 'csv' | 'ndjson';
  rows: number;
  /** Rows the metrics cover (after the warm-up). */
  scoredRows: number;
  warmup: number;
  positives: number;
  /** Positive rate over the scored rows. */
  baseRate: number;
  auc: number;
  logLoss: number;
  /** Log loss of always predicting the running base rate (a reference for logLoss). */
  logLossBaseRate: number;
  /**
   * Drift reference: AUC of the positive rate of the previous 1,000 rows alone (no predictors).
   * When the response rate drifts, this alone scores well; the model should beat it.
   */
  aucRecentRate: number;
  /** Mean AUC inside consecutive blocks of 5,000 scored rows: discrimination with drift between blocks removed. */
  aucWithinBlocks: number;
  /** Share of positives captured in the top 10% of scored rows by prediction. */
  lift10: number;
  /** lift10 / 0.1: how many times better than random targeting. */
  lift10Ratio: number;
  calibration: CalibrationRow[];
  seconds: number;
  rowsPerSecond: number;
  predictors: string[];
  models: ModelSummary[];
}

/** Rows behind the recent-rate reference. */
const RECENT_WINDOW = 1000;
/** Rows per block of the within-block AUC. */
const BLOCK = 5000;

export async function runEvaluation(options: EvaluationOptions): Promise<EvaluationReport> {
  const warmup = options.warmup ?? 1000;
  const positiveSet = new Set(options.positive.map((v) => v.trim()));
  if (positiveSet.size === 0) throw new InputError('--positive needs at least one value, e.g. --positive yes');
  const excluded = new Set(options.exclude ?? []);
  excluded.add(options.outcome);
  if (options.modelKey !== undefined) excluded.add(options.modelKey);
  const model = new AdaptiveModel({ ...options.model, explore: false });

  let capacity = 1 << 16;
  let preds = new Float64Array(capacity);
  let labels = new Uint8Array(capacity);
  let baseRatePreds = new Float64Array(capacity);
  let recentRatePreds = new Float64Array(capacity);
  let rows = 0;
  let positives = 0;
  let recentPositives = 0;
  let info: RowSourceInfo | undefined;
  let predictorFields: string[] | undefined;
  let csvRecord: Predictors | undefined;
  const seenOutcomes = new Set<string>();
  let lastReport = 0;
  const onBytes = options.onProgress
    ? (bytes: number): void => {
        if (info && bytes - lastReport > 1 << 18) {
          lastReport = bytes;
          options.onProgress!(info.bytes > 0 ? bytes / info.bytes : 1, rows);
        }
      }
    : undefined;

  const started = performance.now();
  for await (const batch of readRowBatches(options.file, {
    onStart: (i) => {
      info = i;
      if (i.fields) checkFields(i.fields, options, options.file);
    },
    ...(onBytes ? { onBytes } : {}),
  })) {
    for (const { line, row } of batch) {
      if (info?.format === 'ndjson' && rows === 0) checkFields(Object.keys(row), options, options.file, line);
      const outcomeValue = row[options.outcome];
      if (outcomeValue === undefined || outcomeValue === null) {
        throw new InputError(`${options.file}:${line}: the outcome field "${options.outcome}" is empty; every row needs an outcome`);
      }
      const outcomeText = String(outcomeValue);
      if (seenOutcomes.size < 20) seenOutcomes.add(outcomeText);
      const positive = positiveSet.has(outcomeText);
      const key = options.modelKey === undefined ? 'all' : String(row[options.modelKey] ?? '(missing)');

      // CSV rows share their fields, so one predictor record is refilled row after row (the model
      // keeps values, never the record); NDJSON rows may differ, so each gets its own.
      let predictors: Predictors;
      if (predictorFields && csvRecord) {
        predictors = csvRecord;
        for (let k = 0; k < predictorFields.length; k++) {
          const f = predictorFields[k]!;
          predictors[f] = row[f] ?? null;
        }
      } else {
        predictors = {};
        for (const f in row) if (!excluded.has(f)) predictors[f] = row[f] ?? null;
        if (info?.format === 'csv') {
          predictorFields = Object.keys(predictors);
          csvRecord = { ...predictors };
        }
      }

      // test, then train: the model's point estimate, then the outcome (scored once for both)
      const nb = model.modelFor(key);
      const estimate = nb.predict(predictors);
      nb.learn(predictors, positive, estimate.score);

      if (rows === capacity) {
        capacity *= 2;
        preds = grow(preds, capacity);
        labels = growU8(labels, capacity);
        baseRatePreds = grow(baseRatePreds, capacity);
        recentRatePreds = grow(recentRatePreds, capacity);
      }
      preds[rows] = estimate.mean;
      labels[rows] = positive ? 1 : 0;
      baseRatePreds[rows] = (positives + 0.5) / (rows + 1);
      const window = Math.min(rows, RECENT_WINDOW);
      recentRatePreds[rows] = window > 0 ? recentPositives / window : 0.5;
      if (positive) recentPositives++;
      if (rows >= RECENT_WINDOW && labels[rows - RECENT_WINDOW] === 1) recentPositives--;
      rows++;
      if (positive) positives++;
    }
  }
  const seconds = (performance.now() - started) / 1000;
  if (!info) throw new InputError(`${options.file} has no rows`);
  if (rows === 0) throw new InputError(`${options.file} has a header but no rows`);
  if (positives === 0) {
    throw new InputError(
      `no row has ${options.outcome} in {${[...positiveSet].join(', ')}}; values seen: ${[...seenOutcomes].join(', ')}. ` +
        'Pass the positive value(s) with --positive',
    );
  }
  const from = rows > warmup ? warmup : 0;
  const n = rows - from;
  const p = preds.subarray(from, rows);
  const y = labels.subarray(from, rows);
  let scoredPos = 0;
  for (let i = 0; i < n; i++) scoredPos += y[i]!;
  const lift10 = capturedAt(p, y, 0.1);
  let blockSum = 0;
  let blocks = 0;
  for (let b = 0; b + BLOCK <= n || (b < n && blocks === 0); b += BLOCK) {
    const e = Math.min(n, b + BLOCK);
    blockSum += auc(p.subarray(b, e), y.subarray(b, e));
    blocks++;
  }
  return {
    file: options.file,
    format: info.format,
    rows,
    scoredRows: n,
    warmup: from,
    positives,
    baseRate: scoredPos / n,
    auc: auc(p, y),
    logLoss: logLoss(p, y),
    logLossBaseRate: logLoss(baseRatePreds.subarray(from, rows), y),
    aucRecentRate: auc(recentRatePreds.subarray(from, rows), y),
    aucWithinBlocks: blockSum / blocks,
    lift10,
    lift10Ratio: lift10 / 0.1,
    calibration: calibration(p, y, 10),
    seconds,
    rowsPerSecond: rows / seconds,
    predictors: predictorFields ?? [],
    models: model.summaries(),
  };
}

function checkFields(fields: string[], options: EvaluationOptions, file: string, line?: number): void {
  const where = line === undefined ? `${file} header` : `${file}:${line}`;
  const list = fields.join(', ');
  if (!fields.includes(options.outcome)) {
    throw new InputError(`${where}: no field "${options.outcome}" for --outcome; fields are: ${list}`);
  }
  if (options.modelKey !== undefined && !fields.includes(options.modelKey)) {
    throw new InputError(`${where}: no field "${options.modelKey}" for --model-key; fields are: ${list}`);
  }
  for (const f of options.exclude ?? []) {
    if (!fields.includes(f)) throw new InputError(`${where}: no field "${f}" for --exclude; fields are: ${list}`);
  }
}

function grow(a: Float64Array, capacity: number): Float64Array<ArrayBuffer> {
  const b = new Float64Array(capacity);
  b.set(a);
  return b;
}

function growU8(a: Uint8Array, capacity: number): Uint8Array<ArrayBuffer> {
  const b = new Uint8Array(capacity);
  b.set(a);
  return b;
}
