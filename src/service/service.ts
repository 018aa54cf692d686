/**
 * The decision service: wires the pure core (catalog, pipeline, models) to a `Store`. It keeps the
 * active compiled catalog in memory (swapped atomically on PUT), records every decision before
 * answering, joins responses to their decision, teaches the model from the predictor snapshot
 * recorded at decision time, and persists model state periodically and on close.
 * Entry points (HTTP, CLI) stay thin and call this.
 */
import { randomUUID } from 'node:crypto';
import { buildCatalog, type CompiledCatalog } from '../core/catalog/compile.js';
import type { CatalogProblem } from '../core/catalog/validate.js';
import { systemClock, type Clock } from '../core/clock.js';
import { modelKey, type PropensityModel } from '../core/models/model.js';
import { BetaBernoulliModel } from '../core/models/beta-bernoulli.js';
import { decide, type CandidateExplanation } from '../core/pipeline/decide.js';
import { systemRandom, type Random } from '../core/random.js';
import type { CustomerProfile, DecisionRecord, JsonObject, JsonValue, Outcome, RankedAction } from '../core/types.js';
import { nbError } from '../errors.js';
import type { CatalogVersionInfo, ErasureResult, Store } from '../store/store.js';
import { ServiceMetrics } from './metrics.js';

export interface ServiceOptions {
  store: Store;
  model?: PropensityModel;
  clock?: Clock;
  random?: Random;
  /** Decision id generator; random UUIDs by default. */
  newId?: () => string;
  /** How often dirty model state is written to the store, in ms (0 = only on flush/close). Default 1000. */
  modelFlushMs?: number;
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
  private readonly newId: () => string;
  private active: CompiledCatalog;
  private flushTimer: NodeJS.Timeout | undefined;
  private closed = false;

  private constructor(options: ServiceOptions, catalog: CompiledCatalog) {
    this.store = options.store;
    this.model = options.model ?? new BetaBernoulliModel();
    this.clock = options.clock ?? systemClock;
    this.random = options.random ?? systemRandom;
    this.newId = options.newId ?? randomUUID;
    this.active = catalog;
    const flushMs = options.modelFlushMs ?? 1000;
    if (flushMs > 0) {
      this.flushTimer = setInterval(() => {
        this.flushModels().catch(() => undefined);
      }, flushMs);
      this.flushTimer.unref();
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
    const model = options.model ?? new BetaBernoulliModel();
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
    const profile = await this.store.getProfile(input.customerId);
    const now = this.clock.now();
    const context = input.context ?? {};
    const result = decide(
      { channel: input.channel, customer: profile?.attributes, context, limit: input.limit ?? 1, explain: input.explain ?? false },
      { catalog, model: this.model, random: this.random, now },
    );
    const channel = catalog.channels.get(input.channel);
    const record: DecisionRecord = {
      decisionId: this.newId(),
      customerId: input.customerId,
      channel: input.channel,
      direction: channel?.direction ?? 'inbound',
      catalogVersion: catalog.version,
      createdAt: now.toISOString(),
      context,
      actions: result.actions,
      predictors: result.predictors,
    };
    await this.store.saveDecision(record);
    this.metrics.decisions.inc({ channel: input.channel, empty: String(result.actions.length === 0) });
    this.metrics.decisionSeconds.observe(Number(process.hrtime.bigint() - started) / 1e9);
    return {
      decisionId: record.decisionId,
      customerId: record.customerId,
      channel: record.channel,
      knownCustomer: profile !== undefined,
      catalogVersion: record.catalogVersion,
      createdAt: record.createdAt,
      actions: record.actions,
      ...(result.explanation ? { explanation: result.explanation } : {}),
    };
  }

  async respond(input: ResponseInput): Promise<ResponseOutput> {
    const decision = await this.store.getDecision(input.decisionId);
    if (!decision) throw nbError('NB_ERR_DECISION_NOT_FOUND', [input.decisionId]);
    if (!decision.actions.some((a) => a.actionId === input.actionId)) {
      const offered = decision.actions.map((a) => a.actionId).join(', ') || 'nothing';
      throw nbError('NB_ERR_ACTION_NOT_IN_DECISION', [input.actionId, input.decisionId, offered]);
    }
    const receivedAt = this.clock.now().toISOString();
    const at = input.at ? new Date(input.at).toISOString() : receivedAt;
    const earlier = await this.store.listResponses(input.decisionId);
    const recorded = await this.store.saveResponse({
      decisionId: input.decisionId,
      actionId: input.actionId,
      customerId: decision.customerId,
      channel: decision.channel,
      outcome: input.outcome,
      at,
      receivedAt,
    });
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
      this.model.learn(modelKey({ actionId: input.actionId, channel: decision.channel, direction: decision.direction }), decision.predictors, verdict === 'positive');
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

  async flushModels(): Promise<void> {
    const dirty = this.model.takeDirty();
    if (dirty.length > 0) await this.store.saveModelStates(this.model.kind, dirty, this.clock.now());
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    if (this.flushTimer) clearInterval(this.flushTimer);
    await this.flushModels();
    await this.store.close();
  }
}

function catalogInvalid(errors: CatalogProblem[], what?: string) {
  return nbError('NB_ERR_CATALOG_INVALID', [what ? `${errors.length} (${what})` : errors.length], { details: errors });
}
