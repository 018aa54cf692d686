/**
 * The simulator's interaction history (IH), kept compactly per customer and handed to the real
 * pipeline as the `HistoryRow` summary it reads, so contact policies are evaluated by `decide`
 * exactly as in the service. What is recorded mirrors the service: `decided` for the action
 * offered, one `contact` per outbound decision that offered a non-transactional action, and the
 * responses: an `impression` for every contact (the simulated customer always sees it), then
 * `accepted` for a positive, else `rejected` (an explicit no, see world.ts) or `ignored`.
 *
 * The contact policies themselves come from the catalog: the demo catalog's own. Only for a catalog
 * without any, the simulator adds SIMULATION_CONTACT_POLICIES (DESIGN.md section 2's examples):
 * suppress an action for 30 days after 3 offers within 30 days without a positive response;
 * suppress it for 90 days after a positive response (taken up); at most one email and one push per
 * customer per 7 days.
 */
import type { CompiledCatalog } from '../core/catalog/compile.js';
import type { HistoryOutcome, HistoryRow } from '../core/types.js';
import { SIM_CHANNELS, type SimChannel } from './truth.js';

export const SIMULATION_CONTACT_POLICIES = {
  timeZone: 'UTC',
  suppressions: [
    { name: 'three offers without a response', scope: 'action', channel: 'all', when: { outcome: 'decided', count: 3, withinDays: 30, withoutPositive: true }, suppressDays: 30 },
    { name: 'taken up', scope: 'action', channel: 'all', when: { outcome: 'positive', count: 1, withinDays: 1 }, suppressDays: 90 },
  ],
  limits: [
    { name: 'one email a week', channel: 'email', max: 1, periodDays: 7 },
    { name: 'one push a week', channel: 'push', max: 1, periodDays: 7 },
  ],
  quietHours: [],
} as const;

/** Outcomes the simulator records, by code. */
const OUTCOMES = ['decided', 'impression', 'accepted', 'ignored', 'rejected', 'contact'] as const satisfies readonly HistoryOutcome[];
export type SimOutcome = 'accepted' | 'ignored' | 'rejected';
const CODE = { decided: 0, impression: 1, accepted: 2, ignored: 3, rejected: 4, contact: 5 } as const;

/** Packs (day, channel, action + 1, outcome) into one non-negative integer. */
function pack(day: number, channel: number, action: number, outcome: number): number {
  return ((day * 8 + channel) * 256 + (action + 1)) * 8 + outcome;
}

export class InteractionHistory {
  private readonly entries: number[][];
  private readonly dayNames: string[];

  constructor(
    customers: number,
    private readonly catalog: CompiledCatalog,
    start: Date,
    days: number,
  ) {
    this.entries = Array.from({ length: customers }, () => []);
    this.dayNames = Array.from({ length: days }, (_, d) => new Date(start.getTime() + d * 86_400_000).toISOString().slice(0, 10));
  }

  /** Records one contact: `decided`, (outbound, non-transactional) one `contact`, `impression` and the response. */
  record(c: number, day: number, channel: SimChannel, action: number, outcome: SimOutcome): void {
    const list = this.entries[c]!;
    const ch = SIM_CHANNELS.indexOf(channel);
    list.push(pack(day, ch, action, CODE.decided));
    const compiled = this.catalog.actions[action]!;
    if (this.catalog.channels.get(channel)?.direction === 'outbound' && !compiled.transactional) list.push(pack(day, ch, -1, CODE.contact));
    list.push(pack(day, ch, action, CODE.impression), pack(day, ch, action, CODE[outcome]));
  }

  /** The customer's history summary for the last `catalog.historyDays` days, as the pipeline reads it. */
  rows(c: number, today: number): HistoryRow[] {
    const list = this.entries[c]!;
    const from = today - this.catalog.historyDays;
    const out: HistoryRow[] = [];
    for (const packed of list) {
      const outcome = packed % 8;
      let rest = (packed - outcome) / 8;
      const action = (rest % 256) - 1;
      rest = (rest - (action + 1)) / 256;
      const ch = rest % 8;
      const day = (rest - ch) / 8;
      if (day < from || day > today) continue;
      const a = action >= 0 ? this.catalog.actions[action] : undefined;
      out.push({
        day: this.dayNames[day]!,
        channel: SIM_CHANNELS[ch]!,
        issue: a?.issue ?? '',
        group: a?.group ?? '',
        actionId: a?.id ?? '',
        outcome: OUTCOMES[outcome]!,
        count: 1,
      });
    }
    return out;
  }

  /** Contacts recorded for a customer (decided rows), for tests. */
  contactCount(c: number): number {
    return this.entries[c]!.filter((p) => p % 8 === CODE.decided).length;
  }
}
