/**
 * The pipeline's contact-policy, preference, advisor and control-group stages, through `decide`
 * with a fixed clock, seeded random source and hand-written history: each policy type, its
 * explanation (policy name and the history that triggered it), and the exemptions (mandatory,
 * transactional).
 */
import { describe, expect, it } from 'vitest';
import { buildCatalogOrThrow } from '../catalog/compile.js';
import { BetaBernoulliModel } from '../models/beta-bernoulli.js';
import { SeededRandom } from '../random.js';
import { policyCatalog } from '../testing/policy-fixtures.js';
import type { CustomerPreferences, HistoryRow, JsonObject } from '../types.js';
import { decide, type DecideRequest } from './decide.js';

// Monday 15 June 2026, 10:00 UTC = 11:00 in Lisbon (WEST).
const NOW = new Date('2026-06-15T10:00:00Z');
const customer: JsonObject = { age: 40, timeZone: 'Europe/Lisbon' };
const NONE: CustomerPreferences = { optedOutChannels: [], marketingConsent: true, preferredChannels: [], contactTimes: [], preferredAdvisor: null };

function run(request: Partial<DecideRequest> = {}, options: { now?: Date; doc?: Record<string, any>; seed?: number } = {}) {
  const catalog = buildCatalogOrThrow(options.doc ?? policyCatalog(), 1);
  return decide(
    { channel: 'web', customer, context: {}, limit: 10, explain: true, ...request },
    { catalog, model: new BetaBernoulliModel(), random: new SeededRandom(options.seed ?? 1), now: options.now ?? NOW },
  );
}

const ids = (r: ReturnType<typeof run>) => r.actions.map((a) => a.actionId);
const entry = (r: ReturnType<typeof run>, actionId: string) => r.explanation!.find((e) => e.actionId === actionId)!;

function h(day: string, actionId: string, outcome: HistoryRow['outcome'], count = 1, channel = 'web'): HistoryRow {
  const where: Record<string, [string, string]> = {
    'gold-card': ['grow', 'cards'],
    'student-card': ['grow', 'cards'],
    'card-expiry': ['service', 'help'],
    'terms-update': ['risk', 'regulatory'],
    'mortgage-talk': ['advice', 'mortgages'],
    '': ['', ''],
  };
  const [issue, group] = where[actionId] ?? ['', ''];
  return { day, channel, issue, group, actionId, outcome, count };
}

describe('mandatory actions', () => {
  it('come first, ahead of higher priorities, and are not dropped by the relevance floor', () => {
    const doc = policyCatalog();
    doc['relevance'] = { minPropensity: 0.01 };
    const result = run({}, { doc });
    expect(ids(result)).toEqual(['terms-update', 'mortgage-talk', 'gold-card', 'student-card', 'card-expiry']);
    expect(result.actions[0]).toMatchObject({ rank: 1, mandatory: true, priority: 0.001 });
    expect(entry(result, 'terms-update').reason).toBe('ranked 1: mandatory, placed ahead of arbitration (P 0.001 x C 1 x V 1 x L 1 = 0.001)');
  });
});

describe('suppression', () => {
  it('suppresses an action after 3 impressions without a positive within 7 days, for 30 days, naming policy and history', () => {
    const history = [h('2026-06-10', 'gold-card', 'impression', 2), h('2026-06-12', 'gold-card', 'impression', 1, 'email')];
    const result = run({ history });
    expect(ids(result)).not.toContain('gold-card');
    expect(ids(result)).toContain('student-card');
    const gold = entry(result, 'gold-card');
    expect(gold).toMatchObject({
      stage: 'suppression',
      policy: 'three strikes',
      evidence: { scope: 'action', target: 'gold-card', outcome: 'impression', count: 3, from: '2026-06-06', to: '2026-06-12', until: '2026-07-12', withoutPositive: true },
    });
    expect(gold.reason).toBe(
      "suppressed by contact policy 'three strikes' until 2026-07-12: 3 impression(s) without a positive response for action 'gold-card' between 2026-06-06 and 2026-06-12 (rule: 3 within 7 day(s) suppresses 30 day(s))",
    );
    // Still suppressed on 11 July, free again on 12 July.
    expect(ids(run({ history }, { now: new Date('2026-07-11T10:00:00Z') }))).not.toContain('gold-card');
    expect(ids(run({ history }, { now: new Date('2026-07-12T10:00:00Z') }))).toContain('gold-card');
  });

  it('does not suppress with fewer impressions, with impressions spread wider than the window, or with a positive', () => {
    expect(ids(run({ history: [h('2026-06-14', 'gold-card', 'impression', 2)] }))).toContain('gold-card');
    expect(ids(run({ history: [h('2026-06-01', 'gold-card', 'impression', 2), h('2026-06-14', 'gold-card', 'impression', 1)] }))).toContain('gold-card');
    const clickedBefore = [h('2026-06-11', 'gold-card', 'clicked', 1), h('2026-06-12', 'gold-card', 'impression', 3)];
    expect(ids(run({ history: clickedBefore }))).toContain('gold-card');
    // A positive after the trigger lifts the suppression: the customer is interested after all.
    const clickedAfter = [h('2026-06-12', 'gold-card', 'impression', 3), h('2026-06-13', 'gold-card', 'clicked', 1)];
    expect(ids(run({ history: clickedAfter }))).toContain('gold-card');
    expect(entry(run({ history: clickedAfter.slice(0, 1) }), 'gold-card').stage).toBe('suppression');
  });

  it('suppresses the whole group for 90 days after one rejection', () => {
    const result = run({ history: [h('2026-04-01', 'student-card', 'rejected')] });
    expect(entry(result, 'gold-card')).toMatchObject({ stage: 'suppression', policy: 'no means no', evidence: { scope: 'group', target: 'cards', until: '2026-06-30' } });
    expect(entry(result, 'student-card').stage).toBe('suppression');
    expect(ids(run({ history: [h('2026-03-17', 'student-card', 'rejected')] }))).toContain('gold-card'); // 90 days passed on 15 June
  });

  it('scopes by issue and by channel', () => {
    const doc = policyCatalog();
    doc['contactPolicies'].suppressions = [
      { name: 'email fatigue', scope: 'issue', channel: 'email', when: { outcome: 'ignored', count: 2, withinDays: 14 }, suppressDays: 14 },
    ];
    const history = [h('2026-06-10', 'gold-card', 'ignored', 1, 'email'), h('2026-06-11', 'student-card', 'ignored', 1, 'email')];
    const email = run({ channel: 'email', history }, { doc });
    expect(entry(email, 'gold-card')).toMatchObject({ stage: 'suppression', policy: 'email fatigue', evidence: { scope: 'issue', target: 'grow', count: 2 } });
    expect(ids(email)).toContain('card-expiry');
    // The same ignores in web do not count, and web decisions are not suppressed by an email policy.
    expect(ids(run({ channel: 'email', history: history.map((r) => ({ ...r, channel: 'web' })) }, { doc }))).toContain('gold-card');
    expect(ids(run({ channel: 'web', history }, { doc }))).toContain('gold-card');
  });

  it('counts offers (`decided`) and the channel-specific meaning of negative', () => {
    const doc = policyCatalog();
    doc['contactPolicies'].suppressions = [
      { name: 'offered too often', scope: 'action', when: { outcome: 'decided', count: 5, withinDays: 7 }, suppressDays: 3 },
      { name: 'any negative', scope: 'action', when: { outcome: 'negative', count: 2, withinDays: 7 }, suppressDays: 3 },
    ];
    expect(entry(run({ history: [h('2026-06-14', 'student-card', 'decided', 5)] }, { doc }), 'student-card').policy).toBe('offered too often');
    const negatives = [h('2026-06-13', 'student-card', 'rejected'), h('2026-06-14', 'student-card', 'ignored')];
    expect(entry(run({ history: negatives }, { doc }), 'student-card').policy).toBe('any negative');
  });

  it('never suppresses a mandatory action', () => {
    const result = run({ history: [h('2026-06-14', 'terms-update', 'impression', 10), h('2026-06-14', 'terms-update', 'rejected', 1)] });
    expect(result.actions[0]!.actionId).toBe('terms-update');
  });
});

describe('contact limits', () => {
  const contacts = (n: number, channel: string, day = '2026-06-12') => h(day, '', 'contact', n, channel);

  it('stops non-transactional actions in a channel that reached its limit; transactional and mandatory still go', () => {
    const result = run({ channel: 'email', history: [contacts(2, 'email')] });
    expect(ids(result)).toEqual(['terms-update', 'card-expiry']);
    expect(entry(result, 'gold-card')).toMatchObject({
      stage: 'contact-limit',
      policy: 'email weekly',
      evidence: { channel: 'email', contacts: 2, max: 2, periodDays: 7, from: '2026-06-09' },
    });
    expect(entry(result, 'gold-card').reason).toBe("contact limit 'email weekly' reached: 2 contact(s) in email since 2026-06-09, at most 2 per 7 day(s)");
  });

  it('counts only the period, and limits across all outbound channels', () => {
    expect(ids(run({ channel: 'email', history: [contacts(2, 'email', '2026-06-08')] }))).toContain('gold-card');
    const push = run({ channel: 'push', history: [contacts(1, 'email'), contacts(2, 'push')] });
    expect(entry(push, 'gold-card')).toMatchObject({ stage: 'contact-limit', policy: 'outbound weekly', evidence: { contacts: 3, max: 3 } });
    expect(ids(run({ channel: 'push', history: [contacts(1, 'email'), contacts(1, 'push')] }))).toContain('gold-card');
  });

  it('does not apply to inbound channels', () => {
    expect(ids(run({ channel: 'web', history: [contacts(9, 'email'), contacts(9, 'push')] }))).toContain('gold-card');
  });
});

describe('quiet hours', () => {
  const late = new Date('2026-06-15T21:30:00Z'); // 22:30 in Lisbon

  it('hold back outbound contact in the customer time zone; inbound and mandatory are not affected', () => {
    const result = run({ channel: 'push' }, { now: late });
    expect(ids(result)).toEqual(['terms-update']);
    expect(entry(result, 'card-expiry')).toMatchObject({
      stage: 'quiet-hours',
      policy: 'quiet hours outbound 21:00-08:00',
      evidence: { localTime: '22:30', timeZone: 'Europe/Lisbon', from: '21:00', to: '08:00' },
    });
    expect(ids(run({ channel: 'web' }, { now: late }))).toContain('gold-card');
  });

  it('use the profile time zone, else the catalog default', () => {
    // 21:30 UTC is 17:30 in New York: not quiet there.
    expect(ids(run({ channel: 'push', customer: { timeZone: 'America/New_York' } }, { now: late }))).toContain('gold-card');
    expect(entry(run({ channel: 'push', customer: { timeZone: 'Not/AZone' } }, { now: late }), 'gold-card').stage).toBe('quiet-hours');
    expect(entry(run({ channel: 'push', customer: undefined }, { now: late }), 'gold-card').evidence).toMatchObject({ timeZone: 'Europe/Lisbon' });
    expect(ids(run({ channel: 'push' }, { now: new Date('2026-06-15T07:00:00Z') }))).toContain('gold-card'); // 08:00 Lisbon
  });
});

describe('preferences and consent', () => {
  it('are skipped when not given (library use), and defaults apply for null: no marketing on outbound', () => {
    expect(ids(run({ channel: 'email' }))).toContain('gold-card');
    const defaults = run({ channel: 'email', preferences: null });
    expect(ids(defaults)).toEqual(['terms-update', 'card-expiry']);
    expect(entry(defaults, 'gold-card')).toMatchObject({
      stage: 'preference',
      policy: 'marketingConsent',
      reason: 'marketing consent unknown (default (no preferences given)): no marketing on outbound channels',
    });
    expect(ids(run({ channel: 'web', preferences: null }))).toContain('gold-card');
  });

  it('without marketing consent only service and risk actions remain, in every channel', () => {
    const result = run({ channel: 'web', preferences: { ...NONE, marketingConsent: false } });
    expect(ids(result)).toEqual(['terms-update', 'card-expiry']);
    expect(entry(result, 'mortgage-talk').reason).toBe('the customer did not consent to marketing: only service and risk actions');
  });

  it('an opted-out channel gets nothing, not even mandatory actions', () => {
    const result = run({ channel: 'push', preferences: { ...NONE, optedOutChannels: ['push'] } });
    expect(result.actions).toEqual([]);
    expect(entry(result, 'terms-update')).toMatchObject({ stage: 'preference', policy: 'optedOutChannels', reason: 'the customer opted out of the push channel' });
  });

  it('preferred channels restrict outbound contact only', () => {
    const prefs = { ...NONE, preferredChannels: ['email'] };
    expect(run({ channel: 'push', preferences: prefs }).actions).toEqual([]);
    expect(ids(run({ channel: 'email', preferences: prefs }))).toContain('gold-card');
    expect(ids(run({ channel: 'web', preferences: prefs }))).toContain('gold-card');
  });

  it('contact times restrict outbound contact to the windows, in local time, with days and midnight wrap', () => {
    const evenings = { ...NONE, contactTimes: [{ days: ['mon' as const], from: '18:00', to: '21:00' }, { days: ['sat' as const], from: '23:00', to: '02:00' }] };
    const doc = policyCatalog();
    doc['contactPolicies'].quietHours = [];
    const morning = run({ channel: 'email', preferences: evenings }, { doc });
    expect(morning.actions).toEqual([]);
    expect(entry(morning, 'gold-card').reason).toBe(
      "outside the customer's contact times (mon 18:00-21:00; sat 23:00-02:00): it is mon 11:00 in Europe/Lisbon",
    );
    expect(ids(run({ channel: 'email', preferences: evenings }, { now: new Date('2026-06-15T18:30:00Z'), doc }))).toContain('gold-card'); // mon 19:30
    expect(run({ channel: 'email', preferences: evenings }, { now: new Date('2026-06-16T18:30:00Z'), doc }).actions).toEqual([]); // tue
    expect(ids(run({ channel: 'email', preferences: evenings }, { now: new Date('2026-06-21T00:30:00Z'), doc }))).toContain('gold-card'); // sun 01:30, Saturday's window
    expect(run({ channel: 'email', preferences: evenings }, { now: new Date('2026-06-20T00:30:00Z'), doc }).actions).toEqual([]); // sat 01:30, Friday had none
    expect(ids(run({ channel: 'web', preferences: evenings }))).toContain('gold-card');
  });
});

describe('advisor routing', () => {
  const talk = (request: Partial<DecideRequest>) => run({ preferences: NONE, ...request }).actions.find((a) => a.actionId === 'mortgage-talk');

  it("routes to the customer's preferred advisor when able, else the best expertise match with capacity", () => {
    expect(talk({ preferences: { ...NONE, preferredAdvisor: 'ben' } })?.advisorId).toBe('ben');
    // Ana and Carla list mortgages first; Ana has more capacity left.
    expect(talk({})?.advisorId).toBe('ana');
    expect(talk({ advisorLoad: new Map([['ana', 2]]) })?.advisorId).toBe('carla');
    // Preferred but full: the best other match, and the explanation says why.
    const result = run({ preferences: { ...NONE, preferredAdvisor: 'carla' }, advisorLoad: new Map([['carla', 1]]) });
    expect(result.actions.find((a) => a.actionId === 'mortgage-talk')?.advisorId).toBe('ana');
    expect(entry(result, 'mortgage-talk').reason).toContain('(preferred advisor carla has no capacity left in 2026-W25)');
  });

  it('prefers an advisor meeting customers on a channel they prefer when expertise ties', () => {
    expect(talk({ preferences: { ...NONE, preferredChannels: ['phone'] } })?.advisorId).toBe('carla');
  });

  it('drops the conversation when no advisor has capacity left this week', () => {
    const result = run({ advisorLoad: new Map([['ana', 2], ['ben', 5], ['carla', 1]]) });
    expect(ids(result)).not.toContain('mortgage-talk');
    expect(entry(result, 'mortgage-talk')).toMatchObject({ stage: 'advisor', reason: 'no advisor for mortgages has capacity left in 2026-W25' });
  });
});

describe('control group', () => {
  it('gives a random order of the eligible actions, reproducible by seed, with mandatory first and no relevance floor', () => {
    const doc = policyCatalog();
    doc['relevance'] = { minPropensity: 0.1 };
    const nba = run({ limit: 1 }, { doc });
    expect(ids(nba)).toEqual(['terms-update']);
    const orders = new Set<string>();
    for (let seed = 1; seed <= 30; seed++) {
      const control = run({ controlGroup: true, limit: 10 }, { doc, seed });
      expect(control.controlGroup).toBe(true);
      expect(control.actions[0]!.actionId).toBe('terms-update');
      expect(control.actions).toHaveLength(5); // gold-card (P 0.05) is below the floor but eligible
      orders.add(ids(control).join(','));
      expect(run({ controlGroup: true, limit: 10 }, { doc, seed })).toEqual(control);
    }
    expect(orders.size).toBeGreaterThan(5);
    expect(entry(run({ controlGroup: true }, { doc }), 'gold-card').reason).toMatch(/control group: random order among the 4 eligible action\(s\)/);
  });
});
