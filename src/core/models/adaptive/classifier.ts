/**
 * The classifier of the adaptive model: maps the naive-Bayes score to a propensity through bins
 * over the score, made monotone by pool-adjacent-violators; in bin b the propensity is
 * (0.5 + pos_b) / (1 + pos_b + neg_b). Each response adds its score (computed before learning it)
 * to a fine sketch of scores, so the classifier is learnt online like the predictors.
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
}

const RESCALE_AT = 1e12;

export class Classifier {
  private w = 1;
  private readonly growth: number;
  /** Decayed sum of prequential log losses (decay set by the model's selection half-life). */
  loss = 0;
  private sketch: NumericBinning;

  constructor(
    readonly halfLife: number,
    private readonly fineBins: number,
  ) {
    this.growth = Number.isFinite(halfLife) && halfLife > 0 ? Math.pow(2, 1 / halfLife) : 1;
    this.sketch = new NumericBinning(fineBins);
  }

  /** Responses behind the classifier (decayed). */
  get evidence(): number {
    let n = 0;
    for (let k = 0; k < this.sketch.nBins; k++) n += this.sketch.pos[k]! + this.sketch.neg[k]!;
    return n / this.w;
  }

  get sketchSize(): number {
    return this.sketch.sketchSize;
  }

  /** Number of classifier bins (intervals over the score). */
  get nBins(): number {
    return this.sketch.nBins - 1;
  }

  propensity(score: number): number {
    const k = this.sketch.index(score);
    const pos = this.sketch.pos[k]! / this.w;
    const neg = this.sketch.neg[k]! / this.w;
    return (0.5 + pos) / (1 + pos + neg);
  }

  /**
   * Scores the response first (its loss joins `loss`, decayed by `lossDecay`), then learns it.
   */
  learn(score: number, positive: boolean, lossDecay: number): void {
    const p = this.propensity(score);
    const q = positive ? p : 1 - p;
    this.loss = this.loss * lossDecay - Math.log(q > 1e-15 ? q : 1e-15);
    this.w *= this.growth;
    this.sketch.add(score, positive, this.w);
    if (this.w > RESCALE_AT) {
      this.sketch.rescale(1 / this.w);
      this.w = 1;
    }
  }

  /** Recomputes the monotone bins from the fine sketch. */
  regroup(): void {
    this.sketch.regroupMonotone();
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
  mergeFrom(other: Classifier): void {
    this.sketch.mergeFrom(other.sketch, this.w / other.w);
    this.loss += other.loss;
    this.regroup();
  }

  toJSON(): ClassifierState {
    return {
      halfLife: Number.isFinite(this.halfLife) ? this.halfLife : null,
      weight: this.w,
      loss: this.loss,
      sketch: this.sketch.toJSON(),
    };
  }

  static fromJSON(state: ClassifierState, fineBins: number): Classifier {
    const c = new Classifier(state.halfLife ?? Infinity, fineBins);
    c.w = state.weight;
    c.loss = state.loss;
    c.sketch = NumericBinning.fromJSON(state.sketch, fineBins);
    return c;
  }
}
