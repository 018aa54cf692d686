/**
 * The synthetic bank the strategies are run against. One `World` per strategy run, built from the
 * same seed, so every strategy starts from the identical population and sees the identical life
 * events, visits, churn draws and response draws (streams.ts); only what the strategy does to the
 * customers (offers taken up, fatigue, who leaves) makes the worlds diverge.
 *
 * - Population: the demo bank's customer generator (src/demo/customers.ts) at scale: realistic,
 *   correlated profiles (age, income, products, risk, churn score, digital habits...).
 * - Hidden state per customer: an idiosyncratic need per action, life-event boosts per action, a
 *   channel affinity per channel, fatigue, and whether the customer has left (truth.ts has the
 *   response formula).
 * - Life events arrive as Poisson processes per customer (rates below, drawn once from the
 *   customer's initial profile): salary rise, child, moving home, travel abroad, job loss, large
 *   deposit; card expiry follows the card's clock (every 30 days a month passes). Each event changes
 *   the visible profile and boosts the hidden needs it creates.
 * - Visits: each day a customer visits the app, the web site or calls the call centre with
 *   probabilities from their profile and recent events; the page visited and the call reason come
 *   from their current needs and events.
 * - Fatigue: every contact that is not taken up tires the customer (more when it was irrelevant,
 *   more in outbound than inbound); fatigue halves in about 14 days; attention = exp(-fatigue).
 * - Churn: a daily hazard from the churn score, multiplied by (1 + 3 x fatigue); a customer who
 *   leaves never comes back.
 */
import type { CompiledCatalog } from '../core/catalog/compile.js';
import type { ActionKind } from '../core/catalog/types.js';
import { sampleNormal, SeededRandom } from '../core/random.js';
import type { CustomerPreferences, JsonObject } from '../core/types.js';
import { demoPreferences } from '../demo/preferences.js';
import { DEMO_PRODUCTS, generateDemoCustomers } from '../demo/customers.js';
import { seedBits, STREAM, uniform } from './streams.js';
import {
  ACTION_TRUTH,
  contextFactor,
  genericTruth,
  IRRELEVANT_BELOW,
  ProfileView,
  SIM_CHANNELS,
  trueNeed,
  truePropensity,
  type ActionTruth,
  type SimChannel,
} from './truth.js';

export const DAY_MS = 86_400_000;
/** Half-life of a life-event boost, in days. */
export const BOOST_HALF_LIFE_DAYS = 21;
/** Fatigue is multiplied by this every day (half-life about 14 days). */
export const FATIGUE_DECAY_PER_DAY = 0.95;
/** Outbound cadence: each customer is in the outbound batch every this many days (plus on life events). */
export const OUTBOUND_EVERY_DAYS = 28;

export const LIFE_EVENTS = ['salary-rise', 'child', 'moving', 'travel', 'job-loss', 'large-deposit', 'card-expiring'] as const;
export type LifeEvent = (typeof LIFE_EVENTS)[number];
/** The `context.event` an outbound decision triggered by the event carries. */
export const EVENT_CONTEXT: Readonly<Record<LifeEvent, string>> = {
  'salary-rise': 'salary-in',
  child: 'child',
  moving: 'moving',
  travel: 'travel',
  'job-loss': 'job-loss',
  'large-deposit': 'large-deposit',
  'card-expiring': 'card-expiring',
};

/** Hidden need boosts per life event (added to the need, decaying with BOOST_HALF_LIFE_DAYS). */
export const EVENT_BOOSTS: Readonly<Record<LifeEvent, Readonly<Record<string, number>>>> = {
  'salary-rise': { 'savings-account': 0.04, 'term-deposit': 0.03, 'robo-advisor': 0.02, 'car-loan': 0.02, 'gold-card': 0.02, 'pension-top-up': 0.02 },
  child: { 'kids-savings': 0.25, 'savings-account': 0.04, 'mortgage-first-home': 0.03, 'car-loan': 0.03, 'personal-loan': 0.02 },
  moving: { 'mortgage-first-home': 0.05, 'personal-loan': 0.03 },
  travel: { 'travel-notice': 0.35, 'gold-card': 0.02 },
  'job-loss': { 'debt-advice': 0.2, 'overdraft-warning': 0.2 },
  'large-deposit': { 'term-deposit': 0.15, 'investment-review': 0.08, 'robo-advisor': 0.05, 'savings-account': 0.05 },
  'card-expiring': { 'card-expiry-reminder': 0.3 },
};

/** Yearly rate of each Poisson life event for a profile (card expiry is on the card's clock instead). */
export function lifeEventRates(p: ProfileView): Record<Exclude<LifeEvent, 'card-expiring'>, number> {
  const employment = p.str('employment');
  const working = employment === 'employed' || employment === 'self-employed';
  const age = p.num('age');
  const couple = p.str('maritalStatus') === 'married' || p.str('maritalStatus') === 'partnered';
  const income = p.num('income');
  return {
    'salary-rise': working ? 0.3 : 0,
    child: couple && age >= 24 && age <= 42 ? 0.12 : 0,
    moving: age >= 22 && age <= 40 ? 0.15 : 0.06,
    travel: (income > 50000 ? 3 : income > 25000 ? 1.5 : 0.6) * (age >= 75 ? 0.3 : 1),
    'job-loss': working ? 0.04 : 0,
    'large-deposit': p.str('segment') === 'A' ? 0.2 : 0.08,
  };
}

export interface WorldConfig {
  customers: number;
  days: number;
  seed: number | string;
  /** First simulated day (UTC midnight). */
  start: Date;
}

export interface ScheduledEvent {
  customer: number;
  type: LifeEvent;
  /** Magnitude draw in [0, 1), from the event stream. */
  u: number;
}

export interface ContactOutcome {
  propensity: number;
  positive: boolean;
  /** A negative given as an explicit no (rejected) rather than silence (ignored). */
  rejected: boolean;
  irrelevant: boolean;
  value: number;
}

export class World {
  readonly n: number;
  readonly days: number;
  readonly seed: number;
  readonly start: Date;
  readonly catalog: CompiledCatalog;
  /** Catalog actions, by index. */
  readonly actionIds: string[];
  readonly actionIndex: Map<string, number>;
  readonly truths: ActionTruth[];
  /** Catalog actions without a specific hidden truth in truth.ts (they get `genericTruth`). */
  readonly genericTruthActions: string[];
  readonly kinds: ActionKind[];
  readonly where: Array<{ issue: string; group: string; action: string }>;
  readonly values: number[];
  readonly A: number;
  /** Index into PAGE_GROUPS of the page each action's need sends a customer to (-1: none). */
  private readonly pageOfAction: number[];
  readonly customerIds: string[];
  readonly profiles: ProfileView[];
  /**
   * What each customer chose (the demo bank's preferences: marketing consent, opted-out and
   * preferred channels), honoured by every strategy. Contact times are left out: the simulated day
   * decides at noon and the profiles carry no time zone.
   */
  readonly preferences: CustomerPreferences[];
  /** Hidden, per customer x action. */
  readonly idiosyncrasy: Float32Array;
  readonly boost: Float32Array;
  readonly boostDay: Int16Array;
  /** Hidden, per customer x simulated channel. */
  readonly affinity: Float32Array;
  readonly fatigue: Float64Array;
  readonly fatigueDay: Int16Array;
  readonly lost: Uint8Array;
  readonly lostOnDay: Int16Array;
  readonly outboundSlot: Uint8Array;
  /** Day and type of the customer's most recent life event (-1000 / -1: none). */
  readonly lastEventDay: Int16Array;
  readonly lastEventType: Int8Array;
  /** Events by day (drawn once from the initial profiles; identical for every strategy). */
  readonly eventsByDay: ScheduledEvent[][];
  lostCount = 0;

  constructor(config: WorldConfig, catalog: CompiledCatalog) {
    const { customers, days } = config;
    this.n = customers;
    this.days = days;
    this.seed = seedBits(config.seed);
    this.start = config.start;
    this.catalog = catalog;
    this.actionIds = catalog.actions.map((a) => a.id);
    this.actionIndex = new Map(this.actionIds.map((id, i) => [id, i]));
    this.genericTruthActions = catalog.actions.filter((a) => !ACTION_TRUTH[a.id]).map((a) => a.id);
    this.truths = catalog.actions.map((a) => ACTION_TRUTH[a.id] ?? genericTruth(a.def.kind));
    this.kinds = this.truths.map((t) => t.kind);
    this.where = catalog.actions.map((a) => ({ issue: a.issue, group: a.group, action: a.id }));
    this.values = catalog.actions.map((a) => a.value);
    this.A = this.actionIds.length;
    this.pageOfAction = this.where.map((w) => PAGE_GROUPS.findIndex(([, targets]) => targets.includes(w.group) || targets.includes(w.action)));

    const population = generateDemoCustomers(customers, typeof config.seed === 'number' ? config.seed : this.seed);
    this.customerIds = population.map((c) => c.customerId);
    // The simulated profiles carry no `timeZone`: the simulation has no quiet hours (decisions are
    // made at noon), and `decide` validates a profile time zone by constructing an
    // Intl.DateTimeFormat on every call, which took a third of the simulation's time. country and
    // city, which the time zone follows, stay in the profile.
    for (const c of population) delete c.attributes['timeZone'];
    this.preferences = population.map((c) => ({ ...demoPreferences(c.customerId), contactTimes: [] }));
    this.profiles = population.map((c) => new ProfileView(c.attributes));

    const n = customers;
    const A = this.A;
    const C = SIM_CHANNELS.length;
    this.idiosyncrasy = new Float32Array(n * A);
    this.boost = new Float32Array(n * A);
    this.boostDay = new Int16Array(n * A);
    this.affinity = new Float32Array(n * C);
    this.fatigue = new Float64Array(n);
    this.fatigueDay = new Int16Array(n);
    this.lost = new Uint8Array(n);
    this.lostOnDay = new Int16Array(n).fill(-1);
    this.outboundSlot = new Uint8Array(n);
    this.lastEventDay = new Int16Array(n).fill(-1000);
    this.lastEventType = new Int8Array(n).fill(-1);
    this.eventsByDay = Array.from({ length: days }, () => []);

    const sigmaNeed = 1.0;
    const sigmaAffinity = 0.5;
    for (let c = 0; c < n; c++) {
      const r = new SeededRandom(`${this.seed}:hidden:${c}`);
      for (let a = 0; a < A; a++) this.idiosyncrasy[c * A + a] = Math.exp(sigmaNeed * sampleNormal(r) - (sigmaNeed * sigmaNeed) / 2);
      const p = this.profiles[c]!;
      const base = baseAffinity(p);
      for (let ch = 0; ch < C; ch++) {
        this.affinity[c * C + ch] = base[ch]! * Math.exp(sigmaAffinity * sampleNormal(r) - (sigmaAffinity * sigmaAffinity) / 2);
      }
      this.outboundSlot[c] = Math.floor(r.next() * OUTBOUND_EVERY_DAYS);
      // Poisson life events from the initial profile.
      const rates = lifeEventRates(p);
      let k = 0;
      for (const [type, perYear] of Object.entries(rates) as Array<[LifeEvent, number]>) {
        if (perYear <= 0) continue;
        const perDay = perYear / 365;
        let t = 0;
        for (;;) {
          t += -Math.log(1 - uniform(this.seed, STREAM.event, c, k++)) / perDay;
          if (t >= days) break;
          this.eventsByDay[Math.floor(t)]!.push({ customer: c, type, u: uniform(this.seed, STREAM.event, c, 100_000 + k) });
        }
      }
    }
  }

  dateOf(day: number): Date {
    return new Date(this.start.getTime() + day * DAY_MS);
  }

  /** Start of day: life events, card clocks and churn. Returns the events applied today (to customers still here). */
  beginDay(day: number): Array<{ customer: number; type: LifeEvent }> {
    const touched: Array<{ customer: number; type: LifeEvent }> = [];
    // The card clock: every 30 days a month passes for every card.
    if (day > 0 && day % 30 === 0) {
      for (let c = 0; c < this.n; c++) {
        if (this.lost[c]) continue;
        const p = this.profiles[c]!;
        const m = p.num('cardExpiryMonths') - 1;
        p.attributes['cardExpiryMonths'] = m < 0 ? 36 : m;
        if (m === 2) {
          this.applyEvent(c, 'card-expiring', 0, day);
          touched.push({ customer: c, type: 'card-expiring' });
        }
      }
    }
    for (const e of this.eventsByDay[day] ?? []) {
      if (this.lost[e.customer]) continue;
      if (this.applyEvent(e.customer, e.type, e.u, day)) touched.push({ customer: e.customer, type: e.type });
    }
    // Churn: a daily hazard from the churn score, raised by fatigue.
    for (let c = 0; c < this.n; c++) {
      if (this.lost[c]) continue;
      const cs = this.profiles[c]!.num('churnScore');
      const hazard = (0.00005 + 0.0015 * cs * cs) * (1 + 3 * this.fatigueOf(c, day));
      if (uniform(this.seed, STREAM.churn, c, day) < hazard) {
        this.lost[c] = 1;
        this.lostOnDay[c] = day;
        this.lostCount++;
      }
    }
    return touched.filter((e) => !this.lost[e.customer]);
  }

  /** Applies a life event to the profile and the hidden needs; false when it does not apply any more. */
  applyEvent(c: number, type: LifeEvent, u: number, day: number): boolean {
    const p = this.profiles[c]!;
    const at = p.attributes;
    switch (type) {
      case 'salary-rise': {
        if (p.str('employment') === 'unemployed') return false;
        at['income'] = Math.round((p.num('income') * (1.08 + 0.22 * u)) / 100) * 100;
        at['balance'] = round2(p.num('balance') + p.num('income') / 60);
        break;
      }
      case 'child':
        at['children'] = p.num('children') + 1;
        break;
      case 'moving':
        if (u < 0.6) at['mailReturned'] = true;
        break;
      case 'travel':
        at['foreignTransactions'] = p.num('foreignTransactions') + 2 + Math.floor(u * 9);
        if (u < 0.08) at['suspiciousTransactions'] = p.num('suspiciousTransactions') + 1;
        break;
      case 'job-loss': {
        if (p.str('employment') === 'unemployed') return false;
        at['employment'] = 'unemployed';
        at['income'] = Math.round((p.num('income') * 0.4) / 100) * 100;
        at['balance'] = round2(Math.min(p.num('balance'), 300) - 800 * u);
        at['overdraftDays'] = Math.min(90, p.num('overdraftDays') + 20 + Math.floor(25 * u));
        at['riskScore'] = round3(Math.min(0.99, p.num('riskScore') + 0.25));
        at['creditScore'] = Math.max(300, p.num('creditScore') - 60);
        at['churnScore'] = round3(Math.min(0.99, p.num('churnScore') + 0.15));
        break;
      }
      case 'large-deposit':
        at['balance'] = round2(p.num('balance') + 20000 * Math.exp(0.8 * (u - 0.5) * 3));
        break;
      case 'card-expiring':
        at['cardExpiryMonths'] = 2;
        break;
    }
    for (const [actionId, amount] of Object.entries(EVENT_BOOSTS[type])) {
      const a = this.actionIndex.get(actionId);
      if (a === undefined) continue;
      const i = c * this.A + a;
      this.boost[i] = this.boostOf(i, day) + amount;
      this.boostDay[i] = day;
    }
    this.lastEventDay[c] = day;
    this.lastEventType[c] = LIFE_EVENTS.indexOf(type);
    return true;
  }

  boostOf(i: number, day: number): number {
    const b = this.boost[i]!;
    if (b === 0) return 0;
    return b * Math.pow(0.5, (day - this.boostDay[i]!) / BOOST_HALF_LIFE_DAYS);
  }

  fatigueOf(c: number, day: number): number {
    const f = this.fatigue[c]!;
    if (f === 0) return 0;
    return f * Math.pow(FATIGUE_DECAY_PER_DAY, day - this.fatigueDay[c]!);
  }

  /** The hidden need of customer c for action a on `day`. */
  need(c: number, a: number, day: number): number {
    const i = c * this.A + a;
    return trueNeed(this.truths[a]!, this.profiles[c]!, this.dateOf(day).getUTCMonth(), this.idiosyncrasy[i]!, this.boostOf(i, day));
  }

  /** The hidden truth: probability that customer c responds positively to action a in `channel` now. */
  propensity(c: number, a: number, channel: SimChannel, context: JsonObject, day: number): number {
    const ch = SIM_CHANNELS.indexOf(channel);
    return truePropensity(
      this.need(c, a, day),
      this.kinds[a]!,
      channel,
      this.affinity[c * SIM_CHANNELS.length + ch]!,
      contextFactor(context, this.where[a]!),
      Math.exp(-this.fatigueOf(c, day)),
    );
  }

  /** Daily probability that an active customer visits an inbound channel. */
  visitRate(c: number, channel: SimChannel, day: number): number {
    const p = this.profiles[c]!;
    const recentEvent = day - this.lastEventDay[c]! <= 7;
    switch (channel) {
      case 'mobile':
        return p.bool('appUser') ? (p.num('lastLoginDays') <= 7 ? 0.05 : 0.02) : 0;
      case 'web':
        return p.bool('digitalActive') ? 0.02 : 0.002;
      case 'call-centre':
        return 0.003 + (recentEvent ? 0.05 : 0) + (p.num('churnScore') > 0.6 ? 0.005 : 0);
      default:
        return 0;
    }
  }

  /** What the channel knows about this visit: the page browsed, the call reason, a stated intent. */
  visitContext(c: number, channel: SimChannel, day: number): JsonObject {
    const slot = SIM_CHANNELS.indexOf(channel);
    const u1 = uniform(this.seed, STREAM.context, c, day, slot * 4);
    const u2 = uniform(this.seed, STREAM.context, c, day, slot * 4 + 1);
    const u3 = uniform(this.seed, STREAM.context, c, day, slot * 4 + 2);
    const p = this.profiles[c]!;
    const intent = u3 < p.num('churnScore') * 0.05 ? 'cancel' : 'none';
    let page = 'none';
    let reason = 'none';
    if (channel === 'call-centre') {
      const recent = day - this.lastEventDay[c]! <= 7 ? LIFE_EVENTS[this.lastEventType[c]!] : undefined;
      reason =
        recent === 'travel' ? 'travel' : recent === 'card-expiring' ? 'card' : recent === 'job-loss' ? 'payment-difficulty' : u1 < 0.08 ? 'lost-card' : 'general';
    } else {
      page = u1 < 0.3 ? this.browsedPage(c, day, u2) : 'home';
    }
    return { page, reason, intent, event: 'none' };
  }

  /** A page drawn in proportion to the customer's current needs per topic. */
  private browsedPage(c: number, day: number, u: number): string {
    const weights = new Array<number>(PAGE_GROUPS.length).fill(0);
    let total = 0;
    for (let a = 0; a < this.A; a++) {
      const page = this.pageOfAction[a]!;
      if (page < 0) continue;
      const w = this.need(c, a, day);
      weights[page] = weights[page]! + w;
      total += w;
    }
    if (total <= 0) return 'home';
    let x = u * total;
    for (let i = 0; i < weights.length; i++) {
      x -= weights[i]!;
      if (x < 0) return PAGE_GROUPS[i]![0];
    }
    return 'home';
  }

  /** The response draw and its consequences for the customer. */
  respond(c: number, a: number, channel: SimChannel, context: JsonObject, day: number, slot: number): ContactOutcome {
    if (this.lost[c]) throw new Error(`customer ${this.customerIds[c]} left on day ${this.lostOnDay[c]} and cannot be contacted on day ${day}`);
    const propensity = this.propensity(c, a, channel, context, day);
    const positive = uniform(this.seed, STREAM.response, c, day, slot) < propensity;
    const rejected = !positive && uniform(this.seed, STREAM.response, c, day, slot + 16) < REJECT_SHARE[channel];
    const irrelevant = propensity < IRRELEVANT_BELOW;
    const outbound = channel === 'email' || channel === 'push';
    const f = this.fatigueOf(c, day);
    if (positive) {
      this.fatigue[c] = f * 0.7;
      this.takeUp(c, a, day);
    } else {
      this.fatigue[c] = f + (irrelevant ? (outbound ? 0.12 : 0.03) : outbound ? 0.04 : 0.01);
    }
    this.fatigueDay[c] = day;
    return { propensity, positive, rejected, irrelevant, value: positive ? this.values[a]! : 0 };
  }

  /** A positive response: the customer takes the action up; the profile and needs change. */
  private takeUp(c: number, a: number, day: number): void {
    const id = this.actionIds[a]!;
    const p = this.profiles[c]!;
    const at = p.attributes;
    const i = c * this.A + a;
    this.boost[i] = 0;
    this.boostDay[i] = day;
    const addProduct = (product: string): void => {
      const list = Array.isArray(at['products']) ? (at['products'] as string[]) : [];
      if (!list.includes(product)) at['products'] = (DEMO_PRODUCTS as readonly string[]).filter((x) => x === product || list.includes(x));
    };
    if ((DEMO_PRODUCTS as readonly string[]).includes(id)) addProduct(id);
    const recurring = RECURRING.has(id);
    if (!recurring) this.idiosyncrasy[i] = 0;
    switch (id) {
      case 'mortgage-refinance':
        at['mortgageRate'] = 2.6;
        break;
      case 'investment-review':
        addProduct('investment-account');
        break;
      case 'pension-top-up':
        addProduct('pension-plan');
        break;
      case 'app-onboarding':
        at['appUser'] = true;
        at['digitalActive'] = true;
        at['lastLoginDays'] = 0;
        break;
      case 'paperless':
      case 'e-statement':
        at['paperStatements'] = false;
        break;
      case 'card-expiry-reminder':
        at['cardExpiryMonths'] = 36;
        break;
      case 'address-update':
        at['mailReturned'] = false;
        break;
      case 'fraud-alert-review':
        at['suspiciousTransactions'] = 0;
        break;
      case 'card-security-tips':
        at['cardAlerts'] = true;
        break;
      case 'terms-update':
        at['termsAccepted'] = true;
        break;
      case 'fee-waiver':
      case 'loyalty-bonus':
      case 'rate-match':
      case 'cancel-save-call':
        at['churnScore'] = round3(p.num('churnScore') * 0.5);
        break;
      case 'debt-advice':
        at['riskScore'] = round3(p.num('riskScore') * 0.85);
        at['overdraftDays'] = Math.floor(p.num('overdraftDays') / 2);
        break;
    }
  }
}

/**
 * Share of negative responses given as an explicit no (the agent asks; a "not interested" button on
 * web and app; almost nobody answers an email or a push to say no).
 */
export const REJECT_SHARE: Readonly<Record<SimChannel, number>> = { 'call-centre': 0.3, web: 0.1, mobile: 0.1, email: 0.02, push: 0.02 };

/** Service and risk actions a customer may need again (their need is not used up by a yes). */
const RECURRING = new Set(['travel-notice', 'fraud-alert-review', 'card-expiry-reminder', 'overdraft-warning']);

/** Web and app pages, and the catalog groups (or actions) whose needs send a customer there. */
const PAGE_GROUPS: ReadonlyArray<[string, readonly string[]]> = [
  ['cards', ['cards']],
  ['loans', ['loans']],
  ['mortgages', ['mortgages']],
  ['savings', ['savings']],
  ['investments', ['investments']],
  ['travel', ['travel-notice']],
];

/** Channel affinity from the profile, in SIM_CHANNELS order (web, mobile, call-centre, email, push). */
function baseAffinity(p: ProfileView): number[] {
  const app = p.bool('appUser');
  const digital = p.bool('digitalActive');
  const age = p.num('age');
  return [
    digital ? 1.0 : 0.4,
    app ? 1.2 : 0.6,
    age >= 60 ? 1.3 : 0.9,
    0.8 * (p.bool('paperStatements') ? 0.6 : 1),
    app ? 1.0 : 0.2,
  ];
}

function round2(x: number): number {
  return Math.round(x * 100) / 100;
}
function round3(x: number): number {
  return Math.round(x * 1000) / 1000;
}
