/**
 * Customer preferences and consent as hard constraints (pure): opted-out channels, marketing
 * consent, preferred channels and contact times for outbound contact. Also the defaults that apply
 * when the customer has given none, and their validation at the API boundary.
 */
import type { CompiledAction, CompiledCatalog, CompiledChannel } from '../catalog/compile.js';
import { WEEKDAYS, type ContactWindow, type CustomerPreferences, type Weekday } from '../types.js';
import { inTimeWindow, minutesOf, previousWeekday, type LocalClock } from './time.js';

/**
 * No preferences given: nothing opted out, consent unknown (no marketing on outbound channels;
 * in-context marketing on inbound channels the customer chose to use is allowed), no channel or
 * time restriction, no preferred advisor.
 */
export const DEFAULT_PREFERENCES: CustomerPreferences = Object.freeze({
  optedOutChannels: [],
  marketingConsent: null,
  preferredChannels: [],
  contactTimes: [],
  preferredAdvisor: null,
}) as CustomerPreferences;

export interface PreferenceFinding {
  /** Which preference: optedOutChannels, marketingConsent, preferredChannels, contactTimes. */
  preference: keyof CustomerPreferences;
  reason: string;
}

/** The preference that rules `action` out in `channel` now, or undefined. Applies to mandatory actions too. */
export function checkPreferences(
  action: CompiledAction,
  channel: CompiledChannel,
  preferences: CustomerPreferences,
  explicit: boolean,
  clock: LocalClock | undefined,
): PreferenceFinding | undefined {
  const given = explicit ? 'the customer' : 'default (no preferences given)';
  if (preferences.optedOutChannels.includes(channel.id)) {
    return { preference: 'optedOutChannels', reason: `the customer opted out of the ${channel.id} channel` };
  }
  if (action.marketing) {
    if (preferences.marketingConsent === false) {
      return { preference: 'marketingConsent', reason: 'the customer did not consent to marketing: only service and risk actions' };
    }
    if (preferences.marketingConsent === null && channel.direction === 'outbound') {
      return { preference: 'marketingConsent', reason: `marketing consent unknown (${given}): no marketing on outbound channels` };
    }
  }
  if (channel.direction === 'outbound') {
    if (preferences.preferredChannels.length > 0 && !preferences.preferredChannels.includes(channel.id)) {
      return {
        preference: 'preferredChannels',
        reason: `the customer wants to be contacted only on ${preferences.preferredChannels.join(', ')}`,
      };
    }
    if (preferences.contactTimes.length > 0 && clock && !preferences.contactTimes.some((w) => windowContains(w, clock))) {
      return {
        preference: 'contactTimes',
        reason: `outside the customer's contact times (${preferences.contactTimes.map(describeWindow).join('; ')}): it is ${clock.weekday} ${clock.time} in ${clock.zone}`,
      };
    }
  }
  return undefined;
}

function windowContains(window: ContactWindow, clock: LocalClock): boolean {
  if (!inTimeWindow(clock.minutes, window.from, window.to)) return false;
  if (!window.days || window.days.length === 0) return true;
  const wraps = minutesOf(window.to) < minutesOf(window.from);
  // A window that wraps midnight and is now past midnight started on the previous day.
  const startDay: Weekday = wraps && clock.minutes < minutesOf(window.to) ? previousWeekday(clock.weekday) : clock.weekday;
  return window.days.includes(startDay);
}

export function describeWindow(window: ContactWindow): string {
  return `${window.days && window.days.length > 0 ? `${window.days.join(',')} ` : ''}${window.from}-${window.to}`;
}

export interface PreferenceProblem {
  path: string;
  message: string;
}

const TIME = /^([01]\d|2[0-3]):[0-5]\d$/;

/**
 * Validates a preferences document (PUT /v1/customers/{id}/preferences) against the active catalog.
 * Absent fields take the defaults. Returns the normalised preferences or every problem.
 */
export function validatePreferences(
  raw: unknown,
  catalog: CompiledCatalog,
): { ok: true; preferences: CustomerPreferences } | { ok: false; errors: PreferenceProblem[] } {
  const errors: PreferenceProblem[] = [];
  const fail = (path: string, message: string) => errors.push({ path: `body.${path}`, message });
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    return { ok: false, errors: [{ path: 'body', message: 'must be an object' }] };
  }
  const doc = raw as Record<string, unknown>;
  const allowed = ['optedOutChannels', 'marketingConsent', 'preferredChannels', 'contactTimes', 'preferredAdvisor'];
  for (const key of Object.keys(doc)) if (!allowed.includes(key)) fail(key, `unknown field; remove it or use one of: ${allowed.join(', ')}`);
  const channelIds = [...catalog.channels.keys()];
  const channels = (key: 'optedOutChannels' | 'preferredChannels'): string[] => {
    const value = doc[key];
    if (value === undefined || value === null) return [];
    if (!Array.isArray(value)) {
      fail(key, 'must be a list of channel ids');
      return [];
    }
    const out: string[] = [];
    value.forEach((v, i) => {
      if (typeof v === 'string' && catalog.channels.has(v)) {
        if (!out.includes(v)) out.push(v);
      } else fail(`${key}[${i}]`, `must be one of the catalog's channels (${channelIds.join(', ')})`);
    });
    return out;
  };
  const optedOutChannels = channels('optedOutChannels');
  const preferredChannels = channels('preferredChannels');
  for (const id of preferredChannels) {
    if (optedOutChannels.includes(id)) fail('preferredChannels', `'${id}' is also opted out; a channel cannot be both`);
  }
  const consent = doc['marketingConsent'];
  if (consent !== undefined && consent !== null && typeof consent !== 'boolean') fail('marketingConsent', 'must be true, false or null (unknown)');
  const contactTimes: ContactWindow[] = [];
  const times = doc['contactTimes'];
  if (times !== undefined && times !== null) {
    if (!Array.isArray(times)) fail('contactTimes', 'must be a list of {from: "HH:MM", to: "HH:MM", days?: ["mon", ...]}');
    else
      times.forEach((t, i) => {
        const path = `contactTimes[${i}]`;
        if (typeof t !== 'object' || t === null || Array.isArray(t)) {
          fail(path, 'must be an object {from, to, days?}');
          return;
        }
        const w = t as Record<string, unknown>;
        for (const key of Object.keys(w)) if (!['from', 'to', 'days'].includes(key)) fail(`${path}.${key}`, 'unknown field; use from, to, days');
        const from = w['from'];
        const to = w['to'];
        if (typeof from !== 'string' || !TIME.test(from)) fail(`${path}.from`, 'must be a local time HH:MM, e.g. "18:00"');
        if (typeof to !== 'string' || !TIME.test(to)) fail(`${path}.to`, 'must be a local time HH:MM, e.g. "21:00"');
        if (from === to && typeof from === 'string') fail(`${path}.to`, 'must differ from `from`');
        let days: Weekday[] | undefined;
        if (w['days'] !== undefined) {
          if (!Array.isArray(w['days']) || !w['days'].every((d) => typeof d === 'string' && (WEEKDAYS as readonly string[]).includes(d))) {
            fail(`${path}.days`, `must be a list of ${WEEKDAYS.join(', ')}`);
          } else days = w['days'] as Weekday[];
        }
        if (typeof from === 'string' && typeof to === 'string' && TIME.test(from) && TIME.test(to) && from !== to) {
          contactTimes.push({ ...(days ? { days } : {}), from, to });
        }
      });
  }
  const advisor = doc['preferredAdvisor'];
  if (advisor !== undefined && advisor !== null) {
    if (typeof advisor !== 'string' || !catalog.advisors.some((a) => a.id === advisor)) {
      fail('preferredAdvisor', `must be an advisor id of the catalog (${catalog.advisors.map((a) => a.id).join(', ') || 'none declared'}) or null`);
    }
  }
  if (errors.length > 0) return { ok: false, errors };
  return {
    ok: true,
    preferences: {
      optedOutChannels,
      marketingConsent: typeof consent === 'boolean' ? consent : null,
      preferredChannels,
      contactTimes,
      preferredAdvisor: typeof advisor === 'string' ? advisor : null,
    },
  };
}
