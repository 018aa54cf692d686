/**
 * The decision service: wires the pure core (catalog, pipeline, models, contact policies) to a
 * `Store`. It keeps the active compiled catalog in memory (swapped atomically on PUT), reads the
 * customer's profile, history summary, preferences and advisor load for each decision, records
 * every decision (with its history increments, in one transaction) before answering, joins
 * responses to their decision, teaches the model from the predictor snapshot recorded at decision
 * time, sweeps decisions whose response window passed (offered actions without a response become
 * `ignored`, through the same path as a real response), and persists model state periodically
 * and on close. Entry points (HTTP, CLI) stay thin and call this.
 */
import { buildCatalog, type CompiledCatalog } from '../core/catalog/compile.js';
import type { CatalogProblem } from '../core/catalog/validate.js';
import { systemClock, type Clock } from '../core/clock.js';
import { modelKey, type PropensityModel } from '../core/models/model.js';
import { AdaptiveModel } from '../core/models/adaptive/index.js';
import { decide, type CandidateExplanation } from '../core/pipeline/decide.js';
import { explainInPlainWords, type PlainExplanation } from '../core/pipeline/plain.js';
import { inControlGroup } from '../core/policy/control.js';
import { DEFAULT_PREFERENCES, validatePreferences } from '../core/policy/preferences.js';
import { addDays, dayOf, isoInstant, isoWeek } from '../core/policy/time.js';
import { computeImpact, type ImpactFigures } from '../core/reports/impact.js';
import { systemRandom, type Random } from '../core/random.js';
import type {
  CustomerPreferences,
  CustomerProfile,
  DecisionRecord,
  HistoryRow,
  JsonObject,
  JsonValue,
  Outcome,
  RankedAction,
} from '../core/types.js';
import { nbError } from '../errors.js';
import type { CatalogVersionInfo, ErasureResult, ImpactFilter, Store } from '../store/store.js';
import { DecisionWriter } from './decision-writer.js';
import { uuidv7 } from './ids.js';
import { ServiceMetrics } from './metrics.js';

export interface ServiceOptions {
  store: Store;
  model?: PropensityModel;
  clock?: Clock;
  random?: Random;
  /** Decision id generator, given the decision's time; by default a UUIDv7 of that time (time-ordered: see `ids.ts`). */
  newId?: (now: Date) => string;
  /** How often dirty model state is written to the store, in ms (0 = only on flush/close). Default 1000. */
  modelFlushMs?: number;
  /**
   * How much event-loop time each timed flush may spend on model state (taking it and serialising
   * it), in ms; at least one model is written each time. Default 25. See `flushModels`.
   */
  modelFlushBudgetMs?: number;
  /** How often the ignored-response sweeper runs, in ms (0 = only when `sweepIgnored` is called). Default 60000. */
  sweepMs?: number;
}

export interface PreferencesOutput {
  customerId: string;
  preferences: CustomerPreferences;
  /** False when the customer gave none: these are the defaults that apply. */
  explicit: boolean;
  updatedAt: string | null;
}

export interface SweepResult {
  /** Decisions whose response window had passed. */
  decisions: number;
  /** `ignored` responses recorded. */
  ignored: number;
}

export interface ImpactReport extends ImpactFigures {
  filter: ImpactFilter;
}

export interface CatalogSource {
  document: unknown;
  /** Where it came from, recorded with the version: `file:<path>`, `demo`, `api`. */
  source: string;
}

export interface DecisionInput {
  customerId: string;
  channel: string;
  context?: JsonObject;
  limit?: number;
  explain?: boolean;
}

export interface DecisionOutput {
  decisionId: string;
  customerId: string;
  channel: string;
  /** False when no profile was found: the decision used the context alone. */
  knownCustomer: boolean;
  catalogVersion: number;
  createdAt: string;
  actions: RankedAction[];
  /** True in the control arm: the actions are a random eligible choice, not the arbitrated one. */
  controlGroup: boolean;
  explanation?: CandidateExplanation[];
}

export interface ResponseInput {
  decisionId: string;
  actionId: string;
  outcome: Outcome;
  at?: string;
}

export interface ResponseOutput {
  decisionId: string;
  actionId: string;
  outcome: Outcome;
  /** False when the same (decisionId, actionId, outcome) had already been recorded. */
  recorded: boolean;
  /** Whether this response taught the model: `positive`, `negative` or `none`. */
  learned: 'positive' | 'negative' | 'none';
}

export class DecisionService {
  readonly store: Store;
  readonly model: PropensityModel;
  readonly metrics = new ServiceMetrics();
  private readonly clock: Clock;
  private readonly random: Random;
  private readonly writer: DecisionWriter;
  private readonly newId: (now: Date) => string;
  private active: CompiledCatalog;
  private flushTimer: NodeJS.Timeout | undefined;
  /** The flush being written, if any: flushes run one after another, so a key's writes stay in order. */
  private flushing: Promise<void> | undefined;
  /** Model states a flush took but could not write (the store failed), by key: the next flush writes them. */
  private readonly unwritten = new Map<string, JsonValue>();
  /** Event-loop time one model's state took to write at the last flush, in ms (a first guess before it). */
  private modelWriteMs = 5;
  private sweepTimer: NodeJS.Timeout | undefined;
  /** Per decision id, the response being handled (settled, never rejecting): the next one waits for it. */
  private readonly responding = new Map<string, Promise<void>>();
  private sweeping: Promise<SweepResult> | undefined;
  private closed = false;

  private constructor(options: ServiceOptions, catalog: CompiledCatalog) {
    this.store = options.store;
    this.writer = new DecisionWriter(options.store);
    this.model = options.model ?? new AdaptiveModel();
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? systemRandom;
    this.newId = options.newId ?? ((now) => uuidv7(Math.min(Math.max(0, now.getTime()), 2 ** 48 - 1)));
    this.active = catalog;
    const flushMs = options.modelFlushMs ?? 1000;
    const flushBudgetMs = options.modelFlushBudgetMs ?? 25;
    if (flushMs > 0) {
      this.flushTimer = setInterval(() => {
        if (!this.flushing) this.flushModels(flushBudgetMs).catch(() => undefined);
      }, flushMs);
      this.flushTimer.unref();
    }
    const sweepMs = options.sweepMs ?? 60_000;
    if (sweepMs > 0) {
      this.sweepTimer = setInterval(() => {
        this.sweepIgnored().catch(() => undefined);
      }, sweepMs);
      this.sweepTimer.unref();
    }
  }

  /**
   * Start on a store. With `catalog`, that document becomes the active version (stored as a new
   * version only if it differs from the active one). Without it, the store's active version is used.
   */
  static async start(options: ServiceOptions & { catalog?: CatalogSource }): Promise<DecisionService> {
    const { store } = options;
    const clock = options.clock ?? systemClock;
    let compiled: CompiledCatalog;
    if (options.catalog) {
      const built = buildCatalog(options.catalog.document, 0);
      if (!built.ok) throw catalogInvalid(built.errors);
      const info = await store.saveCatalog(options.catalog.document as JsonValue, options.catalog.source, clock.now());
      compiled = { ...built.catalog, version: info.version };
    } else {
      const stored = await store.getActiveCatalog();
      if (!stored) {
        throw nbError('NB_ERR_CONFIG', ['no catalog: give one (--catalog <file> or NEXTBEST_CATALOG) or start with the demo (--demo)']);
      }
      const built = buildCatalog(stored.document, stored.version);
      if (!built.ok) throw catalogInvalid(built.errors, `stored catalog version ${stored.version}`);
      compiled = built.catalog;
    }
    const model = options.model ?? new AdaptiveModel();
    for (const { key, state } of await store.loadModelStates(model.kind)) model.load(key, state);
    return new DecisionService({ ...options, model }, compiled);
  }

  get catalog(): CompiledCatalog {
    return this.active;
  }

  async decide(input: DecisionInput): Promise<DecisionOutput> {
    const started = process.hrtime.bigint();
    const catalog = this.active;
    if (!catalog.channels.has(input.channel)) {
      throw nbError('NB_ERR_UNKNOWN_CHANNEL', [input.channel, [...catalog.channels.keys()].join(', ')]);
    }
    const now = this.clock.now();
    const today = dayOf(now);
    const needsLoad = catalog.advisors.length > 0 && (catalog.candidatesByChannel.get(input.channel) ?? []).some((c) => c.action.topic !== undefined);
    // One read for the customer (profile, preferences and the history summary the policies need),
    // and the advisors' load of the week when a conversation could be offered.
    const reading = this.store.getDecisionInputs(input.customerId, catalog.historyDays > 0 ? addDays(today, -catalog.historyDays) : null);
    const [{ profile, history, preferences: stored }, load] = needsLoad
      ? await Promise.all([reading, this.store.getAdvisorLoad(isoWeek(now))])
      : [await reading, undefined];
    const context = input.context ?? {};
    const controlGroup = inControlGroup(input.customerId, now, catalog.controlGroup);
    const result = decide(
      {
        channel: input.channel,
        customer: profile?.attributes,
        context,
        limit: input.limit ?? 1,
        explain: input.explain ?? false,
        history,
        preferences: stored?.preferences ?? null,
        advisorLoad: load ? new Map(Object.entries(load)) : undefined,
        controlGroup,
      },
      { catalog, model: this.model, random: this.random, now },
    );
    const channel = catalog.channels.get(input.channel);
    const direction = channel?.direction ?? 'inbound';
    const record: DecisionRecord = {
      decisionId: this.newId(now),
      customerId: input.customerId,
      channel: input.channel,
      direction,
      catalogVersion: catalog.version,
      createdAt: isoInstant(now),
      context,
      actions: result.actions,
      predictors: result.predictors,
      controlGroup,
    };
    const increments: HistoryRow[] = result.actions.map((a) => ({
      day: today,
      channel: input.channel,
      issue: a.issue,
      group: a.group,
      actionId: a.actionId,
      outcome: 'decided',
      count: 1,
    }));
    if (direction === 'outbound' && result.actions.some((a) => !catalog.actionsById.get(a.actionId)?.transactional)) {
      increments.push({ day: today, channel: input.channel, issue: '', group: '', actionId: '', outcome: 'contact', count: 1 });
    }
    const windowHours = channel?.responseWindowHours ?? 24;
    await this.writer.write(record, {
      history: increments,
      ...(result.actions.length > 0 ? { respondBy: isoInstant(new Date(now.getTime() + windowHours * 3_600_000)) } : {}),
    });
    this.metrics.decisions.inc({ channel: input.channel, empty: String(result.actions.length === 0) });
    if (controlGroup) this.metrics.controlDecisions.inc({ channel: input.channel });
    this.metrics.decisionSeconds.observe(Number(process.hrtime.bigint() - started) / 1e9);
    return {
      decisionId: record.decisionId,
      customerId: record.customerId,
      channel: record.channel,
      knownCustomer: profile !== undefined,
      catalogVersion: record.catalogVersion,
      createdAt: record.createdAt,
      actions: record.actions,
      controlGroup,
      ...(result.explanation ? { explanation: result.explanation } : {}),
    };
  }

  /**
   * Records a response and teaches the model from it, once per decision and action. Responses to
   * the same decision are handled one after another in this process, so that each sees those before
   * it (otherwise a click and an accept arriving together would both be learnt).
   */
  respond(input: ResponseInput): Promise<ResponseOutput> {
    const previous = this.responding.get(input.decisionId);
    const answer = previous ? previous.then(() => this.respondInTurn(input)) : this.respondInTurn(input);
    const settled: Promise<void> = answer.then(
      () => undefined,
      () => undefined,
    );
    this.responding.set(input.decisionId, settled);
    void settled.then(() => {
      if (this.responding.get(input.decisionId) === settled) this.responding.delete(input.decisionId);
    });
    return answer;
  }

  private async respondInTurn(input: ResponseInput): Promise<ResponseOutput> {
    // the decision and the responses it has had so far, read at once (two round trips in parallel on PostgreSQL)
    const [decision, earlier] = await Promise.all([this.store.getDecision(input.decisionId), this.store.listResponses(input.decisionId)]);
    if (!decision) throw nbError('NB_ERR_DECISION_NOT_FOUND', [input.decisionId]);
    const offeredAction = decision.actions.find((a) => a.actionId === input.actionId);
    if (!offeredAction) {
      const offered = decision.actions.map((a) => a.actionId).join(', ') || 'nothing';
      throw nbError('NB_ERR_ACTION_NOT_IN_DECISION', [input.actionId, input.decisionId, offered]);
    }
    const now = this.clock.now();
    const receivedAt = isoInstant(now);
    const at = input.at ? new Date(input.at).toISOString() : receivedAt;
    const recorded = await this.store.saveResponse(
      {
        decisionId: input.decisionId,
        actionId: input.actionId,
        customerId: decision.customerId,
        channel: decision.channel,
        outcome: input.outcome,
        at,
        receivedAt,
      },
      {
        history: [
          {
            day: at.slice(0, 10),
            channel: decision.channel,
            issue: offeredAction.issue,
            group: offeredAction.group,
            actionId: offeredAction.actionId,
            outcome: input.outcome,
            count: 1,
          },
        ],
        // An accepted conversation is a booking: it uses one slot of the advisor's week.
        ...(input.outcome === 'accepted' && offeredAction.advisorId
          ? { advisorBooking: { advisorId: offeredAction.advisorId, week: isoWeek(now) } }
          : {}),
      },
    );
    if (!recorded) {
      this.metrics.duplicateResponses.inc({ outcome: input.outcome });
      return { decisionId: input.decisionId, actionId: input.actionId, outcome: input.outcome, recorded: false, learned: 'none' };
    }
    this.metrics.responses.inc({ outcome: input.outcome, channel: decision.channel });

    // The model learns once per (decision, action): from the first outcome the channel counts as
    // positive or negative. Impressions are neutral; a click followed by an accept is one success.
    const channel = this.active.channels.get(decision.channel);
    const classify = (outcome: Outcome): 'positive' | 'negative' | 'none' =>
      channel?.positive.has(outcome) ? 'positive' : channel?.negative.has(outcome) ? 'negative' : 'none';
    const verdict = classify(input.outcome);
    const alreadyLearned = earlier.some((r) => r.actionId === input.actionId && classify(r.outcome) !== 'none');
    const action = this.active.actionsById.get(input.actionId);
    let learned: ResponseOutput['learned'] = 'none';
    if (verdict !== 'none' && !alreadyLearned && action && action.fixedPropensity === undefined) {
      const treatmentId = this.active.models.perTreatment ? offeredAction.treatmentId : undefined;
      this.model.learn(
        modelKey({ actionId: input.actionId, channel: decision.channel, direction: decision.direction, treatmentId }),
        decision.predictors,
        verdict === 'positive',
      );
      learned = verdict;
    }
    return { decisionId: input.decisionId, actionId: input.actionId, outcome: input.outcome, recorded: true, learned };
  }

  // --- profiles

  async getProfile(customerId: string): Promise<CustomerProfile> {
    const profile = await this.store.getProfile(customerId);
    if (!profile) throw nbError('NB_ERR_CUSTOMER_NOT_FOUND', [customerId]);
    return profile;
  }

  putProfile(customerId: string, attributes: JsonObject): Promise<CustomerProfile> {
    return this.store.putProfile(customerId, attributes, this.clock.now());
  }

  patchProfile(customerId: string, attributes: JsonObject): Promise<CustomerProfile> {
    return this.store.patchProfile(customerId, attributes, this.clock.now());
  }

  eraseCustomer(customerId: string): Promise<ErasureResult> {
    return this.store.eraseCustomer(customerId);
  }

  // --- preferences and explanations

  async getPreferences(customerId: string): Promise<PreferencesOutput> {
    const stored = await this.store.getPreferences(customerId);
    return stored
      ? { customerId, preferences: stored.preferences, explicit: true, updatedAt: stored.updatedAt }
      : { customerId, preferences: { ...DEFAULT_PREFERENCES }, explicit: false, updatedAt: null };
  }

  /** Validate (against the active catalog) and replace the customer's preferences. */
  async putPreferences(customerId: string, document: unknown): Promise<PreferencesOutput> {
    const validated = validatePreferences(document, this.active);
    if (!validated.ok) {
      throw nbError('NB_ERR_VALIDATION', [validated.errors.map((e) => `${e.path}: ${e.message}`).join('; ')], { details: validated.errors });
    }
    const stored = await this.store.putPreferences(customerId, validated.preferences, this.clock.now());
    return { customerId, preferences: stored.preferences, explicit: true, updatedAt: stored.updatedAt };
  }

  /** "Why am I seeing this?" for a recorded decision, in plain words. */
  async explainDecision(decisionId: string): Promise<PlainExplanation> {
    const decision = await this.store.getDecision(decisionId);
    if (!decision) throw nbError('NB_ERR_DECISION_NOT_FOUND', [decisionId]);
    let catalog: CompiledCatalog | undefined = this.active.version === decision.catalogVersion ? this.active : undefined;
    if (!catalog) {
      const stored = await this.store.getCatalog(decision.catalogVersion);
      const built = stored ? buildCatalog(stored.document, stored.version) : undefined;
      catalog = built?.ok ? built.catalog : undefined;
    }
    const stored = await this.store.getPreferences(decision.customerId);
    return explainInPlainWords(decision, catalog, stored?.preferences ?? DEFAULT_PREFERENCES);
  }

  // --- interaction history

  /** The first day the active catalog's contact policies read (today minus their horizon). */
  defaultHistorySince(): string {
    return addDays(dayOf(this.clock.now()), -this.active.historyDays);
  }

  /** The customer's history summary since `sinceDay` (default: what the active catalog's policies read). */
  getHistory(customerId: string, sinceDay?: string): Promise<HistoryRow[]> {
    return this.store.getHistory(customerId, sinceDay ?? this.defaultHistorySince());
  }

  /**
   * Records `ignored` for every offered action of every decision whose response window has passed
   * without a positive or negative response, through `respond` (so the model learns and the history
   * counts it). Idempotent and safe to rerun after a crash: a response already recorded is not
   * recorded again, and a decision is marked swept only after all its actions were handled.
   */
  sweepIgnored(batch = 500): Promise<SweepResult> {
    // One sweep at a time: a call during a sweep runs after it (a failed sweep does not block the next).
    const run = (this.sweeping ?? Promise.resolve()).catch(() => undefined).then(() => this.sweepOnce(batch));
    const guarded = run.finally(() => {
      if (this.sweeping === guarded) this.sweeping = undefined;
    });
    this.sweeping = guarded;
    return run;
  }

  private async sweepOnce(batch: number): Promise<SweepResult> {
    const result: SweepResult = { decisions: 0, ignored: 0 };
    const now = this.clock.now().toISOString();
    for (;;) {
      const due = await this.store.listDueDecisions(now, batch);
      for (const { decision, respondBy } of due) {
        const responses = await this.store.listResponses(decision.decisionId);
        const channel = this.active.channels.get(decision.channel);
        const answered = (outcome: Outcome) =>
          channel ? channel.positive.has(outcome) || channel.negative.has(outcome) : outcome !== 'impression';
        for (const action of decision.actions) {
          if (responses.some((r) => r.actionId === action.actionId && answered(r.outcome))) continue;
          const output = await this.respond({ decisionId: decision.decisionId, actionId: action.actionId, outcome: 'ignored', at: respondBy });
          if (output.recorded) result.ignored += 1;
        }
        await this.store.markDecisionsSwept([decision.decisionId]);
        this.metrics.sweptDecisions.inc();
        result.decisions += 1;
      }
      if (due.length < batch) return result;
    }
  }

  // --- reports

  /** NBA vs control: decisions, positives, rates and lift with its 95% interval. */
  async impactReport(filter: ImpactFilter): Promise<ImpactReport> {
    const catalog = this.active;
    if (filter.channel !== undefined && !catalog.channels.has(filter.channel)) {
      throw nbError('NB_ERR_UNKNOWN_CHANNEL', [filter.channel, [...catalog.channels.keys()].join(', ')]);
    }
    if (filter.issue !== undefined && !catalog.document.issues.some((i) => i.id === filter.issue)) {
      const issues = catalog.document.issues.map((i) => i.id).join(', ');
      throw nbError('NB_ERR_VALIDATION', [`query.issue: '${filter.issue}' is not an issue of the active catalog (${issues})`], {
        details: [{ path: 'query.issue', message: `must be one of ${issues}` }],
      });
    }
    if (filter.from !== undefined && filter.to !== undefined && filter.from >= filter.to) {
      throw nbError('NB_ERR_VALIDATION', ['query.to: must be after query.from'], { details: [{ path: 'query.to', message: 'must be after from' }] });
    }
    const normalised: ImpactFilter = {
      ...(filter.channel !== undefined ? { channel: filter.channel } : {}),
      ...(filter.issue !== undefined ? { issue: filter.issue } : {}),
      ...(filter.from !== undefined ? { from: new Date(filter.from).toISOString() } : {}),
      ...(filter.to !== undefined ? { to: new Date(filter.to).toISOString() } : {}),
    };
    const positive: Array<{ channel: string; outcome: string }> = [];
    for (const channel of catalog.channels.values()) for (const outcome of channel.positive) positive.push({ channel: channel.id, outcome });
    const counts = await this.store.impactCounts(normalised, positive);
    return { filter: normalised, ...computeImpact(counts.nba, counts.control) };
  }

  // --- catalog

  /** Validate and activate a new catalog version at once (no restart). Throws with every problem. */
  async putCatalog(document: unknown, source = 'api'): Promise<CatalogVersionInfo> {
    const built = buildCatalog(document, 0);
    if (!built.ok) throw catalogInvalid(built.errors);
    const info = await this.store.saveCatalog(document as JsonValue, source, this.clock.now());
    this.active = { ...built.catalog, version: info.version };
    return info;
  }

  listCatalogVersions(): Promise<CatalogVersionInfo[]> {
    return this.store.listCatalogVersions();
  }

  async getCatalogVersion(version: number): Promise<JsonValue> {
    const stored = await this.store.getCatalog(version);
    if (!stored) throw nbError('NB_ERR_CATALOG_VERSION_NOT_FOUND', [version]);
    return stored.document;
  }

  // --- lifecycle

  /**
   * Writes the state of the models that learnt since they were last written. With `budgetMs`, only
   * as many as fit in about that much event-loop time, those that changed longest ago first (at
   * least one; the others wait for the next flush): each flush measures what a model's snapshot
   * cost (taking it, and the store's serialisation before it awaits), and the next takes
   * `budgetMs` / that many. Without it, all of them. Flushes run one after another, so that a key's
   * writes stay in order. (Measured: with responses for ~90 models of 50 predictors arriving every
   * second, writing all of them took 34-74 ms of each second, in one piece; see docs/storage.md.)
   */
  flushModels(budgetMs = Infinity): Promise<void> {
    const flush = (this.flushing ?? Promise.resolve()).then(() => this.writeDirtyModels(budgetMs));
    // what the next flush waits for: this one settled (its failure is its caller's to handle)
    const tracked: Promise<void> = flush
      .catch(() => undefined)
      .finally(() => {
        if (this.flushing === tracked) this.flushing = undefined;
      });
    this.flushing = tracked;
    return flush;
  }

  private async writeDirtyModels(budgetMs: number): Promise<void> {
    const limit = budgetMs === Infinity ? Infinity : Math.max(1, Math.floor(budgetMs / this.modelWriteMs));
    const started = performance.now();
    const dirty = this.model.takeDirty(limit);
    // states a failed flush took are written again, unless this flush has a newer one of the key
    const states = new Map(this.unwritten);
    for (const { key, state } of dirty) states.set(key, state);
    if (states.size === 0) return;
    this.unwritten.clear();
    const saved = this.store.saveModelStates(this.model.kind, [...states].map(([key, state]) => ({ key, state })), this.clock.now());
    if (dirty.length > 0) this.modelWriteMs = Math.max(0.01, (performance.now() - started) / dirty.length);
    try {
      await saved;
    } catch (error) {
      // the model no longer counts these keys as changed: keep their states for the next flush
      for (const [key, state] of states) this.unwritten.set(key, state);
      this.metrics.modelFlushFailures.inc();
      throw error;
    }
    this.metrics.modelStatesWritten.inc({}, states.size);
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.flushTimer) clearInterval(this.flushTimer);
    await this.writer.drain();
    if (this.sweepTimer) clearInterval(this.sweepTimer);
    await this.sweeping?.catch(() => undefined);
    await this.flushModels();
    await this.store.close();
  }
}

function catalogInvalid(errors: CatalogProblem[], what?: string) {
  return nbError('NB_ERR_CATALOG_INVALID', [what ? `${errors.length} (${what})` : errors.length], { details: errors });
}
