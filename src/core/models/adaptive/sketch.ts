/**
 * The fine sketch behind a numeric binning (and behind each classifier's score bins): at most
 * `cap` value intervals [lower, upper] with their positive and negative counts, interleaved in one
 * Float64Array ([lower, upper, positives, negatives] per interval, in value order).
 *
 * Values are not inserted one by one. They wait in a small buffer (value, positive and negative weight) and
 * join the sketch in batches (`mergePoints`): a value inside an interval adds to it, a value in a
 * gap between intervals opens a point interval; then, while the sketch holds more than `cap`
 * intervals, the adjacent pair with the smallest combined weight merges (the leftmost on ties), so
 * the sketch follows the quantiles of the stream. One-by-one insertion would merge after every new
 * interval; merging after a batch picks the same kind of pairs (lightest first) with the batch's
 * weights in view, which is the same approximation at a fraction of the cost: a value costs a
 * buffer write instead of a binary search, a memory move and a scan of the sketch.
 * `compactLightest` uses a heap over adjacent pairs, so a batch of k merges costs O(k log n).
 */
import { StampedHeap } from './heap.js';

/** Buffered values per sketch before they are merged in: half the capacity, between 8 and 64. */
export function pendingCapacity(cap: number): number {
  return Math.max(8, Math.min(64, Math.floor(cap / 2)));
}

/** Scratch space shared by every sketch (single-threaded, used only inside one call). */
let scratch = new Float64Array(4 * 256);
let next = new Int32Array(256);
let prev = new Int32Array(256);
let stamp = new Int32Array(256);
const heap = new StampedHeap(512);

function ensureScratch(intervals: number): void {
  if (scratch.length < 4 * intervals) scratch = new Float64Array(4 * intervals * 2);
  if (next.length < intervals) {
    next = new Int32Array(intervals * 2);
    prev = new Int32Array(intervals * 2);
    stamp = new Int32Array(intervals * 2);
  }
}

/** Sorts the first `n` buffered [value, positives, negatives] triples by value (stable insertion sort). */
export function sortPoints(points: Float64Array, n: number): void {
  for (let i = 1; i < n; i++) {
    const v = points[3 * i]!;
    if (points[3 * i - 3]! <= v) continue;
    const p = points[3 * i + 1]!;
    const q = points[3 * i + 2]!;
    let j = i - 1;
    while (j >= 0 && points[3 * j]! > v) {
      points[3 * j + 3] = points[3 * j]!;
      points[3 * j + 4] = points[3 * j + 1]!;
      points[3 * j + 5] = points[3 * j + 2]!;
      j--;
    }
    points[3 * j + 3] = v;
    points[3 * j + 4] = p;
    points[3 * j + 5] = q;
  }
}

/**
 * Merges `n` buffered points ([value, positives, negatives] triples sorted by value) into the `fn`
 * intervals of `f`, then compacts to `cap`. `f` must hold 4 * cap numbers at least. Returns the
 * new number of intervals. Points inside an interval are added in place; only when some fall in
 * gaps is the sketch rewritten.
 */
export function mergePoints(f: Float64Array, fn: number, cap: number, points: Float64Array, n: number): number {
  // 1. values inside an interval add to it; those in gaps move to the front of the buffer
  let gaps = 0;
  let i = 0;
  for (let j = 0; j < n; j++) {
    const v = points[3 * j]!;
    while (i < fn && f[4 * i + 1]! < v) i++;
    if (i < fn && f[4 * i]! <= v) {
      f[4 * i + 2] = f[4 * i + 2]! + points[3 * j + 1]!;
      f[4 * i + 3] = f[4 * i + 3]! + points[3 * j + 2]!;
    } else {
      if (gaps !== j) {
        points[3 * gaps] = v;
        points[3 * gaps + 1] = points[3 * j + 1]!;
        points[3 * gaps + 2] = points[3 * j + 2]!;
      }
      gaps++;
    }
  }
  if (gaps === 0) return fn;
  // 2. the gap values become point intervals (equal values together), in order
  ensureScratch(fn + gaps);
  const out = scratch;
  let m = 0;
  i = 0;
  let j = 0;
  while (i < fn || j < gaps) {
    if (j < gaps && (i >= fn || points[3 * j]! < f[4 * i]!)) {
      const v = points[3 * j]!;
      let p = 0;
      let q = 0;
      while (j < gaps && points[3 * j] === v) {
        p += points[3 * j + 1]!;
        q += points[3 * j + 2]!;
        j++;
      }
      out[4 * m] = v;
      out[4 * m + 1] = v;
      out[4 * m + 2] = p;
      out[4 * m + 3] = q;
    } else {
      const at = 4 * i;
      out[4 * m] = f[at]!;
      out[4 * m + 1] = f[at + 1]!;
      out[4 * m + 2] = f[at + 2]!;
      out[4 * m + 3] = f[at + 3]!;
      i++;
    }
    m++;
  }
  if (m > cap) m = compactLightest(out, m, cap);
  for (let k = 0; k < 4 * m; k++) f[k] = out[k]!;
  return m;
}

/**
 * While more than `cap` intervals remain, merges the adjacent pair with the smallest combined
 * weight (the leftmost of equal pairs), exactly as repeated scans would; in place, returns the
 * new count.
 */
export function compactLightest(f: Float64Array, n: number, cap: number): number {
  if (n <= cap) return n;
  ensureScratch(n);
  heap.clear();
  for (let a = 0; a < n; a++) {
    next[a] = a + 1 < n ? a + 1 : -1;
    prev[a] = a - 1;
    stamp[a] = 0;
  }
  // pairs (a, next[a]) keyed by combined weight, valid while stamp[a] is unchanged
  for (let a = 0; a + 1 < n; a++) heap.push(f[4 * a + 2]! + f[4 * a + 3]! + f[4 * a + 6]! + f[4 * a + 7]!, a, 0);
  let alive = n;
  while (alive > cap && heap.size > 0) {
    const a = heap.topId;
    const s = heap.topStamp;
    heap.pop();
    if (stamp[a] !== s || next[a]! < 0) continue; // stale: a changed (or was merged away) since
    const b = next[a]!;
    const at = 4 * a;
    const bt = 4 * b;
    f[at] = Math.min(f[at]!, f[bt]!);
    f[at + 1] = Math.max(f[at + 1]!, f[bt + 1]!);
    f[at + 2] = f[at + 2]! + f[bt + 2]!;
    f[at + 3] = f[at + 3]! + f[bt + 3]!;
    const c = next[b]!;
    next[a] = c;
    if (c >= 0) prev[c] = a;
    stamp[b] = -1; // merged away: its pair is stale
    stamp[a] = stamp[a]! + 1;
    alive--;
    const wa = f[at + 2]! + f[at + 3]!;
    if (c >= 0) heap.push(wa + f[4 * c + 2]! + f[4 * c + 3]!, a, stamp[a]!);
    const p = prev[a]!;
    if (p >= 0) {
      stamp[p] = stamp[p]! + 1;
      heap.push(f[4 * p + 2]! + f[4 * p + 3]! + wa, p, stamp[p]!);
    }
  }
  // write the surviving intervals side by side, in order (interval 0 is never merged away)
  let m = 0;
  for (let a = 0; a >= 0; a = next[a]!) {
    if (m !== a) {
      f[4 * m] = f[4 * a]!;
      f[4 * m + 1] = f[4 * a + 1]!;
      f[4 * m + 2] = f[4 * a + 2]!;
      f[4 * m + 3] = f[4 * a + 3]!;
    }
    m++;
  }
  return m;
}
