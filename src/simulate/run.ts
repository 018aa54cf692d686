/**
 * The day loop. Each strategy runs on its own copy of the same world (same seed): every day
 * 1. life events arrive, card clocks tick, some customers leave (world.beginDay);
 * 2. inbound: each active customer visits the app, the web site or the call centre with their
 *    daily visit probability; each visit is one decision in that channel, with the visit's context;
 * 3. outbound: the daily batch holds the customers whose monthly slot (every 28 days) is today, plus (for the
 *    always-on strategies) those with a life event today; each gets one email and, if they use the
 *    app, one push decision.
 * A decision that returns an action is a contact; its response is drawn from the hidden truth.
 *
 * Strategies are independent given the seed, so they can run one after another or in parallel
 * worker threads with identical results.
 */
import { availableParallelism } from 'node:os';
import { Worker } from 'node:worker_threads';
import { buildCatalogOrThrow, type CompiledCatalog } from '../core/catalog/compile.js';
import { SeededRandom } from '../core/random.js';
import type { JsonObject } from '../core/types.js';
import { loadDemoCatalog } from '../demo/load.js';
import { InteractionHistory, SIMULATION_CONTACT_POLICIES } from './contact.js';
import { createStrategy, measurePriors, STRATEGY_IDS, STRATEGY_NAMES, type DecisionMoment, type StrategyId } from './strategies.js';
import { STREAM, uniform } from './streams.js';
import { INBOUND_CHANNELS, OUTBOUND_CHANNELS, SIM_CHANNELS, type SimChannel } from './truth.js';
import { EVENT_CONTEXT, LIFE_EVENTS, OUTBOUND_EVERY_DAYS, World, type LifeEvent } from './world.js';

export const DEFAULT_START = '2026-03-02';
/** Customers whose first-day propensities set the frozen priors. */
export const PRIOR_SAMPLE = 2000;

export interface SimulationConfig {
  customers: number;
  days: number;
  seed: number | string;
  /** First simulated day, YYYY-MM-DD (UTC). */
  start: string;
}

export interface Tally {
  contacts: number;
  positives: number;
  expectedPositives: number;
}

export interface StrategyResult {
  id: StrategyId;
  name: string;
  /** Decision opportunities (visits and outbound batch entries) and how many produced a contact. */
  decisions: number;
  contacts: number;
  inboundContacts: number;
  outboundContacts: number;
  positives: number;
  /** Sum of the true propensities of the contacts made: positives in expectation. */
  expectedPositives: number;
  irrelevantContacts: number;
  /** Sum of the catalog value V of positive responses (EUR). */
  value: number;
  /** Sum of p x V over contacts. */
  expectedValue: number;
  customersLost: number;
  /** Catalog actions the simulator has no specific hidden truth for (flat 1% need; see truth.ts). */
  genericTruthActions: string[];
  /** Life events applied (they do not apply to customers who already left). */
  lifeEvents: Record<LifeEvent, number>;
  byChannel: Record<SimChannel, Tally>;
  byIssue: Record<string, Tally>;
  /** Per day: contacts, positives and expected positives of the day; customers lost so far (cumulative). */
  daily: { contacts: number[]; positives: number[]; expectedPositives: number[]; lost: number[] };
}

export interface SimulationResult {
  config: SimulationConfig;
  customers: number;
  strategies: StrategyResult[];
}

export interface RunOptions {
  strategies?: readonly StrategyId[];
  /** Worker threads; 1 runs in process. Default: min(strategies, available cores). */
  workers?: number;
  /** Called after each simulated day of each strategy. */
  onProgress?: (strategy: StrategyId, day: number) => void;
}

/** The demo catalog, with the simulator's contact policies when the catalog defines none (contact.ts). */
export function simulationCatalog(): CompiledCatalog {
  const raw = loadDemoCatalog() as Record<string, unknown>;
  if (raw['contactPolicies'] === undefined) raw['contactPolicies'] = structuredClone(SIMULATION_CONTACT_POLICIES);
  return buildCatalogOrThrow(raw, 1);
}

export function validateConfig(config: SimulationConfig): void {
  if (!Number.isInteger(config.customers) || config.customers < 1) throw new RangeError(`customers must be an integer >= 1, got ${config.customers}`);
  if (!Number.isInteger(config.days) || config.days < 1 || config.days > 3650) throw new RangeError(`days must be an integer from 1 to 3650, got ${config.days}`);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(config.start) || Number.isNaN(Date.parse(`${config.start}T00:00:00Z`))) {
    throw new RangeError(`start must be a date YYYY-MM-DD, got ${config.start}`);
  }
}

/** One contact, as seen by `onContact` (tests and diagnostics). */
export interface ContactEvent {
  customer: number;
  day: number;
  channel: SimChannel;
  action: string;
  propensity: number;
  positive: boolean;
}

export interface StrategyHooks {
  onDay?: (day: number) => void;
  onContact?: (event: ContactEvent, world: World) => void;
}

/** Runs one strategy on its own world. */
export function runStrategy(id: StrategyId, config: SimulationConfig, hooks: StrategyHooks = {}): StrategyResult {
  const { onDay, onContact } = hooks;
  validateConfig(config);
  const catalog = simulationCatalog();
  const world = new World({ customers: config.customers, days: config.days, seed: config.seed, start: new Date(`${config.start}T00:00:00Z`) }, catalog);
  const history = new InteractionHistory(world.n, catalog, world.start, config.days);
  const priors = id === 'nba-frozen' ? measurePriors(world, PRIOR_SAMPLE) : new Map<string, number>();
  const random = new SeededRandom(`${world.seed}:strategy:${id}`);
  const strategy = createStrategy(id, { world, history, random, priors });

  const days = config.days;
  const tally = (): Tally => ({ contacts: 0, positives: 0, expectedPositives: 0 });
  const result: StrategyResult = {
    id,
    name: STRATEGY_NAMES[id],
    decisions: 0,
    contacts: 0,
    inboundContacts: 0,
    outboundContacts: 0,
    positives: 0,
    expectedPositives: 0,
    irrelevantContacts: 0,
    value: 0,
    expectedValue: 0,
    customersLost: 0,
    genericTruthActions: world.genericTruthActions,
    lifeEvents: Object.fromEntries(LIFE_EVENTS.map((e) => [e, 0])) as Record<LifeEvent, number>,
    byChannel: Object.fromEntries(SIM_CHANNELS.map((ch) => [ch, tally()])) as Record<SimChannel, Tally>,
    byIssue: Object.fromEntries(catalog.document.issues.map((i) => [i.id, tally()])),
    daily: {
      contacts: new Array<number>(days).fill(0),
      positives: new Array<number>(days).fill(0),
      expectedPositives: new Array<number>(days).fill(0),
      lost: new Array<number>(days).fill(0),
    },
  };

  const contact = (moment: DecisionMoment, slot: number): void => {
    result.decisions++;
    const choice = strategy.choose(moment);
    if (!choice) return;
    const { customer, channel, context, day } = moment;
    const outcome = world.respond(customer, choice.action, channel, context, day, slot);
    onContact?.({ customer, day, channel, action: world.actionIds[choice.action]!, propensity: outcome.propensity, positive: outcome.positive }, world);
    strategy.observe(moment, choice, outcome.positive ? 'accepted' : outcome.rejected ? 'rejected' : 'ignored');
    const pos = outcome.positive ? 1 : 0;
    result.contacts++;
    if (channel === 'email' || channel === 'push') result.outboundContacts++;
    else result.inboundContacts++;
    result.positives += pos;
    result.expectedPositives += outcome.propensity;
    if (outcome.irrelevant) result.irrelevantContacts++;
    result.value += outcome.value;
    result.expectedValue += outcome.propensity * world.values[choice.action]!;
    for (const t of [result.byChannel[channel], result.byIssue[world.where[choice.action]!.issue]]) {
      if (!t) continue;
      t.contacts++;
      t.positives += pos;
      t.expectedPositives += outcome.propensity;
    }
    result.daily.contacts[day]!++;
    result.daily.positives[day]! += pos;
    result.daily.expectedPositives[day]! += outcome.propensity;
  };

  const inboundSlots = INBOUND_CHANNELS.map((ch) => SIM_CHANNELS.indexOf(ch));
  const outboundSlots = OUTBOUND_CHANNELS.map((ch) => SIM_CHANNELS.indexOf(ch));
  const inBatch = new Uint8Array(world.n);
  for (let day = 0; day < days; day++) {
    // Decisions happen at noon UTC (the date is what policies and the truth read).
    const now = new Date(world.dateOf(day).getTime() + 12 * 3_600_000);
    const events = world.beginDay(day);
    for (const e of events) result.lifeEvents[e.type]++;

    // Inbound visits.
    for (let c = 0; c < world.n; c++) {
      if (world.lost[c]) continue;
      for (let k = 0; k < INBOUND_CHANNELS.length; k++) {
        const channel = INBOUND_CHANNELS[k]!;
        const slot = inboundSlots[k]!;
        if (uniform(world.seed, STREAM.visit, c, day, slot) >= world.visitRate(c, channel, day)) continue;
        contact({ customer: c, channel, context: world.visitContext(c, channel, day), day, now }, slot);
      }
    }

    // The outbound batch: today's monthly slot (every 28 days), plus life events for the always-on strategies.
    const batch: number[] = [];
    const slotToday = day % OUTBOUND_EVERY_DAYS;
    for (let c = 0; c < world.n; c++) if (!world.lost[c] && world.outboundSlot[c] === slotToday) batch.push(c);
    const eventContext = new Map<number, string>();
    if (strategy.eventTriggers) {
      for (const { customer: c, type } of events) {
        // Several events on one day: the decision carries the last one.
        if (!eventContext.has(c) && world.outboundSlot[c] !== slotToday) batch.push(c);
        eventContext.set(c, EVENT_CONTEXT[type]);
      }
    }
    for (const c of batch) {
      if (inBatch[c] === 1 || world.lost[c]) continue;
      inBatch[c] = 1;
      const context: JsonObject = { page: 'none', reason: 'none', intent: 'none', event: eventContext.get(c) ?? 'none' };
      for (let k = 0; k < OUTBOUND_CHANNELS.length; k++) {
        const channel = OUTBOUND_CHANNELS[k]!;
        // Push needs the app (channel limits are contact policies, applied inside the pipeline).
        if (channel === 'push' && !world.profiles[c]!.bool('appUser')) continue;
        contact({ customer: c, channel, context, day, now }, outboundSlots[k]!);
      }
    }
    for (const c of batch) inBatch[c] = 0;
    result.daily.lost[day] = world.lostCount;
    onDay?.(day);
  }
  result.customersLost = world.lostCount;
  return result;
}

/** Runs the strategies (in worker threads when `workers` > 1) and gathers their results in a fixed order. */
export async function runSimulation(config: SimulationConfig, options: RunOptions = {}): Promise<SimulationResult> {
  validateConfig(config);
  const ids = [...(options.strategies ?? STRATEGY_IDS)];
  const workers = Math.max(1, Math.min(ids.length, options.workers ?? availableParallelism()));
  let results: StrategyResult[];
  if (workers <= 1) {
    results = [];
    for (const id of ids) results.push(runStrategy(id, config, { onDay: (day) => options.onProgress?.(id, day) }));
  } else {
    results = await runInWorkers(ids, config, workers, options.onProgress);
  }
  const order = (id: StrategyId): number => STRATEGY_IDS.indexOf(id);
  results.sort((a, b) => order(a.id) - order(b.id));
  return { config, customers: config.customers, strategies: results };
}

type WorkerMessage = { type: 'day'; day: number } | { type: 'done'; result: StrategyResult } | { type: 'error'; message: string };

function runInWorkers(ids: StrategyId[], config: SimulationConfig, workers: number, onProgress?: (strategy: StrategyId, day: number) => void): Promise<StrategyResult[]> {
  // Longest first (measured relative costs), so the pool finishes evenly.
  const cost: Record<StrategyId, number> = { 'nba-learning': 5, oracle: 3, 'nba-frozen': 3, random: 2, segments: 1 };
  const queue = [...ids].sort((a, b) => cost[b] - cost[a]);
  // Built, the worker is worker.js; from TypeScript sources (tsx, vitest) a small bootstrap registers
  // tsx in the worker first and then imports worker.ts.
  const fromSource = import.meta.url.endsWith('.ts');
  const url = new URL(fromSource ? './worker.ts' : './worker.js', import.meta.url);
  const spawn = (workerData: unknown): Worker =>
    fromSource
      ? new Worker(`import('tsx/esm/api').then((m) => { m.register(); return import(${JSON.stringify(url.href)}); });`, { eval: true, workerData })
      : new Worker(url, { workerData });
  const results: StrategyResult[] = [];
  return new Promise((resolve, reject) => {
    let running = 0;
    let failed = false;
    const next = (): void => {
      if (failed) return;
      if (queue.length === 0 && running === 0) {
        resolve(results);
        return;
      }
      while (running < workers && queue.length > 0) {
        const id = queue.shift()!;
        running++;
        const worker = spawn({ id, config });
        worker.on('message', (message: WorkerMessage) => {
          if (message.type === 'day') onProgress?.(id, message.day);
          else if (message.type === 'done') results.push(message.result);
          else {
            failed = true;
            reject(new Error(`strategy ${id}: ${message.message}`));
          }
        });
        worker.on('error', (error) => {
          failed = true;
          reject(error);
        });
        worker.on('exit', (code) => {
          if (!failed && !results.some((r) => r.id === id)) {
            failed = true;
            reject(new Error(`strategy ${id}: worker exited with code ${code} without a result`));
            return;
          }
          running--;
          next();
        });
      }
    };
    next();
  });
}
