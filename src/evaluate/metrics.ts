/**
 * Evaluation metrics over (prediction, label) pairs: AUC with ties counted half (rank-based),
 * log loss, calibration by deciles of the prediction, and the share of positives captured in the
 * top fraction (lift).
 */

/** Indices 0..n-1 sorted by score ascending (stable). */
function order(scores: ArrayLike<number>, n: number): Uint32Array {
  const idx = new Uint32Array(n);
  for (let i = 0; i < n; i++) idx[i] = i;
  const s = Float64Array.from({ length: n }, (_, i) => scores[i] ?? 0);
  // typed-array sort with a comparator; ties keep index order
  return idx.sort((a, b) => s[a]! - s[b]! || a - b);
}

/** Area under the ROC curve (Mann-Whitney with average ranks for ties); 0.5 without both classes. */
export function auc(scores: ArrayLike<number>, labels: ArrayLike<number | boolean>, n: number = scores.length): number {
  const idx = order(scores, n);
  let nPos = 0;
  let rankSumPos = 0;
  let i = 0;
  while (i < n) {
    let j = i;
    const s = scores[idx[i]!]!;
    while (j + 1 < n && scores[idx[j + 1]!] === s) j++;
    const avgRank = (i + j) / 2 + 1;
    for (let k = i; k <= j; k++) {
      if (labels[idx[k]!]) {
        nPos++;
        rankSumPos += avgRank;
      }
    }
    i = j + 1;
  }
  const nNeg = n - nPos;
  if (nPos === 0 || nNeg === 0) return 0.5;
  return (rankSumPos - (nPos * (nPos + 1)) / 2) / (nPos * nNeg);
}

/** Mean negative log-likelihood, predictions clipped to [1e-15, 1 - 1e-15]. */
export function logLoss(predictions: ArrayLike<number>, labels: ArrayLike<number | boolean>, n: number = predictions.length): number {
  if (n === 0) return 0;
  let sum = 0;
  for (let i = 0; i < n; i++) {
    const p = Math.min(1 - 1e-15, Math.max(1e-15, predictions[i]!));
    sum -= labels[i] ? Math.log(p) : Math.log(1 - p);
  }
  return sum / n;
}

export interface CalibrationRow {
  /** Rows in the group. */
  n: number;
  minPredicted: number;
  maxPredicted: number;
  meanPredicted: number;
  observed: number;
}

/** Equal-count groups by prediction (lowest first): mean prediction against observed rate. */
export function calibration(
  predictions: ArrayLike<number>,
  labels: ArrayLike<number | boolean>,
  groups = 10,
  n: number = predictions.length,
): CalibrationRow[] {
  const idx = order(predictions, n);
  const out: CalibrationRow[] = [];
  for (let g = 0; g < groups; g++) {
    const from = Math.floor((g * n) / groups);
    const to = Math.floor(((g + 1) * n) / groups);
    if (to <= from) continue;
    let sumP = 0;
    let pos = 0;
    for (let k = from; k < to; k++) {
      const i = idx[k]!;
      sumP += predictions[i]!;
      if (labels[i]) pos++;
    }
    out.push({
      n: to - from,
      minPredicted: predictions[idx[from]!]!,
      maxPredicted: predictions[idx[to - 1]!]!,
      meanPredicted: sumP / (to - from),
      observed: pos / (to - from),
    });
  }
  return out;
}

/**
 * Share of all positives found in the top `fraction` of rows by prediction. Rows tied with the
 * cut-off prediction count in proportion, so the order of ties does not matter.
 */
export function capturedAt(
  predictions: ArrayLike<number>,
  labels: ArrayLike<number | boolean>,
  fraction = 0.1,
  n: number = predictions.length,
): number {
  let totalPos = 0;
  for (let i = 0; i < n; i++) if (labels[i]) totalPos++;
  if (totalPos === 0 || n === 0) return 0;
  const idx = order(predictions, n);
  const take = fraction * n;
  let taken = 0;
  let captured = 0;
  let k = n - 1;
  while (k >= 0 && taken < take) {
    // the block of rows tied at this prediction
    const s = predictions[idx[k]!]!;
    let j = k;
    let blockPos = 0;
    while (j >= 0 && predictions[idx[j]!] === s) {
      if (labels[idx[j]!]) blockPos++;
      j--;
    }
    const size = k - j;
    const share = Math.min(1, (take - taken) / size);
    captured += blockPos * share;
    taken += size * share;
    k = j;
  }
  return captured / totalPos;
}
