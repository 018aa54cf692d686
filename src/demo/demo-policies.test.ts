/**
 * The demo bank's contact policies, advisors, flags, control group and seeded preferences: the
 * catalog declares them sensibly, the pipeline applies them to the personas, and a demo start seeds
 * every demo customer's preferences.
 */
import { ConstantModel } from '../core/models/constant.js';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { buildCatalogOrThrow } from '../core/catalog/compile.js';
import { parseCatalogText } from '../core/catalog/validate.js';
import { ManualClock } from '../core/clock.js';
import { decide, type DecideRequest } from '../core/pipeline/decide.js';
import { SeededRandom } from '../core/random.js';
import type { HistoryRow } from '../core/types.js';
import { resolveServeSettings } from '../config/settings.js';
import { startServer } from '../server.js';
import { generateDemoCustomers } from './customers.js';
import { demoPreferences } from './preferences.js';

const catalog = buildCatalogOrThrow(parseCatalogText(readFileSync(new URL('./catalog.yaml', import.meta.url), 'utf8')), 1);
const customers = generateDemoCustomers();
const flatModel = new ConstantModel(0.5); // every learned action at the same propensity
const NOW = new Date('2026-11-23T10:00:00Z');

function run(customerId: string, channel: string, extra: Partial<DecideRequest> = {}, now = NOW) {
  const customer = customers.find((c) => c.customerId === customerId)?.attributes;
  return decide(
    { channel, customer, context: {}, limit: 20, explain: true, preferences: demoPreferences(customerId), ...extra },
    { catalog, model: flatModel, random: new SeededRandom(1), now },
  );
}

describe('demo bank contact policies and advisors', () => {
  it('declares 12 advisors over mortgages, investments, debt and retention, meeting in branch, by phone or video', () => {
    expect(catalog.advisors).toHaveLength(12);
    expect(new Set(catalog.advisors.flatMap((a) => a.topics))).toEqual(new Set(['mortgages', 'investments', 'debt', 'retention']));
    expect(new Set(catalog.advisors.flatMap((a) => a.channels))).toEqual(new Set(['branch', 'phone', 'video']));
    for (const a of catalog.advisors) expect(a.weeklyCapacity, a.id).toBeGreaterThan(0);
    expect(catalog.actions.filter((a) => a.topic !== undefined).map((a) => `${a.id}:${a.topic}`)).toEqual([
      'investment-review:investments',
      'cancel-save-call:retention',
      'debt-advice:debt',
    ]);
  });

  it('flags the mandatory and transactional actions, and declares suppressions, limits, quiet hours and a 2% control group', () => {
    expect(catalog.actions.filter((a) => a.mandatory).map((a) => a.id)).toEqual(['fraud-alert-review', 'terms-update']);
    expect(catalog.actions.filter((a) => a.transactional).map((a) => a.id)).toEqual(['card-expiry-reminder']);
    expect(catalog.contactPolicies.suppressions.map((s) => s.name)).toEqual(['not interested', 'taken up', 'said no', 'email fatigue']);
    expect(catalog.contactPolicies.limits.map((l) => `${l.channel}:${l.max}/${l.periodDays}d`)).toEqual(['email:2/7d', 'push:1/1d', 'all:4/7d']);
    expect(catalog.contactPolicies.quietHours).toEqual([{ channel: 'all', from: '21:00', to: '08:00' }]);
    expect(catalog.controlGroup).toEqual({ share: 0.02, period: 'quarter' });
    expect(catalog.channels.get('push')?.responseWindowHours).toBe(48);
  });

  it('sends the fraud alert at night (mandatory), holds everything else back in quiet hours', () => {
    const night = new Date('2026-11-23T23:30:00Z'); // 23:30 in Dublin
    const result = run('C000007', 'push', {}, night);
    expect(result.actions.map((a) => a.actionId)).toEqual(['fraud-alert-review']);
    expect(result.explanation!.filter((e) => e.stage === 'quiet-hours').length).toBeGreaterThan(0);
  });

  it("routes the affluent saver's investment review to the advisor they asked for", () => {
    const review = run('C000003', 'branch').actions.find((a) => a.actionId === 'investment-review');
    expect(review?.advisorId).toBe('adv-munich-1');
    const withoutPreference = run('C000003', 'branch', { preferences: null }).actions.find((a) => a.actionId === 'investment-review');
    // Investments listed first by adv-madrid-1 (10 slots) and adv-paris-1 (9): the most capacity wins.
    expect(withoutPreference?.advisorId).toBe('adv-madrid-1');
  });

  it('offers debt advice but no marketing to the customer in difficulty who refused marketing', () => {
    const result = run('C000005', 'call-centre');
    const ids = result.actions.map((a) => a.actionId);
    expect(ids).toContain('debt-advice');
    expect(result.actions.find((a) => a.actionId === 'debt-advice')?.advisorId).toBeDefined();
    for (const a of result.actions) expect(catalog.actionsById.get(a.actionId)?.marketing, a.actionId).toBe(false);
  });

  it('suppresses a group for 90 days after a rejection', () => {
    const history: HistoryRow[] = [{ day: '2026-11-20', channel: 'web', issue: 'grow', group: 'cards', actionId: 'gold-card', outcome: 'rejected', count: 1 }];
    const result = run('C000001', 'web', { history });
    expect(result.actions.map((a) => a.group)).not.toContain('cards');
    expect(result.explanation!.find((e) => e.actionId === 'gold-card')).toMatchObject({ stage: 'suppression', policy: 'said no' });
  });

  it('gives demo customers realistic, deterministic preferences', () => {
    const all = customers.map((c) => demoPreferences(c.customerId));
    const share = (f: (p: (typeof all)[number]) => boolean) => all.filter(f).length / all.length;
    expect(share((p) => p.marketingConsent === true)).toBeGreaterThan(0.7);
    expect(share((p) => p.marketingConsent === false)).toBeGreaterThan(0.04);
    expect(share((p) => p.marketingConsent === null)).toBeGreaterThan(0.05);
    expect(share((p) => p.optedOutChannels.includes('push'))).toBeGreaterThan(0.08);
    expect(demoPreferences('C000123')).toEqual(demoPreferences('C000123'));
    for (const p of all) {
      for (const ch of [...p.optedOutChannels, ...p.preferredChannels]) expect(catalog.channels.has(ch)).toBe(true);
      if (p.preferredAdvisor) expect(catalog.advisors.some((a) => a.id === p.preferredAdvisor)).toBe(true);
    }
  });

  it('seeds every demo customer with their preferences on a demo start', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'nextbest-demo-'));
    try {
      const server = await startServer(resolveServeSettings({ db: join(dir, 'demo.db'), demo: true, seed: '1' }, {}), {
        clock: new ManualClock('2026-11-23T10:00:00Z'),
        modelFlushMs: 0,
        sweepMs: 0,
      });
      try {
        expect(server.summary.seededDemoCustomers).toBe(1200);
        expect(await server.service.getPreferences('C000003')).toMatchObject({ explicit: true, preferences: { preferredAdvisor: 'adv-munich-1' } });
        expect((await server.service.getPreferences('C001200')).explicit).toBe(true);
      } finally {
        await server.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
