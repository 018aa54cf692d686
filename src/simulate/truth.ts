/**
 * The hidden truth of the simulated bank: the probability that a customer, in their current state,
 * responds positively to an action in a channel. No strategy reads this except the oracle; it is
 * what the simulator draws responses from and scores every contact with.
 *
 *   p = min(0.95, need x fit(kind, channel) x affinity(customer, channel) x context x attention)
 *   need = min(1, base(action) x driver(action, profile, month) x idiosyncrasy(customer, action)
 *                 + boost(customer, action, day))
 *
 * - base: the action's response rate for an average customer in a well-suited channel.
 * - driver: how the customer's visible profile moves that need (income, age, children, balances,
 *   travel, churn risk, ...); written out per action below. A learning model can pick these up,
 *   because the profile is what it sees.
 * - idiosyncrasy: hidden, fixed per customer x action, log-normal with mean 1 (sigma 1.0): the
 *   part of the need no attribute explains ("there is no average customer in a segment").
 * - boost: what a recent life event adds (e.g. a child: +0.25 on a kids savings account), decaying
 *   with a 21-day half-life; see world.ts for which event boosts what. Partly visible in the
 *   profile (children, foreignTransactions, income), partly not (the timing, moving home).
 * - fit: how well an action of a kind works in a channel (conversations belong on the phone,
 *   alerts in push; an email only counts when the offer is accepted, so it fits offers poorly).
 * - affinity: hidden per customer x channel, from the profile (app users like push, older customers
 *   the phone) times log-normal noise (sigma 0.5).
 * - context: the moment. A visit to the mortgage pages doubles mortgage needs, a call about travel
 *   doubles the travel notice, a stated intent to cancel triples retention; the page a customer
 *   browses is itself drawn from their needs (world.ts), so context carries real signal.
 * - attention = exp(-fatigue): irrelevant and ignored contacts tire the customer (world.ts).
 */
import type { ActionKind } from '../core/catalog/types.js';
import type { JsonObject, JsonValue } from '../core/types.js';

/** The channels the simulator drives: inbound visits and the daily outbound batch. */
export const SIM_CHANNELS = ['web', 'mobile', 'call-centre', 'email', 'push'] as const;
export type SimChannel = (typeof SIM_CHANNELS)[number];
export const INBOUND_CHANNELS: readonly SimChannel[] = ['web', 'mobile', 'call-centre'];
export const OUTBOUND_CHANNELS: readonly SimChannel[] = ['email', 'push'];

/** A contact whose true propensity is below this is counted as irrelevant. */
export const IRRELEVANT_BELOW = 0.01;
/** No response probability exceeds this. */
export const MAX_PROPENSITY = 0.95;

export interface ActionTruth {
  kind: ActionKind;
  base: number;
  /** Multiplier on `base` from the visible profile (1 = average); `month` is 0-11. */
  driver: (p: ProfileView, month: number) => number;
}

/** Typed reads of the profile attributes the truth uses. */
export class ProfileView {
  constructor(public attributes: JsonObject) {}
  num(key: string): number {
    const v = this.attributes[key];
    return typeof v === 'number' ? v : 0;
  }
  bool(key: string): boolean {
    return this.attributes[key] === true;
  }
  str(key: string): string {
    const v = this.attributes[key];
    return typeof v === 'string' ? v : '';
  }
  has(product: string): boolean {
    const v: JsonValue | undefined = this.attributes['products'];
    return Array.isArray(v) && v.includes(product);
  }
}

const working = (p: ProfileView): boolean => p.str('employment') === 'employed' || p.str('employment') === 'self-employed';
/** Credit and investment appetite collapses after a job loss. */
const jobless = (p: ProfileView): number => (p.str('employment') === 'unemployed' ? 0.15 : 1);
const clamp = (x: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, x));
const churnish = (p: ProfileView, pivot: number): number => clamp(p.num('churnScore') / pivot, 0.1, 3);

/** The hidden need model per demo-catalog action. */
export const ACTION_TRUTH: Readonly<Record<string, ActionTruth>> = {
  // grow > cards
  'gold-card': { kind: 'offer', base: 0.012, driver: (p) => jobless(p) * Math.sqrt(clamp(p.num('income') / 40000, 0.3, 4)) * (1 + 0.15 * Math.min(10, p.num('foreignTransactions'))) },
  'platinum-card': { kind: 'offer', base: 0.006, driver: (p) => jobless(p) * clamp(p.num('income') / 90000, 0.3, 3) * (1 + 0.1 * Math.min(10, p.num('foreignTransactions'))) },
  'student-card': { kind: 'offer', base: 0.04, driver: () => 1 },
  // grow > loans
  'personal-loan': { kind: 'offer', base: 0.008, driver: (p) => jobless(p) * (p.num('age') >= 25 && p.num('age') <= 45 ? 1.5 : 0.8) * (p.num('children') > 0 ? 1.3 : 1) },
  'car-loan': { kind: 'offer', base: 0.005, driver: (p) => jobless(p) * (p.num('children') > 0 ? 1.4 : 1) },
  // grow > mortgages
  'mortgage-first-home': {
    kind: 'offer',
    base: 0.002,
    driver: (p) => {
      const age = p.num('age');
      const couple = p.str('maritalStatus') === 'married' || p.str('maritalStatus') === 'partnered';
      return jobless(p) * (age >= 27 && age <= 40 ? 3 : 1) * (couple ? 1.5 : 1) * (p.num('children') > 0 ? 1.5 : 1);
    },
  },
  'mortgage-refinance': { kind: 'offer', base: 0.02, driver: (p) => clamp(p.num('mortgageRate') - 3, 0.2, 3) },
  // grow > savings
  'savings-account': { kind: 'offer', base: 0.02, driver: (p) => (p.num('balance') >= 3000 ? 1.8 : 1) },
  'term-deposit': { kind: 'offer', base: 0.01, driver: (p) => clamp(Math.sqrt(p.num('savingsBalance') / 20000), 0.3, 3) * (p.num('age') >= 55 ? 1.5 : 1) },
  'kids-savings': { kind: 'offer', base: 0.03, driver: (p) => Math.sqrt(Math.max(0, p.num('children'))) },
  // grow > investments
  'robo-advisor': { kind: 'offer', base: 0.006, driver: (p) => jobless(p) * (p.num('age') < 45 ? 1.8 : 1) },
  'pension-top-up': { kind: 'offer', base: 0.008, driver: (p, month) => (working(p) ? 1 : 0.2) * (p.num('age') >= 45 ? 2 : 1) * (month >= 10 ? 2 : 1) },
  'investment-review': { kind: 'conversation', base: 0.015, driver: (p) => (p.str('segment') === 'A' ? 2 : 1) * (p.bool('hasAdvisor') ? 1.5 : 1) },
  // retain
  'fee-waiver': { kind: 'retention', base: 0.03, driver: (p) => churnish(p, 0.4) },
  'loyalty-bonus': { kind: 'retention', base: 0.05, driver: (p) => churnish(p, 0.4) },
  'rate-match': { kind: 'retention', base: 0.02, driver: (p) => churnish(p, 0.4) },
  'cancel-save-call': { kind: 'conversation', base: 0.05, driver: (p) => churnish(p, 0.5) },
  // service
  'welcome-tour': { kind: 'service', base: 0.05, driver: (p) => (p.num('tenureYears') < 1 ? 1 : 0.1) },
  'app-onboarding': { kind: 'service', base: 0.03, driver: (p) => (p.num('age') < 50 ? 1.5 : 0.7) * (p.bool('digitalActive') ? 2 : 0.5) },
  paperless: { kind: 'service', base: 0.04, driver: () => 1 },
  'e-statement': { kind: 'service', base: 0.03, driver: () => 1 },
  'card-expiry-reminder': { kind: 'service', base: 0.05, driver: (p) => (p.num('cardExpiryMonths') <= 2 ? 6 : 1) },
  'address-update': { kind: 'service', base: 0.005, driver: (p) => (p.bool('mailReturned') ? 60 : 1) },
  'travel-notice': { kind: 'service', base: 0.01, driver: (p) => (p.num('foreignTransactions') > 0 ? 1 + 0.2 * Math.min(10, p.num('foreignTransactions')) : 0.2) },
  // risk
  'fraud-alert-review': { kind: 'risk', base: 0.002, driver: (p) => (p.num('suspiciousTransactions') > 0 ? 300 : 1) },
  'card-security-tips': { kind: 'risk', base: 0.02, driver: () => 1 },
  'overdraft-warning': { kind: 'risk', base: 0.005, driver: (p) => (p.num('balance') < 200 || p.num('overdraftDays') > 0 ? 24 : 1) },
  'debt-advice': { kind: 'conversation', base: 0.04, driver: (p) => clamp(p.num('riskScore') / 0.7, 0.2, 1.5) },
  'terms-update': { kind: 'risk', base: 0.25, driver: (p) => (p.bool('termsAccepted') ? 0 : 1) },
};

/**
 * The truth of an action the simulator has no specific model for (a catalog grown since this file
 * was written): a flat 1% base need, of the catalog's kind (default offer). Runs report which
 * actions fell back to it.
 */
export function genericTruth(kind: ActionKind | undefined): ActionTruth {
  return { kind: kind ?? 'offer', base: 0.01, driver: () => 1 };
}

/** fit(kind, channel): how well an action of a kind lands in a channel. */
export const CHANNEL_FIT: Readonly<Record<ActionKind, Readonly<Record<SimChannel, number>>>> = {
  offer: { web: 1.0, mobile: 1.0, 'call-centre': 0.8, email: 0.35, push: 0.6 },
  conversation: { web: 0.4, mobile: 0.4, 'call-centre': 1.3, email: 0.25, push: 0.2 },
  retention: { web: 0.8, mobile: 0.8, 'call-centre': 1.5, email: 0.5, push: 0.6 },
  service: { web: 1.0, mobile: 1.2, 'call-centre': 1.2, email: 0.5, push: 1.3 },
  risk: { web: 0.9, mobile: 1.2, 'call-centre': 1.2, email: 0.5, push: 1.5 },
};

/** Context multipliers: which actions a page, call reason, intent or outbound event makes more relevant. */
export interface ContextTarget {
  group?: string;
  action?: string;
  issue?: string;
  factor: number;
}
export const CONTEXT_EFFECTS: Readonly<Record<string, Readonly<Record<string, ContextTarget[]>>>> = {
  page: {
    mortgages: [{ group: 'mortgages', factor: 2 }],
    investments: [{ group: 'investments', factor: 1.6 }],
    cards: [{ group: 'cards', factor: 1.8 }],
    loans: [{ group: 'loans', factor: 1.8 }],
    savings: [{ group: 'savings', factor: 1.8 }],
    travel: [{ action: 'travel-notice', factor: 2 }, { action: 'gold-card', factor: 1.3 }],
  },
  reason: {
    travel: [{ action: 'travel-notice', factor: 2 }],
    'lost-card': [{ group: 'fraud', factor: 2 }],
    card: [{ action: 'card-expiry-reminder', factor: 2 }],
    'payment-difficulty': [{ group: 'financial-health', factor: 2 }],
  },
  intent: {
    cancel: [{ issue: 'retain', factor: 3 }],
  },
  event: {
    'salary-in': [{ group: 'savings', factor: 1.5 }],
    travel: [{ action: 'travel-notice', factor: 1.5 }],
    child: [{ action: 'kids-savings', factor: 1.5 }],
    'large-deposit': [{ group: 'savings', factor: 1.3 }, { group: 'investments', factor: 1.3 }],
    'job-loss': [{ group: 'financial-health', factor: 1.5 }],
    'card-expiring': [{ action: 'card-expiry-reminder', factor: 1.5 }],
    moving: [{ action: 'address-update', factor: 1.5 }],
  },
};

/** The product of the context multipliers that apply to an action. */
export function contextFactor(context: JsonObject, where: { issue: string; group: string; action: string }): number {
  let f = 1;
  for (const key in CONTEXT_EFFECTS) {
    const value = context[key];
    if (typeof value !== 'string') continue;
    const targets = CONTEXT_EFFECTS[key]?.[value];
    if (!targets) continue;
    for (const t of targets) {
      if (t.action === where.action || t.group === where.group || t.issue === where.issue) f *= t.factor;
    }
  }
  return f;
}

/** The customer's need for an action now (probability of a yes in a perfect channel with full attention). */
export function trueNeed(truth: ActionTruth, profile: ProfileView, month: number, idiosyncrasy: number, boost: number): number {
  return Math.min(1, truth.base * truth.driver(profile, month) * idiosyncrasy + boost);
}

/** The hidden response probability (see the formula at the top of this file). */
export function truePropensity(need: number, kind: ActionKind, channel: SimChannel, affinity: number, context: number, attention: number): number {
  return Math.min(MAX_PROPENSITY, need * CHANNEL_FIT[kind][channel] * affinity * context * attention);
}
