/**
 * Calendar helpers for contact policies, pure and deterministic: UTC days (YYYY-MM-DD) and their
 * arithmetic, ISO weeks, and the local wall-clock time and weekday of an instant in an IANA time zone.
 */
import { WEEKDAYS, type Weekday } from '../types.js';

const DAY_MS = 86_400_000;

/** The UTC day of an instant, YYYY-MM-DD. */
export function dayOf(at: Date): string {
  return dayText(at.getTime());
}

/**
 * `at.toISOString()` (YYYY-MM-DDTHH:MM:SS.sssZ), character for character, for instants of years
 * 1970-9999. `toISOString` builds the whole text through the date's calendar fields on every
 * call; every decision stamps several instants of the same day, so the day's text is kept and
 * only the time of day is formatted. Other instants (and invalid dates, which throw) go to
 * `toISOString`.
 */
export function isoInstant(at: Date): string {
  const ms = at.getTime();
  if (!(ms >= 0 && ms < MAX_FAST_MS)) return at.toISOString();
  const inDay = ms % DAY_MS;
  const day = dayText(ms - inDay);
  const h = Math.floor(inDay / 3_600_000);
  const m = Math.floor(inDay / 60_000) % 60;
  const s = Math.floor(inDay / 1000) % 60;
  const milli = inDay % 1000;
  return `${day}T${TWO_DIGITS[h]}:${TWO_DIGITS[m]}:${TWO_DIGITS[s]}.${milli < 10 ? '00' : milli < 100 ? '0' : ''}${milli}Z`;
}

/** 10000-01-01T00:00:00Z: from there on years take more than four digits. */
const MAX_FAST_MS = 253_402_300_800_000;
const TWO_DIGITS = Array.from({ length: 60 }, (_, i) => String(i).padStart(2, '0'));
/**
 * The days formatted last, by their first millisecond, two of them: a decision stamps today and
 * the end of its response window, often tomorrow.
 */
const dayStarts = [NaN, NaN];
const dayTexts = ['', ''];
let dayVictim = 0;

/** YYYY-MM-DD of the UTC day holding instant `ms`. */
function dayText(ms: number): string {
  const start = ms - (((ms % DAY_MS) + DAY_MS) % DAY_MS);
  if (start === dayStarts[0]) return dayTexts[0]!;
  if (start === dayStarts[1]) return dayTexts[1]!;
  const text = new Date(start).toISOString().slice(0, 10);
  dayStarts[dayVictim] = start;
  dayTexts[dayVictim] = text;
  dayVictim = 1 - dayVictim;
  return text;
}

/** `day` plus `days` (negative to go back). */
export function addDays(day: string, days: number): string {
  return new Date(Date.parse(`${day}T00:00:00Z`) + days * DAY_MS).toISOString().slice(0, 10);
}

const dayNumbers = new Map<string, number>();

/** Days since 1970-01-01 of a YYYY-MM-DD day (memoised: contact policies ask for the same few days on every decision). */
export function dayNumber(day: string): number {
  let n = dayNumbers.get(day);
  if (n === undefined) {
    n = Math.round(Date.parse(`${day}T00:00:00Z`) / DAY_MS);
    if (dayNumbers.size < 100_000) dayNumbers.set(day, n);
  }
  return n;
}

/** Whole days from `from` to `to` (positive when `to` is later). */
export function daysBetween(from: string, to: string): number {
  return dayNumber(to) - dayNumber(from);
}

/** ISO 8601 week of the UTC day of `at`, e.g. `2026-W25` (weeks start on Monday). */
export function isoWeek(at: Date): string {
  const d = new Date(Date.UTC(at.getUTCFullYear(), at.getUTCMonth(), at.getUTCDate()));
  const weekday = d.getUTCDay() || 7; // Monday 1 .. Sunday 7
  d.setUTCDate(d.getUTCDate() + 4 - weekday); // the Thursday of this week decides the year
  const yearStart = Date.UTC(d.getUTCFullYear(), 0, 1);
  const week = Math.ceil(((d.getTime() - yearStart) / DAY_MS + 1) / 7);
  return `${d.getUTCFullYear()}-W${String(week).padStart(2, '0')}`;
}

export interface LocalClock {
  /** Minutes since local midnight, 0..1439. */
  minutes: number;
  weekday: Weekday;
  /** HH:MM, for explanations. */
  time: string;
  zone: string;
}

const formatters = new Map<string, Intl.DateTimeFormat>();
const WEEKDAY_BY_NAME: Record<string, Weekday> = { Mon: 'mon', Tue: 'tue', Wed: 'wed', Thu: 'thu', Fri: 'fri', Sat: 'sat', Sun: 'sun' };

/** Wall-clock time and weekday of `at` in `zone` (an IANA zone the caller has checked). */
export function localClock(at: Date, zone: string): LocalClock {
  let format = formatters.get(zone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', { timeZone: zone, hourCycle: 'h23', hour: '2-digit', minute: '2-digit', weekday: 'short' });
    formatters.set(zone, format);
  }
  let hour = 0;
  let minute = 0;
  let weekday: Weekday = 'mon';
  for (const part of format.formatToParts(at)) {
    if (part.type === 'hour') hour = Number(part.value) % 24;
    else if (part.type === 'minute') minute = Number(part.value);
    else if (part.type === 'weekday') weekday = WEEKDAY_BY_NAME[part.value] ?? 'mon';
  }
  const time = `${String(hour).padStart(2, '0')}:${String(minute).padStart(2, '0')}`;
  return { minutes: hour * 60 + minute, weekday, time, zone };
}

/** `HH:MM` to minutes since midnight. */
export function minutesOf(hhmm: string): number {
  const [h, m] = hhmm.split(':');
  return Number(h) * 60 + Number(m);
}

/** Is `minutes` inside [from, to)? Windows whose `to` is before `from` wrap midnight. */
export function inTimeWindow(minutes: number, from: string, to: string): boolean {
  const a = minutesOf(from);
  const b = minutesOf(to);
  return a < b ? minutes >= a && minutes < b : minutes >= a || minutes < b;
}

/** The weekday before `day` (for windows that wrap midnight and started yesterday). */
export function previousWeekday(day: Weekday): Weekday {
  return WEEKDAYS[(WEEKDAYS.indexOf(day) + 6) % 7] as Weekday;
}
