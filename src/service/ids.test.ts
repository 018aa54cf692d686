/** UUIDv7 decision ids: layout (RFC 9562), time order, uniqueness, bad times refused. */
import { describe, expect, it } from 'vitest';
import { uuidv7 } from './ids.js';

const LAYOUT = /^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

describe('uuidv7', () => {
  it('carries the time in its first 48 bits, version 7 and the RFC variant', () => {
    const ms = Date.UTC(2026, 11, 2, 9, 30, 15, 123);
    const id = uuidv7(ms);
    expect(id).toMatch(LAYOUT);
    expect(Number.parseInt(id.slice(0, 8) + id.slice(9, 13), 16)).toBe(ms);
    expect(uuidv7(0).startsWith('00000000-0000-7')).toBe(true);
    expect(uuidv7(2 ** 48 - 1).startsWith('ffffffff-ffff-7')).toBe(true);
  });

  it('sorts ids of later milliseconds after earlier ones', () => {
    const start = Date.UTC(2026, 0, 1);
    const ids = Array.from({ length: 500 }, (_, i) => uuidv7(start + i * 37));
    expect([...ids].sort()).toEqual(ids);
  });

  it('is unique within a millisecond, over more ids than one block of random bytes', () => {
    const ms = Date.UTC(2026, 5, 1);
    const ids = Array.from({ length: 5000 }, () => uuidv7(ms));
    expect(new Set(ids).size).toBe(ids.length);
    for (const id of ids.slice(0, 300)) expect(id).toMatch(LAYOUT);
  });

  it('refuses a time outside [0, 2^48) ms, naming the range', () => {
    expect(() => uuidv7(-1)).toThrow('uuidv7: time must be an integer in [0, 2^48) ms, got -1');
    expect(() => uuidv7(2 ** 48)).toThrow(RangeError);
    expect(() => uuidv7(1.5)).toThrow(RangeError);
  });
});
