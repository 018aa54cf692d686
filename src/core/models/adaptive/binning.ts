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
 * Layout (performance only): the fine sketch is one interleaved Float64Array ([lower, upper,
 * positives, negatives] per interval, so an insert or merge moves one block); a symbolic binning's
 * slot arrays start at 16 slots and double up to `maxSymbols`. A numeric value joins the coarse
 * counts at once (scoring reads them) and the fine sketch later: values wait in a short queue, in
 * arrival order, and enter the sketch one at a time, exactly as if each had entered on arrival,
 * when the queue is full or before anything reads the sketch (regroup, rescale, merge, save). A
 * model that learns many keys in turn then finds each sketch in cache once per queue, not once per
 * response; the sketch is read into cache in one pass first, and four values are searched side by
 * side (a search's steps wait on each other, different values' searches do not).
 *
 * Counts are stored in "inflated" units so that decay costs nothing per row: the caller adds the
 * current weight `w` (which grows as time passes) and divides by it when reading (see naive-bayes.ts).
 */
import type { PredictorValue } from '../../types.js';
import { poolAdjacentViolators } from './pav.js';
import { StampedHeap } from './heap.js';

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
  if (n <= 0) return [];
  if (n <= SCAN_GROUPING) return groupByScans(pos, neg, n, scale, config);
  // Groups form a linked list identified by their first cell; the greedy choices (lightest group,
  // most similar pair, the first in order on ties) come from heaps with stale entries skipped,
  // so the result is that of rescanning every group after each merge, at O(n log n).
  if (gNext.length < n) {
    const size = 2 * n;
    gp = new Float64Array(size);
    gn = new Float64Array(size);
    gEnd = new Int32Array(size);
    gNext = new Int32Array(size);
    gPrev = new Int32Array(size);
    gStamp = new Int32Array(size);
  }
  for (let i = 0; i < n; i++) {
    gp[i] = (pos[i] ?? 0) / scale;
    gn[i] = (neg[i] ?? 0) / scale;
    gEnd[i] = i;
    gNext[i] = i + 1 < n ? i + 1 : -1;
    gPrev[i] = i - 1;
    gStamp[i] = 0;
  }
  let count = n;
  const chi = (a: number, b: number): number => chiSquare(gp[a]!, gn[a]!, gp[b]!, gn[b]!);
  /** Group a absorbs the group after it, b. */
  const absorb = (a: number, b: number): void => {
    gp[a] = gp[a]! + gp[b]!;
    gn[a] = gn[a]! + gn[b]!;
    gEnd[a] = gEnd[b]!;
    const c = gNext[b]!;
    gNext[a] = c;
    if (c >= 0) gPrev[c] = a;
    gStamp[b] = -1;
    gStamp[a] = gStamp[a]! + 1;
    count--;
  };
  // 1. while a group is lighter than the minimum weight, the lightest joins its more similar neighbour
  groupHeap.clear();
  for (let i = 0; i < n; i++) {
    const w = gp[i]! + gn[i]!;
    if (w < config.minBinWeight) groupHeap.push(w, i, 0);
  }
  while (count > 1 && groupHeap.size > 0) {
    const g = groupHeap.topId;
    const stamp = groupHeap.topStamp;
    groupHeap.pop();
    if (gStamp[g] !== stamp) continue;
    const left = gPrev[g]!;
    const right = gNext[g]!;
    let into: number;
    if (left < 0) absorb((into = g), right);
    else if (right < 0) absorb((into = left), g);
    else if (chi(left, g) <= chi(g, right)) absorb((into = left), g);
    else absorb((into = g), right);
    const w = gp[into]! + gn[into]!;
    if (w < config.minBinWeight) groupHeap.push(w, into, gStamp[into]!);
  }
  // 2. the most similar adjacent pair merges while not significantly different (or too many groups)
  groupHeap.clear();
  for (let a = 0; a >= 0; a = gNext[a]!) {
    const b = gNext[a]!;
    if (b >= 0) groupHeap.push(chi(a, b), a, gStamp[a]!);
  }
  while (count > 1 && groupHeap.size > 0) {
    const a = groupHeap.topId;
    const stamp = groupHeap.topStamp;
    const c = groupHeap.topKey;
    if (gStamp[a] !== stamp) {
      groupHeap.pop();
      continue;
    }
    if (!(c < config.mergeChi2 || count > config.maxBins)) break;
    groupHeap.pop();
    absorb(a, gNext[a]!);
    const after = gNext[a]!;
    if (after >= 0) groupHeap.push(chi(a, after), a, gStamp[a]!);
    const before = gPrev[a]!;
    if (before >= 0) {
      gStamp[before] = gStamp[before]! + 1;
      groupHeap.push(chi(before, a), before, gStamp[before]!);
    }
  }
  const ends: number[] = [];
  for (let a = 0; a >= 0; a = gNext[a]!) ends.push(gEnd[a]!);
  return ends;
}

/**
 * Most cells `groupAdjacent` groups by rescanning (a fine sketch holds 64 by default): below this,
 * a scan over contiguous arrays after each merge costs less than keeping heaps.
 */
const SCAN_GROUPING = 128;

/**
 * `groupAdjacent` for few cells, by the rule itself: groups side by side in arrays (a merge
 * shifts the groups after it), each pair's chi-square kept and recomputed only for the pairs a
 * merge changes, and after each merge a scan for the lightest group, then for the most similar
 * pair (strictly lower wins: the first in order on ties). The same groups as the heaps give.
 */
function groupByScans(
  pos: ArrayLike<number>,
  neg: ArrayLike<number>,
  n: number,
  scale: number,
  config: Pick<BinningConfig, 'maxBins' | 'mergeChi2' | 'minBinWeight'>,
): number[] {
  const p = sp;
  const q = sn;
  const end = sEnd;
  const chi = sChi;
  for (let i = 0; i < n; i++) {
    p[i] = (pos[i] ?? 0) / scale;
    q[i] = (neg[i] ?? 0) / scale;
    end[i] = i;
  }
  let count = n;
  // 1. while a group is lighter than the minimum weight, the lightest joins its more similar neighbour
  const minWeight = config.minBinWeight;
  while (count > 1) {
    let light = -1;
    let lightW = minWeight;
    for (let i = 0; i < count; i++) {
      const w = p[i]! + q[i]!;
      if (w < lightW) {
        lightW = w;
        light = i;
      }
    }
    if (light < 0) break;
    if (light === 0) mergeScanned(0, count--);
    else if (light === count - 1) mergeScanned(light - 1, count--);
    else {
      const left = chiSquare(p[light - 1]!, q[light - 1]!, p[light]!, q[light]!) <= chiSquare(p[light]!, q[light]!, p[light + 1]!, q[light + 1]!);
      mergeScanned(left ? light - 1 : light, count--);
    }
  }
  // 2. the most similar adjacent pair merges while not significantly different (or too many groups)
  for (let i = 0; i + 1 < count; i++) chi[i] = chiSquare(p[i]!, q[i]!, p[i + 1]!, q[i + 1]!);
  const mergeChi2 = config.mergeChi2;
  const maxBins = config.maxBins;
  while (count > 1) {
    const best = leastPair(count - 1);
    if (!(chi[best]! < mergeChi2 || count > maxBins)) break;
    mergeScanned(best, count--);
    if (best > 0) chi[best - 1] = chiSquare(p[best - 1]!, q[best - 1]!, p[best]!, q[best]!);
    if (best + 1 < count) chi[best] = chiSquare(p[best]!, q[best]!, p[best + 1]!, q[best + 1]!);
  }
  const ends = new Array<number>(count);
  for (let i = 0; i < count; i++) ends[i] = end[i]!;
  return ends;
}

/** In `groupByScans`: the first of the `pairs` pairs with the lowest chi-square. */
function leastPair(pairs: number): number {
  const chi = sChi;
  let best = 0;
  let bestChi = chi[0]!;
  for (let i = 1; i < pairs; i++) {
    const c = chi[i]!;
    if (c < bestChi) {
      bestChi = c;
      best = i;
    }
  }
  return best;
}

/** In `groupByScans`: group i absorbs group i + 1 of `count`; the groups after move down one place. */
function mergeScanned(i: number, count: number): void {
  const p = sp;
  const q = sn;
  const end = sEnd;
  const chi = sChi;
  p[i] = p[i]! + p[i + 1]!;
  q[i] = q[i]! + q[i + 1]!;
  end[i] = end[i + 1]!;
  for (let j = i + 1; j + 1 < count; j++) {
    p[j] = p[j + 1]!;
    q[j] = q[j + 1]!;
    end[j] = end[j + 1]!;
  }
  for (let j = i + 1; j + 2 < count; j++) chi[j] = chi[j + 1]!;
}

/** Scratch space of `groupByScans`. */
const sp = new Float64Array(SCAN_GROUPING);
const sn = new Float64Array(SCAN_GROUPING);
const sEnd = new Int32Array(SCAN_GROUPING);
const sChi = new Float64Array(SCAN_GROUPING);

/** Scratch space of `groupAdjacent` (single-threaded, used only inside one call). */
let gp = new Float64Array(128);
let gn = new Float64Array(128);
let gEnd = new Int32Array(128);
let gNext = new Int32Array(128);
let gPrev = new Int32Array(128);
let gStamp = new Int32Array(128);
const groupHeap = new StampedHeap(256);

/**
 * How many of the sorted numbers a[from], ..., a[from + n - 1] are below v: the interval of v when
 * they are the finite upper bounds of intervals (v in the first interval whose bound is >= v, the
 * last interval unbounded). Without data-dependent branches (a count for a few bounds, a search
 * whose steps depend only on n for more), so random values do not stall the processor.
 */
export function countBelow(a: Float64Array, from: number, n: number, v: number): number {
  if (n <= 4) {
    let k = 0;
    for (let i = from; i < from + n; i++) k += +(a[i]! < v);
    return k;
  }
  let base = from;
  let len = n;
  while (len > 1) {
    const half = len >> 1;
    base += half * +(a[base + half - 1]! < v);
    len -= half;
  }
  return base - from + +(a[base]! < v);
}

/**
 * `countBelow` for four values at once, over n >= 1 sorted numbers a[offset], a[offset + stride],
 * ..., into into[0..3]: the four searches run side by side (each step of a search waits for the
 * load before it; independent searches fill each other's waits). NaN counts 0.
 */
export function countBelowFour(a: Float64Array, offset: number, stride: number, n: number, v0: number, v1: number, v2: number, v3: number, into: Int32Array): void {
  let b0 = 0;
  let b1 = 0;
  let b2 = 0;
  let b3 = 0;
  let len = n;
  while (len > 1) {
    const half = len >> 1;
    b0 += half * +(a[offset + stride * (b0 + half - 1)]! < v0);
    b1 += half * +(a[offset + stride * (b1 + half - 1)]! < v1);
    b2 += half * +(a[offset + stride * (b2 + half - 1)]! < v2);
    b3 += half * +(a[offset + stride * (b3 + half - 1)]! < v3);
    len -= half;
  }
  into[0] = b0 + +(a[offset + stride * b0]! < v0);
  into[1] = b1 + +(a[offset + stride * b1]! < v1);
  into[2] = b2 + +(a[offset + stride * b2]! < v2);
  into[3] = b3 + +(a[offset + stride * b3]! < v3);
}

/** `countBelowFour`'s answers (single-threaded, read right after each call). */
const four = new Int32Array(4);

export function isMissing(value: PredictorValue | undefined): boolean {
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

/** Values a numeric binning queues before they enter its fine sketch (see `NumericBinning.settle`). */
const FINE_QUEUE = 64;
const NO_QUEUE = new Float64Array(0);
/** What `settle`'s warming loop read (kept, so that the compiler cannot drop the reads). */
export let settleWarmth = 0;

export class NumericBinning {
  readonly type = 'numeric' as const;
  private readonly cap: number;
  /**
   * Fine sketch, interleaved: interval i is [lower, upper, positives, negatives] at 4i..4i+3, so
   * that inserting or merging an interval moves one block of memory.
   */
  private fn = 0;
  private readonly f: Float64Array;
  /** Coarse intervals: value v is in the first k with v <= upper[k]; upper[nIntervals-1] = +Inf. */
  private nIntervals = 1;
  private readonly upper: Float64Array;
  /** Coarse counts; index nIntervals is the missing bin. */
  readonly pos: Float64Array;
  readonly neg: Float64Array;
  /**
   * Values not yet in the fine sketch, oldest first: [value, weight] pairs, the weight negated
   * for a negative response (weights are > 0). See `settle`.
   */
  private queued = 0;
  /** Allocated at the first value (a model loaded only to score never queues). */
  private queue = NO_QUEUE;

  constructor(fineBins: number = DEFAULT_BINNING.fineBins) {
    this.cap = Math.max(2, fineBins);
    this.f = new Float64Array(4 * (this.cap + 1));
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
    this.settle();
    return this.fn;
  }

  index(value: PredictorValue | undefined): number {
    const v = toNumber(value);
    if (Number.isNaN(v)) return this.nIntervals;
    return this.intervalOf(v);
  }

  /** The coarse bin of a number (NaN: the missing bin). */
  binOf(v: number): number {
    return v !== v ? this.nIntervals : this.intervalOf(v);
  }

  /**
   * Reads one entry per cache line (8 doubles) of the bounds and counts in use, and the queue's
   * next slot: what a response reads, brought into cache beforehand (see `NaiveBayesModel.learn`).
   */
  warm(): number {
    let sum = this.queue[2 * this.queued] ?? 0;
    for (let i = 0; i <= this.nIntervals; i += 8) sum += this.upper[i]! + this.pos[i]! + this.neg[i]!;
    return sum;
  }

  intervalOf(v: number): number {
    return countBelow(this.upper, 0, this.nIntervals - 1, v);
  }

  /**
   * For `count` values (values[from], values[from + stride], ...), the entry of `perBin` of each
   * one's coarse bin (the missing bin's for NaN) into out[0..count-1]. Four values are searched
   * side by side (`countBelowFour`): the same bins as `binOf` one by one.
   */
  perBinOf(values: Float64Array, from: number, stride: number, count: number, perBin: Float64Array, out: Float64Array): void {
    const upper = this.upper;
    const n = this.nIntervals - 1;
    const missing = perBin[this.nIntervals]!;
    let r = 0;
    let at = from;
    if (n > 4) {
      for (; r + 3 < count; r += 4, at += 4 * stride) {
        const x0 = values[at]!;
        const x1 = values[at + stride]!;
        const x2 = values[at + 2 * stride]!;
        const x3 = values[at + 3 * stride]!;
        countBelowFour(upper, 0, 1, n, x0, x1, x2, x3, four);
        // NaN counts 0: the missing bin's entry instead
        out[r] = x0 !== x0 ? missing : perBin[four[0]!]!;
        out[r + 1] = x1 !== x1 ? missing : perBin[four[1]!]!;
        out[r + 2] = x2 !== x2 ? missing : perBin[four[2]!]!;
        out[r + 3] = x3 !== x3 ? missing : perBin[four[3]!]!;
      }
    }
    for (; r < count; r++, at += stride) {
      const x = values[at]!;
      out[r] = x !== x ? missing : perBin[countBelow(upper, 0, n, x)]!;
    }
  }

  /**
   * Copies the upper bounds of the coarse intervals (the last is +Infinity) into `into` from `at`;
   * returns their number. Value v is in the first interval k with v <= upper[k].
   */
  copyBounds(into: Float64Array, at: number): number {
    const n = this.nIntervals;
    for (let i = 0; i < n; i++) into[at + i] = this.upper[i]!;
    return n;
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
    const k = this.intervalOf(v);
    this.addAt(k, v, positive, w);
    return k;
  }

  /**
   * Adds one response of weight w whose coarse bin is known: `k = binOf(v)`, v a number (NaN for
   * a missing value). The value waits in the queue for the fine sketch (see `settle`).
   */
  addAt(k: number, v: number, positive: boolean, w: number): void {
    if (positive) this.pos[k] = this.pos[k]! + w;
    else this.neg[k] = this.neg[k]! + w;
    if (v !== v) return;
    const n = this.queued;
    if (n === 0 && this.queue.length === 0) this.queue = new Float64Array(2 * FINE_QUEUE);
    this.queue[2 * n] = v;
    this.queue[2 * n + 1] = positive ? w : -w;
    this.queued = n + 1;
    if (n + 1 === FINE_QUEUE) this.settle();
  }

  /** Puts the queued values into the fine sketch, one at a time in arrival order. */
  private settle(): void {
    const queued = this.queued;
    if (queued === 0) return;
    this.queued = 0;
    const queue = this.queue;
    const f = this.f;
    // one read per cache line of the sketch in use, loads that do not wait for each other: the
    // sketch comes into cache together rather than one miss per step of the searches below
    let sum = 0;
    for (let j = 1, end = 4 * this.fn; j < end; j += 8) sum += f[j]!;
    settleWarmth = sum;
    let i = 0;
    // Four values at a time: their searches run side by side (each step of a search waits for the
    // load before it; independent searches fill each other's waits). A value's interval stands
    // while the values before it only add to counts; after one opens an interval, the rest are
    // searched again. The same sketch as one value at a time, in order.
    for (; i + 3 < queued; i += 4) {
      const n = this.fn;
      if (n === 0) {
        for (let j = i; j < i + 4; j++) this.addValue(queue[2 * j]!, queue[2 * j + 1]!);
        continue;
      }
      const v0 = queue[2 * i]!;
      const v1 = queue[2 * i + 2]!;
      const v2 = queue[2 * i + 4]!;
      const v3 = queue[2 * i + 6]!;
      // the first interval whose upper bound (at 4k + 1) is >= each value
      countBelowFour(f, 1, 4, n, v0, v1, v2, v3, four);
      const a0 = four[0]!;
      const a1 = four[1]!;
      const a2 = four[2]!;
      const a3 = four[3]!;
      // each value's interval stands while the values before it only added to counts
      if (!this.addCounted(a0, v0, queue[2 * i + 1]!)) {
        for (let j = i + 1; j < i + 4; j++) this.addValue(queue[2 * j]!, queue[2 * j + 1]!);
      } else if (!this.addCounted(a1, v1, queue[2 * i + 3]!)) {
        for (let j = i + 2; j < i + 4; j++) this.addValue(queue[2 * j]!, queue[2 * j + 1]!);
      } else if (!this.addCounted(a2, v2, queue[2 * i + 5]!)) {
        this.addValue(v3, queue[2 * i + 7]!);
      } else this.addCounted(a3, v3, queue[2 * i + 7]!);
    }
    for (; i < queued; i++) this.addValue(queue[2 * i]!, queue[2 * i + 1]!);
  }

  /**
   * Adds value v (`signedW`: its weight, negated for a negative response) to the fine sketch, `a`
   * being the first interval whose upper bound is >= v. True when it only added to counts, false
   * when it opened an interval (the intervals moved).
   */
  private addCounted(a: number, v: number, signedW: number): boolean {
    const f = this.f;
    if (a < this.fn && f[4 * a]! <= v) {
      // positives at 4a + 2, negatives at 4a + 3: chosen by index, not by a branch that would
      // mispredict on every change of outcome
      const at = 4 * a + 2 + +(signedW < 0);
      f[at] = f[at]! + Math.abs(signedW);
      return true;
    }
    this.addFine(v, v, signedW > 0 ? signedW : 0, signedW > 0 ? 0 : -signedW);
    return false;
  }

  /** Adds one value to the fine sketch; `signedW` is the weight, negated for a negative response. */
  private addValue(v: number, signedW: number): void {
    // the first fine interval whose upper bound >= v (a search without data-dependent branches):
    // a value inside it adds to it, the common case once the sketch covers the values seen
    const f = this.f;
    const n = this.fn;
    let a = 0;
    if (n > 0) {
      let len = n;
      while (len > 1) {
        const half = len >> 1;
        a += half * +(f[4 * (a + half - 1) + 1]! < v);
        len -= half;
      }
      a += +(f[4 * a + 1]! < v);
    }
    this.addCounted(a, v, signedW);
  }

  /** Adds counts for the interval [lo, hi] to the fine sketch. */
  private addFine(lo: number, hi: number, p: number, q: number): void {
    const f = this.f;
    const n = this.fn;
    // first fine interval whose upper bound >= lo
    let a = 0;
    let b = n;
    while (a < b) {
      const mid = (a + b) >> 1;
      if (f[4 * mid + 1]! < lo) a = mid + 1;
      else b = mid;
    }
    const at = 4 * a;
    if (a < n && f[at]! <= lo && hi <= f[at + 1]!) {
      f[at + 2] = f[at + 2]! + p;
      f[at + 3] = f[at + 3]! + q;
      return;
    }
    // insert a new interval at a, then coalesce overlaps (only possible when merging sketches)
    if (a < n) f.copyWithin(at + 4, at, 4 * n);
    f[at] = lo;
    f[at + 1] = hi;
    f[at + 2] = p;
    f[at + 3] = q;
    this.fn = n + 1;
    while (a + 1 < this.fn && f[4 * a + 4]! <= f[4 * a + 1]!) this.mergeFine(a);
    while (a > 0 && f[4 * a - 3]! >= f[4 * a]!) {
      this.mergeFine(a - 1);
      a--;
    }
    if (this.fn > this.cap) this.compact();
  }

  private mergeFine(i: number): void {
    const f = this.f;
    const at = 4 * i;
    f[at] = Math.min(f[at]!, f[at + 4]!);
    f[at + 1] = Math.max(f[at + 1]!, f[at + 5]!);
    f[at + 2] = f[at + 2]! + f[at + 6]!;
    f[at + 3] = f[at + 3]! + f[at + 7]!;
    if (i + 2 < this.fn) f.copyWithin(at + 4, at + 8, 4 * this.fn);
    this.fn--;
  }

  /** Over capacity: merge the adjacent pair with the smallest combined weight. */
  private compact(): void {
    const f = this.f;
    while (this.fn > this.cap) {
      let best = 0;
      let bestW = Infinity;
      for (let i = 0, at = 0; i + 1 < this.fn; i++, at += 4) {
        const w = f[at + 2]! + f[at + 3]! + f[at + 6]! + f[at + 7]!;
        if (w < bestW) {
          bestW = w;
          best = i;
        }
      }
      this.mergeFine(best);
    }
  }

  /** Positives and negatives of the fine intervals, as separate arrays (for grouping). */
  private fineCounts(): [Float64Array, Float64Array] {
    this.settle();
    const pos = new Float64Array(this.fn);
    const neg = new Float64Array(this.fn);
    for (let i = 0; i < this.fn; i++) {
      pos[i] = this.f[4 * i + 2]!;
      neg[i] = this.f[4 * i + 3]!;
    }
    return [pos, neg];
  }

  /** Regroups the fine sketch into coarse bins by behaviour; `scale` converts counts to responses. */
  regroup(config: BinningConfig, scale: number): void {
    this.settle();
    const missingPos = this.pos[this.nIntervals]!;
    const missingNeg = this.neg[this.nIntervals]!;
    this.pos.fill(0);
    this.neg.fill(0);
    if (this.fn === 0) {
      this.nIntervals = 1;
      this.upper[0] = Infinity;
    } else {
      const [fPos, fNeg] = this.fineCounts();
      this.applyEnds(groupAdjacent(fPos, fNeg, this.fn, scale, config));
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
    this.settle();
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
        p += this.f[4 * i + 2]!;
        q += this.f[4 * i + 3]!;
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
      const [fPos, fNeg] = this.fineCounts();
      this.applyEnds(poolAdjacentViolators(fPos, fNeg, this.fn).map((b) => b.to));
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
          p += this.f[4 * i + 2]!;
          q += this.f[4 * i + 3]!;
        }
        this.pos[k] = p;
        this.neg[k] = q;
        this.upper[k] = k === ends.length - 1 ? Infinity : this.f[4 * e + 1]!;
        start = e + 1;
      }
      this.nIntervals = ends.length;
    }
  }

  rescale(f: number): void {
    this.settle();
    for (let i = 0; i < this.fn; i++) {
      this.f[4 * i + 2] = this.f[4 * i + 2]! * f;
      this.f[4 * i + 3] = this.f[4 * i + 3]! * f;
    }
    for (let i = 0; i <= this.nIntervals; i++) {
      this.pos[i] = this.pos[i]! * f;
      this.neg[i] = this.neg[i]! * f;
    }
  }

  /** Adds another binning's counts times f (fine intervals and missing); call regroup after. */
  mergeFrom(other: NumericBinning, f: number): void {
    this.settle();
    other.settle();
    const o = other.f;
    for (let i = 0; i < other.fn; i++) {
      this.addFine(o[4 * i]!, o[4 * i + 1]!, o[4 * i + 2]! * f, o[4 * i + 3]! * f);
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
    this.settle();
    const fine: Array<[number, number, number, number]> = [];
    const f = this.f;
    for (let i = 0; i < this.fn; i++) fine.push([f[4 * i]!, f[4 * i + 1]!, f[4 * i + 2]!, f[4 * i + 3]!]);
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
      b.f[4 * i] = lo;
      b.f[4 * i + 1] = hi;
      b.f[4 * i + 2] = p;
      b.f[4 * i + 3] = q;
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

/** A model-wide count of changes to symbol-to-bin maps between regroups (evictions). */
export interface LayoutCounter {
  changes: number;
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

/** Slots a symbolic binning starts with. */
const INITIAL_SLOTS = 16;
/**
 * Most symbols of a map that `SymbolicBinning.warm` walks whole: learning 100 models in turn, a walk
 * over 12-32 symbols saved 8-15%, one over 150 symbols cost 12% more than the misses it saved.
 */
const WARM_MAP_SYMBOLS = 32;
/** Most symbols a symbolic binning tracks (slot codes keep the slot below this). */
const SLOT_SPAN = 65_536;

export class SymbolicBinning {
  readonly type = 'symbolic' as const;
  private readonly cap: number;
  private readonly slots = new Map<string, number>();
  private readonly names: string[] = [];
  /** Per slot (grown by doubling up to `cap`, so that a predictor with few symbols stays small). */
  private sPos: Float64Array;
  private sNeg: Float64Array;
  private slotGroup: Int32Array;
  private evPos = 0;
  private evNeg = 0;
  /** Behaviour groups; index nGroups is the residual group, nGroups + 1 the missing bin. */
  private nGroups = 0;
  /** Coarse counts (length: slots + 2). */
  pos: Float64Array;
  neg: Float64Array;

  /** Per slot, how many times it was given to another symbol (see `slotCode`). */
  private slotGen: Int32Array;

  constructor(
    maxSymbols: number = DEFAULT_BINNING.maxSymbols,
    /** Counts evictions of grouped symbols (their bin changes between regroups); see `groupedSymbols`. */
    private readonly layout?: LayoutCounter,
  ) {
    this.cap = Math.min(SLOT_SPAN, Math.max(1, maxSymbols));
    const n = Math.min(this.cap, INITIAL_SLOTS);
    this.sPos = new Float64Array(n);
    this.sNeg = new Float64Array(n);
    this.slotGroup = new Int32Array(n);
    this.slotGen = new Int32Array(n);
    this.pos = new Float64Array(n + 2);
    this.neg = new Float64Array(n + 2);
  }

  /** Makes room for n slots (and n + 2 coarse bins). */
  private grow(n: number): void {
    const have = this.sPos.length;
    if (n <= have) return;
    const size = Math.max(n, Math.min(this.cap, 2 * have));
    const sPos = new Float64Array(size);
    const sNeg = new Float64Array(size);
    const slotGroup = new Int32Array(size);
    const slotGen = new Int32Array(size);
    const pos = new Float64Array(size + 2);
    const neg = new Float64Array(size + 2);
    sPos.set(this.sPos);
    sNeg.set(this.sNeg);
    slotGroup.set(this.slotGroup);
    slotGen.set(this.slotGen);
    this.slotGen = slotGen;
    pos.set(this.pos);
    neg.set(this.neg);
    this.sPos = sPos;
    this.sNeg = sNeg;
    this.slotGroup = slotGroup;
    this.pos = pos;
    this.neg = neg;
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

  /** The slot of a (non-missing) symbol, -1 when it is not tracked. */
  slotOf(symbol: string): number {
    const slot = this.slots.get(symbol);
    return slot === undefined ? -1 : slot;
  }

  /**
   * Reads the symbol map's header, the coarse counts, one entry per cache line of the slot arrays
   * in use and, for a map of up to WARM_MAP_SYMBOLS symbols, every entry of the map (an iteration
   * walks its table front to back; a lookup would wait on one line after another): what a response
   * reads, brought into cache beforehand (see `NaiveBayesModel.learn`).
   */
  warm(): number {
    let sum = this.slots.size + this.pos[0]! + this.neg[0]! + this.pos[this.nGroups]! + this.neg[this.nGroups]!;
    for (let i = 0; i < this.names.length; i += 8) sum += this.slotGroup[i]! + this.slotGen[i]! + this.sPos[i]! + this.sNeg[i]!;
    if (this.names.length <= WARM_MAP_SYMBOLS) for (const slot of this.slots.values()) sum += slot;
    return sum;
  }

  /** The coarse bin of a slot from `slotOf` (-1: the residual group). */
  binOfSlot(slot: number): number {
    return slot < 0 ? this.nGroups : this.slotGroup[slot]!;
  }

  /**
   * Adds one response of weight w to a non-missing symbol whose slot is known (`slotOf`, -1 when
   * untracked: a slot is made, evicting the lightest symbol when full); returns the slot.
   */
  addToSlot(slot: number, symbol: string, positive: boolean, w: number): number {
    const s = slot < 0 ? this.slotFor(symbol) : slot;
    const k = this.slotGroup[s]!;
    if (positive) {
      this.sPos[s] = this.sPos[s]! + w;
      this.pos[k] = this.pos[k]! + w;
    } else {
      this.sNeg[s] = this.sNeg[s]! + w;
      this.neg[k] = this.neg[k]! + w;
    }
    return s;
  }

  /** Adds one response of weight w to the missing bin. */
  addMissing(positive: boolean, w: number): void {
    const m = this.nGroups + 1;
    if (positive) this.pos[m] = this.pos[m]! + w;
    else this.neg[m] = this.neg[m]! + w;
  }

  /**
   * A number standing for a tracked symbol, valid until its slot is given to another symbol
   * (eviction): the model's correlation window keeps these instead of the symbols.
   */
  slotCode(slot: number): number {
    return slot + SLOT_SPAN * this.slotGen[slot]!;
  }

  /** The coarse bin of a `slotCode` (a code whose slot was given away since: the residual group). */
  binOfCode(code: number): number {
    if (code < 0) return this.nGroups;
    const gen = Math.floor(code / SLOT_SPAN);
    const slot = code - gen * SLOT_SPAN;
    return slot < this.names.length && this.slotGen[slot] === gen ? this.slotGroup[slot]! : this.nGroups;
  }

  /** The symbol of a `slotCode`, or undefined when its slot was given away since. */
  symbolOfCode(code: number): string | undefined {
    if (code < 0) return undefined;
    const gen = Math.floor(code / SLOT_SPAN);
    const slot = code - gen * SLOT_SPAN;
    return slot < this.names.length && this.slotGen[slot] === gen ? this.names[slot] : undefined;
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
      this.grow(slot + 1);
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
      if (this.layout && this.slotGroup[slot] !== this.nGroups) this.layout.changes++;
      this.evPos += this.sPos[slot]!;
      this.evNeg += this.sNeg[slot]!;
      this.slots.delete(this.names[slot]!);
      this.names[slot] = symbol;
      this.slotGen[slot] = this.slotGen[slot]! + 1;
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

  /**
   * Symbols whose bin is a behaviour group (every other non-missing value is in the residual
   * group, `nBins - 2`), with their group. Valid until the next regroup or eviction of a grouped
   * symbol (counted in the layout counter).
   */
  groupedSymbols(): Array<[string, number]> {
    const out: Array<[string, number]> = [];
    for (let i = 0; i < this.names.length; i++) {
      const g = this.slotGroup[i]!;
      if (g < this.nGroups) out.push([this.names[i]!, g]);
    }
    return out;
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

  static fromJSON(state: SymbolicBinningState, maxSymbols: number, layout?: LayoutCounter): SymbolicBinning {
    const b = new SymbolicBinning(Math.max(maxSymbols, state.symbols.length, state.groups), layout);
    b.grow(Math.max(state.symbols.length, state.groups));
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
