/**
 * The five strategies compared on the same world (DESIGN.md section 5):
 *
 * - `segments` (the status quo): A/B/C value segments, each with a fixed product per channel from
 *   a campaign calendar that changes every 4 weeks. Inbound visits show the campaign product;
 *   outbound sends the campaign email and push on the customer's monthly slot (every 28 days).
 *   The product is sent only when it passes the catalog's engagement policies (the bank does not
 *   break its own lending rules) and the customer's consent and opt-outs; otherwise nothing. No
 *   contact policies, no event triggers.
 * - `random`: a uniformly random action among those that pass the engagement and contact policies:
 *   the pipeline's control arm (`controlGroup: true`), which is what a control group gets.
 * - `nba-frozen`: the real pipeline (`decide`) with a model that returns fixed prior propensities
 *   per action x channel, the response rates a bank knows from past campaigns (the average true
 *   propensity of eligible customers on day 0, measured on a sample); no personalisation, no
 *   learning, no exploration.
 * - `nba-learning`: the real pipeline with the adaptive naive-Bayes model (Thompson sampling), cold
 *   start, learning from every simulated response with the predictors recorded at decision time.
 * - `oracle`: the real pipeline with a model that returns the hidden truth for the customer in the
 *   current moment; same policies, same arbitration (P x C x V x L), same relevance floor.
 *
 * Strategies (b)-(e) pass the simulator's interaction history and the advisors' weekly bookings to
 * `decide`, so the catalog's contact policies (suppressions, contact limits, quiet hours), mandatory
 * actions, advisor routing and the customers' preferences (the demo bank's: marketing consent,
 * opted-out and preferred channels) are applied by the real pipeline (contact.ts). The NBA arms
 * have no control group of their own: strategy (b) is the control arm.
 */
import { ConstantModel } from '../core/models/constant.js';
import type { CompiledAction } from '../core/catalog/compile.js';
import { AdaptiveModel } from '../core/models/adaptive/index.js';
import type { PropensityEstimate, PropensityModel } from '../core/models/model.js';
import { modelKey } from '../core/models/model.js';
import { decide } from '../core/pipeline/decide.js';
import { checkPreferences } from '../core/policy/preferences.js';
import { isoWeek } from '../core/policy/time.js';
import type { Random } from '../core/random.js';
import type { JsonObject, JsonValue, Predictors } from '../core/types.js';
import type { InteractionHistory, SimOutcome } from './contact.js';
import { SIM_CHANNELS, type SimChannel } from './truth.js';
import type { World } from './world.js';

export const STRATEGY_IDS = ['segments', 'random', 'nba-frozen', 'nba-learning', 'oracle'] as const;
export type StrategyId = (typeof STRATEGY_IDS)[number];

export const STRATEGY_NAMES: Readonly<Record<StrategyId, string>> = {
  segments: 'Segment campaigns (status quo)',
  random: 'Random eligible action',
  'nba-frozen': 'NBA, frozen priors (no learning)',
  'nba-learning': 'NBA with learning (adaptive model)',
  oracle: 'Oracle (knows the hidden truth)',
};

export interface Choice {
  action: number;
  /** Predictors recorded at decision time (for learning). */
  predictors?: Predictors;
  /** Conversations: the advisor the pipeline routed to. */
  advisorId?: string;
}

export interface DecisionMoment {
  customer: number;
  channel: SimChannel;
  context: JsonObject;
  day: number;
  now: Date;
}

export interface Strategy {
  readonly id: StrategyId;
  /** Whether contact policies apply (all but the status quo). */
  readonly usesContactPolicies: boolean;
  /** Whether outbound decisions are also triggered by life events (always-on outbound). */
  readonly eventTriggers: boolean;
  choose(moment: DecisionMoment): Choice | undefined;
  observe(moment: DecisionMoment, choice: Choice, outcome: SimOutcome): void;
}

// ------------------------------------------------------------------------------------- models

/** Fixed prior propensities per model key; never learns. */
export class FrozenPriorModel implements PropensityModel {
  readonly kind = 'frozen-prior';
  constructor(
    private readonly priors: ReadonlyMap<string, number>,
    private readonly fallback: number,
  ) {}
  estimate(key: string): PropensityEstimate {
    const p = this.priors.get(key) ?? this.fallback;
    return { propensity: p, mean: p, evidence: 0 };
  }
  learn(): void {}
  takeDirty(): Array<{ key: string; state: JsonValue }> {
    return [];
  }
  load(): void {}
  keys(): string[] {
    return [...this.priors.keys()];
  }
}

/** The hidden truth as a model: set `moment` before each decision. */
export class OracleModel implements PropensityModel {
  readonly kind = 'oracle';
  moment: DecisionMoment | undefined;
  private readonly parsed = new Map<string, number>();
  constructor(private readonly world: World) {}
  estimate(key: string): PropensityEstimate {
    const m = this.moment;
    if (!m) throw new Error('OracleModel: no decision moment set');
    let a = this.parsed.get(key);
    if (a === undefined) {
      a = this.world.actionIndex.get(key.slice(0, key.indexOf('/'))) ?? -1;
      this.parsed.set(key, a);
    }
    const p = a < 0 ? 0 : this.world.propensity(m.customer, a, m.channel, m.context, m.day);
    return { propensity: p, mean: p, evidence: Number.POSITIVE_INFINITY };
  }
  learn(): void {}
  takeDirty(): Array<{ key: string; state: JsonValue }> {
    return [];
  }
  load(): void {}
  keys(): string[] {
    return [];
  }
}

// ------------------------------------------------------------------------------- strategies

const RANK_ALL = 64;

/** Strategies (b)-(e): the real pipeline, with the simulator's interaction history for its contact policies. */
class PipelineStrategy implements Strategy {
  readonly usesContactPolicies = true;
  readonly eventTriggers = true;
  constructor(
    readonly id: StrategyId,
    private readonly world: World,
    private readonly history: InteractionHistory,
    private readonly model: PropensityModel,
    private readonly random: Random,
    /** The control arm: a random order of the actions that pass every policy. */
    private readonly controlGroup: boolean,
    private readonly oracle?: OracleModel,
  ) {}

  /** Conversations booked per advisor in the current ISO week (accepted conversations use capacity). */
  private advisorLoad = new Map<string, number>();
  private week = '';

  choose(m: DecisionMoment): Choice | undefined {
    if (this.oracle) this.oracle.moment = m;
    const week = isoWeek(m.now);
    if (week !== this.week) {
      this.week = week;
      this.advisorLoad = new Map();
    }
    const result = decide(
      {
        channel: m.channel,
        customer: this.world.profiles[m.customer]!.attributes,
        context: m.context,
        limit: 1,
        explain: false,
        history: this.history.rows(m.customer, m.day),
        preferences: this.world.preferences[m.customer]!,
        advisorLoad: this.advisorLoad,
        controlGroup: this.controlGroup,
      },
      { catalog: this.world.catalog, model: this.model, random: this.random, now: m.now },
    );
    const first = result.actions[0];
    if (!first) return undefined;
    return {
      action: this.world.actionIndex.get(first.actionId)!,
      predictors: result.predictors,
      ...(first.advisorId !== undefined ? { advisorId: first.advisorId } : {}),
    };
  }

  observe(m: DecisionMoment, choice: Choice, outcome: SimOutcome): void {
    const positive = outcome === 'accepted';
    this.history.record(m.customer, m.day, m.channel, choice.action, outcome);
    if (positive && choice.advisorId !== undefined) this.advisorLoad.set(choice.advisorId, (this.advisorLoad.get(choice.advisorId) ?? 0) + 1);
    if (this.model instanceof AdaptiveModel && choice.predictors) {
      const channel = this.world.catalog.channels.get(m.channel)!;
      this.model.learn(modelKey({ actionId: this.world.actionIds[choice.action]!, channel: m.channel, direction: channel.direction }), choice.predictors, positive);
    }
  }
}

/**
 * The status quo's campaign calendar: per segment, the product of each 4-week wave. A channel
 * without a treatment for the wave's product shows the segment's first product that has one,
 * else the channel default.
 */
export const SEGMENT_CALENDAR: Readonly<Record<string, readonly string[]>> = {
  A: ['platinum-card', 'investment-review', 'term-deposit'],
  B: ['gold-card', 'personal-loan', 'savings-account'],
  C: ['personal-loan', 'savings-account', 'car-loan'],
};
export const CHANNEL_DEFAULT: Readonly<Partial<Record<SimChannel, string>>> = { push: 'savings-account' };
export const WAVE_DAYS = 28;

class SegmentStrategy implements Strategy {
  readonly id = 'segments';
  readonly usesContactPolicies = false;
  readonly eventTriggers = false;
  /** segment -> wave -> channel -> action index (-1: nothing). */
  private readonly plan = new Map<string, number[][]>();

  constructor(private readonly world: World) {
    for (const [segment, products] of Object.entries(SEGMENT_CALENDAR)) {
      const waves: number[][] = [];
      for (let w = 0; w < products.length; w++) {
        waves.push(
          SIM_CHANNELS.map((channel) => {
            const order = [products[w]!, ...products, CHANNEL_DEFAULT[channel]].filter((x): x is string => x !== undefined);
            const id = order.find((actionId) => hasTreatment(world.catalog.actionsById.get(actionId), channel));
            return id === undefined ? -1 : world.actionIndex.get(id)!;
          }),
        );
      }
      this.plan.set(segment, waves);
    }
  }

  /** The campaign action for a segment, channel and day (-1: none). */
  campaignAction(segment: string, channel: SimChannel, day: number): number {
    const waves = this.plan.get(segment);
    if (!waves) return -1;
    const wave = waves[Math.floor(day / WAVE_DAYS) % waves.length]!;
    return wave[SIM_CHANNELS.indexOf(channel)]!;
  }

  choose(m: DecisionMoment): Choice | undefined {
    const profile = this.world.profiles[m.customer]!;
    const a = this.campaignAction(profile.str('segment'), m.channel, m.day);
    if (a < 0) return undefined;
    const action = this.world.catalog.actions[a]!;
    if (!passesEngagementPolicies(action, profile.attributes, m.context, m.now)) return undefined;
    // Consent and opt-outs bind the status quo too.
    if (checkPreferences(action, this.world.catalog.channels.get(m.channel)!, this.world.preferences[m.customer]!, true, undefined)) return undefined;
    return { action: a };
  }

  observe(): void {}
}

function hasTreatment(action: CompiledAction | undefined, channel: string): boolean {
  return action !== undefined && action.def.treatments.some((t) => t.channel === channel);
}

/** The catalog's validity window and eligibility, applicability and suitability rules of one action. */
export function passesEngagementPolicies(action: CompiledAction, customer: JsonObject, context: JsonObject, now: Date): boolean {
  const t = now.getTime();
  if (t < action.validFromMs || t >= action.validToMs) return false;
  const input = { customer, context, now };
  for (const policy of action.policies) if (!policy.rule.evaluate(input).value) return false;
  return true;
}

export interface StrategyDeps {
  world: World;
  history: InteractionHistory;
  random: Random;
  priors: ReadonlyMap<string, number>;
}

export function createStrategy(id: StrategyId, deps: StrategyDeps): Strategy {
  const { world, history, random } = deps;
  switch (id) {
    case 'segments':
      return new SegmentStrategy(world);
    case 'random':
      return new PipelineStrategy(id, world, history, new ConstantModel(1), random, true);
    case 'nba-frozen': {
      const values = [...deps.priors.values()];
      const fallback = values.length ? values.reduce((s, x) => s + x, 0) / values.length : 0.01;
      return new PipelineStrategy(id, world, history, new FrozenPriorModel(deps.priors, fallback), random, false);
    }
    case 'nba-learning':
      return new PipelineStrategy(id, world, history, new AdaptiveModel(), random, false);
    case 'oracle': {
      const oracle = new OracleModel(world);
      return new PipelineStrategy(id, world, history, oracle, random, false, oracle);
    }
  }
}

/**
 * Prior propensities per model key for `nba-frozen`: the average true propensity, on day 0, of the
 * first `sample` customers who pass the engagement policies, in a neutral context, without fatigue.
 * This is what a bank knows from past campaigns: one response rate per action and channel.
 */
export function measurePriors(world: World, sample: number): Map<string, number> {
  const sums = new Map<string, { sum: number; n: number }>();
  const now = world.dateOf(0);
  const context: JsonObject = { page: 'none', reason: 'none', intent: 'none', event: 'none' };
  const all = new ConstantModel(1);
  const noRandom: Random = { next: () => 0.5 };
  const count = Math.min(sample, world.n);
  for (const channel of SIM_CHANNELS) {
    const direction = world.catalog.channels.get(channel)!.direction;
    for (let c = 0; c < count; c++) {
      const result = decide(
        { channel, customer: world.profiles[c]!.attributes, context, limit: RANK_ALL, explain: false },
        { catalog: world.catalog, model: all, random: noRandom, now },
      );
      for (const ranked of result.actions) {
        const a = world.actionIndex.get(ranked.actionId)!;
        const key = modelKey({ actionId: ranked.actionId, channel, direction });
        const s = sums.get(key) ?? { sum: 0, n: 0 };
        s.sum += world.propensity(c, a, channel, context, 0);
        s.n += 1;
        sums.set(key, s);
      }
    }
  }
  return new Map([...sums].sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0)).map(([key, s]) => [key, s.sum / s.n]));
}
