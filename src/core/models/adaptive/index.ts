/**
 * `AdaptiveModel`: the default `PropensityModel` (kind `adaptive-nb`). One naive-Bayes model per
 * key (action/channel/direction), learning online from responses, with Thompson-sampling
 * exploration, optional decay, reports per key and merging of models from several nodes.
 */
import type { JsonValue, Predictors } from '../../types.js';
import { sampleBeta, sampleBetaInto, type Random } from '../../random.js';
import { takeDirtyStates, type PropensityEstimate, type PropensityModel } from '../model.js';
import { NaiveBayesModel, scorerLayouts, type ModelReport, type NaiveBayesOptions, type NaiveBayesState } from './naive-bayes.js';
import { encodePredictors, predictorIdCount, type EncodedPredictors } from './predictor.js';
import { ScorerPack } from './kernel.js';

export { NaiveBayesModel } from './naive-bayes.js';
export { encodePredictors, type EncodedPredictors } from './predictor.js';
export type {
  ModelReport,
  PredictorReport,
  BinReport,
  ClassifierBinReport,
  NaiveBayesOptions,
  NaiveBayesPrediction,
  NaiveBayesState,
} from './naive-bayes.js';

/**
 * `learn` queues a key's responses (`NaiveBayesModel.learnLater`) and the key learns them together:
 * when its queue holds this many, when anything reads its model, or when it has waited longest
 * among more than `QUEUED_KEYS` keys with a queue.
 */
export const QUEUE_PER_KEY = 32;
/** Most keys with queued responses (with `QUEUE_PER_KEY`, a bound on the records kept waiting). */
export const QUEUED_KEYS = 128;

export interface AdaptiveModelOptions extends NaiveBayesOptions {
  /** Thompson sampling: the arbitrated propensity is a draw from Beta(1 + p*E, 1 + (1 - p)*E). Default true. */
  explore?: boolean;
}

export interface ModelSummary {
  key: string;
  /** Responses learnt (decayed when a half-life is set). */
  responses: number;
  positives: number;
  auc: number;
  activePredictors: number;
}

export class AdaptiveModel implements PropensityModel {
  readonly kind = 'adaptive-nb';
  private readonly models = new Map<string, NaiveBayesModel>();
  /** Grows whenever a key gets a model object (created, loaded, merged in): handles from `slot` are then stale. */
  private slotChanges = 0;
  private readonly dirty = new Set<string>();
  /** Models that queued responses, longest waiting first (some may have caught up since). */
  private readonly waiting = new Set<NaiveBayesModel>();
  private readonly explore: boolean;
  private readonly modelOptions: NaiveBayesOptions;
  /** The Thompson draw's [alpha, beta, draw] (see `sampleBetaInto`). */
  private readonly shapes = new Float64Array(3);
  /** `estimatePrepared`'s [propensity, mean, evidence] (see `estimateInto`). */
  private readonly estimated = new Float64Array(3);

  constructor(options: AdaptiveModelOptions = {}) {
    const { explore, ...rest } = options;
    this.explore = explore ?? true;
    this.modelOptions = rest;
  }

  estimate(key: string, predictors: Predictors, random: Random): PropensityEstimate {
    const m = this.models.get(key);
    if (!m) {
      return { propensity: this.explore ? random.next() : 0.5, mean: 0.5, evidence: 0 };
    }
    const { mean, evidence } = m.predict(predictors);
    const propensity = this.explore ? sampleBeta(random, 1 + mean * evidence, 1 + (1 - mean) * evidence) : mean;
    return { propensity, mean, evidence };
  }

  /**
   * Resolves a predictor record once for many `estimatePrepared` calls (a decision scores the same
   * record with one model per candidate action). The record must not change while in use.
   */
  prepare(predictors: Predictors): EncodedPredictors {
    return encodePredictors(predictors);
  }

  /** `estimate` for a record resolved by `prepare`: the same result, without per-model lookups. */
  estimatePrepared(key: string, prepared: EncodedPredictors, random: Random): PropensityEstimate {
    const out = this.estimated;
    this.estimateInto(this.models.get(key), prepared, random, out, 0);
    return { propensity: out[0]!, mean: out[1]!, evidence: out[2]! };
  }

  /**
   * A handle on `key`'s model for repeated `estimateInto` calls: the model object itself (undefined
   * while the key has none). Valid while `slotsVersion` is unchanged; the pipeline resolves its
   * candidates' handles once and again only after that, so a decision reads each candidate's model
   * without a lookup by key.
   */
  slot(key: string): NaiveBayesModel | undefined {
    return this.models.get(key);
  }

  /** Changes when a handle from `slot` may be stale (a key got a new model object). */
  get slotsVersion(): number {
    return this.slotChanges;
  }

  /**
   * `estimatePrepared` through a handle from `slot`, without allocating: writes the arbitrated
   * propensity, the point estimate and the evidence to out[at], out[at + 1], out[at + 2].
   */
  estimateInto(m: NaiveBayesModel | undefined, prepared: EncodedPredictors, random: Random, out: Float64Array, at: number): void {
    if (!m) {
      out[at] = this.explore ? random.next() : 0.5;
      out[at + 1] = 0.5;
      out[at + 2] = 0;
      return;
    }
    m.predictMeanInto(prepared, out, at + 1);
    const mean = out[at + 1]!;
    const evidence = m.scoredEvidence;
    out[at + 2] = evidence;
    if (this.explore) {
      const shapes = this.shapes;
      shapes[0] = 1 + mean * evidence;
      shapes[1] = 1 + (1 - mean) * evidence;
      sampleBetaInto(random, shapes, 0);
      out[at] = shapes[2]!;
    } else out[at] = mean;
  }

  /**
   * Lays the scorers of the slots' models side by side in one pack (a WebAssembly kernel's
   * memory, see kernel.ts), in slot order, so that a decision scoring them all reads memory front
   * to back (the pipeline packs its candidates' models, and packs again once many have laid out
   * new scorers since, see `scorerLayouts`).
   */
  packScorers(slots: ReadonlyArray<NaiveBayesModel | undefined>): void {
    let bytes = 0;
    for (const m of slots) if (m) bytes += m.scorerByteLength;
    // records of the predictor ids known now, and of as many again that may come before the next pack
    const pack = ScorerPack.create(bytes, Math.max(64, 2 * predictorIdCount()));
    let offset = pack.scorersAt;
    for (const m of slots) if (m) offset = m.moveScorer(pack, offset);
  }

  /** Scorer layouts made by any model so far (each leaves a packed buffer). */
  get scorerLayouts(): number {
    return scorerLayouts;
  }

  private setModel(key: string, m: NaiveBayesModel): void {
    const replaced = this.models.get(key);
    if (replaced) this.waiting.delete(replaced);
    this.models.set(key, m);
    this.slotChanges++;
  }

  /**
   * Learns a response. The key's model learns it before it is next read (a prediction, its state,
   * a report), exactly as if now; until then the response waits in the key's queue, so that a
   * model learns a run of responses while its state is in the processor's caches (many keys
   * learning in turn would each fetch it from memory every time). At most `QUEUE_PER_KEY`
   * responses wait per key and `QUEUED_KEYS` keys have a queue. The record must not change after
   * the call.
   */
  learn(key: string, predictors: Predictors, positive: boolean): void {
    const m = this.modelFor(key);
    const queued = m.learnLater(predictors, positive);
    if (queued >= QUEUE_PER_KEY) {
      m.catchUp();
      this.waiting.delete(m);
    } else if (queued === 1) {
      this.waiting.add(m);
      if (this.waiting.size > QUEUED_KEYS) {
        const longest = this.waiting.values().next().value!;
        this.waiting.delete(longest);
        longest.catchUp();
      }
    }
    this.dirty.add(key);
  }

  /** Learns every queued response now (see `learn`; reading a model does so for its key). */
  catchUp(): void {
    for (const m of this.waiting) m.catchUp();
    this.waiting.clear();
  }

  /** Responses `learn` has queued and the models have not learnt yet. */
  get queuedResponses(): number {
    let n = 0;
    for (const m of this.waiting) n += m.queuedResponses;
    return n;
  }

  /** The naive-Bayes model of a key (created empty when absent). */
  modelFor(key: string): NaiveBayesModel {
    let m = this.models.get(key);
    if (!m) {
      m = new NaiveBayesModel(this.modelOptions);
      this.setModel(key, m);
    }
    return m;
  }

  takeDirty(limit = Infinity): Array<{ key: string; state: JsonValue }> {
    return takeDirtyStates(this.dirty, limit, (key) => this.models.get(key)?.toJSON() as unknown as JsonValue | undefined);
  }

  load(key: string, state: JsonValue): void {
    if (typeof state !== 'object' || state === null || Array.isArray(state) || state['version'] !== 1) {
      throw new TypeError(`adaptive-nb state for ${key} must be an object with version 1`);
    }
    this.setModel(key, NaiveBayesModel.fromJSON(state as unknown as NaiveBayesState, this.modelOptions));
  }

  keys(): string[] {
    return [...this.models.keys()];
  }

  summaries(): ModelSummary[] {
    return [...this.models.entries()]
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
      .map(([key, m]) => ({
        key,
        responses: m.evidence,
        positives: m.positives,
        auc: m.auc(),
        activePredictors: m.activeCount,
      }));
  }

  report(key: string): ModelReport | undefined {
    return this.models.get(key)?.report();
  }

  /** Adds every key of `other` into this model (counts are sums); returns this. */
  merge(other: AdaptiveModel): this {
    for (const [key, m] of other.models) {
      const mine = this.models.get(key);
      if (mine) mine.merge(m);
      else this.setModel(key, NaiveBayesModel.fromJSON(m.toJSON(), this.modelOptions));
      this.dirty.add(key);
    }
    return this;
  }
}
