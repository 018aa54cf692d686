/**
 * Preferences for the demo customers, deterministic: the personas chose something that shows each
 * kind of preference, the others are drawn from their id (about 80% consent to marketing, 8% refuse
 * it, 12% never said; some opt out of push or prefer email; a few give contact times). Seeded with
 * the demo customers when the store is new.
 */
import { hashUnit } from '../core/policy/control.js';
import type { CustomerPreferences } from '../core/types.js';

const PERSONA_PREFERENCES: Record<string, Partial<CustomerPreferences>> = {
  // The young family: happy to hear from the bank, but not by push; evenings on weekdays.
  C000001: { marketingConsent: true, optedOutChannels: ['push'], contactTimes: [{ days: ['mon', 'tue', 'wed', 'thu', 'fri'], from: '19:00', to: '21:30' }] },
  // The student lives in the app.
  C000002: { marketingConsent: true, preferredChannels: ['push'] },
  // The affluent saver wants to talk to the advisor who knows them.
  C000003: { marketingConsent: true, preferredAdvisor: 'adv-munich-1', preferredChannels: ['email'] },
  // About to leave: did not answer the consent question.
  C000004: { marketingConsent: null },
  // In financial difficulty: no marketing, please (help and warnings still come).
  C000005: { marketingConsent: false },
  // The retiree reads no email.
  C000006: { marketingConsent: false, optedOutChannels: ['email', 'push'] },
  C000007: { marketingConsent: true },
  // A minor: no marketing.
  C000008: { marketingConsent: false },
};

export function demoPreferences(customerId: string): CustomerPreferences {
  const base: CustomerPreferences = { optedOutChannels: [], marketingConsent: null, preferredChannels: [], contactTimes: [], preferredAdvisor: null };
  const persona = PERSONA_PREFERENCES[customerId];
  if (persona) return { ...base, ...persona };
  const u = hashUnit(`demo-preferences|${customerId}`);
  const v = hashUnit(`demo-channels|${customerId}`);
  return {
    ...base,
    marketingConsent: u < 0.8 ? true : u < 0.88 ? false : null,
    optedOutChannels: v < 0.15 ? ['push'] : [],
    preferredChannels: v >= 0.15 && v < 0.25 ? ['email'] : [],
    contactTimes: v >= 0.9 ? [{ from: '18:00', to: '21:00' }] : [],
  };
}
