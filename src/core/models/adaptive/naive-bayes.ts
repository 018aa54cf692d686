/**
 * The per-key adaptive naive-Bayes propensity model (DESIGN section 4).
 *
 * - Predictors are binned online (binning.ts); each active predictor adds its bin's log-odds
 *   contribution c_p = ln(pos_i + 1/N) - ln(sumPos + 1) - [ln(neg_i + 1/N) - ln(sumNeg + 1)],
 *   computed as ln((pos_i + 1/N) / (neg_i + 1/N)) + ln(sumNeg + 1) - ln(sumPos + 1) (one
 *   logarithm per bin and row). sumPos and sumNeg are the model's totals: every predictor's counts
 *   sum to them (a predictor created late counts the responses before it as missing), and a
 *   predictor's own totals, re-added from its bins when a state is loaded, can differ in the last
 *   bits; so a loaded model scores exactly as the model saved.
 * - score = (ln(1 + totalPos) - ln(1 + totalNeg) + sum of active c_p) / (1 + nActive).
 * - No evidence is no evidence: for a row whose bin of an active predictor holds too few
 *   responses, that predictor does not contribute and does not count in nActive for that row.
 *   Too few: below `contributionMinEvidence` (default 1; an empty bin never counts) - an unseen
 *   symbol before anything landed in the residual group, the missing bin of a predictor that has
 *   never been missing - and, with `skipSparseBins` (default on), below
 *   ((S + 1) / (s + 1) - 1) / N, S and s the predictor's counts of the more and the less frequent
 *   outcome: the count below which a bin holding none of the rarer outcome gets a contribution in
 *   its favour. (DESIGN's c_p for an empty bin is ln((sumNeg + 1) / (sumPos + 1)), about +4 when
 *   positives are rare, so a never-seen value pushed the propensity up; a missing bin of 5
 *   negatives at 1% positives reads about +1.3.) Populated bins use DESIGN's formula; reports
 *   still show the formula's value for every bin.
 * - The score is calibrated by classifier bins over the score, made monotone by PAV; in bin b the
 *   propensity is (0.5 + pos_b) / (1 + pos_b + neg_b). An empty model says 0.5 (classifier.ts).
 *   Minimum evidence there too (classifier.ts): each classifier bin holds at least
 *   max(`classifierMinEvidence`, `classifierMinShare` x responses) responses (default
 *   max(10, 1%)): light score intervals pool with their neighbours before PAV, and PAV pools
 *   adjacent bins of equal rate, so the extremes of the score are not calibrated on one response,
 *   (0.5 + 0) / (1 + 0 + 1) = 0.25. A row whose score no predictor took part in (the intercept
 *   alone, which only moves with time) is predicted from the classifier's totals as one bin,
 *   (0.5 + pos) / (1 + pos + neg), and learnt into those totals only, not into the score bins;
 *   so are all rows while the score bins hold fewer than `activationMinCount` positives or
 *   negatives.
 *   Several classifiers with different half-lives may learn side by side; the one with the lowest
 *   recent prequential log loss calibrates, so the propensity follows drift in the response rate;
 *   a classifier other than the first (the model's own half-life) is eligible only when it holds
 *   `classifierSelectMinCount` positives and negatives (default 10), so that a short memory with
 *   a few lucky clicks does not take over.
 * - Activation: a predictor takes part when its AUC beats `activationAuc` and its counts hold at
 *   least `activationMinCount` positives and as many negatives (default 5: an AUC of 0.95 from a
 *   single click is noise); predictors whose
 *   contributions correlate above `correlationThreshold` form a group of which only the best
 *   (highest AUC) is active. Correlations are measured at refresh over a window of the most
 *   recent responses (their raw values, re-binned with the current bins), so memory stays bounded:
 *   `correlationWindow` values per tracked predictor, at most `maxCorrelated` predictors.
 * - Decay: with a half-life H (in responses) every count is multiplied by 2^(-1/H) per response.
 *   Counts are kept in inflated units (each response adds the growing weight `w`; true count =
 *   stored / w; everything is rescaled when w gets large), so decay costs nothing per row.
 * - Bins are regrouped, AUCs, activation and classifier bins recomputed at refresh points
 *   (16, 32, ..., then every `refreshEvery` responses), so that predicting stays cheap.
 * - Scoring is lookup and add (performance; results are bit-for-bit those of the computation above):
 *   after each refresh the active predictors are laid out in three typed arrays (`buildScorer`:
 *   per predictor its kind, id, numeric bounds or [symbol id, group] pairs, and one
 *   [version, value] cell per bin). A cell holds the bin's contribution, or NaN for a bin that
 *   is no evidence, and is valid while its version equals the model's `version`, which every
 *   change of counts, weights, bins or activation bumps: a model that does not learn computes
 *   each bin's logarithms once; one that learns between predictions (evaluate) recomputes only
 *   the bins it reads. The intercept, evidence thresholds and the calibration (bounds and per-bin
 *   propensities of the selected classifier) are cached the same way. A record scored by many
 *   models (a decision) is resolved once (`encodePredictors`: values by process-wide predictor
 *   id, symbols by process-wide symbol id), so each model reads arrays instead of looking up
 *   properties and symbol maps; an eviction of a grouped symbol (which changes its bin between
 *   refreshes) sends symbolic predictors back to the binning's own map until the next layout.
 *   The models of a decision's candidates lie side by side in one pack (`AdaptiveModel.packScorers`),
 *   the memory of a WebAssembly kernel (kernel.wat) that runs this same loop without a bounds check
 *   per read; what it cannot answer exactly (cells not computed yet, predictors laid out without a
 *   table) this module's loop answers.
 * - `learnLater` queues a response instead, and the model learns its queue, in order, before
 *   anything reads or changes it: the same model as `learn`, learnt in runs while its state is in
 *   the processor's caches (`AdaptiveModel.learn` queues per key, many keys learning in turn).
 * - `learn` reads each predictor's value from the record once, and scores the row before learning
 *   it from the counts directly (the cells would be recomputed anyway: the bins a response is
 *   scored on are the bins it then adds to); numeric values reach the fine sketches through a short
 *   queue (binning.ts); the correlation window is a row-major ring buffer (one response writes
 *   one stretch of memory); correlations at refresh centre each predictor's window contributions
 *   once, then each pair costs at most one dot product, given up as soon as the rows left cannot
 *   bring it to the threshold (correlation.ts).
 */
import type { Predictors, PredictorValue } from '../../types.js';
import { countBelow, DEFAULT_BINNING, toNumber, type BinningConfig, type LayoutCounter } from './binning.js';
import { Classifier, type ClassifierState } from './classifier.js';
import { encodedSymbol, internedSymbols, internSymbol, MISSING_SLOT, Predictor, sparseRatio, symbolCount, SYMBOL_MISSING, totalsTerm, type EncodedPredictors, type PredictorState } from './predictor.js';
import { aucOrdered } from './auc.js';
import { centre, correlatedAtLeast, pearson, SeriesPool, type Centred } from './correlation.js';
import type { ScorerPack } from './kernel.js';

export interface NaiveBayesOptions extends Partial<BinningConfig> {
  /** Predictor AUC a predictor must exceed to take part. Default 0.52. */
  activationAuc?: number;
  /**
   * Fewest positives, and fewest negatives, a predictor's counts (decayed) must hold before it can
   * take part: an AUC measured on one or two clicks is noise. The classifier's score bins likewise
   * calibrate only once they hold this many of each (before, its totals say). Default 5.
   */
  activationMinCount?: number;
  /**
   * Fewest responses (decayed) the row's bin of a predictor must hold for the predictor to take
   * part in that row's score. A bin below this (an unseen symbol's residual group before anything
   * landed there, a missing bin of a predictor that has never been missing) is no evidence: the
   * predictor neither contributes nor counts in nActive for that row. Default 1; values below
   * 1e-6 act as 1e-6 (an empty bin never counts).
   */
  contributionMinEvidence?: number;
  /**
   * Also sit out bins too sparse to tell: fewer than ((S + 1) / (s + 1) - 1) / N responses, S and s
   * the predictor's counts of the more and the less frequent outcome, N its bins - the count below
   * which a bin with none of the rarer outcome would read as evidence for it. Default true.
   */
  skipSparseBins?: boolean;
  /** Fewest responses (decayed) per classifier bin. Default 10. */
  classifierMinEvidence?: number;
  /** Fewest responses per classifier bin as a share of the classifier's evidence. Default 0.01. */
  classifierMinShare?: number;
  /** |correlation| of contributions above which two predictors are grouped. Default 0.8. */
  correlationThreshold?: number;
  /** Half-life of evidence in responses; undefined or Infinity = no decay. */
  halfLife?: number;
  /** Refresh (regroup, activation, classifier) every this many responses after the first 512. Default 500. */
  refreshEvery?: number;
  /** Fine intervals of the score sketch behind the classifier. Default 100. */
  classifierBins?: number;
  /**
   * Half-lives of the classifiers (score -> propensity). With several, each learns every response
   * and the one with the lowest recent prequential log loss calibrates. Default: `halfLife`
   * (no decay unless set) plus those of 5000, 2000, 1000 and 500 responses that are shorter,
   * so the calibration follows drift in the response rate by itself. `[h]`: one classifier.
   */
  classifierHalfLives?: number[];
  /** Half-life (responses) of the log loss that selects among several classifiers. Default 1000. */
  selectionHalfLife?: number;
  /**
   * Fewest positives, and fewest negatives (decayed), a classifier other than the first must hold
   * to be selected. Default 10.
   */
  classifierSelectMinCount?: number;
  /** Predictors (in order of first appearance) whose correlations are tracked. Default 64. */
  maxCorrelated?: number;
  /** Recent responses kept to measure correlations. Default 500. */
  correlationWindow?: number;
  /** Most predictors per model; names beyond this are ignored (bounds memory). Default 500. */
  maxPredictors?: number;
}

export interface ResolvedNaiveBayesOptions extends BinningConfig {
  activationAuc: number;
  activationMinCount: number;
  contributionMinEvidence: number;
  skipSparseBins: boolean;
  classifierMinEvidence: number;
  classifierMinShare: number;
  correlationThreshold: number;
  halfLife: number;
  refreshEvery: number;
  classifierBins: number;
  classifierHalfLives: number[];
  selectionHalfLife: number;
  classifierSelectMinCount: number;
  maxCorrelated: number;
  correlationWindow: number;
  maxPredictors: number;
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
    activationMinCount: Math.max(0, def(options.activationMinCount, 5)),
    contributionMinEvidence: Math.max(MIN_BIN_EVIDENCE, def(options.contributionMinEvidence, 1)),
    skipSparseBins: def(options.skipSparseBins, true),
    classifierMinEvidence: Math.max(0, def(options.classifierMinEvidence, 10)),
    classifierMinShare: Math.max(0, def(options.classifierMinShare, 0.01)),
    correlationThreshold: def(options.correlationThreshold, 0.8),
    halfLife: def(options.halfLife, Infinity),
    refreshEvery: def(options.refreshEvery, 500),
    classifierBins: def(options.classifierBins, 100),
    classifierHalfLives:
      options.classifierHalfLives && options.classifierHalfLives.length > 0
        ? [...options.classifierHalfLives]
        : autoClassifierHalfLives(def(options.halfLife, Infinity)),
    selectionHalfLife: def(options.selectionHalfLife, 1000),
    classifierSelectMinCount: Math.max(0, def(options.classifierSelectMinCount, 10)),
    maxCorrelated: def(options.maxCorrelated, 64),
    correlationWindow: Math.max(0, def(options.correlationWindow, 500)),
    maxPredictors: def(options.maxPredictors, 500),
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
  kind: 'interval' | 'symbols' | 'residual' | 'missing';
  /** Numeric bins: lower bound (exclusive) and upper bound (inclusive); absent when unbounded. */
  lower?: number;
  upper?: number;
  /** Symbolic bins: the symbols of the group. */
  symbols?: string[];
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
  /** Half-life of the classifier in use (null: no decay) and of each classifier held. */
  classifierHalfLife: number | null;
}

export interface NaiveBayesState {
  version: 1;
  weight: number;
  totalPos: number;
  totalNeg: number;
  responses: number;
  predictors: PredictorState[];
  classifiers: ClassifierState[];
  /** Names of the active predictors, and of the leader of each grouped-out predictor. */
  active: string[];
  groupedWith: Record<string, string>;
}

/**
 * The scorer (`buildScorer`) lays out the active predictors in order, read front to back when a
 * model scores a record:
 * - `sMeta` (ints): HEAD ints per predictor [kind, predictor id, `at`, size, a, b] (fixed-size, so
 *   the next predictor's head is found without reading this one's);
 * - `sNum` (numbers) from `at`: a numeric predictor's size - 1 finite interval bounds (size
 *   intervals, the last unbounded), then one cell per bin (size + 1: the intervals and missing);
 *   any other predictor's cells (size bins). A cell holds the bin's contribution to the score, NaN
 *   when the bin is no evidence, Infinity while not computed at this version of the model.
 * Symbolic predictors map the symbol numbers of `internSymbol` to groups: DENSE through `sGroups`
 * from a (a byte per number below b: the group, or NOT_GROUPED for the residual), HASHED (when that
 * table would be long) through `sHash` from a: 2^b slots of open addressing, each packing
 * number << GROUP_BITS | group (-1 empty).
 */
const HEAD = 6;
/** kind | size << 2 */
const M_KIND_SIZE = 0;
const M_ID = 1;
const M_AT = 2;
/** DENSE: first group | table length << 16; HASHED: first slot | bits << 24. */
const M_TABLE = 3;
/** Bit b set: bin b's cell is computed at this version of the model (M_EVIDENCE: and it is evidence). */
const M_COMPUTED = 4;
const M_EVIDENCE = 5;
const NUMERIC = 0;
const DENSE = 1;
const HASHED = 2;
const OTHER = 3;
/** Longest DENSE table: beyond, the symbolic predictor is HASHED. */
const DENSE_LIMIT = 512;
const NOT_GROUPED = 255;
/** Bits of a packed slot of a HASHED table that hold the group. */
const GROUP_BITS = 8;
/** Multiplier of the symbol tables' hash (Fibonacci hashing). */
const HASH = 0x9e3779b1;

/** Most bins of a predictor whose cells carry their state in the head's bit masks (others: OTHER). */
const MASK_BINS = 31;

/** Bytes of a scorer's arrays (see `buildScorer`), rounded up to a multiple of 8. */
function scorerBytes(nNum: number, nMeta: number, nHash: number, nGroups: number): number {
  return 8 * Math.ceil((8 * nNum + 4 * (nMeta + nHash) + nGroups) / 8);
}

/** Scorer layouts made so far by any model (a model's new layout leaves a packed buffer, see `moveScorer`). */
export let scorerLayouts = 0;

/** Where `predictMean` and `meanFrom` have their result written (see `predictMeanInto`). */
const scratch = new Float64Array(1);

/** `sNum` starts with the intercept and the evidence at the model's version (see `ready`). */
const INTERCEPT = 0;
const EVIDENCE = 1;

/** Bins with fewer responses than this never count as evidence (whatever the options say). */
const MIN_BIN_EVIDENCE = 1e-6;

/** The weight beyond which all inflated counts are rescaled to keep floats well inside range. */
const RESCALE_AT = 1e12;

/** Responses learnt by all models of the process (see `NaiveBayesModel.learn`). */
let learnt = 0;
/** A model that has not learnt for this many of the process's responses is warmed before it learns. */
const WARM_AFTER = 64;

/** The memory of a refresh's window contributions and centred series (see `SeriesPool`). */
const seriesPool = new SeriesPool();

export class NaiveBayesModel implements LayoutCounter {
  // Fields scoring reads come first, so that they share the object's first cache lines.
  /**
   * Bumped whenever counts, bins, weights or activation change; stamps the scoring caches
   * (the intercept's logarithms here, per-bin values in each predictor).
   */
  private version = 0;
  /** Responses waiting in the queue of `learnLater` (read first by every method that reads the model). */
  private queued = 0;
  /** Bumped when the active predictors or their bins change (refresh, load); see `buildScorer`. */
  private structure = 0;
  private scorerStructure = -1;
  /** The version the cells in `sNum` were computed at. */
  private tableVersion = -1;
  private sPreds: Predictor[] = [];
  private sCount = 0;
  /** Predictor index of each active predictor (the row arrays of `learn`), and its first cell. */
  private sLocal = new Int32Array(0);
  private sCells = new Int32Array(0);
  private sMeta = new Int32Array(0);
  private sNum = new Float64Array(0);
  private sGroups = new Uint8Array(0);
  private sHash = new Int32Array(0);
  private sThresholds = new Float64Array(0);
  /**
   * The pack the scorer lies in when it has a WebAssembly kernel (see kernel.ts), with the byte
   * offsets of the scorer's arrays in it; undefined while the scorer stands alone. (The offsets
   * are kept as numbers: reading them from the four arrays at each call made decisions 8-15%
   * slower.)
   */
  private pack: ScorerPack | undefined;
  private kNum = 0;
  private kMeta = 0;
  private kHash = 0;
  private kGroups = 0;
  /** The last `scoreEncoded` score (NaN at first, so that the field holds doubles from the start). */
  private scored = NaN;
  /**
   * The model is its symbolic binnings' layout counter (`LayoutCounter`): evictions of grouped
   * symbols count here, next to the fields scoring reads.
   */
  changes = 0;
  private get layout(): LayoutCounter {
    return this;
  }
  private scorerLayout = 0;
  /** Calibration cache (see `calibrateInto`), stamped with the version. */
  private cStamp = -1;
  private cReady = false;
  private cIntervals = 1;
  private cStructure = -1;
  private cSelected = -1;
  private cal = new Float64Array(3);
  /** Active predictors that took part in the last `scoreOf` (their row's bin held evidence). */
  private lastCount = 0;

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
  private readonly leader = new Map<number, number>();
  private classifiers: Classifier[];
  /** The classifier in use: lowest recent prequential log loss. */
  private selected = 0;
  private readonly lossDecay: number;
  /**
   * Window of recent values of the tracked predictors: a ring buffer of rows, row r holding the
   * value of predictor i at r * windowStride + i (i < windowColumns), as `Predictor.windowCode`
   * keeps it (a number, a slot code of a symbol, NaN for missing).
   */
  private window = new Float64Array(0);
  private windowStride = 0;
  private windowColumns = 0;
  private windowPos = 0;
  private windowCount = 0;
  /**
   * Reused per `learn`, by predictor index: the value in the record being learnt, its bin, its
   * number (numeric predictors), its slot (symbolic predictors) and its window code.
   */
  private readonly row: Array<PredictorValue | undefined> = [];
  private rowBins = new Int32Array(16);
  private rowNums = new Float64Array(16);
  private rowSlots = new Int32Array(16);
  /** Per predictor, the `learnt` count of the last record that held it (see `readRow`). */
  private rowStamp = new Float64Array(16);
  /** Predictors the record being learnt holds. */
  private rowTaken = 0;
  private rowCodes = new Float64Array(16);
  /**
   * The names of the last record learnt, in enumeration order, and their predictor indices (-1: not
   * a predictor of this model): records of the same shape are read without a lookup per name.
   */
  private readonly shapeNames: string[] = [];
  private shapeLocal = new Int32Array(16);
  private shapeLength = 0;
  private lnPos = 0;
  private lnNeg = 0;
  /** The queue of `learnLater`: records and outcomes, the first `queued` in use. */
  private readonly queuedRecords: Array<Predictors | undefined> = [];
  private readonly queuedOutcomes: boolean[] = [];

  constructor(options: NaiveBayesOptions = {}) {
    this.options = resolveOptions(options);
    const h = this.options.halfLife;
    this.growth = Number.isFinite(h) && h > 0 ? Math.pow(2, 1 / h) : 1;
    this.classifiers = this.options.classifierHalfLives.map(
      (hl) => new Classifier(hl, this.options.classifierBins, this.options.activationMinCount),
    );
    this.lossDecay = Math.pow(2, -1 / this.options.selectionHalfLife);
  }

  /** Responses learnt, decayed when a half-life is set. */
  get evidence(): number {
    this.catchUp();
    return (this.totalPos + this.totalNeg) / this.w;
  }

  get positives(): number {
    this.catchUp();
    return this.totalPos / this.w;
  }

  get predictorCount(): number {
    this.catchUp();
    return this.preds.length;
  }

  get activeCount(): number {
    this.catchUp();
    return this.active.length;
  }

  /** Memory held by the binnings: fine intervals plus tracked symbols over all predictors. */
  sketchSize(): number {
    this.catchUp();
    let n = 0;
    for (const c of this.classifiers) n += c.sketchSize;
    for (const p of this.preds) n += p.sketchSize;
    return n;
  }

  private intercept(): number {
    return Math.log(1 + this.totalPos / this.w) - Math.log(1 + this.totalNeg / this.w);
  }

  /** The naive-Bayes score of a predictor record (active predictors only). */
  score(predictors: Predictors): number {
    this.catchUp();
    this.ready();
    return this.scoreOf(predictors);
  }


  /** The score of a record (the record's own values; see `scoreEncoded` for a resolved one); sets `lastCount`. */
  private scoreOf(predictors: Predictors): number {
    const preds = this.sPreds;
    const local = this.sLocal;
    if (this.rowBins.length < this.preds.length) this.growRow(this.preds.length);
    const bins = this.rowBins;
    for (let k = 0; k < preds.length; k++) bins[local[k]!] = preds[k]!.index(predictors[preds[k]!.name]);
    return this.scoreBins(bins);
  }

  /**
   * `scoreOf` for a record resolved once for many models (`encodePredictors`): numbers and symbol
   * numbers by predictor id, bins from the scorer's arrays alone (see HEAD). The score goes to
   * `scored` (a double field, updated in place: a returned double would be a heap allocation per
   * model and decision).
   */
  private scoreEncoded(encoded: EncodedPredictors): void {
    const nAct = this.sCount;
    // the pack's kernel, when the record's symbol numbers and the symbol tables are current
    const pack = this.pack;
    if (pack !== undefined && encoded.internedAt === internedSymbols() && this.changes === this.scorerLayout) {
      const n = pack.run(this.kNum, this.kMeta, this.kHash, this.kGroups, nAct, encoded);
      if (n >= 0) {
        this.scored = pack.out[0]!;
        this.lastCount = n;
        return;
      }
    }
    const meta = this.sMeta;
    const num = this.sNum;
    const groups = this.sGroups;
    const hash = this.sHash;
    const numbers = encoded.numbers;
    const size = encoded.size;
    // symbol numbers as encoded, unless a model interned symbols since
    const fresh = encoded.internedAt === internedSymbols();
    const symbolsOf = encoded.symbols;
    // symbol tables as laid out, unless a grouped symbol was evicted since
    const symbols = this.changes === this.scorerLayout;
    let sum = num[INTERCEPT]!;
    let n = 0;
    for (let k = 0, m = 0; k < nAct; k++, m += HEAD) {
      const kindSize = meta[m + M_KIND_SIZE]!;
      const kind = kindSize & 3;
      const bins = kindSize >>> 2;
      const id = meta[m + M_ID]!;
      const at = meta[m + M_AT]!;
      let t: number;
      let bin: number;
      if (kind === NUMERIC) {
        // bins: the intervals; the cells follow the bins - 1 finite bounds
        t = at + bins - 1;
        const x = id < size ? numbers[id]! : toNumber(encoded.record[this.sPreds[k]!.name]);
        bin = x !== x ? bins : countBelow(num, at, bins - 1, x);
      } else {
        t = at;
        const residual = bins - 2;
        bin = -1;
        if (kind !== OTHER && symbols && id < size) {
          const sym = fresh ? symbolsOf[id]! : encodedSymbol(encoded, id);
          if (sym === SYMBOL_MISSING) bin = residual + 1;
          else if (sym < 0) bin = residual;
          else if (kind === DENSE) {
            const table = meta[m + M_TABLE]!;
            const g = sym < table >>> 16 ? groups[(table & 0xffff) + sym]! : NOT_GROUPED;
            bin = g === NOT_GROUPED ? residual : g;
          } else {
            bin = residual;
            const table = meta[m + M_TABLE]! & 0xffffff;
            const bits = meta[m + M_TABLE]! >>> 24;
            const mask = (1 << bits) - 1;
            for (let h = Math.imul(sym, HASH) >>> (32 - bits); ; h = (h + 1) & mask) {
              const slot = hash[table + h]!;
              if (slot === -1) break;
              if (slot >>> GROUP_BITS === sym) {
                bin = slot & ((1 << GROUP_BITS) - 1);
                break;
              }
            }
          }
        }
        // the binning itself: a predictor laid out without a table, created after the record was
        // encoded, or whose grouped symbols changed since the layout
        if (bin < 0) bin = this.sPreds[k]!.index(id < size ? encoded.values[id] : encoded.record[this.sPreds[k]!.name]);
        if (kind === OTHER) {
          const c = this.cell(k, t + bin, bin);
          if (c === c) {
            sum += c;
            n++;
          }
          continue;
        }
      }
      t += bin;
      // a bin that is no evidence holds 0 and no evidence bit: added without a branch
      if (((meta[m + M_COMPUTED]! >>> bin) & 1) === 0) this.cell(k, t, bin);
      sum += num[t]!;
      n += (meta[m + M_EVIDENCE]! >>> bin) & 1;
    }
    this.lastCount = n;
    this.scored = sum / (1 + n);
  }

  /**
   * `scoreBins` before learning a row, from the counts themselves rather than the scorer's cells:
   * a learning model changes at every response, so the cells of exactly these bins would be
   * recomputed anyway (the bins a response is scored on are the bins it then adds to). The same
   * formulas in the same order: the same score. Sets `lastCount`.
   */
  private scoreToLearn(bins: Int32Array): number {
    if (this.scorerStructure !== this.structure) this.buildScorer();
    const w = this.w;
    const lnPos = Math.log(1 + this.totalPos / w);
    const lnNeg = Math.log(1 + this.totalNeg / w);
    const totalsTerm = lnNeg - lnPos;
    const base = this.options.contributionMinEvidence * w;
    const ratio = this.sparseRatio();
    const preds = this.sPreds;
    const local = this.sLocal;
    let sum = lnPos - lnNeg;
    let n = 0;
    for (let k = 0; k < preds.length; k++) {
      const p = preds[k]!;
      const bin = bins[local[k]!]!;
      // `Predictor.evidenceThreshold` and `Predictor.contribution`, inline: the same operations
      const nBins = p.nBins;
      let threshold = base;
      if (ratio !== undefined) {
        const t = ratio / nBins;
        if (t * w > base) threshold = t * w;
      }
      const pos = p.posOf(bin);
      const neg = p.negOf(bin);
      if (pos + neg < threshold) continue;
      const invN = 1 / nBins;
      sum += Math.log((pos / w + invN) / (neg / w + invN)) + totalsTerm;
      n++;
    }
    this.lastCount = n;
    return sum / (1 + n);
  }

  /** `sparseRatio` of the model's totals, or undefined when sparse bins count (`skipSparseBins` off). */
  private sparseRatio(): number | undefined {
    return this.options.skipSparseBins ? sparseRatio(this.totalPos, this.totalNeg, this.w) : undefined;
  }

  /** The score of a row whose bins (by predictor index) are known, from the scorer's cells (`scoreOf`). */
  private scoreBins(bins: Int32Array): number {
    const local = this.sLocal;
    const cells = this.sCells;
    let sum = this.lnPos - this.lnNeg;
    let n = 0;
    for (let k = 0; k < local.length; k++) {
      const bin = bins[local[k]!]!;
      const c = this.cell(k, cells[k]! + bin, bin);
      if (c !== c) continue;
      sum += c;
      n++;
    }
    this.lastCount = n;
    return sum / (1 + n);
  }

  /**
   * Readies the scorer for this version of the model: the layout after a refresh or load, and per
   * version the intercept's logarithms, each active predictor's evidence threshold and empty cells
   * (filled as bins are read).
   */
  private ready(): void {
    if (this.scorerStructure !== this.structure) this.buildScorer();
    const version = this.version;
    if (this.tableVersion === version) return;
    const w = this.w;
    this.lnPos = Math.log(1 + this.totalPos / w);
    this.lnNeg = Math.log(1 + this.totalNeg / w);
    const minE = this.options.contributionMinEvidence;
    const ratio = this.sparseRatio();
    const preds = this.sPreds;
    const thresholds = this.sThresholds;
    const num = this.sNum;
    const meta = this.sMeta;
    num[INTERCEPT] = this.lnPos - this.lnNeg;
    num[EVIDENCE] = (this.totalPos + this.totalNeg) / w;
    const cells = this.sCells;
    for (let k = 0; k < preds.length; k++) {
      const p = preds[k]!;
      thresholds[k] = p.evidenceThreshold(w, minE, ratio);
      meta[k * HEAD + M_COMPUTED] = 0;
      meta[k * HEAD + M_EVIDENCE] = 0;
      if (p.nBins > MASK_BINS) num.fill(Infinity, cells[k]!, cells[k]! + p.nBins);
    }
    this.tableVersion = version;
  }

  /**
   * What bin `bin` of active predictor k (its cell at `t` in `sNum`) adds to the score: its
   * contribution, or NaN when the bin holds too little evidence (the predictor sits this row
   * out); computed once per model version.
   */
  private cell(k: number, t: number, bin: number): number {
    const num = this.sNum;
    const p = this.sPreds[k]!;
    if (p.nBins > MASK_BINS) {
      // too many bins for the masks: the cell holds the value itself (Infinity: not computed)
      let c = num[t]!;
      if (c === Infinity) c = num[t] = this.binValue(p, bin, this.sThresholds[k]!);
      return c;
    }
    const meta = this.sMeta;
    const m = k * HEAD;
    const bit = 1 << bin;
    if ((meta[m + M_COMPUTED]! & bit) !== 0) return (meta[m + M_EVIDENCE]! & bit) !== 0 ? num[t]! : NaN;
    const c = this.binValue(p, bin, this.sThresholds[k]!);
    num[t] = c === c ? c : 0;
    meta[m + M_COMPUTED] = meta[m + M_COMPUTED]! | bit;
    if (c === c) meta[m + M_EVIDENCE] = meta[m + M_EVIDENCE]! | bit;
    return c;
  }

  /**
   * Lays out the active predictors for scoring (after each refresh and load; see HEAD). Interns
   * the grouped symbols, so that records resolved later find them.
   */
  private buildScorer(): void {
    const preds = this.active.map((i) => this.preds[i]!);
    const nAct = preds.length;
    const meta: number[] = [];
    const num: number[] = [0, 0]; // INTERCEPT, EVIDENCE
    const groups: number[] = [];
    const hash: number[] = [];
    const cellsAt = new Int32Array(nAct);
    for (let k = 0; k < nAct; k++) {
      const p = preds[k]!;
      const b = p.binning;
      const at = num.length;
      if (p.nBins > MASK_BINS) {
        meta.push(OTHER | (p.nBins << 2), p.id, at, 0, 0, 0);
      } else if (b?.type === 'numeric') {
        const bounds = new Float64Array(b.nBins - 1);
        b.copyBounds(bounds, 0);
        // the finite bounds (the last interval is unbounded), then the cells
        for (let i = 0; i + 1 < bounds.length; i++) num.push(bounds[i]!);
        meta.push(NUMERIC | ((b.nBins - 1) << 2), p.id, at, 0, 0, 0);
      } else if (b?.type === 'symbolic') {
        const entries: Array<[number, number]> = [];
        for (const [symbol, group] of b.groupedSymbols()) entries.push([internSymbol(p.id, symbol), group]);
        const length = symbolCount(p.id);
        if (entries.some(([number, group]) => number < 0 || group >= NOT_GROUPED || number >= 1 << (31 - GROUP_BITS))) {
          meta.push(OTHER | (p.nBins << 2), p.id, at, 0, 0, 0); // registry full: the binning's own map
        } else if (length <= DENSE_LIMIT && groups.length + length <= 0xffff) {
          const first = groups.length;
          for (let i = 0; i < length; i++) groups.push(NOT_GROUPED);
          for (const [number, group] of entries) groups[first + number] = group;
          meta.push(DENSE | (p.nBins << 2), p.id, at, first | (length << 16), 0, 0);
        } else {
          let bits = 1;
          while (1 << bits < Math.ceil((4 * entries.length) / 3)) bits++;
          const slots = new Array<number>(1 << bits).fill(-1);
          const mask = (1 << bits) - 1;
          for (const [number, group] of entries) {
            let h = Math.imul(number, HASH) >>> (32 - bits);
            while (slots[h] !== -1) h = (h + 1) & mask;
            slots[h] = (number << GROUP_BITS) | group;
          }
          meta.push(HASHED | (p.nBins << 2), p.id, at, hash.length | (bits << 24), 0, 0);
          for (const x of slots) hash.push(x);
        }
      } else meta.push(OTHER | (p.nBins << 2), p.id, at, 0, 0, 0);
      cellsAt[k] = num.length;
      for (let i = 0; i < p.nBins; i++) num.push(p.nBins > MASK_BINS ? Infinity : 0);
    }
    this.sPreds = preds;
    this.sCount = nAct;
    this.sLocal = Int32Array.from(this.active);
    this.sCells = cellsAt;
    // one buffer for all (adjacent in memory): numbers, heads, hash slots, group tables
    const bytes = scorerBytes(num.length, meta.length, hash.length, groups.length);
    this.placeScorer(new ArrayBuffer(bytes), 0, num.length, meta.length, hash.length, groups.length);
    this.sNum.set(num);
    this.sMeta.set(meta);
    this.sHash.set(hash);
    this.sGroups.set(groups);
    scorerLayouts++;
    this.sThresholds = new Float64Array(nAct);
    this.pack = undefined;
    this.tableVersion = -1;
    this.scorerStructure = this.structure;
    this.scorerLayout = this.changes;
  }

  /** Points the scorer's arrays at `buffer` from `offset` (see `scorerBytes`). */
  private placeScorer(buffer: ArrayBuffer, offset: number, nNum: number, nMeta: number, nHash: number, nGroups: number): void {
    this.sNum = new Float64Array(buffer, offset, nNum);
    offset += 8 * nNum;
    this.sMeta = new Int32Array(buffer, offset, nMeta);
    offset += 4 * nMeta;
    this.sHash = new Int32Array(buffer, offset, nHash);
    offset += 4 * nHash;
    this.sGroups = new Uint8Array(buffer, offset, nGroups);
  }

  /** Bytes the scorer's arrays and the calibration cache take (a multiple of 8, see `moveScorer`). */
  get scorerByteLength(): number {
    this.catchUp();
    return 8 * this.cal.length + scorerBytes(this.sNum.length, this.sMeta.length, this.sHash.length, this.sGroups.length);
  }

  /**
   * Copies the scorer's arrays into `pack` from byte `offset` (a multiple of 8) and reads them
   * there from now on: several models' scorers side by side (`AdaptiveModel.packScorers`) are read
   * in one sweep through memory by a decision that scores them all, with the pack's WebAssembly
   * kernel where it has one. Returns the offset after them.
   */
  moveScorer(pack: ScorerPack, offset: number): number {
    this.catchUp();
    const buffer = pack.buffer;
    const cal = new Float64Array(buffer, offset, this.cal.length);
    cal.set(this.cal);
    this.cal = cal;
    offset += 8 * cal.length;
    const bytes = scorerBytes(this.sNum.length, this.sMeta.length, this.sHash.length, this.sGroups.length);
    const from = new Uint8Array(this.sNum.buffer, this.sNum.byteOffset, bytes);
    new Uint8Array(buffer, offset, bytes).set(from);
    this.placeScorer(buffer, offset, this.sNum.length, this.sMeta.length, this.sHash.length, this.sGroups.length);
    this.pack = pack.hasKernel ? pack : undefined;
    this.kNum = this.sNum.byteOffset;
    this.kMeta = this.sMeta.byteOffset;
    this.kHash = this.sHash.byteOffset;
    this.kGroups = this.sGroups.byteOffset;
    return offset + bytes;
  }

  /** What bin `bin` of `p` adds to a score: its contribution, NaN when it is no evidence. */
  private binValue(p: Predictor, bin: number, threshold: number): number {
    // a bin without (enough) responses is no evidence: the predictor sits this row out
    if (p.posOf(bin) + p.negOf(bin) < threshold) return NaN;
    return p.contribution(bin, this.w, this.lnNeg - this.lnPos);
  }

  /**
   * Selects the classifier with the lowest recent log loss among the first (the model's own
   * half-life) and those holding at least `classifierSelectMinCount` positives and as many
   * negatives: a short memory holding a few clicks wins on luck, not on drift.
   */
  private select(): void {
    const cs = this.classifiers;
    const min = this.options.classifierSelectMinCount;
    let best = 0;
    for (let k = 1; k < cs.length; k++) {
      const c = cs[k]!;
      if (c.loss < cs[best]!.loss && c.positives >= min && c.negatives >= min) best = k;
    }
    this.selected = best;
  }

  private get classifier(): Classifier {
    return this.classifiers[this.selected]!;
  }

  predict(predictors: Predictors): NaiveBayesPrediction {
    return this.predictFrom(predictors, undefined);
  }

  /** `predict` for a record resolved once for many models (`encodePredictors`). */
  predictEncoded(encoded: EncodedPredictors): NaiveBayesPrediction {
    return this.predictFrom(encoded.record, encoded);
  }

  private predictFrom(predictors: Predictors, encoded: EncodedPredictors | undefined): NaiveBayesPrediction {
    this.catchUp();
    if (this.totalPos + this.totalNeg <= 0) return { mean: 0.5, evidence: 0, score: 0 };
    const mean = this.meanFrom(predictors, encoded);
    return { mean, evidence: this.evidence, score: this.lastPredictedScore };
  }

  /**
   * `predictEncoded(encoded).mean`, without building the prediction object (nor recording the
   * score for `learn`); `scoredEvidence` then holds the evidence.
   */
  predictMean(encoded: EncodedPredictors): number {
    this.predictMeanInto(encoded, scratch, 0);
    return scratch[0]!;
  }

  /** `predictMean(encoded)` into out[at], without allocating. */
  predictMeanInto(encoded: EncodedPredictors, out: Float64Array, at: number): void {
    if (this.queued !== 0) this.catchUp();
    this.ready();
    if (this.sNum[EVIDENCE]! <= 0) {
      out[at] = 0.5;
      return;
    }
    this.scoreEncoded(encoded);
    this.calibrateInto(this.lastCount > 0, out, at);
  }

  /** The model's evidence as of the last `predictMean` (the same as `evidence`, read from the scorer). */
  get scoredEvidence(): number {
    return this.sNum[EVIDENCE]!;
  }

  /** The calibrated propensity of a record (the model holds evidence); records it for `learn`. */
  private meanFrom(predictors: Predictors, encoded: EncodedPredictors | undefined): number {
    this.ready();
    if (encoded) this.scoreEncoded(encoded);
    else this.scored = this.scoreOf(predictors);
    const score = this.scored;
    const n = this.lastCount;
    this.lastPredicted = predictors;
    this.lastPredictedScore = score;
    this.lastPredictedCount = n;
    // no predictor took part: the score is the intercept alone, the classifier's totals say
    this.calibrateInto(n > 0, scratch, 0);
    return scratch[0]!;
  }

  /**
   * `this.classifier.propensity(this.scored)` (when `scored`; else the classifier's totals) into
   * out[at], from a copy of the selected classifier's bounds and per-bin propensities cached until
   * the model changes (the version): `cal` holds the finite bounds (the last interval is
   * unbounded), then a cell per bin (the intervals, then NaN scores), Infinity while not computed
   * at this version.
   */
  private calibrateInto(scored: boolean, out: Float64Array, at: number): void {
    const score = this.scored;
    const version = this.version;
    if (this.cStamp !== version) {
      const c = this.classifier;
      this.cReady = c.ready;
      const totals = c.totalsPropensity();
      // the bounds change only at a refresh (regroup) or when another classifier is selected
      if (this.cReady && (this.cStructure !== this.structure || this.cSelected !== this.selected)) {
        const bounds = new Float64Array(c.nBins);
        const nInt = c.copyBounds(bounds);
        this.cal = new Float64Array(2 * nInt + 1);
        this.cal.set(bounds.subarray(0, nInt - 1));
        this.cIntervals = nInt;
        this.cStructure = this.structure;
        this.cSelected = this.selected;
      }
      this.cal.fill(Infinity, this.cIntervals - 1);
      this.cal[2 * this.cIntervals] = totals;
      this.cStamp = version;
    }
    const nInt = this.cIntervals;
    const cal = this.cal;
    if (!scored || !this.cReady) {
      out[at] = cal[2 * nInt]!;
      return;
    }
    const k = score !== score ? nInt : countBelow(cal, 0, nInt - 1, score);
    const t = nInt - 1 + k;
    if (cal[t] === Infinity) cal[t] = this.classifier.binPropensity(k);
    out[at] = cal[t]!;
  }


  /**
   * What the warming loop in `learn` added up while it touched every binning's arrays: kept, so that
   * the compiler cannot drop those reads as unused.
   */
  private warmed = 0;
  /** `learnt` when this model last learnt. */
  private learntAt = -Infinity;

  /** The record, score and count of the last `predict`, for `learn(..., knownScore)`. */
  private lastPredicted: Predictors | undefined;
  private lastPredictedScore = NaN;
  private lastPredictedCount = 0;

  /**
   * Learns one response. `knownScore`: the score `predict` just returned for these predictors,
   * with no learning in between (saves scoring twice when predicting then learning).
   *
   * Each predictor's value is read from the record once (records of the last shape without a
   * lookup per name) and binned once; the score before learning, the counts and the correlation
   * window all use that bin.
   */
  learn(predictors: Predictors, positive: boolean, knownScore?: number): void {
    this.catchUp();
    this.learnNow(predictors, positive, knownScore);
  }

  /**
   * Queues a response to be learnt later, before the model is next read or changed (any public
   * method or getter, `learn` included, first learns the queue in order: `catchUp`). What the
   * model says afterwards is exactly what it would say had `learn` been called instead: keys are
   * independent, and one key's responses keep their order. The gain is speed: a model that learns
   * a run of responses together fetches its state into the processor's caches once for the run,
   * instead of once per response when many models learn in turn (`AdaptiveModel.learn`). The
   * record is kept until then and must not change. Returns how many responses are queued.
   */
  learnLater(predictors: Predictors, positive: boolean): number {
    const n = this.queued;
    this.queuedRecords[n] = predictors;
    this.queuedOutcomes[n] = positive;
    return (this.queued = n + 1);
  }

  /** Learns the responses queued by `learnLater`, in order. */
  catchUp(): void {
    const n = this.queued;
    if (n === 0) return;
    // emptied first: learning reads the model through methods that catch up themselves
    this.queued = 0;
    const records = this.queuedRecords;
    const outcomes = this.queuedOutcomes;
    for (let i = 0; i < n; i++) {
      this.learnNow(records[i]!, outcomes[i]!, undefined);
      records[i] = undefined;
    }
  }

  /** Responses queued by `learnLater` and not learnt yet. */
  get queuedResponses(): number {
    return this.queued;
  }

  private learnNow(predictors: Predictors, positive: boolean, knownScore: number | undefined): void {
    const preds = this.preds;
    const known = preds.length;
    if (this.rowBins.length < known) this.growRow(known);
    const row = this.row;
    const bins = this.rowBins;
    const nums = this.rowNums;
    const slots = this.rowSlots;
    // A model that has not learnt for a while (others did meanwhile) has its arrays out of the
    // processor's caches: touching them all in this short loop, whose loads do not wait for each
    // other, brings them in together instead of one miss after another in the loops below.
    if (learnt - this.learntAt > WARM_AFTER) {
      let warm = 0;
      for (let i = 0; i < known; i++) {
        const b = preds[i]!.binning;
        if (b !== undefined) warm += b.warm();
      }
      this.warmed = warm;
    }
    this.learntAt = ++learnt;
    // The record's values take their bins (readRow); the predictors it lacks are missing.
    const hasNew = this.readRow(predictors, learnt);
    if (this.rowTaken < known) {
      const taken = this.rowStamp;
      for (let i = 0; i < known; i++) {
        if (taken[i] === learnt) continue;
        const b = preds[i]!.binning;
        bins[i] = b === undefined ? 0 : b.missingIndex;
        nums[i] = NaN;
        slots[i] = MISSING_SLOT;
        row[i] = undefined;
      }
    }
    // The score with the model as it was before this response feeds the classifier; a score in
    // which no predictor took part (the intercept alone) counts in the classifiers' totals only.
    let score: number | undefined;
    if (this.totalPos + this.totalNeg > 0) {
      if (knownScore !== undefined && this.lastPredicted === predictors && this.lastPredictedScore === knownScore) {
        if (this.lastPredictedCount > 0) score = knownScore;
      } else {
        const s = this.scoreToLearn(bins);
        if (this.lastCount > 0) score = s;
      }
    }
    this.lastPredicted = undefined;
    this.version++;
    this.w *= this.growth;
    const w = this.w;
    // counts
    for (let k = 0; k < this.classifiers.length; k++) this.classifiers[k]!.learn(score, positive, this.lossDecay);
    this.select();
    if (positive) this.totalPos += w;
    else this.totalNeg += w;
    const codes = this.rowCodes;
    for (let i = 0; i < known; i++) codes[i] = preds[i]!.addBinned(bins[i]!, nums[i]!, slots[i]!, row[i], positive, w);
    if (hasNew && preds.length < this.options.maxPredictors) {
      this.addNewPredictors(predictors, positive, w);
      if (this.rowCodes.length < preds.length) this.growRow(preds.length);
      for (let i = known; i < preds.length; i++) this.rowCodes[i] = preds[i]!.windowCode(predictors[preds[i]!.name]);
    }
    this.remember(this.rowCodes);
    this.responses++;
    if (w > RESCALE_AT) this.rescale(1 / w);
    if (this.responses >= this.nextRefresh) {
      this.refresh();
      this.nextRefresh = this.responses < 512 ? this.responses * 2 : this.responses + this.options.refreshEvery;
    }
  }

  /**
   * Reads the record into the row arrays (by predictor index; see `take`), stamping each predictor
   * it holds with `stamp` in `rowStamp` and counting them in `rowTaken`. Names enumerate in the
   * same order for records of the same shape, so the last record's names and indices are compared
   * first and looked up only where they differ. True when the record holds a value for a name that
   * is not a predictor yet.
   */
  private readRow(predictors: Predictors, stamp: number): boolean {
    const names = this.shapeNames;
    let local = this.shapeLocal;
    const stamps = this.rowStamp;
    let same = true;
    let hasNew = false;
    let taken = 0;
    let j = 0;
    for (const name in predictors) {
      const v = predictors[name];
      let i: number;
      if (same && j < this.shapeLength && names[j] === name) i = local[j]!;
      else {
        same = false;
        i = this.byName.get(name) ?? -1;
        if (j >= local.length) {
          const wider = new Int32Array(2 * local.length);
          wider.set(local);
          this.shapeLocal = local = wider;
        }
        names[j] = name;
        local[j] = i;
        this.shapeLength = j + 1;
      }
      if (i >= 0) {
        this.take(i, v);
        stamps[i] = stamp;
        taken++;
      } else if (v !== undefined) hasNew = true;
      j++;
    }
    this.rowTaken = taken;
    return hasNew;
  }

  /**
   * The bin of predictor i's value in the record being learnt, and what `addBinned` needs: numbers
   * go to `rowNums` (NaN when missing; not kept as values), symbols to `row` with their slot in
   * `rowSlots` (MISSING_SLOT and undefined when missing); a predictor of unknown type keeps its
   * value in `row` (bin 0).
   */
  private take(i: number, v: PredictorValue | undefined): void {
    const b = this.preds[i]!.binning;
    if (b === undefined) {
      this.row[i] = v;
      this.rowBins[i] = 0;
    } else if (b.type === 'numeric') {
      const x = toNumber(v);
      this.rowNums[i] = x;
      this.rowBins[i] = b.binOf(x);
    } else if (v !== null && v !== undefined && v !== '') {
      const symbol = typeof v === 'string' ? v : String(v);
      this.row[i] = symbol;
      const slot = b.slotOf(symbol);
      this.rowSlots[i] = slot;
      this.rowBins[i] = b.binOfSlot(slot);
    } else {
      this.row[i] = undefined;
      this.rowSlots[i] = MISSING_SLOT;
      this.rowBins[i] = b.missingIndex;
    }
  }

  /** Makes room for n predictors in the per-row arrays (keeping what they hold). */
  private growRow(n: number): void {
    const size = Math.max(n, 2 * this.rowBins.length);
    const grown = <T extends Int32Array | Float64Array>(a: T, b: T): T => {
      b.set(a);
      return b;
    };
    this.rowBins = grown(this.rowBins, new Int32Array(size));
    this.rowNums = grown(this.rowNums, new Float64Array(size));
    this.rowSlots = grown(this.rowSlots, new Int32Array(size));
    this.rowStamp = grown(this.rowStamp, new Float64Array(size));
    this.rowCodes = grown(this.rowCodes, new Float64Array(size));
  }

  /** Creates predictors for names not seen before; earlier responses count as missing for them. */
  private addNewPredictors(predictors: Predictors, positive: boolean, w: number): void {
    if (this.preds.length >= this.options.maxPredictors) return;
    this.shapeLength = 0; // names that were not predictors may be now
    for (const name in predictors) {
      if (this.byName.has(name) || predictors[name] === undefined) continue;
      if (this.preds.length >= this.options.maxPredictors) return;
      const p = new Predictor(name, this.options, this.layout);
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

  /**
   * Keeps the window codes of tracked predictors in the correlation window; `codes[i]` is that of
   * predictor i. The window is row-major (one response's values side by side), so a response
   * writes one stretch of memory.
   */
  private remember(codes: Float64Array): void {
    const size = this.options.correlationWindow;
    if (size === 0) return;
    const m = Math.min(this.options.maxCorrelated, this.preds.length);
    if (m > this.windowStride) {
      // widen the rows; columns new to the window read missing (NaN) for earlier responses
      const stride = Math.min(Math.max(m, 2 * this.windowStride, 8), Math.max(m, this.options.maxCorrelated));
      const wider = new Float64Array(size * stride).fill(NaN);
      for (let r = 0; r < size; r++) {
        for (let i = 0; i < this.windowColumns; i++) wider[r * stride + i] = this.window[r * this.windowStride + i]!;
      }
      this.window = wider;
      this.windowStride = stride;
    }
    if (m > this.windowColumns) this.windowColumns = m;
    const pos = this.windowPos;
    const at = pos * this.windowStride;
    const window = this.window;
    for (let i = 0; i < m; i++) window[at + i] = codes[i]!;
    this.windowPos = pos + 1 === size ? 0 : pos + 1;
    if (this.windowCount < size) this.windowCount++;
  }

  /** Contributions of predictor i over the window's rows (current bins). */
  private windowContributions(i: number, pool?: SeriesPool): Float64Array | undefined {
    if (i >= this.windowColumns || this.windowCount === 0) return undefined;
    const stride = this.windowStride;
    const window = this.window;
    const p = this.preds[i]!;
    const perBin = pool ? pool.take(p.nBins) : new Float64Array(p.nBins);
    const minW = p.evidenceThreshold(this.w, this.options.contributionMinEvidence, this.sparseRatio());
    const term = totalsTerm(this.totalPos, this.totalNeg, this.w);
    for (let b = 0; b < perBin.length; b++) perBin[b] = p.posOf(b) + p.negOf(b) < minW ? 0 : p.contribution(b, this.w, term);
    const out = pool ? pool.take(this.windowCount) : new Float64Array(this.windowCount);
    const b = p.binning;
    if (b === undefined) out.fill(perBin[0]!);
    else if (b.type === 'numeric') b.perBinOf(window, i, stride, this.windowCount, perBin, out);
    else {
      const missing = perBin[b.missingIndex]!;
      for (let r = 0, at = i; r < this.windowCount; r++, at += stride) {
        const code = window[at]!;
        out[r] = code !== code ? missing : perBin[b.binOfCode(code)]!;
      }
    }
    return out;
  }

  /**
   * Pearson correlation of the contributions of predictors i and j over the recent-response
   * window, with current bins. NaN when unknown (untracked, too few rows, or constant).
   */
  correlation(i: number, j: number): number {
    this.catchUp();
    const a = this.windowContributions(i);
    const b = this.windowContributions(j);
    if (!a || !b) return NaN;
    return pearson(a, b);
  }

  private rescale(f: number): void {
    this.version++;
    this.totalPos *= f;
    this.totalNeg *= f;
    for (const p of this.preds) p.rescale(f);
    this.w *= f;
  }

  /** Regroups bins, recomputes AUCs, activation, correlation groups and classifier bins. */
  refresh(): void {
    this.catchUp();
    this.version++;
    this.structure++;
    for (const p of this.preds) p.refresh(this.w);
    const o = this.options;
    const eligible: number[] = [];
    const minCount = o.activationMinCount * this.w;
    for (let i = 0; i < this.preds.length; i++) {
      const p = this.preds[i]!;
      if (p.auc > o.activationAuc && p.totalPos >= minCount && p.totalNeg >= minCount) eligible.push(i);
    }
    eligible.sort((a, b) => this.preds[b]!.auc - this.preds[a]!.auc || a - b);
    const active: number[] = [];
    const previous = new Map(this.leader);
    this.leader.clear();
    // With too few recent rows (e.g. just after loading a state) the previous groups stand.
    const measured = this.windowCount >= Math.min(100, this.options.correlationWindow) && this.windowCount > 0;
    // each predictor's window contributions, centred once (pearson() for every pair, by parts)
    const contributions = new Map<number, Centred | undefined>();
    seriesPool.reset();
    const contrib = (i: number): Centred | undefined => {
      if (!contributions.has(i)) contributions.set(i, centre(this.windowContributions(i, seriesPool), seriesPool));
      return contributions.get(i);
    };
    for (const i of eligible) {
      let leader = -1;
      if (measured) {
        const ci = contrib(i);
        for (const a of active) {
          const ca = contrib(a);
          if (ci && ca && correlatedAtLeast(ci, ca, o.correlationThreshold)) {
            leader = a;
            break;
          }
        }
      } else {
        const l = previous.get(i);
        if (l !== undefined && active.includes(l)) leader = l;
      }
      if (leader >= 0) this.leader.set(i, leader);
      else active.push(i);
    }
    active.sort((a, b) => a - b);
    this.active = active;
    for (const c of this.classifiers) c.regroup(o.classifierMinEvidence, o.classifierMinShare);
    // laid out now rather than at the next score, so that scoring never interns symbols
    this.buildScorer();
  }

  /**
   * Score range reachable by the active predictors: the lowest and highest
   * (intercept + sum of contributions) / (1 + nActive) over their bins, where a predictor with a
   * bin without enough evidence (`contributionMinEvidence`, `skipSparseBins`) may also sit out
   * (and then not count in nActive).
   */
  scoreRange(): [number, number] {
    this.catchUp();
    const minE = this.options.contributionMinEvidence;
    const ratio = this.sparseRatio();
    const term = totalsTerm(this.totalPos, this.totalNeg, this.w);
    // per active predictor: lowest and highest contribution of a bin with evidence, and whether
    // some bin (an unseen value) lets it sit out
    const mins: Array<[number, boolean]> = [];
    const maxs: Array<[number, boolean]> = [];
    for (const i of this.active) {
      const p = this.preds[i]!;
      const minW = p.evidenceThreshold(this.w, minE, ratio);
      let mn = Infinity;
      let mx = -Infinity;
      let optional = false;
      for (let b = 0; b < p.nBins; b++) {
        if (p.posOf(b) + p.negOf(b) < minW) {
          optional = true;
          continue;
        }
        const c = p.contribution(b, this.w, term);
        if (c < mn) mn = c;
        if (c > mx) mx = c;
      }
      if (mn <= mx) {
        mins.push([mn, optional]);
        maxs.push([-mx, optional]);
      }
    }
    const intercept = this.intercept();
    return [extremeMean(intercept, mins), -extremeMean(-intercept, maxs)];
  }

  /** Model AUC from the classifier bins that the reachable score range overlaps. */
  auc(): number {
    const [lo, hi] = this.scoreRange();
    const c = this.classifier;
    const pos: number[] = [];
    const neg: number[] = [];
    for (let k = 0; k < c.nBins; k++) {
      const b = c.bin(k);
      if ((b.upper ?? Infinity) >= lo && (b.lower ?? -Infinity) < hi) {
        pos.push(b.positives);
        neg.push(b.negatives);
      }
    }
    return aucOrdered(pos, neg);
  }

  report(): ModelReport {
    this.catchUp();
    const w = this.w;
    const term = totalsTerm(this.totalPos, this.totalNeg, w);
    const activeSet = new Set(this.active);
    const predictors: PredictorReport[] = this.preds.map((p, i) => {
      const bins: BinReport[] = [];
      for (let b = 0; b < p.nBins; b++) {
        const d = p.binning ? p.binning.describe(b) : { label: 'missing', kind: 'missing' as const };
        bins.push({
          ...d,
          positives: p.posOf(b) / w,
          negatives: p.negOf(b) / w,
          logOdds: p.contribution(b, w, term),
        });
      }
      const r: PredictorReport = { name: p.name, type: p.type, bins, auc: p.auc, active: activeSet.has(i) };
      const l = this.leader.get(i);
      if (l !== undefined) r.groupedWith = this.preds[l]!.name;
      return r;
    });
    const classifier: ClassifierBinReport[] = [];
    const c = this.classifier;
    for (let k = 0; k < c.nBins; k++) {
      const b = c.bin(k);
      classifier.push({ ...b, propensity: (0.5 + b.positives) / (1 + b.positives + b.negatives) });
    }
    return {
      responses: this.evidence,
      positives: this.positives,
      auc: this.auc(),
      activePredictors: this.active.length,
      scoreRange: this.scoreRange(),
      predictors,
      classifier,
      classifierHalfLife: Number.isFinite(c.halfLife) ? c.halfLife : null,
    };
  }

  /**
   * Adds another model's counts into this one (counts are sums, decayed counts by their true
   * values) and refreshes. Predictor bins, totals and classifier counts become sums of both; a
   * predictor one side lacks counts as missing there; the other's recent rows join the
   * correlation window. Classifiers merge with the other's classifier of the same half-life.
   */
  merge(other: NaiveBayesModel): this {
    this.catchUp();
    other.catchUp();
    this.version++;
    const f = this.w / other.w;
    this.totalPos += other.totalPos * f;
    this.totalNeg += other.totalNeg * f;
    this.responses += other.responses;
    other.preds.forEach((op) => {
      let i = this.byName.get(op.name);
      if (i === undefined) {
        const p = new Predictor(op.name, this.options, this.layout);
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
    });
    // predictors this model has and the other lacks were missing in the other's responses
    for (const p of this.preds) {
      if (!other.byName.has(p.name)) {
        if (other.totalPos > 0) p.add(null, true, other.totalPos * f);
        if (other.totalNeg > 0) p.add(null, false, other.totalNeg * f);
      }
    }
    // classifiers merge with the other's classifier of the same half-life
    for (const c of this.classifiers) {
      const o = other.classifiers.find((x) => x.halfLife === c.halfLife);
      if (o) c.mergeFrom(o, this.options.classifierMinEvidence, this.options.classifierMinShare);
    }
    this.select();
    // the other's recent rows join the correlation window (oldest first), re-coded for this model
    // (a symbol the other had evicted since reads as an untracked one)
    this.shapeLength = 0;
    const size = other.options.correlationWindow;
    if (this.rowCodes.length < this.preds.length) this.growRow(this.preds.length);
    const codes = this.rowCodes;
    const target = other.preds.map((op) => this.byName.get(op.name)!);
    for (let k = 0; k < other.windowCount; k++) {
      const r = other.windowCount < size ? k : (other.windowPos + k) % size;
      codes.fill(NaN, 0, this.preds.length);
      for (let oi = 0; oi < other.windowColumns; oi++) {
        const code = other.window[r * other.windowStride + oi]!;
        if (code !== code) continue;
        const ob = other.preds[oi]!.binning;
        const mine = this.preds[target[oi]!]!;
        if (ob?.type === 'symbolic') {
          const symbol = ob.symbolOfCode(code);
          codes[target[oi]!] = symbol === undefined ? -1 : mine.windowCode(symbol);
        } else codes[target[oi]!] = mine.windowCode(code);
      }
      this.remember(codes);
    }
    this.refresh();
    return this;
  }

  toJSON(): NaiveBayesState {
    this.catchUp();
    return {
      version: 1,
      weight: this.w,
      totalPos: this.totalPos,
      totalNeg: this.totalNeg,
      responses: this.responses,
      predictors: this.preds.map((p) => p.toJSON()),
      classifiers: this.classifiers.map((c) => c.toJSON()),
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
      model.preds.push(Predictor.fromJSON(ps, o, model));
    }
    model.classifiers = state.classifiers.map((c) => Classifier.fromJSON(c, o.classifierBins, o.activationMinCount));
    model.select();
    model.nextRefresh = model.responses < 512 ? Math.max(16, nextPow2(model.responses + 1)) : model.responses + o.refreshEvery;
    const index = (name: string): number => {
      const i = model.byName.get(name);
      if (i === undefined) throw new TypeError(`adaptive model state names unknown predictor ${name}`);
      return i;
    };
    model.active = state.active.map(index).sort((a, b) => a - b);
    for (const [name, leader] of Object.entries(state.groupedWith)) model.leader.set(index(name), index(leader));
    model.structure++;
    model.buildScorer();
    return model;
  }
}

/** The model's own half-life first, then the shorter of 5000, 2000, 1000 and 500 responses. */
export function autoClassifierHalfLives(halfLife: number): number[] {
  return [halfLife, ...[5000, 2000, 1000, 500].filter((h) => h < halfLife)];
}

/**
 * The lowest (intercept + sum of the chosen terms) / (1 + number chosen), where each term must be
 * chosen unless it is optional: the forced terms, then the optional ones from the lowest up while
 * each lowers the mean.
 */
function extremeMean(intercept: number, terms: Array<[number, boolean]>): number {
  let sum = intercept;
  let n = 1;
  const optional: number[] = [];
  for (const [c, opt] of terms) {
    if (opt) optional.push(c);
    else {
      sum += c;
      n++;
    }
  }
  optional.sort((a, b) => a - b);
  for (const c of optional) {
    if (c * n >= sum) break;
    sum += c;
    n++;
  }
  return sum / n;
}

function nextPow2(n: number): number {
  let p = 1;
  while (p < n) p *= 2;
  return p;
}

