/**
 * Contact policies over the interaction-history summary (pure): suppressions ("3 impressions
 * without a positive within 7 days: suppress the action 30 days"), outbound contact limits per
 * channel and across outbound channels, and quiet hours in the customer's time zone. Each finding
 * carries the policy name and the history that triggered it, for the decision's explanation.
 */
import type { CompiledAction, CompiledCatalog, CompiledChannel } from '../catalog/compile.js';
import type { ContactLimitDef, HistoryCondition, QuietHoursDef, SuppressionDef } from '../catalog/types.js';
import type { HistoryRow } from '../types.js';
import { addDays, daysBetween, inTimeWindow, type LocalClock } from './time.js';

export interface ContactFinding {
  stage: 'suppression' | 'contact-limit' | 'quiet-hours';
  policy: string;
  reason: string;
  evidence: Record<string, string | number | boolean>;
}

const OUTCOME_WORDS: Record<HistoryCondition, string> = {
  decided: 'offer',
  impression: 'impression',
  clicked: 'click',
  accepted: 'acceptance',
  rejected: 'rejection',
  ignored: 'ignored offer',
  positive: 'positive response',
  negative: 'negative response',
};

/** Evaluates the catalog's contact policies for one customer's history, one decision day. */
export class ContactPolicyEvaluator {
  private readonly catalog: CompiledCatalog;
  private readonly channel: CompiledChannel;
  private readonly history: readonly HistoryRow[];
  private readonly today: string;
  private readonly clock: LocalClock | undefined;
  private readonly suppressionCache = new Map<string, ContactFinding | null>();
  private limitFinding: ContactFinding | null | undefined;

  constructor(catalog: CompiledCatalog, channel: CompiledChannel, history: readonly HistoryRow[], today: string, clock: LocalClock | undefined) {
    this.catalog = catalog;
    this.channel = channel;
    this.history = history;
    this.today = today;
    this.clock = clock;
  }

  /** The first policy that stops `action` now, or undefined. Mandatory actions are never stopped here. */
  check(action: CompiledAction): ContactFinding | undefined {
    if (action.mandatory) return undefined;
    const quiet = this.quietHours();
    if (quiet) return quiet;
    for (const policy of this.catalog.contactPolicies.suppressions) {
      const hit = this.suppression(policy, action);
      if (hit) return hit;
    }
    if (!action.transactional) {
      const limit = this.limit();
      if (limit) return limit;
    }
    return undefined;
  }

  private quietHours(): ContactFinding | undefined {
    if (!this.clock) return undefined;
    const entry = this.catalog.contactPolicies.quietHours.find(
      (q: QuietHoursDef) => (q.channel === this.channel.id || (q.channel === 'all' && this.channel.direction === 'outbound')) && inTimeWindow(this.clock!.minutes, q.from, q.to),
    );
    if (!entry) return undefined;
    const policy = `quiet hours ${entry.channel === 'all' ? 'outbound' : entry.channel} ${entry.from}-${entry.to}`;
    return {
      stage: 'quiet-hours',
      policy,
      reason: `quiet hours in ${this.channel.id}: it is ${this.clock.time} in ${this.clock.zone}, inside ${entry.from}-${entry.to}`,
      evidence: { localTime: this.clock.time, timeZone: this.clock.zone, from: entry.from, to: entry.to },
    };
  }

  private suppression(policy: SuppressionDef, action: CompiledAction): ContactFinding | undefined {
    if (policy.channel !== 'all' && policy.channel !== this.channel.id) return undefined;
    const target = policy.scope === 'action' ? action.id : policy.scope === 'group' ? action.group : action.issue;
    const cacheKey = `${policy.name}\u0000${target}`;
    const cached = this.suppressionCache.get(cacheKey);
    if (cached !== undefined) return cached ?? undefined;

    // Daily counts of matching outcomes and of positives, for this scope and channel filter.
    const horizon = policy.suppressDays + policy.when.withinDays;
    const start = addDays(this.today, -horizon + 1);
    const matches = new Array<number>(horizon).fill(0);
    const positives = new Array<number>(horizon).fill(0);
    for (const row of this.history) {
      if (row.actionId === '') continue;
      if (policy.channel !== 'all' && row.channel !== policy.channel) continue;
      const key = policy.scope === 'action' ? row.actionId : policy.scope === 'group' ? row.group : row.issue;
      if (key !== target) continue;
      const index = daysBetween(start, row.day);
      if (index < 0 || index >= horizon) continue;
      if (this.matches(row, policy.when.outcome)) matches[index] = (matches[index] ?? 0) + row.count;
      if (this.isPositive(row)) positives[index] = (positives[index] ?? 0) + row.count;
    }
    // The latest trigger day d within the last suppressDays days: a day with a matching event on
    // which the window [d-w+1, d] holds the condition (the event that completed the count). With
    // `withoutPositive`, a positive response after the trigger lifts it: the customer is interested.
    let finding: ContactFinding | null = null;
    const w = policy.when.withinDays;
    let positiveSince = 0;
    for (let d = horizon - 1; d >= horizon - policy.suppressDays && d >= 0; d--) {
      if (policy.when.withoutPositive && positiveSince > 0) break;
      positiveSince += positives[d] ?? 0;
      if ((matches[d] ?? 0) === 0) continue;
      let count = 0;
      let positive = 0;
      for (let i = Math.max(0, d - w + 1); i <= d; i++) {
        count += matches[i] ?? 0;
        positive += positives[i] ?? 0;
      }
      if (count < policy.when.count || (policy.when.withoutPositive && positive > 0)) continue;
      const from = addDays(start, Math.max(0, d - w + 1));
      const to = addDays(start, d);
      const until = addDays(to, policy.suppressDays);
      const scopeWords = `${policy.scope} '${target}'${policy.channel === 'all' ? '' : ` in ${policy.channel}`}`;
      const what = `${count} ${OUTCOME_WORDS[policy.when.outcome]}(s)${policy.when.withoutPositive ? ' without a positive response' : ''}`;
      finding = {
        stage: 'suppression',
        policy: policy.name,
        reason: `suppressed by contact policy '${policy.name}' until ${until}: ${what} for ${scopeWords} between ${from} and ${to} (rule: ${policy.when.count} within ${w} day(s) suppresses ${policy.suppressDays} day(s))`,
        evidence: { scope: policy.scope, target, outcome: policy.when.outcome, count, from, to, until, withoutPositive: policy.when.withoutPositive },
      };
      break;
    }
    this.suppressionCache.set(cacheKey, finding);
    return finding ?? undefined;
  }

  private limit(): ContactFinding | undefined {
    if (this.limitFinding !== undefined) return this.limitFinding ?? undefined;
    this.limitFinding = null;
    if (this.channel.direction !== 'outbound') return undefined;
    for (const limit of this.catalog.contactPolicies.limits) {
      if (limit.channel !== 'all' && limit.channel !== this.channel.id) continue;
      const contacts = this.contacts(limit);
      if (contacts < limit.max) continue;
      const from = addDays(this.today, -limit.periodDays + 1);
      const where = limit.channel === 'all' ? 'all outbound channels' : limit.channel;
      this.limitFinding = {
        stage: 'contact-limit',
        policy: limit.name,
        reason: `contact limit '${limit.name}' reached: ${contacts} contact(s) in ${where} since ${from}, at most ${limit.max} per ${limit.periodDays} day(s)`,
        evidence: { channel: limit.channel, contacts, max: limit.max, periodDays: limit.periodDays, from },
      };
      break;
    }
    return this.limitFinding ?? undefined;
  }

  private contacts(limit: ContactLimitDef): number {
    const from = addDays(this.today, -limit.periodDays + 1);
    let total = 0;
    for (const row of this.history) {
      if (row.outcome !== 'contact' || row.day < from || row.day > this.today) continue;
      if (limit.channel === 'all' ? this.catalog.channels.get(row.channel)?.direction === 'outbound' : row.channel === limit.channel) total += row.count;
    }
    return total;
  }

  private isPositive(row: HistoryRow): boolean {
    const channel = this.catalog.channels.get(row.channel);
    return row.outcome !== 'decided' && row.outcome !== 'contact' && channel !== undefined && channel.positive.has(row.outcome);
  }

  private matches(row: HistoryRow, condition: HistoryCondition): boolean {
    if (condition === 'positive') return this.isPositive(row);
    if (condition === 'negative') {
      const channel = this.catalog.channels.get(row.channel);
      return row.outcome !== 'decided' && row.outcome !== 'contact' && channel !== undefined && channel.negative.has(row.outcome);
    }
    return row.outcome === condition;
  }
}
