/**
 * Control group membership: a stable share of customers, a pure function of the customer id and
 * the period (so it survives restarts and is the same on every node), re-drawn each period.
 */
import type { ControlGroupDef, ControlPeriod } from '../catalog/types.js';
import { hashString } from '../random.js';

/** The period an instant falls in: `2026-06` (month), `2026-Q2` (quarter), `2026` (year), `` (forever). UTC. */
export function controlPeriodKey(at: Date, period: ControlPeriod): string {
  const year = at.getUTCFullYear();
  const month = at.getUTCMonth();
  switch (period) {
    case 'month':
      return `${year}-${String(month + 1).padStart(2, '0')}`;
    case 'quarter':
      return `${year}-Q${Math.floor(month / 3) + 1}`;
    case 'year':
      return String(year);
    case 'forever':
      return '';
  }
}

/** A uniform number in [0, 1) from a string: FNV-1a, then the murmur3 finaliser to spread the bits. */
export function hashUnit(text: string): number {
  let h = hashString(text);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b) >>> 0;
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35) >>> 0;
  h ^= h >>> 16;
  return (h >>> 0) / 4294967296;
}

/** Is the customer in the control arm at `at`? */
export function inControlGroup(customerId: string, at: Date, config: ControlGroupDef): boolean {
  if (config.share <= 0) return false;
  return hashUnit(`${customerId}|${controlPeriodKey(at, config.period)}`) < config.share;
}
