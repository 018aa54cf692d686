/**
 * Pool-adjacent-violators: turns bins in score order into the fewest pooled blocks whose positive
 * rate never decreases with the score (isotonic regression, weights = counts). The classifier of
 * the adaptive model maps its score to a propensity through these blocks.
 */

export interface PavBlock {
  /** First input bin of the block (inclusive). */
  from: number;
  /** Last input bin of the block (inclusive). */
  to: number;
  pos: number;
  neg: number;
}

/**
 * Pools bins `0..n-1` (score order, lowest first) so that pos/(pos+neg) strictly increases from
 * block to block (adjacent blocks of equal rate are pooled as well). Empty bins are absorbed into a neighbour; returns at least one block when n > 0.
 */
export function poolAdjacentViolators(pos: ArrayLike<number>, neg: ArrayLike<number>, n: number = pos.length): PavBlock[] {
  const stack: PavBlock[] = [];
  for (let i = 0; i < n; i++) {
    const p = pos[i] ?? 0;
    const q = neg[i] ?? 0;
    const top = stack[stack.length - 1];
    if (p + q <= 0) {
      // An empty bin has no rate: it joins the block before it (or starts one if first).
      if (top) top.to = i;
      else stack.push({ from: i, to: i, pos: 0, neg: 0 });
      continue;
    }
    if (top && top.pos + top.neg <= 0) {
      // Leading empty block: absorb it into this first non-empty one.
      top.to = i;
      top.pos = p;
      top.neg = q;
    } else {
      stack.push({ from: i, to: i, pos: p, neg: q });
    }
    // Merge while the previous block has a higher rate than the last one.
    while (stack.length >= 2) {
      const last = stack[stack.length - 1]!;
      const prev = stack[stack.length - 2]!;
      // prev.rate >= last.rate  <=>  prev.pos * lastN >= last.pos * prevN. Equal rates pool too
      // (fewest blocks): a block's propensity (0.5 + pos) / (1 + n) is then set on more evidence.
      if (prev.pos * (last.pos + last.neg) >= last.pos * (prev.pos + prev.neg)) {
        prev.to = last.to;
        prev.pos += last.pos;
        prev.neg += last.neg;
        stack.pop();
      } else break;
    }
  }
  return stack;
}
