/**
 * Decision ids: UUID version 7 (RFC 9562): 48 bits of Unix time in milliseconds, then 74 random
 * bits. Ids made later sort after earlier ones (to the millisecond), so the stores' primary-key
 * indexes grow at their right edge: a batch of decisions dirties one or two index pages instead of
 * one random page per decision (fewer WAL pages to write, fsync and checkpoint). Random bits come
 * from the operating system's CSPRNG, drawn in blocks.
 */
import { randomFillSync } from 'node:crypto';

const HEX: string[] = Array.from({ length: 256 }, (_, i) => i.toString(16).padStart(2, '0'));
/** Random bytes drawn ahead: 10 per id. */
const pool = new Uint8Array(10 * 256);
let poolAt = pool.length;

/** A UUIDv7 for the time `ms` (milliseconds since the epoch; default now). */
export function uuidv7(ms: number = Date.now()): string {
  if (!Number.isSafeInteger(ms) || ms < 0 || ms >= 2 ** 48) throw new RangeError(`uuidv7: time must be an integer in [0, 2^48) ms, got ${ms}`);
  if (poolAt + 10 > pool.length) {
    randomFillSync(pool);
    poolAt = 0;
  }
  const r = poolAt;
  poolAt += 10;
  const high = Math.floor(ms / 2 ** 16); // the first 32 bits of the 48-bit time
  const low = ms % 2 ** 16;
  return (
    HEX[(high >>> 24) & 255]! +
    HEX[(high >>> 16) & 255]! +
    HEX[(high >>> 8) & 255]! +
    HEX[high & 255]! +
    '-' +
    HEX[low >>> 8]! +
    HEX[low & 255]! +
    '-' +
    // version 7 in the high nibble, then 12 random bits
    HEX[0x70 | (pool[r]! & 0x0f)]! +
    HEX[pool[r + 1]!]! +
    '-' +
    // variant 0b10 in the two high bits, then 62 random bits
    HEX[0x80 | (pool[r + 2]! & 0x3f)]! +
    HEX[pool[r + 3]!]! +
    '-' +
    HEX[pool[r + 4]!]! +
    HEX[pool[r + 5]!]! +
    HEX[pool[r + 6]!]! +
    HEX[pool[r + 7]!]! +
    HEX[pool[r + 8]!]! +
    HEX[pool[r + 9]!]!
  );
}
