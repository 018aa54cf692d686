/**
 * `nextbest evaluate <file>`: prequential evaluation of the adaptive model on a CSV or NDJSON
 * file of past outcomes (predict each row, then learn it). Prints AUC, log loss, calibration,
 * lift and speed, or one JSON object with --json. Bad input exits with code 2.
 */
import type { Command } from 'commander';
import { InputError } from '../evaluate/read-rows.js';
import { runEvaluation, type EvaluationReport } from '../evaluate/prequential.js';
import { formatReport } from '../evaluate/format.js';
import type { AdaptiveModelOptions } from '../core/models/adaptive/index.js';
import { resolveOptions } from '../core/models/adaptive/naive-bayes.js';

interface EvaluateFlags {
  outcome?: string;
  positive?: string;
  exclude?: string;
  modelKey?: string;
  json?: boolean;
  halfLife?: string;
  activationAuc?: string;
  classifierHalfLives?: string;
  warmup?: string;
}

function list(text: string | undefined): string[] {
  return (text ?? '')
    .split(',')
    .map((s) => s.trim())
    .filter((s) => s !== '');
}

function positiveNumber(text: string | undefined, flag: string, min: number): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isFinite(n) || n < min) throw new InputError(`${flag} must be a number >= ${min}, got "${text}"`);
  return n;
}

/** A one-line progress bar on a terminal's stderr (nothing when stderr is not a TTY). */
export function progressBar(stream: NodeJS.WriteStream = process.stderr): { update(fraction: number, rows: number): void; done(): void } {
  if (!stream.isTTY) return { update: () => {}, done: () => {} };
  const width = 30;
  let last = -1;
  const started = Date.now();
  return {
    update(fraction, rows) {
      const filled = Math.max(0, Math.min(width, Math.round(fraction * width)));
      const percent = Math.floor(fraction * 100);
      if (percent === last) return;
      last = percent;
      const secs = (Date.now() - started) / 1000;
      stream.write(`\r[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(percent).padStart(3)}%  ${rows.toLocaleString('en-US')} rows  ${secs.toFixed(1)} s`);
    },
    done() {
      if (last >= 0) stream.write('\r' + ' '.repeat(width + 40) + '\r');
    },
  };
}

/** The JSON line of --json: the headline figures plus calibration and models. */
export function jsonReport(r: EvaluationReport): Record<string, unknown> {
  return {
    rows: r.rows,
    scoredRows: r.scoredRows,
    positives: r.positives,
    auc: r.auc,
    logLoss: r.logLoss,
    logLossBaseRate: r.logLossBaseRate,
    aucRecentRate: r.aucRecentRate,
    aucWithinBlocks: r.aucWithinBlocks,
    lift10: r.lift10,
    lift10Ratio: r.lift10Ratio,
    rowsPerSecond: r.rowsPerSecond,
    seconds: r.seconds,
    calibration: r.calibration,
    models: r.models,
  };
}

export function registerEvaluateCommand(program: Command): void {
  program
    .command('evaluate <file>')
    .description('Prequential evaluation of the adaptive model on a CSV or NDJSON file: predict each row, then learn it.')
    .option('--outcome <field>', 'field with the outcome (required)')
    .option('--positive <values>', 'comma-separated outcome values that count as positive (required), e.g. yes,1')
    .option('--exclude <fields>', 'comma-separated fields never used as predictors (e.g. ones known only afterwards)')
    .option('--model-key <field>', 'keep one model per value of this field')
    .option('--half-life <responses>', 'decay old evidence with this half-life (default: no decay)')
    .option('--activation-auc <auc>', 'predictor AUC needed to take part (default 0.52)')
    .option(
      '--classifier-half-lives <list>',
      'half-lives of the score-to-propensity classifiers, "inf" for none (default: the half-life, then 5000,2000,1000,500)',
    )
    .option('--warmup <rows>', 'rows predicted before the metrics start (default 1000)')
    .option('--json', 'print one JSON object instead of tables')
    .action(async (file: string, flags: EvaluateFlags) => {
      const bar = progressBar(); // stderr, only on a terminal: never mixes with the --json line
      try {
        if (!flags.outcome) throw new InputError('--outcome <field> is required: the field that holds the outcome, e.g. --outcome y');
        const positive = list(flags.positive);
        if (positive.length === 0) throw new InputError('--positive <values> is required: the outcome value(s) that count as positive, e.g. --positive yes');
        const exclude = list(flags.exclude);
        const model: AdaptiveModelOptions = {};
        const halfLife = positiveNumber(flags.halfLife, '--half-life', 1);
        if (halfLife !== undefined) model.halfLife = halfLife;
        const activationAuc = positiveNumber(flags.activationAuc, '--activation-auc', 0);
        if (activationAuc !== undefined) model.activationAuc = activationAuc;
        const warmup = positiveNumber(flags.warmup, '--warmup', 0);
        if (flags.classifierHalfLives !== undefined) {
          model.classifierHalfLives = list(flags.classifierHalfLives).map((t) =>
            /^(inf|infinity|none)$/i.test(t) ? Infinity : positiveNumber(t, '--classifier-half-lives', 1)!,
          );
          if (model.classifierHalfLives.length === 0) throw new InputError('--classifier-half-lives needs at least one value, e.g. inf or 1000,500');
        }
        const report = await runEvaluation({
          file,
          outcome: flags.outcome,
          positive,
          exclude,
          ...(flags.modelKey !== undefined ? { modelKey: flags.modelKey } : {}),
          ...(warmup !== undefined ? { warmup } : {}),
          model,
          onProgress: (fraction, rows) => bar.update(fraction, rows),
        });
        bar.done();
        if (flags.json) {
          process.stdout.write(JSON.stringify(jsonReport(report)) + '\n');
          return;
        }
        const classifiers = resolveOptions(model).classifierHalfLives.map((h) => (Number.isFinite(h) ? String(h) : 'none'));
        const settings = [
          halfLife !== undefined ? `predictor half-life ${halfLife} responses` : 'no decay of predictor bins',
          classifiers.length > 1
            ? `classifier half-lives ${classifiers.join('/')} (the one with the lowest recent log loss calibrates)`
            : `classifier half-life ${classifiers[0]}`,
          `activation AUC > ${activationAuc ?? 0.52}`,
        ].join('; ');
        process.stdout.write(
          formatReport(report, {
            outcome: flags.outcome,
            positive,
            exclude,
            ...(flags.modelKey !== undefined ? { modelKey: flags.modelKey } : {}),
            settings,
          }),
        );
      } catch (error) {
        bar.done();
        if (error instanceof InputError) {
          process.stderr.write(`error: ${error.message}\n`);
          process.exitCode = 2;
          return;
        }
        throw error;
      }
    });
}
