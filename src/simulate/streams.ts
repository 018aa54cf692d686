/**
 * Counter-based random streams for the simulator. A draw is a pure function of
 * (seed, stream, customer, day, slot), so every strategy sees exactly the same visits, life events,
 * churn draws and response draws for the same customer on the same day ("common random numbers"),
 * however differently the strategies behaved before. Strategy choices (Thompson draws, the random
 * strategy's pick) use a separate `SeededRandom` per strategy (see run.ts).
 */
import { hashString } from '../core/random.js';

/** Independent streams: one per purpose, so adding draws to one never shifts another. */
export const STREAM = {
  visit: 1,
  context: 2,
  churn: 3,
  response: 4,
  event: 5,
} as const;

function mix(h: number): number {
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The seed of a simulation as a 32-bit integer (strings and numbers alike). */
export function seedBits(seed: number | string): number {
  return typeof seed === 'number' ? mix(seed >>> 0 ^ 0x9e3779b9) : hashString(seed);
}

/** Uniform in [0, 1) determined by its coordinates (murmur3-style finaliser over the combined words). */
export function uniform(seed: number, stream: number, customer: number, day: number, slot = 0): number {
  let h = mix(seed ^ Math.imul(stream, 0x27d4eb2d));
  h = mix(h ^ Math.imul(customer + 1, 0x165667b1));
  h = mix(h ^ Math.imul(day + 1, 0x9e3779b1));
  h = mix(h ^ Math.imul(slot + 1, 0x85ebca77));
  return h / 4294967296;
}
