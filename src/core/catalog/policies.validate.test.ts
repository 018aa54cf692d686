/**
 * Validation and compilation of the catalog sections for contact policies, advisors, the control
 * group, channel response windows and action flags: defaults, and every problem with path and fix.
 */
import { describe, expect, it } from 'vitest';
import { smallCatalog } from '../testing/fixtures.js';
import { policyCatalog } from '../testing/policy-fixtures.js';
import { buildCatalogOrThrow } from './compile.js';
import { validateCatalog } from './validate.js';

function errorsOf(doc: unknown) {
  const result = validateCatalog(doc);
  if (result.ok) throw new Error('expected validation errors');
  return result.errors;
}

describe('contact policies, advisors, control group and flags in the catalog', () => {
  it('fills defaults: no policies, UTC, no advisors, 2% control by quarter, 24 h inbound and 7 days outbound windows', () => {
    const catalog = buildCatalogOrThrow(smallCatalog(), 1);
    expect(catalog.contactPolicies).toEqual({ timeZone: 'UTC', suppressions: [], limits: [], quietHours: [] });
    expect(catalog.advisors).toEqual([]);
    expect(catalog.controlGroup).toEqual({ share: 0.02, period: 'quarter' });
    expect(catalog.historyDays).toBe(0);
    expect(catalog.channels.get('web')?.responseWindowHours).toBe(24);
    expect(catalog.channels.get('email')?.responseWindowHours).toBe(168);
    const gold = catalog.actionsById.get('gold-card')!;
    expect([gold.mandatory, gold.transactional, gold.marketing, gold.topic]).toEqual([false, false, true, undefined]);
  });

  it('compiles the full policy catalog: flags, marketing by kind, conversation topic, history horizon', () => {
    const catalog = buildCatalogOrThrow(policyCatalog(), 1);
    expect(catalog.channels.get('email')?.responseWindowHours).toBe(72);
    expect(catalog.actionsById.get('terms-update')).toMatchObject({ mandatory: true, marketing: false });
    expect(catalog.actionsById.get('card-expiry')).toMatchObject({ transactional: true, marketing: false });
    expect(catalog.actionsById.get('mortgage-talk')).toMatchObject({ marketing: true, topic: 'mortgages' });
    expect(catalog.contactPolicies.suppressions[1]).toEqual({
      name: 'no means no',
      scope: 'group',
      channel: 'all',
      when: { outcome: 'rejected', count: 1, withinDays: 1, withoutPositive: false },
      suppressDays: 90,
    });
    expect(catalog.historyDays).toBe(91); // 90 + 1 (the longest suppression plus its window)
  });

  it('lists every problem in the new sections with its path and the fix', () => {
    const doc = policyCatalog();
    doc['channels'][0].responseWindowHours = -1;
    doc['issues'][0].groups[0].actions[0].mandatory = 'yes';
    doc['issues'][0].groups[0].actions[1].topic = 'cards';
    doc['contactPolicies'] = {
      timeZone: 'Mars/Olympus',
      suppressions: [
        { name: 'a', scope: 'customer', channel: 'fax', when: { outcome: 'hated', count: 0, withinDays: 7 }, suppressDays: 30 },
        { name: 'a', scope: 'action', when: { outcome: 'rejected', count: 1, withinDays: 1, typo: 1 }, suppressDays: 1.5 },
      ],
      limits: [{ name: 'web', channel: 'web', max: 2, periodDays: 7 }],
      quietHours: [{ channel: 'all', from: '9pm', to: '08:00' }],
      extra: true,
    };
    doc['advisors'] = [
      { id: 'ana', topics: ['investments'], channels: [], weeklyCapacity: -1 },
      { id: 'ana', topics: ['mortgages'], channels: ['phone'], weeklyCapacity: 3 },
    ];
    doc['controlGroup'] = { share: 0.9, period: 'week' };
    expect(errorsOf(doc)).toEqual([
      { path: 'channels[0].responseWindowHours', message: 'must be a number between 0.01 and 8784' },
      { path: 'issues[0].groups[0].actions[0].mandatory', message: 'must be true or false' },
      { path: 'issues[0].groups[0].actions[1].topic', message: 'only conversation actions have a topic; set kind: conversation or remove topic' },
      { path: 'contactPolicies.extra', message: 'unknown field; remove it or use one of: timeZone, suppressions, limits, quietHours' },
      { path: 'contactPolicies.timeZone', message: 'must be an IANA time zone such as Europe/Lisbon or UTC' },
      { path: 'contactPolicies.suppressions[0].scope', message: 'must be one of action, group, issue' },
      { path: 'contactPolicies.suppressions[0].channel', message: "must be 'all' or one of the declared channels (web, email, push)" },
      { path: 'contactPolicies.suppressions[0].when.outcome', message: 'must be one of decided, impression, clicked, accepted, rejected, ignored, positive, negative' },
      { path: 'contactPolicies.suppressions[0].when.count', message: 'must be an integer from 1 to 100000' },
      { path: 'contactPolicies.suppressions[1].name', message: "duplicate policy name 'a'; contact policy names must be unique" },
      { path: 'contactPolicies.suppressions[1].suppressDays', message: 'must be an integer from 1 to 3650' },
      { path: 'contactPolicies.suppressions[1].when.typo', message: 'unknown field; remove it or use one of: outcome, count, withinDays, withoutPositive' },
      { path: 'contactPolicies.limits[0].channel', message: "must be 'all' or one of the outbound channels (email, push)" },
      { path: 'contactPolicies.quietHours[0].from', message: 'must be a local time HH:MM (00:00-23:59), e.g. "21:00"' },
      { path: 'advisors[0].channels', message: 'must list at least one entry' },
      { path: 'advisors[0].weeklyCapacity', message: 'must be an integer >= 0' },
      { path: 'advisors[1].id', message: "duplicate advisor id 'ana'; advisor ids must be unique" },
      { path: 'controlGroup.share', message: 'must be a number between 0 and 0.5' },
      { path: 'controlGroup.period', message: 'must be one of month, quarter, year, forever' },
    ]);
  });

  it('requires an advisor for every conversation topic once advisors are declared', () => {
    const doc = policyCatalog();
    doc['advisors'] = [{ id: 'dan', topics: ['debt'], channels: ['phone'], weeklyCapacity: 5 }];
    expect(errorsOf(doc)).toEqual([
      {
        path: 'issues[3].groups[0].actions[0]',
        message: "conversation topic 'mortgages' is not in any advisor's topics; add it to an advisor or set the action's topic to one of: debt",
      },
    ]);
    doc['issues'][3].groups[0].actions[0].topic = 'debt';
    expect(validateCatalog(doc).ok).toBe(true);
  });
});
