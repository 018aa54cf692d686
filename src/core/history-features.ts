/**
 * Interaction-history predictors: what the customer's recent history says, as model inputs
 * (`ih.*`), computed from the history summary a decision has already read. Customer-level counts
 * over the summary's days: offers made in the last 7 and 30 days, outbound contacts in the last
 * 30 days, positive and negative responses, and days since the last positive response.
 */
import type { CompiledCatalog } from './catalog/compile.js';
import { daysBetween } from './policy/time.js';
import type { HistoryRow, Predictors } from './types.js';

export function addHistoryPredictors(out: Predictors, history: readonly HistoryRow[], catalog: CompiledCatalog, today: string): void {
  if (catalog.historyDays <= 0) return; // no history read for this catalog: leave the predictors missing
  let offers7 = 0;
  let offers30 = 0;
  let contacts30 = 0;
  let positives = 0;
  let negatives = 0;
  let lastPositiveAge = Number.POSITIVE_INFINITY;
  for (const row of history) {
    const age = daysBetween(row.day, today);
    if (row.outcome === 'decided') {
      if (age < 7) offers7 += row.count;
      if (age < 30) offers30 += row.count;
      continue;
    }
    if (row.outcome === 'contact') {
      if (age < 30) contacts30 += row.count;
      continue;
    }
    const channel = catalog.channels.get(row.channel);
    if (!channel) continue;
    if (channel.positive.has(row.outcome)) {
      positives += row.count;
      if (age < lastPositiveAge) lastPositiveAge = age;
    } else if (channel.negative.has(row.outcome)) negatives += row.count;
  }
  out['ih.offers7d'] = offers7;
  out['ih.offers30d'] = offers30;
  out['ih.contacts30d'] = contacts30;
  out['ih.positives'] = positives;
  out['ih.negatives'] = negatives;
  if (Number.isFinite(lastPositiveAge)) out['ih.daysSinceLastPositive'] = lastPositiveAge;
}
