/**
 * The per-key adaptive naive-Bayes propensity model (DESIGN section 4).
 *
 * - Predictors are binned online (binning.ts); each active predictor adds its bin's log-odds
 *   contribution c_p = ln(pos_i + 1/N) - ln(sumPos + 1) - [ln(neg_i + 1/N) - ln(sumNeg + 1)].
 * - score = (ln(1 + totalPos) - ln(1 + totalNeg) + sum of active c_p) / (1 + nActive).
 * - The score is calibrated by classifier bins over the score, made monotone by PAV; in bin b the
 *   propensity is (0.5 + pos_b) / (1 + pos_b + neg_b). An empty model says 0.5.
 * - Activation: a predictor takes part when its AUC beats `activationAuc`; predictors whose
 *   contributions correlate above `correlationThreshold` form a group of which only the best
 *   (highest AUC) is active.
 * - Decay: with a half-life H (in responses) every count is multiplied by 2^(-1/H) per response.
 *   Counts are kept in inflated units (each response adds the growing weight `w`; true count =
 *   stored / w; everything is rescaled when w gets large), so decay costs nothing per row.
 * - Bins are regrouped, AUCs, activation and classifier bins recomputed at refresh points
 *   (16, 32, ..., then every `refreshEvery` responses), so that predicting stays cheap.
 */
import type { Predictors, PredictorValue } from '../../types.js';
import { DEFAULT_BINNING, NumericBinning, type BinningConfig, type NumericBinningState } from './binning.js';
import { Predictor, type PredictorState } from './predictor.js';
import { aucOrdered } from './auc.js';

export interface NaiveBayesOptions extends Partial<BinningConfig> {
  /** Predictor AUC a predictor must exceed to take part. Default 0.52. */
  activationAuc?: number;
  /** |correlation| of contributions above which two predictors are grouped. Default 0.8. */
  correlationThreshold?: number;
  /** Half-life of evidence in responses; undefined or Infinity = no decay. */
  halfLife?: number;
  /** Refresh (regroup, activation, classifier) every this many responses after the first 512. Default 500. */
  refreshEvery?: number;
  /** Fine intervals of the score sketch behind the classifier. Default 100. */
  classifierBins?: number;
  /** Predictors (in order of first appearance) whose correlations are tracked. Default 64. */
  maxCorrelated?: number;
}

export interface ResolvedNaiveBayesOptions extends BinningConfig {
  activationAuc: number;
  correlationThreshold: number;
  halfLife: number;
  refreshEvery: number;
  classifierBins: number;
  maxCorrelated: number;
}

export function resolveOptions(options: NaiveBayesOptions = {}): ResolvedNaiveBayesOptions {
  const def = <T>(v: T | undefined, d: T): T => (v === undefined ? d : v);
  return {
    fineBins: def(options.fineBins, DEFAULT_BINNING.fineBins),
    maxBins: def(options.maxBins, DEFAULT_BINNING.maxBins),
    mergeChi2: def(options.mergeChi2, DEFAULT_BINNING.mergeChi2),
    minBinWeight: def(options.minBinWeight, DEFAULT_BINNING.minBinWeight),
    maxSymbols: def(options.maxSymbols, DEFAULT_BINNING.maxSymbols),
    minSymbolWeight: def(options.minSymbolWeight, DEFAULT_BINNING.minSymbolWeight),
    activationAuc: def(options.activationAuc, 0.52),
    correlationThreshold: def(options.correlationThreshold, 0.8),
    halfLife: def(options.halfLife, Infinity),
    refreshEvery: def(options.refreshEvery, 500),
    classifierBins: def(options.classifierBins, 100),
    maxCorrelated: def(options.maxCorrelated, 64),
  };
}

export interface NaiveBayesPrediction {
  /** Calibrated propensity (point estimate). */
  mean: number;
  /** Evidence: responses learnt (decayed when a half-life is set). */
  evidence: number;
  /** The naive-Bayes score before calibration. */
  score: number;
}

export interface BinReport {
  label: string;
  positives: number;
  negatives: number;
  /** The bin's contribution c_p. */
  logOdds: number;
}

export interface PredictorReport {
  name: string;
  type: 'numeric' | 'symbolic' | 'unknown';
  bins: BinReport[];
  auc: number;
  active: boolean;
  /** When grouped out by correlation: the active predictor of its group. */
  groupedWith?: string;
}

export interface ClassifierBinReport {
  /** Score range: lower bound exclusive (absent: unbounded), upper bound inclusive. */
  lower?: number;
  upper?: number;
  positives: number;
  negatives: number;
  propensity: number;
}

export interface ModelReport {
  responses: number;
  positives: number;
  auc: number;
  activePredictors: number;
  /** Score range the active predictors can reach. */
  scoreRange: [number, number];
  predictors: PredictorReport[];
  classifier: ClassifierBinReport[];
}

export interface NaiveBayesState {
  version: 1;
  weight: number;
  totalPos: number;
  totalNeg: number;
  responses: number;
  predictors: PredictorState[];
  classifier: NumericBinningState;
  correlation: { names: string[]; weight: number; sum: number[]; cross: number[] };
  /** Names of the active predictors, and of the leader of each grouped-out predictor. */
  active: string[];
  groupedWith: Record<string, string>;
}

/** The weight beyond which all inflated counts are rescaled to keep floats well inside range. */
const RESCALE_AT = 1e12;

export class NaiveBayesModel {
  readonly options: ResolvedNaiveBayesOptions;
  private readonly preds: Predictor[] = [];
  private readonly byName = new Map<string, number>();
  /** Current weight of one response (inflated units); grows by 1/decay per response. */
  private w = 1;
  private readonly growth: number;
  private totalPos = 0;
  private totalNeg = 0;
  /** Responses learnt (undecayed), drives the refresh schedule. */
  private responses = 0;
  private nextRefresh = 16;
  /** Indices of active predictors. */
  private active: number[] = [];
  /** Indices of predictors above the activation AUC (active or grouped out). */
  private eligible: number[] = [];
  private readonly leader = new Map<number, number>();
  private classifier: NumericBinning;
  /** Correlation sums of contributions for the first `maxCorrelated` predictors. */
  private corrW = 0;
  private readonly corrSum: Float64Array;
  private readonly corrCross: Float64Array;
  /** Scratch: contribution of each tracked predictor for the row being learnt. */
  private readonly scratch: Float64Array;

  constructor(options: NaiveBayesOptions = {}) {
    this.options = resolveOptions(options);
    const h = this.options.halfLife;
    this.growth = Number.isFinite(h) && h > 0 ? Math.pow(2, 1 / h) : 1;
    this.classifier = new NumericBinning(this.options.classifierBins);
    const m = this.options.maxCorrelated;
    this.corrSum = new Float64Array(m);
    this.corrCross = new Float64Array(m * m);
    this.scratch = new Float64Array(m);
  }

  /** Responses learnt, decayed when a half-life is set. */
  get evidence(): number {
    return (this.totalPos + this.totalNeg) / this.w;
  }

  get positives(): number {
    return this.totalPos / this.w;
  }

  get predictorCount(): number {
    return this.preds.length;
  }

  get activeCount(): number {
    return this.active.length;
  }

  /** Memory held by the binnings: fine intervals plus tracked symbols over all predictors. */
  sketchSize(): number {
    let n = this.classifier.sketchSize;
    for (const p of this.preds) n += p.sketchSize;
    return n;
  }

  private intercept(): number {
    return Math.log(1 + this.totalPos / this.w) - Math.log(1 + this.totalNeg / this.w);
  }

  /** The naive-Bayes score of a predictor record (active predictors only). */
  score(predictors: Predictors): number {
    let sum = this.intercept();
    const active = this.active;
    for (let k = 0; k < active.length; k++) {
      const p = this.preds[active[k]!]!;
      sum += p.contribution(p.index(predictors[p.name]), this.w);
    }
    return sum / (1 + active.length);
  }

  private calibrate(score: number): number {
    const c = this.classifier;
    const k = c.index(score);
    const pos = c.pos[k]! / this.w;
    const neg = c.neg[k]! / this.w;
    return (0.5 + pos) / (1 + pos + neg);
  }

  predict(predictors: Predictors): NaiveBayesPrediction {
    if (this.totalPos + this.totalNeg <= 0) return { mean: 0.5, evidence: 0, score: 0 };
    const score = this.score(predictors);
    return { mean: this.calibrate(score), evidence: this.evidence, score };
  }

  learn(predictors: Predictors, positive: boolean): void {
    // Score and tracked contributions with the model as it was before this response.
    const m = Math.min(this.options.maxCorrelated, this.preds.length);
    const scratch = this.scratch;
    for (let i = 0; i < m; i++) {
      const p = this.preds[i]!;
      scratch[i] = p.contribution(p.index(predictors[p.name]), this.w);
    }
    let sum = this.intercept();
    const active = this.active;
    for (let k = 0; k < active.length; k++) {
      const i = active[k]!;
      if (i < m) sum += scratch[i]!;
      else {
        const p = this.preds[i]!;
        sum += p.contribution(p.index(predictors[p.name]), this.w);
      }
    }
    const score = sum / (1 + active.length);

    this.w *= this.growth;
    const w = this.w;
    // correlation sums (inflated units like the counts)
    this.corrW += w;
    const cross = this.corrCross;
    const mm = this.options.maxCorrelated;
    for (let i = 0; i < m; i++) {
      const ci = scratch[i]! * w;
      this.corrSum[i] = this.corrSum[i]! + ci;
      const row = i * mm;
      for (let j = 0; j <= i; j++) cross[row + j] = cross[row + j]! + ci * scratch[j]!;
    }
    // counts
    this.classifier.add(score, positive, w);
    if (positive) this.totalPos += w;
    else this.totalNeg += w;
    const preds = this.preds;
    for (let i = 0; i < preds.length; i++) {
      const p = preds[i]!;
      p.add(predictors[p.name], positive, w);
    }
    this.addNewPredictors(predictors, positive, w);
    this.responses++;
    if (w > RESCALE_AT) this.rescale(1 / w);
    if (this.responses >= this.nextRefresh) {
      this.refresh();
      this.nextRefresh = this.responses < 512 ? this.responses * 2 : this.responses + this.options.refreshEvery;
    }
  }

  /** Creates predictors for names not seen before; earlier responses count as missing for them. */
  private addNewPredictors(predictors: Predictors, positive: boolean, w: number): void {
    for (const name in predictors) {
      if (this.byName.has(name) || predictors[name] === undefined) continue;
      const p = new Predictor(name, this.options);
      // Responses before this one: the predictor was missing then.
      const beforePos = this.totalPos - (positive ? w : 0);
      const beforeNeg = this.totalNeg - (positive ? 0 : w);
      if (beforePos + beforeNeg > 0) {
        p.add(null, true, beforePos);
        p.add(null, false, beforeNeg);
      }
      p.add(predictors[name] as PredictorValue, positive, w);
      this.byName.set(name, this.preds.length);
      this.preds.push(p);
    }
  }

  private rescale(f: number): void {
    this.totalPos *= f;
    this.totalNeg *= f;
    for (const p of this.preds) p.rescale(f);
    this.classifier.rescale(f);
    this.corrW *= f;
    for (let i = 0; i < this.corrSum.length; i++) this.corrSum[i] = this.corrSum[i]! * f;
    for (let i = 0; i < this.corrCross.length; i++) this.corrCross[i] = this.corrCross[i]! * f;
    this.w *= f;
  }

  /** Pearson correlation of the contributions of tracked predictors i and j (NaN if unknown). */
  correlation(i: number, j: number): number {
    const mm = this.options.maxCorrelated;
    if (i >= mm || j >= mm || this.corrW <= 0) return NaN;
    const [a, b] = i >= j ? [i, j] : [j, i];
    const n = this.corrW;
    const si = this.corrSum[i]!;
    const sj = this.corrSum[j]!;
    const cov = this.corrCross[a * mm + b]! / n - (si / n) * (sj / n);
    const vi = this.corrCross[i * mm + i]! / n - (si / n) ** 2;
    const vj = this.corrCross[j * mm + j]! / n - (sj / n) ** 2;
    if (vi <= 1e-12 || vj <= 1e-12) return NaN;
    return cov / Math.sqrt(vi * vj);
  }

  /** Regroups bins, recomputes AUCs, activation, correlation groups and classifier bins. */
  refresh(): void {
    for (const p of this.preds) p.refresh(this.w);
    const o = this.options;
    const eligible: number[] = [];
    for (let i = 0; i < this.preds.length; i++) if (this.preds[i]!.auc > o.activationAuc) eligible.push(i);
    eligible.sort((a, b) => this.preds[b]!.auc - this.preds[a]!.auc || a - b);
    const active: number[] = [];
    this.leader.clear();
    for (const i of eligible) {
      let leader = -1;
      for (const a of active) {
        const r = this.correlation(i, a);
        if (Math.abs(r) >= o.correlationThreshold) {
          leader = a;
          break;
        }
      }
      if (leader >= 0) this.leader.set(i, leader);
      else active.push(i);
    }
    active.sort((a, b) => a - b);
    this.eligible = eligible;
    this.active = active;
    this.classifier.regroupMonotone();
  }

  /** Score range reachable by the active predictors (min and max over their bins). */
  scoreRange(): [number, number] {
    let lo = this.intercept();
    let hi = lo;
    for (const i of this.active) {
      const p = this.preds[i]!;
      let mn = Infinity;
      let mx = -Infinity;
      for (let b = 0; b < p.nBins; b++) {
        if (p.posOf(b) + p.negOf(b) <= 0) continue;
        const c = p.contribution(b, this.w);
        if (c < mn) mn = c;
        if (c > mx) mx = c;
      }
      if (mn <= mx) {
        lo += mn;
        hi += mx;
      }
    }
    const d = 1 + this.active.length;
    return [lo / d, hi / d];
  }

  /** Model AUC from the classifier bins that the reachable score range overlaps. */
  auc(): number {
    const [lo, hi] = this.scoreRange();
    const c = this.classifier;
    const n = c.nBins - 1; // without the (unused) missing bin
    let from = n;
    let to = 0;
    for (let k = 0; k < n; k++) {
      const d = c.describe(k);
      const lower = d.lower ?? -Infinity;
      const upper = d.upper ?? Infinity;
      if (upper >= lo && lower < hi) {
        if (k < from) from = k;
        to = k + 1;
      }
    }
    if (from >= to) return 0.5;
    return aucOrdered(c.pos, c.neg, from, to);
  }

  report(): ModelReport {
    const w = this.w;
    const activeSet = new Set(this.active);
    const predictors: PredictorReport[] = this.preds.map((p, i) => {
      const bins: BinReport[] = [];
      for (let b = 0; b < p.nBins; b++) {
        bins.push({
          label: p.binning ? p.binning.describe(b).label : 'missing',
          positives: p.posOf(b) / w,
          negatives: p.negOf(b) / w,
          logOdds: p.contribution(b, w),
        });
      }
      const r: PredictorReport = { name: p.name, type: p.type, bins, auc: p.auc, active: activeSet.has(i) };
      const l = this.leader.get(i);
      if (l !== undefined) r.groupedWith = this.preds[l]!.name;
      return r;
    });
    const classifier: ClassifierBinReport[] = [];
    const c = this.classifier;
    for (let k = 0; k < c.nBins - 1; k++) {
      const d = c.describe(k);
      const pos = c.pos[k]! / w;
      const neg = c.neg[k]! / w;
      const r: ClassifierBinReport = { positives: pos, negatives: neg, propensity: (0.5 + pos) / (1 + pos + neg) };
      if (d.lower !== undefined) r.lower = d.lower;
      if (d.upper !== undefined) r.upper = d.upper;
      classifier.push(r);
    }
    return {
      responses: this.evidence,
      positives: this.positives,
      auc: this.auc(),
      activePredictors: this.active.length,
      scoreRange: this.scoreRange(),
      predictors,
      classifier,
    };
  }

  /**
   * Adds another model's counts into this one (counts are sums) and refreshes. Predictor bins,
   * totals and classifier counts are sums of both; correlation sums add for predictors both track.
   */
  merge(other: NaiveBayesModel): this {
    const f = this.w / other.w;
    this.totalPos += other.totalPos * f;
    this.totalNeg += other.totalNeg * f;
    this.responses += other.responses;
    const mm = this.options.maxCorrelated;
    const om = other.options.maxCorrelated;
    const map: number[] = [];
    other.preds.forEach((op, oi) => {
      let i = this.byName.get(op.name);
      if (i === undefined) {
        const p = new Predictor(op.name, this.options);
        // it was missing for everything this model saw before
        const beforePos = this.totalPos - other.totalPos * f;
        const beforeNeg = this.totalNeg - other.totalNeg * f;
        if (beforePos > 0) p.add(null, true, beforePos);
        if (beforeNeg > 0) p.add(null, false, beforeNeg);
        i = this.preds.length;
        this.byName.set(op.name, i);
        this.preds.push(p);
      }
      this.preds[i]!.mergeFrom(op, f);
      map[oi] = i;
    });
    // predictors this model has and the other lacks were missing in the other's responses
    for (const p of this.preds) {
      if (!other.byName.has(p.name)) {
        if (other.totalPos > 0) p.add(null, true, other.totalPos * f);
        if (other.totalNeg > 0) p.add(null, false, other.totalNeg * f);
      }
    }
    this.classifier.mergeFrom(other.classifier, f);
    this.corrW += other.corrW * f;
    for (let oi = 0; oi < Math.min(om, other.preds.length); oi++) {
      const i = map[oi]!;
      if (i >= mm) continue;
      this.corrSum[i] = this.corrSum[i]! + other.corrSum[oi]! * f;
      for (let oj = 0; oj <= oi; oj++) {
        const j = map[oj]!;
        if (j >= mm) continue;
        const [a, b] = i >= j ? [i, j] : [j, i];
        this.corrCross[a * mm + b] = this.corrCross[a * mm + b]! + other.corrCross[oi * om + oj]! * f;
      }
    }
    this.refresh();
    return this;
  }

  toJSON(): NaiveBayesState {
    const mm = this.options.maxCorrelated;
    const m = Math.min(mm, this.preds.length);
    const cross: number[] = [];
    for (let i = 0; i < m; i++) for (let j = 0; j <= i; j++) cross.push(this.corrCross[i * mm + j]!);
    return {
      version: 1,
      weight: this.w,
      totalPos: this.totalPos,
      totalNeg: this.totalNeg,
      responses: this.responses,
      predictors: this.preds.map((p) => p.toJSON()),
      classifier: this.classifier.toJSON(),
      correlation: {
        names: this.preds.slice(0, m).map((p) => p.name),
        weight: this.corrW,
        sum: Array.from(this.corrSum.subarray(0, m)),
        cross,
      },
      active: this.active.map((i) => this.preds[i]!.name),
      groupedWith: Object.fromEntries([...this.leader].map(([i, l]) => [this.preds[i]!.name, this.preds[l]!.name])),
    };
  }

  static fromJSON(state: NaiveBayesState, options: NaiveBayesOptions = {}): NaiveBayesModel {
    if (state.version !== 1) throw new TypeError(`unsupported adaptive model state version ${String(state.version)}`);
    const model = new NaiveBayesModel(options);
    const o = model.options;
    model.w = state.weight;
    model.totalPos = state.totalPos;
    model.totalNeg = state.totalNeg;
    model.responses = state.responses;
    for (const ps of state.predictors) {
      model.byName.set(ps.name, model.preds.length);
      model.preds.push(Predictor.fromJSON(ps, o));
    }
    const c = NumericBinning.fromJSON(state.classifier, o.classifierBins);
    model.classifier = c;
    model.corrW = state.correlation.weight;
    const mm = o.maxCorrelated;
    const m = Math.min(mm, state.correlation.sum.length);
    let k = 0;
    for (let i = 0; i < state.correlation.sum.length; i++) {
      for (let j = 0; j <= i; j++) {
        const v = state.correlation.cross[k++] ?? 0;
        if (i < m) model.corrCross[i * mm + j] = v;
      }
      if (i < m) model.corrSum[i] = state.correlation.sum[i]!;
    }
    model.nextRefresh = model.responses < 512 ? Math.max(16, nextPow2(model.responses + 1)) : model.responses + o.refreshEvery;
    const index = (name: string): number => {
      const i = model.byName.get(name);
      if (i === undefined) throw new TypeError(`adaptive model state names unknown predictor ${name}`);
      return i;
    };
    model.active = state.active.map(index).sort((a, b) => a - b);
    for (const [name, leader] of Object.entries(state.groupedWith)) model.leader.set(index(name), index(leader));
    model.eligible = [...model.active, ...model.leader.keys()];
    return model;
  }
}

function nextPow2(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}
