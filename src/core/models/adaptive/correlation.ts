/**
 * Pearson correlations of predictors' contributions over the model's recent-response window
 * (naive-bayes.ts groups predictors that correlate above a threshold). `pearson` is the plain
 * formula; a refresh centres each predictor's series once (`centre`) and then asks, pair by pair,
 * only whether the correlation reaches the threshold (`correlatedAtLeast`), which most pairs of
 * unrelated predictors answer after a fraction of the window.
 */

/** Rows between the early-exit checks of `correlatedAtLeast` (a multiple of 4). */
const BLOCK = 32;
/**
 * Relative margin below the threshold before a pair is given up early: far above the rounding of
 * sums over a window (~1e-13 relative), so early exits never change an answer.
 */
const MARGIN = 1e-9;

/** A series minus its mean, and its sum of squared deviations (as `pearson` computes them). */
export interface Centred {
  d: Float64Array;
  ss: number;
  /** rest[k]: the squared deviations of rows k * BLOCK onwards (0 past the end). */
  rest: Float64Array;
}

/**
 * Scratch memory for the series of one refresh, handed out as views of one buffer and taken back
 * all at once (`reset`): a refresh centres dozens of series of hundreds of values, and allocating
 * a Float64Array for each (outside the JavaScript heap, zero-filled) cost more than centring it.
 */
export class SeriesPool {
  private buffer = new Float64Array(1024);
  private used = 0;

  /** Takes all views back; their memory is handed out again. */
  reset(): void {
    this.used = 0;
  }

  /** A view of n values (their content is whatever was there). */
  take(n: number): Float64Array {
    if (this.used + n > this.buffer.length) {
      // views handed out before keep the old buffer
      this.buffer = new Float64Array(Math.max(2 * this.buffer.length, n));
      this.used = 0;
    }
    const view = this.buffer.subarray(this.used, this.used + n);
    this.used += n;
    return view;
  }
}

/**
 * Centres a series in place (a becomes its deviations from the mean); `pool` gives the memory of
 * the tail sums (a new array without one).
 */
export function centre(a: Float64Array | undefined, pool?: SeriesPool): Centred | undefined {
  if (!a) return undefined;
  const n = a.length;
  let sa = 0;
  for (let r = 0; r < n; r++) sa += a[r]!;
  const ma = sa / n;
  const d = a;
  let ss = 0;
  for (let r = 0; r < n; r++) {
    const da = a[r]! - ma;
    d[r] = da;
    ss += da * da;
  }
  const blocks = Math.ceil(n / BLOCK);
  const rest = pool ? pool.take(blocks + 1) : new Float64Array(blocks + 1);
  rest[blocks] = 0;
  for (let k = blocks - 1; k >= 0; k--) {
    let s = rest[k + 1]!;
    for (let r = k * BLOCK, end = Math.min(n, r + BLOCK); r < end; r++) s += d[r]! * d[r]!;
    rest[k] = s;
  }
  return { d, ss, rest };
}

/**
 * Whether |pearson(a, b)| of two centred series of the same length reaches `threshold`. The
 * products are summed in four interleaved partial sums (so the loop is not one long chain of
 * additions; equal to `pearson` up to rounding), and the sum is given up as soon as the pair cannot
 * get there: after each block of rows, the products still to
 * come add at most sqrt(restA * restB) in magnitude (Cauchy-Schwarz), so once |sum so far| plus
 * that stays below the threshold (by a margin far above rounding) the answer is no. A pair of
 * unrelated predictors over 500 rows at a threshold of 0.8 is decided after ~100-130 rows.
 */
export function correlatedAtLeast(a: Centred, b: Centred, threshold: number): boolean {
  const n = a.d.length;
  if (n < 2 || n !== b.d.length) return false;
  if (a.ss <= 1e-12 || b.ss <= 1e-12) return false;
  const scale = Math.sqrt(a.ss * b.ss);
  const needed = threshold * scale * (1 - MARGIN);
  const da = a.d;
  const db = b.d;
  const restA = a.rest;
  const restB = b.rest;
  let c0 = 0;
  let c1 = 0;
  let c2 = 0;
  let c3 = 0;
  let r = 0;
  while (r + 3 < n) {
    for (const end = Math.min(n - 3, r + BLOCK); r < end; r += 4) {
      c0 += da[r]! * db[r]!;
      c1 += da[r + 1]! * db[r + 1]!;
      c2 += da[r + 2]! * db[r + 2]!;
      c3 += da[r + 3]! * db[r + 3]!;
    }
    if (r + 3 < n) {
      const k = r / BLOCK;
      if (Math.abs(c0 + c1 + c2 + c3) + Math.sqrt(restA[k]! * restB[k]!) < needed) return false;
    }
  }
  for (; r < n; r++) c0 += da[r]! * db[r]!;
  return Math.abs((c0 + c1 + c2 + c3) / scale) >= threshold;
}

export function pearson(a: Float64Array, b: Float64Array): number {
  const n = Math.min(a.length, b.length);
  if (n < 2) return NaN;
  let sa = 0;
  let sb = 0;
  for (let r = 0; r < n; r++) {
    sa += a[r]!;
    sb += b[r]!;
  }
  const ma = sa / n;
  const mb = sb / n;
  let cov = 0;
  let va = 0;
  let vb = 0;
  for (let r = 0; r < n; r++) {
    const da = a[r]! - ma;
    const db = b[r]! - mb;
    cov += da * db;
    va += da * da;
    vb += db * db;
  }
  if (va <= 1e-12 || vb <= 1e-12) return NaN;
  return cov / Math.sqrt(va * vb);
}
