/**
 * Online predictor binning with bounded memory, for the adaptive naive-Bayes model.
 *
 * - `NumericBinning`: a fine sketch of at most `fineBins` value intervals, each counting positives
 *   and negatives (a new value opens a point interval; over capacity the adjacent pair with the
 *   smallest combined weight is merged, so the sketch follows the quantiles). From time to time
 *   (`regroup`) the fine intervals are grouped by behaviour into the coarse bins the model uses:
 *   adjacent intervals merge while they are too light or their rates do not differ (chi-square).
 * - `SymbolicBinning`: counts per symbol for at most `maxSymbols` symbols (over capacity the
 *   lightest symbol is evicted into the residual counts); `regroup` sorts frequent symbols by rate
 *   and groups them the same way; rare, evicted and unseen symbols share a residual group.
 * - Both keep a missing bin (null, undefined, empty string, non-numeric value of a numeric
 *   predictor), always the last coarse bin.
 *
 * Counts are stored in "inflated" units so that decay costs nothing per row: the caller adds the
 * current weight `w` (which grows as time passes) and divides by it when reading (see naive-bayes.ts).
 */
import type { PredictorValue } from '../../types.js';
import { poolAdjacentViolators } from './pav.js';

export interface BinningConfig {
  /** Capacity of the fine numeric sketch (intervals). */
  fineBins: number;
  /** Most coarse bins per predictor (missing and residual not included). */
  maxBins: number;
  /** Adjacent groups whose 2x2 chi-square is below this merge (3.84 = 5% level). */
  mergeChi2: number;
  /** A coarse bin lighter than this (in responses) merges with its most similar neighbour. */
  minBinWeight: number;
  /** Most symbols tracked per symbolic predictor. */
  maxSymbols: number;
  /** Symbols lighter than this go to the residual group at regroup. */
  minSymbolWeight: number;
}

export const DEFAULT_BINNING: BinningConfig = {
  fineBins: 64,
  maxBins: 20,
  mergeChi2: 3.84,
  minBinWeight: 10,
  maxSymbols: 200,
  minSymbolWeight: 10,
};

/** A coarse bin as shown in reports. */
export interface BinDescription {
  label: string;
  /** Numeric bins: lower bound (exclusive) and upper bound (inclusive); absent when unbounded. */
  lower?: number;
  upper?: number;
  /** Symbolic bins: the symbols of the group. */
  symbols?: string[];
  kind: 'interval' | 'symbols' | 'residual' | 'missing';
}

/** Chi-square of the 2x2 table [[p1, n1], [p2, n2]]; 0 when a margin is empty. */
export function chiSquare(p1: number, n1: number, p2: number, n2: number): number {
  const a = p1 + n1;
  const b = p2 + n2;
  const c = p1 + p2;
  const d = n1 + n2;
  if (a <= 0 || b <= 0 || c <= 0 || d <= 0) return 0;
  const x = p1 * n2 - n1 * p2;
  return ((a + b) * x * x) / (a * b * c * d);
}

/**
 * Groups `n` ordered cells (counts `pos`, `neg`, in actual responses after dividing by `scale`)
 * into adjacent groups: light groups (< minBinWeight) merge first with their most similar
 * neighbour, then the most similar adjacent pair merges while its chi-square is below mergeChi2
 * or there are more than maxBins groups. Returns the last cell index of each group.
 */
export function groupAdjacent(
  pos: ArrayLike<number>,
  neg: ArrayLike<number>,
  n: number,
  scale: number,
  config: Pick<BinningConfig, 'maxBins' | 'mergeChi2' | 'minBinWeight'>,
): number[] {
  const gp: number[] = [];
  const gn: number[] = [];
  const end: number[] = [];
  for (let i = 0; i < n; i++) {
    gp.push((pos[i] ?? 0) / scale);
    gn.push((neg[i] ?? 0) / scale);
    end.push(i);
  }
  const merge = (i: number): void => {
    gp[i] = gp[i]! + gp[i + 1]!;
    gn[i] = gn[i]! + gn[i + 1]!;
    end[i] = end[i + 1]!;
    gp.splice(i + 1, 1);
    gn.splice(i + 1, 1);
    end.splice(i + 1, 1);
  };
  const chi = (i: number): number => chiSquare(gp[i]!, gn[i]!, gp[i + 1]!, gn[i + 1]!);
  while (gp.length > 1) {
    // 1. the lightest group below the minimum weight joins its more similar neighbour
    let light = -1;
    let lightW = config.minBinWeight;
    for (let i = 0; i < gp.length; i++) {
      const w = gp[i]! + gn[i]!;
      if (w < lightW) {
        lightW = w;
        light = i;
      }
    }
    if (light >= 0) {
      if (light === 0) merge(0);
      else if (light === gp.length - 1) merge(light - 1);
      else merge(chi(light - 1) <= chi(light) ? light - 1 : light);
      continue;
    }
    // 2. the most similar adjacent pair merges while not significantly different
    let best = 0;
    let bestChi = Infinity;
    for (let i = 0; i + 1 < gp.length; i++) {
      const c = chi(i);
      if (c < bestChi) {
        bestChi = c;
        best = i;
      }
    }
    if (bestChi < config.mergeChi2 || gp.length > config.maxBins) merge(best);
    else break;
  }
  return end;
}

function isMissing(value: PredictorValue | undefined): boolean {
  return value === null || value === undefined || value === '';
}

/** Numeric value of a predictor value, or NaN for missing / non-numeric. */
export function toNumber(value: PredictorValue | undefined): number {
  if (typeof value === 'number') return value;
  if (typeof value === 'boolean') return value ? 1 : 0;
  if (typeof value === 'string' && value.trim() !== '') return Number(value);
  return NaN;
}

export interface NumericBinningState {
  type: 'numeric';
  /** Fine intervals: [lower, upper, positives, negatives] (inflated units). */
  fine: Array<[number, number, number, number]>;
  /** Upper bounds of the coarse intervals except the last (which is unbounded). */
  upper: number[];
  /** Coarse counts, missing bin last. */
  pos: number[];
  neg: number[];
}

export class NumericBinning {
  readonly type = 'numeric' as const;
  private readonly cap: number;
  /** Fine sketch. */
  private fn = 0;
  private readonly fLo: Float64Array;
  private readonly fHi: Float64Array;
  private readonly fPos: Float64Array;
  private readonly fNeg: Float64Array;
  /** Coarse intervals: value v is in the first k with v <= upper[k]; upper[nIntervals-1] = +Inf. */
  private nIntervals = 1;
  private readonly upper: Float64Array;
  /** Coarse counts; index nIntervals is the missing bin. */
  readonly pos: Float64Array;
  readonly neg: Float64Array;

  constructor(fineBins: number = DEFAULT_BINNING.fineBins) {
    this.cap = Math.max(2, fineBins);
    this.fLo = new Float64Array(this.cap + 1);
    this.fHi = new Float64Array(this.cap + 1);
    this.fPos = new Float64Array(this.cap + 1);
    this.fNeg = new Float64Array(this.cap + 1);
    this.upper = new Float64Array(this.cap + 1);
    this.upper[0] = Infinity;
    this.pos = new Float64Array(this.cap + 2);
    this.neg = new Float64Array(this.cap + 2);
  }

  /** Coarse bins including the missing bin. */
  get nBins(): number {
    return this.nIntervals + 1;
  }

  get missingIndex(): number {
    return this.nIntervals;
  }

  /** Number of fine intervals held (bounded by fineBins). */
  get sketchSize(): number {
    return this.fn;
  }

  index(value: PredictorValue | undefined): number {
    const v = toNumber(value);
    if (Number.isNaN(v)) return this.nIntervals;
    return this.intervalOf(v);
  }

  private intervalOf(v: number): number {
    let lo = 0;
    let hi = this.nIntervals - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (v <= this.upper[mid]!) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  /** Adds one response of weight w; returns the coarse bin it fell in. */
  add(value: PredictorValue | undefined, positive: boolean, w: number): number {
    const v = toNumber(value);
    if (Number.isNaN(v)) {
      const m = this.nIntervals;
      if (positive) this.pos[m] = this.pos[m]! + w;
      else this.neg[m] = this.neg[m]! + w;
      return m;
    }
    this.addFine(v, v, positive ? w : 0, positive ? 0 : w);
    const k = this.intervalOf(v);
    if (positive) this.pos[k] = this.pos[k]! + w;
    else this.neg[k] = this.neg[k]! + w;
    return k;
  }

  /** Adds counts for the interval [lo, hi] to the fine sketch. */
  private addFine(lo: number, hi: number, p: number, q: number): void {
    // first fine interval whose upper bound >= lo
    let a = 0;
    let b = this.fn;
    while (a < b) {
      const mid = (a + b) >> 1;
      if (this.fHi[mid]! < lo) a = mid + 1;
      else b = mid;
    }
    if (a < this.fn && this.fLo[a]! <= lo && hi <= this.fHi[a]!) {
      this.fPos[a] = this.fPos[a]! + p;
      this.fNeg[a] = this.fNeg[a]! + q;
      return;
    }
    // insert a new interval at a, then coalesce overlaps (only possible when merging sketches)
    if (a < this.fn) {
      this.fLo.copyWithin(a + 1, a, this.fn);
      this.fHi.copyWithin(a + 1, a, this.fn);
      this.fPos.copyWithin(a + 1, a, this.fn);
      this.fNeg.copyWithin(a + 1, a, this.fn);
    }
    this.fLo[a] = lo;
    this.fHi[a] = hi;
    this.fPos[a] = p;
    this.fNeg[a] = q;
    this.fn++;
    while (a + 1 < this.fn && this.fLo[a + 1]! <= this.fHi[a]!) this.mergeFine(a);
    while (a > 0 && this.fHi[a - 1]! >= this.fLo[a]!) {
      this.mergeFine(a - 1);
      a--;
    }
    if (this.fn > this.cap) this.compact();
  }

  private mergeFine(i: number): void {
    this.fLo[i] = Math.min(this.fLo[i]!, this.fLo[i + 1]!);
    this.fHi[i] = Math.max(this.fHi[i]!, this.fHi[i + 1]!);
    this.fPos[i] = this.fPos[i]! + this.fPos[i + 1]!;
    this.fNeg[i] = this.fNeg[i]! + this.fNeg[i + 1]!;
    if (i + 2 < this.fn) {
      this.fLo.copyWithin(i + 1, i + 2, this.fn);
      this.fHi.copyWithin(i + 1, i + 2, this.fn);
      this.fPos.copyWithin(i + 1, i + 2, this.fn);
      this.fNeg.copyWithin(i + 1, i + 2, this.fn);
    }
    this.fn--;
  }

  /** Over capacity: merge the adjacent pair with the smallest combined weight. */
  private compact(): void {
    while (this.fn > this.cap) {
      let best = 0;
      let bestW = Infinity;
      for (let i = 0; i + 1 < this.fn; i++) {
        const w = this.fPos[i]! + this.fNeg[i]! + this.fPos[i + 1]! + this.fNeg[i + 1]!;
        if (w < bestW) {
          bestW = w;
          best = i;
        }
      }
      this.mergeFine(best);
    }
  }

  /** Regroups the fine sketch into coarse bins by behaviour; `scale` converts counts to responses. */
  regroup(config: BinningConfig, scale: number): void {
    const missingPos = this.pos[this.nIntervals]!;
    const missingNeg = this.neg[this.nIntervals]!;
    this.pos.fill(0);
    this.neg.fill(0);
    if (this.fn === 0) {
      this.nIntervals = 1;
      this.upper[0] = Infinity;
    } else {
      this.applyEnds(groupAdjacent(this.fPos, this.fNeg, this.fn, scale, config));
    }
    this.pos[this.nIntervals] = missingPos;
    this.neg[this.nIntervals] = missingNeg;
  }

  /**
   * Regroups the fine sketch into the fewest intervals whose positive rate never decreases with
   * the value (pool-adjacent-violators): the classifier of the model uses this over its score.
   * `minWeight` (same units as the counts): before PAV, adjacent fine intervals are pooled from
   * the lowest value up until each group holds at least this weight (a light last group joins the
   * one before it), so no interval, the extremes included, rests on a handful of responses.
   */
  regroupMonotone(minWeight = 0): void {
    const missingPos = this.pos[this.nIntervals]!;
    const missingNeg = this.neg[this.nIntervals]!;
    this.pos.fill(0);
    this.neg.fill(0);
    if (this.fn === 0) {
      this.nIntervals = 1;
      this.upper[0] = Infinity;
    } else if (minWeight > 0) {
      const gp: number[] = [];
      const gn: number[] = [];
      const gEnd: number[] = [];
      let p = 0;
      let q = 0;
      for (let i = 0; i < this.fn; i++) {
        p += this.fPos[i]!;
        q += this.fNeg[i]!;
        if (p + q >= minWeight) {
          gp.push(p);
          gn.push(q);
          gEnd.push(i);
          p = 0;
          q = 0;
        }
      }
      if (p + q > 0 || gEnd.length === 0) {
        const last = gEnd.length - 1;
        if (last >= 0) {
          gp[last] = gp[last]! + p;
          gn[last] = gn[last]! + q;
          gEnd[last] = this.fn - 1;
        } else {
          gp.push(p);
          gn.push(q);
          gEnd.push(this.fn - 1);
        }
      } else {
        gEnd[gEnd.length - 1] = this.fn - 1;
      }
      this.applyEnds(poolAdjacentViolators(gp, gn).map((b) => gEnd[b.to]!));
    } else {
      this.applyEnds(poolAdjacentViolators(this.fPos, this.fNeg, this.fn).map((b) => b.to));
    }
    this.pos[this.nIntervals] = missingPos;
    this.neg[this.nIntervals] = missingNeg;
  }

  /** Coarse intervals from the last fine index of each group (counts must be zeroed). */
  private applyEnds(ends: number[]): void {
    {
      let start = 0;
      for (let k = 0; k < ends.length; k++) {
        const e = ends[k]!;
        let p = 0;
        let q = 0;
        for (let i = start; i <= e; i++) {
          p += this.fPos[i]!;
          q += this.fNeg[i]!;
        }
        this.pos[k] = p;
        this.neg[k] = q;
        this.upper[k] = k === ends.length - 1 ? Infinity : this.fHi[e]!;
        start = e + 1;
      }
      this.nIntervals = ends.length;
    }
  }

  rescale(f: number): void {
    for (let i = 0; i < this.fn; i++) {
      this.fPos[i] = this.fPos[i]! * f;
      this.fNeg[i] = this.fNeg[i]! * f;
    }
    for (let i = 0; i <= this.nIntervals; i++) {
      this.pos[i] = this.pos[i]! * f;
      this.neg[i] = this.neg[i]! * f;
    }
  }

  /** Adds another binning's counts times f (fine intervals and missing); call regroup after. */
  mergeFrom(other: NumericBinning, f: number): void {
    for (let i = 0; i < other.fn; i++) {
      this.addFine(other.fLo[i]!, other.fHi[i]!, other.fPos[i]! * f, other.fNeg[i]! * f);
    }
    const m = this.nIntervals;
    this.pos[m] = this.pos[m]! + other.pos[other.nIntervals]! * f;
    this.neg[m] = this.neg[m]! + other.neg[other.nIntervals]! * f;
  }

  describe(k: number): BinDescription {
    if (k === this.nIntervals) return { label: 'missing', kind: 'missing' };
    const lower = k > 0 ? this.upper[k - 1]! : undefined;
    const upper = k < this.nIntervals - 1 ? this.upper[k]! : undefined;
    let label: string;
    if (lower === undefined && upper === undefined) label = 'all values';
    else if (lower === undefined) label = `<= ${fmt(upper!)}`;
    else if (upper === undefined) label = `> ${fmt(lower)}`;
    else label = `(${fmt(lower)}, ${fmt(upper)}]`;
    const d: BinDescription = { label, kind: 'interval' };
    if (lower !== undefined) d.lower = lower;
    if (upper !== undefined) d.upper = upper;
    return d;
  }

  toJSON(): NumericBinningState {
    const fine: Array<[number, number, number, number]> = [];
    for (let i = 0; i < this.fn; i++) fine.push([this.fLo[i]!, this.fHi[i]!, this.fPos[i]!, this.fNeg[i]!]);
    return {
      type: 'numeric',
      fine,
      upper: Array.from(this.upper.subarray(0, this.nIntervals - 1)),
      pos: Array.from(this.pos.subarray(0, this.nIntervals + 1)),
      neg: Array.from(this.neg.subarray(0, this.nIntervals + 1)),
    };
  }

  static fromJSON(state: NumericBinningState, fineBins: number): NumericBinning {
    const b = new NumericBinning(Math.max(fineBins, state.fine.length));
    state.fine.forEach(([lo, hi, p, q], i) => {
      b.fLo[i] = lo;
      b.fHi[i] = hi;
      b.fPos[i] = p;
      b.fNeg[i] = q;
    });
    b.fn = state.fine.length;
    b.nIntervals = state.upper.length + 1;
    state.upper.forEach((u, i) => (b.upper[i] = u));
    b.upper[b.nIntervals - 1] = Infinity;
    for (let i = 0; i <= b.nIntervals; i++) {
      b.pos[i] = state.pos[i] ?? 0;
      b.neg[i] = state.neg[i] ?? 0;
    }
    return b;
  }
}

function fmt(x: number): string {
  return Number.isInteger(x) ? String(x) : String(Number(x.toPrecision(6)));
}

export interface SymbolicBinningState {
  type: 'symbolic';
  /** [symbol, positives, negatives, group] (inflated units); group = number of groups for residual. */
  symbols: Array<[string, number, number, number]>;
  /** Counts of evicted symbols. */
  evicted: [number, number];
  groups: number;
  /** Coarse counts: groups, residual, missing. */
  pos: number[];
  neg: number[];
}

export class SymbolicBinning {
  readonly type = 'symbolic' as const;
  private readonly cap: number;
  private readonly slots = new Map<string, number>();
  private readonly names: string[] = [];
  private readonly sPos: Float64Array;
  private readonly sNeg: Float64Array;
  private readonly slotGroup: Int32Array;
  private evPos = 0;
  private evNeg = 0;
  /** Behaviour groups; index nGroups is the residual group, nGroups + 1 the missing bin. */
  private nGroups = 0;
  readonly pos: Float64Array;
  readonly neg: Float64Array;

  constructor(maxSymbols: number = DEFAULT_BINNING.maxSymbols) {
    this.cap = Math.max(1, maxSymbols);
    this.sPos = new Float64Array(this.cap);
    this.sNeg = new Float64Array(this.cap);
    this.slotGroup = new Int32Array(this.cap);
    this.pos = new Float64Array(this.cap + 2);
    this.neg = new Float64Array(this.cap + 2);
  }

  get nBins(): number {
    return this.nGroups + 2;
  }

  get missingIndex(): number {
    return this.nGroups + 1;
  }

  /** Number of symbols tracked (bounded by maxSymbols). */
  get sketchSize(): number {
    return this.names.length;
  }

  index(value: PredictorValue | undefined): number {
    if (isMissing(value)) return this.nGroups + 1;
    const slot = this.slots.get(typeof value === 'string' ? value : String(value));
    return slot === undefined ? this.nGroups : this.slotGroup[slot]!;
  }

  add(value: PredictorValue | undefined, positive: boolean, w: number): number {
    let k: number;
    if (isMissing(value)) {
      k = this.nGroups + 1;
    } else {
      const slot = this.slotFor(typeof value === 'string' ? value : String(value));
      if (positive) this.sPos[slot] = this.sPos[slot]! + w;
      else this.sNeg[slot] = this.sNeg[slot]! + w;
      k = this.slotGroup[slot]!;
    }
    if (positive) this.pos[k] = this.pos[k]! + w;
    else this.neg[k] = this.neg[k]! + w;
    return k;
  }

  /** The slot of a symbol, creating it (evicting the lightest symbol when full). */
  private slotFor(symbol: string): number {
    const found = this.slots.get(symbol);
    if (found !== undefined) return found;
    let slot: number;
    if (this.names.length < this.cap) {
      slot = this.names.length;
      this.names.push(symbol);
    } else {
      slot = 0;
      let minW = Infinity;
      for (let i = 0; i < this.cap; i++) {
        const w = this.sPos[i]! + this.sNeg[i]!;
        if (w < minW) {
          minW = w;
          slot = i;
        }
      }
      // The evicted symbol's counts stay in its coarse group until the next regroup.
      this.evPos += this.sPos[slot]!;
      this.evNeg += this.sNeg[slot]!;
      this.slots.delete(this.names[slot]!);
      this.names[slot] = symbol;
    }
    this.slots.set(symbol, slot);
    this.sPos[slot] = 0;
    this.sNeg[slot] = 0;
    this.slotGroup[slot] = this.nGroups; // residual until regrouped
    return slot;
  }

  regroup(config: BinningConfig, scale: number): void {
    const missingPos = this.pos[this.nGroups + 1]!;
    const missingNeg = this.neg[this.nGroups + 1]!;
    const minW = config.minSymbolWeight * scale;
    const frequent: number[] = [];
    for (let i = 0; i < this.names.length; i++) {
      if (this.sPos[i]! + this.sNeg[i]! >= minW) frequent.push(i);
    }
    const rate = (i: number): number => (this.sPos[i]! + 0.5 * scale) / (this.sPos[i]! + this.sNeg[i]! + scale);
    frequent.sort((a, b) => rate(a) - rate(b) || (this.names[a]! < this.names[b]! ? -1 : 1));
    const fp = frequent.map((i) => this.sPos[i]!);
    const fq = frequent.map((i) => this.sNeg[i]!);
    const ends = frequent.length > 0 ? groupAdjacent(fp, fq, frequent.length, scale, config) : [];
    this.nGroups = ends.length;
    this.pos.fill(0);
    this.neg.fill(0);
    this.slotGroup.fill(this.nGroups);
    let start = 0;
    for (let k = 0; k < ends.length; k++) {
      for (let j = start; j <= ends[k]!; j++) this.slotGroup[frequent[j]!] = k;
      start = ends[k]! + 1;
    }
    for (let i = 0; i < this.names.length; i++) {
      const g = this.slotGroup[i]!;
      this.pos[g] = this.pos[g]! + this.sPos[i]!;
      this.neg[g] = this.neg[g]! + this.sNeg[i]!;
    }
    this.pos[this.nGroups] = this.pos[this.nGroups]! + this.evPos;
    this.neg[this.nGroups] = this.neg[this.nGroups]! + this.evNeg;
    this.pos[this.nGroups + 1] = missingPos;
    this.neg[this.nGroups + 1] = missingNeg;
  }

  rescale(f: number): void {
    for (let i = 0; i < this.names.length; i++) {
      this.sPos[i] = this.sPos[i]! * f;
      this.sNeg[i] = this.sNeg[i]! * f;
    }
    this.evPos *= f;
    this.evNeg *= f;
    for (let i = 0; i < this.nGroups + 2; i++) {
      this.pos[i] = this.pos[i]! * f;
      this.neg[i] = this.neg[i]! * f;
    }
  }

  mergeFrom(other: SymbolicBinning, f: number): void {
    for (let i = 0; i < other.names.length; i++) {
      const slot = this.slotFor(other.names[i]!);
      this.sPos[slot] = this.sPos[slot]! + other.sPos[i]! * f;
      this.sNeg[slot] = this.sNeg[slot]! + other.sNeg[i]! * f;
    }
    this.evPos += other.evPos * f;
    this.evNeg += other.evNeg * f;
    const m = this.nGroups + 1;
    this.pos[m] = this.pos[m]! + other.pos[other.nGroups + 1]! * f;
    this.neg[m] = this.neg[m]! + other.neg[other.nGroups + 1]! * f;
  }

  describe(k: number): BinDescription {
    if (k === this.nGroups + 1) return { label: 'missing', kind: 'missing' };
    if (k === this.nGroups) return { label: 'residual (rare or unseen symbols)', kind: 'residual' };
    const symbols: string[] = [];
    for (let i = 0; i < this.names.length; i++) if (this.slotGroup[i] === k) symbols.push(this.names[i]!);
    symbols.sort();
    return { label: symbols.join(', '), kind: 'symbols', symbols };
  }

  toJSON(): SymbolicBinningState {
    return {
      type: 'symbolic',
      symbols: this.names.map((s, i) => [s, this.sPos[i]!, this.sNeg[i]!, this.slotGroup[i]!]),
      evicted: [this.evPos, this.evNeg],
      groups: this.nGroups,
      pos: Array.from(this.pos.subarray(0, this.nGroups + 2)),
      neg: Array.from(this.neg.subarray(0, this.nGroups + 2)),
    };
  }

  static fromJSON(state: SymbolicBinningState, maxSymbols: number): SymbolicBinning {
    const b = new SymbolicBinning(Math.max(maxSymbols, state.symbols.length, state.groups));
    state.symbols.forEach(([s, p, q, g], i) => {
      b.names.push(s);
      b.slots.set(s, i);
      b.sPos[i] = p;
      b.sNeg[i] = q;
      b.slotGroup[i] = g;
    });
    b.evPos = state.evicted[0];
    b.evNeg = state.evicted[1];
    b.nGroups = state.groups;
    for (let i = 0; i < state.groups + 2; i++) {
      b.pos[i] = state.pos[i] ?? 0;
      b.neg[i] = state.neg[i] ?? 0;
    }
    return b;
  }
}

export type Binning = NumericBinning | SymbolicBinning;
