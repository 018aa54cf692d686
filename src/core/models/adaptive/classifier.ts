/**
 * The classifier of the adaptive model: maps the naive-Bayes score to a propensity through bins
 * over the score, made monotone by pool-adjacent-violators; in bin b the propensity is
 * (0.5 + pos_b) / (1 + pos_b + neg_b). Each response adds its score (computed before learning it)
 * to a fine sketch of scores, so the classifier is learnt online like the predictors.
 *
 * Minimum evidence:
 * - Bins hold at least max(minEvidence, minShare x evidence) responses (see `regroup`): light
 *   fine intervals pool with their neighbours before PAV, so a score at the edge of what was seen
 *   is not calibrated on one or two responses, (0.5 + 0) / (1 + 0 + 1) = 0.25.
 * - A response scored without evidence (`score` undefined: no predictor took part, so the score
 *   is the intercept, which only moves with time) is not added to the sketch; it counts in the
 *   classifier's totals only. Such a row is predicted from the totals as one bin,
 *   (0.5 + pos) / (1 + pos + neg). So are all rows while the sketch holds fewer than `minCount`
 *   positives or negatives (a ranking is not calibrated on a click or two).
 *   Keeping the intercept-only scores out of the sketch matters: they sweep the score axis as
 *   responses accrue, and the sketch, which only ever merges intervals, would keep the wide
 *   intervals they leave where the informative scores later land.
 *
 * A classifier has its own half-life, and keeps an exponentially weighted prequential log loss
 * (each response is predicted before it is learnt), so a model can hold several classifiers that
 * forget at different speeds and use the one that has predicted best lately.
 */
import { NumericBinning, type NumericBinningState } from './binning.js';

export interface ClassifierState {
  halfLife: number | null;
  weight: number;
  loss: number;
  sketch: NumericBinningState;
  /**
   * Positives and negatives of every response learnt, scored or not (inflated units). Absent in
   * older states: the sketch's counts.
   */
  totals?: [number, number];
}

const RESCALE_AT = 1e12;

export class Classifier {
  private w = 1;
  private readonly growth: number;
  /** Decayed sum of prequential log losses (decay set by the model's selection half-life). */
  loss = 0;
  private sketch: NumericBinning;
  /** Positives and negatives of every response learnt (inflated units, like the sketch). */
  private pos = 0;
  private neg = 0;
  /** Positives and negatives in the sketch (inflated units). */
  private sPos = 0;
  private sNeg = 0;

  constructor(
    readonly halfLife: number,
    fineBins: number,
    /** Positives and negatives the sketch must hold before its bins are used. */
    private readonly minCount = 0,
  ) {
    this.growth = Number.isFinite(halfLife) && halfLife > 0 ? Math.pow(2, 1 / halfLife) : 1;
    this.sketch = new NumericBinning(fineBins);
  }

  /** Responses behind the score bins (decayed). */
  get evidence(): number {
    return (this.sPos + this.sNeg) / this.w;
  }

  /** Positives learnt, scored or not (decayed). */
  get positives(): number {
    return this.pos / this.w;
  }

  /** Negatives learnt, scored or not (decayed). */
  get negatives(): number {
    return this.neg / this.w;
  }

  get sketchSize(): number {
    return this.sketch.sketchSize;
  }

  /** Number of classifier bins (intervals over the score). */
  get nBins(): number {
    return this.sketch.nBins - 1;
  }

  /** True when the score bins are used (the sketch holds at least minCount of each outcome). */
  get ready(): boolean {
    const min = this.minCount * this.w;
    return this.sPos + this.sNeg > 0 && this.sPos >= min && this.sNeg >= min;
  }

  /** Propensity of a score; `undefined` (no evidence in the score) or not ready: the totals. */
  propensity(score: number | undefined): number {
    if (score === undefined || !this.ready) {
      const pos = this.pos / this.w;
      return (0.5 + pos) / (1 + pos + this.neg / this.w);
    }
    const k = this.sketch.index(score);
    const pos = this.sketch.pos[k]! / this.w;
    const neg = this.sketch.neg[k]! / this.w;
    return (0.5 + pos) / (1 + pos + neg);
  }

  /** Copies the upper score bounds of the bins (the last is +Infinity) into `into`; returns their number. */
  copyBounds(into: Float64Array): number {
    return this.sketch.copyBounds(into, 0);
  }

  /** `propensity` of a score in bin k of a ready classifier (k = number of bins: a NaN score). */
  binPropensity(k: number): number {
    const pos = this.sketch.pos[k]! / this.w;
    const neg = this.sketch.neg[k]! / this.w;
    return (0.5 + pos) / (1 + pos + neg);
  }

  /** `propensity` from the totals (no score, or not ready). */
  totalsPropensity(): number {
    const pos = this.pos / this.w;
    return (0.5 + pos) / (1 + pos + this.neg / this.w);
  }

  /**
   * Scores the response first (its loss joins `loss`, decayed by `lossDecay`), then learns it;
   * `score` undefined: the response counts in the totals only.
   */
  learn(score: number | undefined, positive: boolean, lossDecay: number): void {
    // the score's bin, found once for the propensity and for the count (`propensity`, `add`)
    const k = score === undefined ? -1 : this.sketch.binOf(score);
    const p = k < 0 || !this.ready ? this.totalsPropensity() : this.binPropensity(k);
    const q = positive ? p : 1 - p;
    this.loss = this.loss * lossDecay - Math.log(q > 1e-15 ? q : 1e-15);
    this.w *= this.growth;
    const w = this.w;
    if (positive) this.pos += w;
    else this.neg += w;
    if (score !== undefined) {
      this.sketch.addAt(k, score, positive, w);
      if (positive) this.sPos += w;
      else this.sNeg += w;
    }
    if (w > RESCALE_AT) {
      const f = 1 / w;
      this.sketch.rescale(f);
      this.pos *= f;
      this.neg *= f;
      this.sPos *= f;
      this.sNeg *= f;
      this.w = 1;
    }
  }

  /**
   * Recomputes the monotone bins from the fine sketch. Each bin holds at least
   * max(`minEvidence`, `minShare` x evidence) responses (decayed): light fine intervals pool with
   * their neighbours before PAV, so the extremes of the score are calibrated on enough responses.
   */
  regroup(minEvidence = 0, minShare = 0): void {
    const min = Math.max(minEvidence, minShare * this.evidence);
    this.sketch.regroupMonotone(min > 0 ? min * this.w : 0);
  }

  /** Bin k: score bounds (lower exclusive, upper inclusive; absent = unbounded) and counts. */
  bin(k: number): { lower?: number; upper?: number; positives: number; negatives: number } {
    const d = this.sketch.describe(k);
    const out: { lower?: number; upper?: number; positives: number; negatives: number } = {
      positives: this.sketch.pos[k]! / this.w,
      negatives: this.sketch.neg[k]! / this.w,
    };
    if (d.lower !== undefined) out.lower = d.lower;
    if (d.upper !== undefined) out.upper = d.upper;
    return out;
  }

  /** Adds another classifier's counts (by their true, decayed values) and its loss. */
  mergeFrom(other: Classifier, minEvidence = 0, minShare = 0): void {
    const f = this.w / other.w;
    this.sketch.mergeFrom(other.sketch, f);
    this.pos += other.pos * f;
    this.neg += other.neg * f;
    this.sPos += other.sPos * f;
    this.sNeg += other.sNeg * f;
    this.loss += other.loss;
    this.regroup(minEvidence, minShare);
  }

  toJSON(): ClassifierState {
    return {
      halfLife: Number.isFinite(this.halfLife) ? this.halfLife : null,
      weight: this.w,
      loss: this.loss,
      sketch: this.sketch.toJSON(),
      totals: [this.pos, this.neg],
    };
  }

  static fromJSON(state: ClassifierState, fineBins: number, minCount = 0): Classifier {
    const c = new Classifier(state.halfLife ?? Infinity, fineBins, minCount);
    c.w = state.weight;
    c.loss = state.loss;
    c.sketch = NumericBinning.fromJSON(state.sketch, fineBins);
    for (let k = 0; k < c.sketch.nBins; k++) {
      c.sPos += c.sketch.pos[k]!;
      c.sNeg += c.sketch.neg[k]!;
    }
    [c.pos, c.neg] = state.totals ?? [c.sPos, c.sNeg];
    return c;
  }
}
