/**
 * Text output of an evaluation report: the headline metrics, the calibration deciles and the
 * per-key model summaries, as aligned plain-text tables for a terminal.
 */
import type { EvaluationReport } from './prequential.js';

const int = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

function pct(x: number, digits = 1): string {
  return `${(x * 100).toFixed(digits)}%`;
}

/** Aligns rows of cells into columns: the first `leftColumns` left-aligned, the others right. */
export function table(rows: string[][], indent = '  ', leftColumns = 1): string {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return rows
    .map((r) => indent + r.map((c, i) => (i < leftColumns ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd())
    .join('\n');
}

export interface FormatContext {
  outcome: string;
  positive: string[];
  exclude: string[];
  modelKey?: string;
  /** Model settings worth echoing (e.g. half-life). */
  settings?: string;
}

export function formatReport(r: EvaluationReport, ctx: FormatContext): string {
  const lines: string[] = [];
  lines.push('Prequential evaluation (each row: predict from the other fields, then learn its outcome)');
  lines.push(
    table([
      ['file', `${r.file} (${r.format}, ${int.format(r.rows)} rows)`],
      ['outcome', `${ctx.outcome} in {${ctx.positive.join(', ')}}: ${int.format(r.positives)} positive (${pct(r.positives / r.rows)})`],
      ['predictors', `${r.predictors.length}${r.predictors.length ? `: ${r.predictors.join(', ')}` : ''}`],
      ['excluded', ctx.exclude.length ? ctx.exclude.join(', ') : '(none)'],
      ['models', ctx.modelKey ? `${r.models.length}, one per value of ${ctx.modelKey}` : '1'],
      ...(ctx.settings ? [['model', ctx.settings]] : []),
    ], '', 2),
  );
  lines.push('');
  lines.push(
    `Metrics over rows ${int.format(r.warmup + 1)}-${int.format(r.rows)} (${int.format(r.scoredRows)} predictions; ` +
      `the first ${int.format(r.warmup)} are warm-up), positive rate ${pct(r.baseRate)}`,
  );
  lines.push(
    table([
      ['AUC', r.auc.toFixed(4)],
      ['  drift reference', `${r.aucRecentRate.toFixed(4)}  (AUC of the positive rate of the previous 1,000 rows alone)`],
      ['  within blocks', `${r.aucWithinBlocks.toFixed(4)}  (mean AUC inside blocks of 5,000 rows: drift between blocks removed)`],
      ['log loss', `${r.logLoss.toFixed(4)}  (running base rate alone: ${r.logLossBaseRate.toFixed(4)})`],
      ['top 10% captures', `${pct(r.lift10)} of positives (lift ${r.lift10Ratio.toFixed(2)}x)`],
      ['speed', `${int.format(r.rowsPerSecond)} rows/s (${r.seconds.toFixed(2)} s, reading included)`],
    ], '  ', 2),
  );
  lines.push('');
  lines.push('Calibration (deciles of the predicted propensity)');
  lines.push(
    table([
      ['decile', 'rows', 'predicted from', 'to', 'mean predicted', 'observed'],
      ...r.calibration.map((c, i) => [
        String(i + 1),
        int.format(c.n),
        c.minPredicted.toFixed(4),
        c.maxPredicted.toFixed(4),
        c.meanPredicted.toFixed(4),
        c.observed.toFixed(4),
      ]),
    ]),
  );
  lines.push('');
  lines.push('Models at the end of the stream (responses and positives decayed when a half-life is set)');
  const shown = r.models.slice(0, 20);
  lines.push(
    table([
      ['key', 'responses', 'positives', 'model AUC', 'active'],
      ...shown.map((m) => [m.key, int.format(m.responses), int.format(m.positives), m.auc.toFixed(4), String(m.activePredictors)]),
    ]),
  );
  if (r.models.length > shown.length) lines.push(`  ... and ${r.models.length - shown.length} more keys`);
  return lines.join('\n') + '\n';
}
