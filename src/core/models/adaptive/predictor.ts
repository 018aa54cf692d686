/**
 * One predictor of an adaptive model: its binning (numeric or symbolic, decided by the first
 * non-missing value it sees), its naive-Bayes contribution per bin, and its own AUC.
 * A predictor seen only missing so far has a single missing bin and never becomes active.
 */
import type { PredictorValue } from '../../types.js';
import {
  NumericBinning,
  SymbolicBinning,
  type Binning,
  type BinningConfig,
  type NumericBinningState,
  type SymbolicBinningState,
} from './binning.js';
import { aucFromBins } from './auc.js';

export interface PredictorState {
  name: string;
  binning: NumericBinningState | SymbolicBinningState | null;
  /** Missing counts seen before the type was known (inflated units). */
  pendingMissing: [number, number];
  auc: number;
}

function isMissingValue(value: PredictorValue | undefined): boolean {
  return value === null || value === undefined || value === '';
}

export class Predictor {
  binning: Binning | undefined;
  private pendingPos = 0;
  private pendingNeg = 0;
  /** Totals over all bins (inflated units). */
  totalPos = 0;
  totalNeg = 0;
  /** AUC from the coarse bins at the last refresh (folded, >= 0.5). */
  auc = 0.5;

  constructor(
    readonly name: string,
    private readonly config: BinningConfig,
  ) {}

  get type(): 'numeric' | 'symbolic' | 'unknown' {
    return this.binning?.type ?? 'unknown';
  }

  get nBins(): number {
    return this.binning ? this.binning.nBins : 1;
  }

  /** Memory held: fine intervals or tracked symbols. */
  get sketchSize(): number {
    return this.binning ? this.binning.sketchSize : 0;
  }

  index(value: PredictorValue | undefined): number {
    return this.binning ? this.binning.index(value) : 0;
  }

  posOf(bin: number): number {
    return this.binning ? this.binning.pos[bin] ?? 0 : this.pendingPos;
  }

  negOf(bin: number): number {
    return this.binning ? this.binning.neg[bin] ?? 0 : this.pendingNeg;
  }

  /**
   * Naive-Bayes log-odds contribution of bin `bin` (DESIGN 4), counts divided by `scale`:
   * ln(pos_i + 1/N) - ln(sumPos + 1) - [ln(neg_i + 1/N) - ln(sumNeg + 1)].
   */
  contribution(bin: number, scale: number): number {
    const invN = 1 / this.nBins;
    return (
      Math.log(this.posOf(bin) / scale + invN) -
      Math.log(this.totalPos / scale + 1) -
      Math.log(this.negOf(bin) / scale + invN) +
      Math.log(this.totalNeg / scale + 1)
    );
  }

  /**
   * The same contribution when the caller already knows `totalsTerm` =
   * ln(sumNeg + 1) - ln(sumPos + 1) for this predictor's totals (saves two logarithms per row).
   */
  contributionGiven(bin: number, scale: number, totalsTerm: number): number {
    const invN = 1 / this.nBins;
    return Math.log(this.posOf(bin) / scale + invN) - Math.log(this.negOf(bin) / scale + invN) + totalsTerm;
  }

  /**
   * The fewest responses (inflated units, `scale` = the model's weight) a bin must hold to count as
   * evidence: `minEvidence`, and with `sparse` also ((S + 1) / (s + 1) - 1) / N, where S and s are
   * the predictor's counts of the more and the less frequent outcome. Below that count a bin holding
   * none of the rarer outcome would get a contribution in favour of it (c_p > 0 with pos_i = 0 when
   * positives are rare): with clicks at 0.5% and 5 bins, any 0-click bin under about 40 responses.
   */
  evidenceThreshold(scale: number, minEvidence: number, sparse: boolean): number {
    const base = minEvidence * scale;
    if (!sparse) return base;
    const a = this.totalPos / scale;
    const b = this.totalNeg / scale;
    const t = ((a > b ? a + 1 : b + 1) / (a > b ? b + 1 : a + 1) - 1) / this.nBins;
    return t * scale > base ? t * scale : base;
  }

  add(value: PredictorValue | undefined, positive: boolean, w: number): void {
    if (positive) this.totalPos += w;
    else this.totalNeg += w;
    if (!this.binning) {
      if (isMissingValue(value)) {
        if (positive) this.pendingPos += w;
        else this.pendingNeg += w;
        return;
      }
      this.createBinning(typeof value === 'number' ? 'numeric' : 'symbolic');
    }
    this.binning!.add(value, positive, w);
  }

  private createBinning(type: 'numeric' | 'symbolic'): void {
    const b = type === 'numeric' ? new NumericBinning(this.config.fineBins) : new SymbolicBinning(this.config.maxSymbols);
    const m = b.missingIndex;
    b.pos[m] = this.pendingPos;
    b.neg[m] = this.pendingNeg;
    this.pendingPos = 0;
    this.pendingNeg = 0;
    this.binning = b;
  }

  /** Regroups bins by behaviour and recomputes the predictor AUC. */
  refresh(scale: number): void {
    if (!this.binning) {
      this.auc = 0.5;
      return;
    }
    this.binning.regroup(this.config, scale);
    this.auc = aucFromBins(this.binning.pos, this.binning.neg, this.binning.nBins);
  }

  rescale(f: number): void {
    this.totalPos *= f;
    this.totalNeg *= f;
    this.pendingPos *= f;
    this.pendingNeg *= f;
    this.binning?.rescale(f);
  }

  /** Adds another predictor's counts times f; a caller must refresh afterwards. */
  mergeFrom(other: Predictor, f: number): void {
    this.totalPos += other.totalPos * f;
    this.totalNeg += other.totalNeg * f;
    if (!other.binning) {
      if (this.binning) {
        const m = this.binning.missingIndex;
        this.binning.pos[m] = this.binning.pos[m]! + other.pendingPos * f;
        this.binning.neg[m] = this.binning.neg[m]! + other.pendingNeg * f;
      } else {
        this.pendingPos += other.pendingPos * f;
        this.pendingNeg += other.pendingNeg * f;
      }
      return;
    }
    if (!this.binning) this.createBinning(other.binning.type);
    const mine = this.binning!;
    if (mine.type === 'numeric' && other.binning.type === 'numeric') mine.mergeFrom(other.binning, f);
    else if (mine.type === 'symbolic' && other.binning.type === 'symbolic') mine.mergeFrom(other.binning, f);
    else {
      throw new TypeError(`cannot merge predictor ${this.name}: ${mine.type} here, ${other.binning.type} in the other model`);
    }
  }

  toJSON(): PredictorState {
    return {
      name: this.name,
      binning: this.binning ? this.binning.toJSON() : null,
      pendingMissing: [this.pendingPos, this.pendingNeg],
      auc: this.auc,
    };
  }

  static fromJSON(state: PredictorState, config: BinningConfig): Predictor {
    const p = new Predictor(state.name, config);
    if (state.binning) {
      p.binning =
        state.binning.type === 'numeric'
          ? NumericBinning.fromJSON(state.binning, config.fineBins)
          : SymbolicBinning.fromJSON(state.binning, config.maxSymbols);
      for (let i = 0; i < p.binning.nBins; i++) {
        p.totalPos += p.binning.pos[i]!;
        p.totalNeg += p.binning.neg[i]!;
      }
    }
    p.pendingPos = state.pendingMissing[0];
    p.pendingNeg = state.pendingMissing[1];
    p.totalPos += p.pendingPos;
    p.totalNeg += p.pendingNeg;
    p.auc = state.auc;
    return p;
  }
}
