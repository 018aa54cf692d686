/**
 * A binary min-heap of (key, id, stamp) entries over typed arrays, ordered by key and then by id,
 * for the greedy merges of adjacent bins (sketch compaction, bin grouping): an entry stands for
 * "merge the pair whose left member is `id`", and is stale when the caller's stamp for `id` has
 * changed since it was pushed (lazy deletion), so a merge costs O(log n) instead of a rescan.
 */
export class StampedHeap {
  private keys: Float64Array;
  private ids: Int32Array;
  private stamps: Int32Array;
  size = 0;

  constructor(capacity = 64) {
    this.keys = new Float64Array(capacity);
    this.ids = new Int32Array(capacity);
    this.stamps = new Int32Array(capacity);
  }

  clear(): void {
    this.size = 0;
  }

  push(key: number, id: number, stamp: number): void {
    if (this.size === this.keys.length) this.grow();
    const keys = this.keys;
    const ids = this.ids;
    const stamps = this.stamps;
    let k = this.size++;
    while (k > 0) {
      const parent = (k - 1) >> 1;
      const pk = keys[parent]!;
      if (pk < key || (pk === key && ids[parent]! < id)) break;
      keys[k] = pk;
      ids[k] = ids[parent]!;
      stamps[k] = stamps[parent]!;
      k = parent;
    }
    keys[k] = key;
    ids[k] = id;
    stamps[k] = stamp;
  }

  /** The smallest entry's key, id and stamp (size > 0). */
  get topKey(): number {
    return this.keys[0]!;
  }

  get topId(): number {
    return this.ids[0]!;
  }

  get topStamp(): number {
    return this.stamps[0]!;
  }

  /** Removes the smallest entry (size > 0). */
  pop(): void {
    const n = --this.size;
    if (n === 0) return;
    const keys = this.keys;
    const ids = this.ids;
    const stamps = this.stamps;
    const key = keys[n]!;
    const id = ids[n]!;
    const stamp = stamps[n]!;
    let k = 0;
    for (;;) {
      const l = 2 * k + 1;
      if (l >= n) break;
      let c = l;
      const r = l + 1;
      if (r < n && (keys[r]! < keys[l]! || (keys[r] === keys[l] && ids[r]! < ids[l]!))) c = r;
      const ck = keys[c]!;
      if (key < ck || (key === ck && id < ids[c]!)) break;
      keys[k] = ck;
      ids[k] = ids[c]!;
      stamps[k] = stamps[c]!;
      k = c;
    }
    keys[k] = key;
    ids[k] = id;
    stamps[k] = stamp;
  }

  private grow(): void {
    const size = this.keys.length * 2;
    const keys = new Float64Array(size);
    const ids = new Int32Array(size);
    const stamps = new Int32Array(size);
    keys.set(this.keys);
    ids.set(this.ids);
    stamps.set(this.stamps);
    this.keys = keys;
    this.ids = ids;
    this.stamps = stamps;
  }
}
