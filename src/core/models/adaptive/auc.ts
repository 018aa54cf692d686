/**
 * AUC from binned counts: the ROC curve over bins sorted by their positive rate (best first),
 * with ties inside a bin (and between bins of equal rate) counted as half, folded to >= 0.5.
 * Used for predictor AUCs (from their bins) and the model AUC (from the classifier bins).
 */

/**
 * AUC of a binned predictor. `pos[i]`/`neg[i]` are the counts of bin i (only the first `n` read).
 * Returns 0.5 when there are no positives or no negatives. Folded: max(auc, 1 - auc).
 */
export function aucFromBins(pos: ArrayLike<number>, neg: ArrayLike<number>, n: number = pos.length): number {
  const order: number[] = [];
  let totalPos = 0;
  let totalNeg = 0;
  for (let i = 0; i < n; i++) {
    const p = pos[i] ?? 0;
    const q = neg[i] ?? 0;
    if (p + q <= 0) continue;
    order.push(i);
    totalPos += p;
    totalNeg += q;
  }
  if (totalPos <= 0 || totalNeg <= 0) return 0.5;
  const rate = (i: number): number => (pos[i] ?? 0) / ((pos[i] ?? 0) + (neg[i] ?? 0));
  order.sort((a, b) => rate(b) - rate(a) || a - b);
  let area = 0;
  let posAbove = 0;
  let k = 0;
  while (k < order.length) {
    // A run of bins with exactly the same rate is one tied block.
    const r = rate(order[k]!);
    let bp = 0;
    let bn = 0;
    while (k < order.length && rate(order[k]!) === r) {
      bp += pos[order[k]!] ?? 0;
      bn += neg[order[k]!] ?? 0;
      k++;
    }
    area += bn * (posAbove + 0.5 * bp);
    posAbove += bp;
  }
  const auc = area / (totalPos * totalNeg);
  return auc < 0.5 ? 1 - auc : auc;
}

/**
 * AUC of ordered bins whose score order is given (e.g. classifier bins, lowest score first):
 * bins ranked by score, not by rate, and not folded. Used when the order itself is the model.
 */
export function aucOrdered(pos: ArrayLike<number>, neg: ArrayLike<number>, from = 0, to: number = pos.length): number {
  let totalPos = 0;
  let totalNeg = 0;
  for (let i = from; i < to; i++) {
    totalPos += pos[i] ?? 0;
    totalNeg += neg[i] ?? 0;
  }
  if (totalPos <= 0 || totalNeg <= 0) return 0.5;
  let area = 0;
  let posAbove = 0;
  for (let i = to - 1; i >= from; i--) {
    const bp = pos[i] ?? 0;
    const bn = neg[i] ?? 0;
    area += bn * (posAbove + 0.5 * bp);
    posAbove += bp;
  }
  return area / (totalPos * totalNeg);
}
