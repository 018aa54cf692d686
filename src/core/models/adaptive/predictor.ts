/**
 * One predictor of an adaptive model: its binning (numeric or symbolic, decided by the first
 * non-missing value it sees), its naive-Bayes contribution per bin, and its own AUC.
 * A predictor seen only missing so far has a single missing bin and never becomes active.
 * Each predictor has a process-wide id (`predictorId`), so that a record scored by many models is
 * resolved once into an array (`encodePredictors`).
 */
import type { Predictors, PredictorValue } from '../../types.js';
import {
  NumericBinning,
  SymbolicBinning,
  toNumber,
  type Binning,
  type BinningConfig,
  type LayoutCounter,
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

/**
 * Process-wide ids of predictor names, so that a predictor record can be resolved once into an
 * array indexed by id (`encodePredictors`) and then read by every model of a decision without a
 * property lookup per model and predictor. Grows with the distinct names of predictors created
 * (each model holds at most `maxPredictors`).
 */
const predictorIds = new Map<string, number>();

/** How many predictor names have ids. */
export function predictorIdCount(): number {
  return predictorIds.size;
}

export function predictorId(name: string): number {
  let id = predictorIds.get(name);
  if (id === undefined) {
    id = predictorIds.size;
    predictorIds.set(name, id);
  }
  return id;
}

/**
 * Per predictor, process-wide numbers of the symbols that some model has in a behaviour group
 * (numbered 0, 1, 2, ... per predictor when a model lays out its scorer), so a decision resolves a
 * symbolic value once and each model finds its group by indexing a small table. Bounded: beyond
 * MAX_SYMBOL_IDS symbols over all predictors, models fall back to their own symbol maps.
 */
const symbolNumbers: Array<Map<string, number> | undefined> = [];
let symbolsInterned = 0;
const MAX_SYMBOL_IDS = 1_000_000;

/** The number of a symbol of predictor `predictor` (a `predictorId`), interning it; -1 when the registry is full. */
export function internSymbol(predictor: number, symbol: string): number {
  let numbers = symbolNumbers[predictor];
  if (!numbers) numbers = symbolNumbers[predictor] = new Map();
  let n = numbers.get(symbol);
  if (n === undefined) {
    if (symbolsInterned >= MAX_SYMBOL_IDS) return -1;
    n = numbers.size;
    numbers.set(symbol, n);
    symbolsInterned++;
  }
  return n;
}

/** How many symbols of predictor `predictor` are numbered. */
export function symbolCount(predictor: number): number {
  return symbolNumbers[predictor]?.size ?? 0;
}

/** A predictor record resolved by predictor id (see `encodePredictors`). */
export interface EncodedPredictors {
  /** The record it was built from. */
  readonly record: Predictors;
  /** Predictor ids known when it was encoded: ids from here on read the record itself. */
  readonly size: number;
  /** values[predictorId(name)] = record[name] for every enumerable name of the record. */
  readonly values: ReadonlyArray<PredictorValue | undefined>;
  /** Per predictor id, the value as a number (`toNumber`: NaN when missing or not numeric). */
  readonly numbers: Float64Array;
  /** Per predictor id, the value's symbol number once looked up (see `encodedSymbol`). */
  readonly symbols: Int32Array;
  /** The registry size when the symbols cached as unknown (-1) were looked up; -1 when none are. */
  unknownAt: number;
  /** The registry size when the record was encoded: while it holds, `symbols` needs no check. */
  readonly internedAt: number;
}

/**
 * Resolves a record by predictor id: one pass over its names, for many models to read. Values of
 * predictors that some model groups symbols of are looked up at once (`symbols`).
 */
export function encodePredictors(record: Predictors): EncodedPredictors {
  const size = predictorIds.size;
  const values = new Array<PredictorValue | undefined>(size);
  const numbers = new Float64Array(size).fill(NaN);
  const symbols = new Int32Array(size).fill(SYMBOL_MISSING);
  let unknownAt = -1;
  for (const name in record) {
    const id = predictorIds.get(name);
    if (id === undefined) continue;
    const value = record[name];
    values[id] = value;
    numbers[id] = toNumber(value);
    if (value === null || value === undefined || value === '') continue;
    const known = symbolNumbers[id]?.get(typeof value === 'string' ? value : String(value));
    if (known === undefined) {
      symbols[id] = -1;
      unknownAt = symbolsInterned;
    } else symbols[id] = known;
  }
  return { record, size, values, numbers, symbols, unknownAt, internedAt: symbolsInterned };
}

/** How many symbols are numbered over all predictors (grows when a model lays out its scorer). */
export function internedSymbols(): number {
  return symbolsInterned;
}

const SYMBOL_UNKNOWN = -2;
/** The slot `Predictor.addBinned` takes for a missing value of a symbolic predictor. */
export const MISSING_SLOT = -2;
/** `encodedSymbol` of a missing value (null, undefined, empty string). */
export const SYMBOL_MISSING = -3;

/**
 * The symbol number of the value of predictor `id` (< size; see `internSymbol`): SYMBOL_MISSING
 * for a missing value, -1 for a symbol no model has grouped. Looked up once per record; the unknown ones are looked up
 * again after some model interned new symbols (`unknownAt`: the registry size they were found
 * unknown at).
 */
export function encodedSymbol(encoded: EncodedPredictors, id: number): number {
  const known = encoded.symbols[id]!;
  if (known >= 0 || known === SYMBOL_MISSING) return known;
  if (encoded.unknownAt !== symbolsInterned && encoded.unknownAt >= 0) {
    // new symbols since: every symbol found unknown may be known now
    const symbols = encoded.symbols;
    for (let i = 0; i < symbols.length; i++) if (symbols[i] === -1) symbols[i] = SYMBOL_UNKNOWN;
    encoded.unknownAt = -1;
  } else if (known === -1) return -1;
  const value = encoded.values[id];
  if (value === null || value === undefined || value === '') {
    encoded.symbols[id] = SYMBOL_MISSING;
    return SYMBOL_MISSING;
  }
  const symbol = symbolNumbers[id]?.get(typeof value === 'string' ? value : String(value));
  if (symbol === undefined) {
    encoded.symbols[id] = -1;
    encoded.unknownAt = symbolsInterned;
    return -1;
  }
  encoded.symbols[id] = symbol;
  return symbol;
}

/** ln(1 + negatives) - ln(1 + positives) of a model's totals (inflated units, `scale` its weight). */
export function totalsTerm(totalPos: number, totalNeg: number, scale: number): number {
  return Math.log(1 + totalNeg / scale) - Math.log(1 + totalPos / scale);
}

/**
 * (S + 1) / (s + 1) - 1 for a model's totals, S and s the counts of the more and the less frequent
 * outcome: the part of the sparse-bin threshold common to all predictors (`evidenceThreshold`).
 */
export function sparseRatio(totalPos: number, totalNeg: number, scale: number): number {
  const a = totalPos / scale;
  const b = totalNeg / scale;
  return (a > b ? a + 1 : b + 1) / (a > b ? b + 1 : a + 1) - 1;
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

  /** predictorId(name). */
  readonly id: number;

  constructor(
    readonly name: string,
    private readonly config: BinningConfig,
    /** The model's count of symbol-map changes (see SymbolicBinning.groupedSymbols). */
    private readonly layout?: LayoutCounter,
  ) {
    this.id = predictorId(name);
  }

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
   * ln(pos_i + 1/N) - ln(sumPos + 1) - [ln(neg_i + 1/N) - ln(sumNeg + 1)], as
   * ln((pos_i + 1/N) / (neg_i + 1/N)) + `totalsTerm`, where totalsTerm = ln(sumNeg + 1) - ln(sumPos + 1)
   * is the model's (`totalsTerm`): every predictor's counts sum to the model's totals, since a
   * predictor created late counts the responses before it as missing.
   */
  contribution(bin: number, scale: number, totalsTerm: number): number {
    const invN = 1 / this.nBins;
    return Math.log((this.posOf(bin) / scale + invN) / (this.negOf(bin) / scale + invN)) + totalsTerm;
  }

  /**
   * The fewest responses (inflated units, `scale` = the model's weight) a bin must hold to count as
   * evidence: `minEvidence`, and with sparse bins skipped also `sparseRatio` / N, where
   * sparseRatio = (S + 1) / (s + 1) - 1, S and s the counts of the more and the less frequent
   * outcome (the model's: `sparseRatio`; undefined when sparse bins count). Below that count a bin
   * holding none of the rarer outcome would get a contribution in favour of it (c_p > 0 with
   * pos_i = 0 when positives are rare): with clicks at 0.5% and 5 bins, any 0-click bin under about
   * 40 responses.
   */
  evidenceThreshold(scale: number, minEvidence: number, sparseRatio: number | undefined): number {
    const base = minEvidence * scale;
    if (sparseRatio === undefined) return base;
    const t = sparseRatio / this.nBins;
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

  /**
   * Learns one response whose bin the model found beforehand (see `NaiveBayesModel.learn`): `bin`
   * its coarse bin, `x` the value as a number (numeric binning; NaN when missing), `slot` its slot
   * (symbolic binning: `slotOf`, -1 untracked, MISSING_SLOT for a missing value). Returns what the
   * correlation window keeps for it (`windowCode`).
   */
  addBinned(bin: number, x: number, slot: number, value: PredictorValue | undefined, positive: boolean, w: number): number {
    if (positive) this.totalPos += w;
    else this.totalNeg += w;
    const b = this.binning;
    if (b === undefined) {
      if (isMissingValue(value)) {
        if (positive) this.pendingPos += w;
        else this.pendingNeg += w;
        return NaN;
      }
      this.createBinning(typeof value === 'number' ? 'numeric' : 'symbolic');
      this.binning!.add(value, positive, w);
      return this.windowCode(value);
    }
    if (b.type === 'numeric') {
      b.addAt(bin, x, positive, w);
      return x;
    }
    if (slot === MISSING_SLOT) {
      b.addMissing(positive, w);
      return NaN;
    }
    return b.slotCode(b.addToSlot(slot, typeof value === 'string' ? value : String(value), positive, w));
  }

  /**
   * A value as the model's correlation window keeps it: the number (numeric), a slot code of a
   * tracked symbol or -1 for an untracked one (symbolic), NaN for a missing value (or any value
   * while the type is unknown). `binOfWindowCode` reads it back with the current bins.
   */
  windowCode(value: PredictorValue | undefined): number {
    const b = this.binning;
    if (b === undefined) return NaN;
    if (b.type === 'numeric') return toNumber(value);
    if (isMissingValue(value)) return NaN;
    const slot = b.slotOf(typeof value === 'string' ? value : String(value));
    return slot < 0 ? -1 : b.slotCode(slot);
  }

  /** The current bin of a `windowCode`. */
  binOfWindowCode(code: number): number {
    const b = this.binning;
    if (b === undefined) return 0;
    if (b.type === 'numeric') return b.binOf(code);
    return code !== code ? b.missingIndex : b.binOfCode(code);
  }

  private createBinning(type: 'numeric' | 'symbolic'): void {
    const b = type === 'numeric' ? new NumericBinning(this.config.fineBins) : new SymbolicBinning(this.config.maxSymbols, this.layout);
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

  static fromJSON(state: PredictorState, config: BinningConfig, layout?: LayoutCounter): Predictor {
    const p = new Predictor(state.name, config, layout);
    if (state.binning) {
      p.binning =
        state.binning.type === 'numeric'
          ? NumericBinning.fromJSON(state.binning, config.fineBins)
          : SymbolicBinning.fromJSON(state.binning, config.maxSymbols, layout);
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
