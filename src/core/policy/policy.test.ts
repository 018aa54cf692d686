/**
 * The pure helpers behind contact policies: calendar arithmetic, ISO weeks, local clocks across
 * daylight saving, control-group membership (share over 100,000 ids, stability, re-draw per
 * period) and preference validation.
 */
import { describe, expect, it } from 'vitest';
import { buildCatalogOrThrow } from '../catalog/compile.js';
import { policyCatalog } from '../testing/policy-fixtures.js';
import { controlPeriodKey, hashUnit, inControlGroup } from './control.js';
import { validatePreferences } from './preferences.js';
import { SeededRandom } from '../random.js';
import { addDays, dayOf, daysBetween, inTimeWindow, isoInstant, isoWeek, localClock } from './time.js';

describe('calendar helpers', () => {
  it('adds days across months and years, and counts days between', () => {
    expect(addDays('2026-02-27', 2)).toBe('2026-03-01');
    expect(addDays('2026-01-01', -1)).toBe('2025-12-31');
    expect(daysBetween('2026-06-01', '2026-06-15')).toBe(14);
    expect(daysBetween('2026-06-15', '2026-06-01')).toBe(-14);
  });

  it('formats instants exactly as toISOString does, and days as its first ten characters', () => {
    const random = new SeededRandom(42);
    const edges = [0, 1, 999, 1000, 86_399_999, 86_400_000, 951_782_400_000, 253_402_300_799_999, 253_402_300_800_000, -1, -86_400_001, 8.64e15, -8.64e15];
    const instants = [...edges];
    // runs of instants within a day and across day boundaries, in and out of order
    for (let i = 0; i < 20_000; i++) {
      const base = i % 2 === 0 ? 1.7e12 + Math.floor(random.next() * 4e8) : Math.floor((random.next() - 0.1) * 2.6e14);
      instants.push(base, base + Math.floor(random.next() * 1000));
    }
    for (const ms of instants) {
      const at = new Date(ms);
      expect(isoInstant(at)).toBe(at.toISOString());
      expect(dayOf(at)).toBe(at.toISOString().slice(0, 10));
    }
    expect(() => isoInstant(new Date(Number.NaN))).toThrow(RangeError);
    expect(() => dayOf(new Date(Number.NaN))).toThrow(RangeError);
  });

  it('names ISO weeks (Monday start; the Thursday decides the year)', () => {
    expect(isoWeek(new Date('2026-06-15T10:00:00Z'))).toBe('2026-W25');
    expect(isoWeek(new Date('2026-06-21T23:59:59Z'))).toBe('2026-W25');
    expect(isoWeek(new Date('2026-06-22T00:00:00Z'))).toBe('2026-W26');
    expect(isoWeek(new Date('2021-01-03T12:00:00Z'))).toBe('2020-W53');
    expect(isoWeek(new Date('2024-12-30T12:00:00Z'))).toBe('2025-W01');
  });

  it('reads the local clock in a time zone, summer and winter time included', () => {
    expect(localClock(new Date('2026-06-15T21:30:00Z'), 'Europe/Lisbon')).toEqual({ minutes: 22 * 60 + 30, weekday: 'mon', time: '22:30', zone: 'Europe/Lisbon' });
    expect(localClock(new Date('2026-01-15T21:30:00Z'), 'Europe/Lisbon').time).toBe('21:30');
    expect(localClock(new Date('2026-06-15T23:30:00Z'), 'Europe/Berlin')).toMatchObject({ time: '01:30', weekday: 'tue' });
    expect(localClock(new Date('2026-06-15T00:00:00Z'), 'UTC').time).toBe('00:00');
  });

  it('tests time windows, wrapping midnight when `to` is before `from`', () => {
    expect(inTimeWindow(9 * 60, '08:00', '18:00')).toBe(true);
    expect(inTimeWindow(18 * 60, '08:00', '18:00')).toBe(false);
    expect(inTimeWindow(23 * 60, '21:00', '08:00')).toBe(true);
    expect(inTimeWindow(7 * 60 + 59, '21:00', '08:00')).toBe(true);
    expect(inTimeWindow(8 * 60, '21:00', '08:00')).toBe(false);
  });
});

describe('control group', () => {
  const config = { share: 0.02, period: 'quarter' as const };
  const at = new Date('2026-06-15T10:00:00Z');

  it('holds 2% of 100,000 customer ids, within half a percentage point', () => {
    let members = 0;
    for (let i = 1; i <= 100_000; i++) if (inControlGroup(`C${String(i).padStart(6, '0')}`, at, config)) members++;
    expect(Math.abs(members / 100_000 - 0.02)).toBeLessThan(0.005);
    let uuidish = 0;
    for (let i = 0; i < 100_000; i++) if (inControlGroup(`cust-${(i * 2654435761) % 4294967296}`, at, config)) uuidish++;
    expect(Math.abs(uuidish / 100_000 - 0.02)).toBeLessThan(0.005);
  });

  it('is a pure function of the id and the period: the same across calls, restarts and times in the period', () => {
    const ids = Array.from({ length: 5000 }, (_, i) => `C${i}`);
    const members = ids.filter((id) => inControlGroup(id, at, config));
    expect(members.length).toBeGreaterThan(0);
    expect(ids.filter((id) => inControlGroup(id, new Date('2026-04-01T00:00:00Z'), config))).toEqual(members);
    expect(ids.filter((id) => inControlGroup(id, new Date('2026-06-30T23:59:59Z'), config))).toEqual(members);
    // Exact members pin the hash, so a change of algorithm cannot silently reshuffle the arms.
    expect(members.slice(0, 5)).toEqual(['C2', 'C8', 'C33', 'C40', 'C45']);
    expect(hashUnit('C2|2026-Q2')).toBeLessThan(0.02);
  });

  it('is re-drawn each period, and a share of 0 is nobody', () => {
    const ids = Array.from({ length: 5000 }, (_, i) => `C${i}`);
    const q2 = ids.filter((id) => inControlGroup(id, at, config));
    const q3 = ids.filter((id) => inControlGroup(id, new Date('2026-07-01T00:00:00Z'), config));
    expect(q3).not.toEqual(q2);
    expect(ids.filter((id) => inControlGroup(id, at, { share: 0, period: 'quarter' }))).toEqual([]);
    expect(controlPeriodKey(at, 'month')).toBe('2026-06');
    expect(controlPeriodKey(at, 'quarter')).toBe('2026-Q2');
    expect(controlPeriodKey(at, 'year')).toBe('2026');
    expect(controlPeriodKey(at, 'forever')).toBe('');
  });
});

describe('preference validation', () => {
  const catalog = buildCatalogOrThrow(policyCatalog(), 1);

  it('fills defaults for absent fields and keeps what was given', () => {
    expect(validatePreferences({}, catalog)).toEqual({
      ok: true,
      preferences: { optedOutChannels: [], marketingConsent: null, preferredChannels: [], contactTimes: [], preferredAdvisor: null },
    });
    const given = {
      optedOutChannels: ['push'],
      marketingConsent: false,
      preferredChannels: ['email'],
      contactTimes: [{ days: ['sat'], from: '10:00', to: '12:00' }],
      preferredAdvisor: 'ana',
    };
    expect(validatePreferences(given, catalog)).toEqual({ ok: true, preferences: given });
  });

  it('lists every problem with its path and the fix', () => {
    const result = validatePreferences(
      {
        optedOutChannels: ['fax', 'email'],
        preferredChannels: ['email'],
        marketingConsent: 'yes',
        contactTimes: [{ from: '25:00', to: '10:00', days: ['someday'] }],
        preferredAdvisor: 'zoe',
        colour: 'red',
      },
      catalog,
    );
    expect(result.ok).toBe(false);
    expect(!result.ok && result.errors).toEqual([
      { path: 'body.colour', message: 'unknown field; remove it or use one of: optedOutChannels, marketingConsent, preferredChannels, contactTimes, preferredAdvisor' },
      { path: 'body.optedOutChannels[0]', message: "must be one of the catalog's channels (web, email, push)" },
      { path: 'body.preferredChannels', message: "'email' is also opted out; a channel cannot be both" },
      { path: 'body.marketingConsent', message: 'must be true, false or null (unknown)' },
      { path: 'body.contactTimes[0].from', message: 'must be a local time HH:MM, e.g. "18:00"' },
      { path: 'body.contactTimes[0].days', message: 'must be a list of mon, tue, wed, thu, fri, sat, sun' },
      { path: 'body.preferredAdvisor', message: 'must be an advisor id of the catalog (ana, ben, carla) or null' },
    ]);
  });
});
