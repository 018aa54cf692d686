/**
 * The contract every `Store` implementation must pass: one suite, many implementations. An adapter's
 * test file calls `runStoreContract(name, factory)`; the factory gives a fresh, empty store per test.
 */
import { createHash } from 'node:crypto';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { CustomerPreferences, DecisionRecord, HistoryRow, JsonObject, JsonValue, ResponseRecord } from '../core/types.js';
import type { Store } from './store.js';

export interface StoreUnderTest {
  store: Store;
  /** Closes the store (already closed by the test) and opens the same data again. */
  reopen?: () => Promise<Store>;
  /** Closes every store handed out (close is idempotent) and removes all data. */
  cleanup: () => Promise<void>;
}

const T0 = new Date('2026-03-01T09:15:30.123Z');
const T1 = new Date('2026-03-02T10:00:00.000Z');
const T2 = new Date('2026-03-03T11:30:45.999Z');

function decision(decisionId: string, customerId: string, overrides: Partial<DecisionRecord> = {}): DecisionRecord {
  return {
    decisionId,
    customerId,
    channel: 'web',
    direction: 'inbound',
    catalogVersion: 3,
    createdAt: '2026-03-01T09:15:30.123Z',
    context: { page: 'cards', intent: 'browse', device: { os: 'ios', version: 17.4 }, tags: ['a', 'b'], empty: null },
    actions: [
      {
        rank: 1,
        actionId: 'gold-card',
        issue: 'grow',
        group: 'cards',
        treatmentId: 'gold-card-web-banner',
        propensity: 0.123456789012345,
        contextWeight: 2,
        value: 150.5,
        lever: 0.8,
        priority: 0.123456789012345 * 2 * 150.5 * 0.8,
      },
      {
        rank: 2,
        actionId: 'savings-tip',
        issue: 'service',
        group: 'tips',
        treatmentId: 'savings-tip-web',
        propensity: 1e-9,
        contextWeight: 1,
        value: 0,
        lever: 1,
        priority: 0,
      },
    ],
    predictors: {
      'customer.age': 42,
      'customer.segment': 'A',
      'customer.hasMortgage': false,
      'customer.income': null,
      'context.intent': 'browse',
      'ih.clicks.30d': 0,
    },
    ...overrides,
  };
}

function response(decisionId: string, actionId: string, outcome: ResponseRecord['outcome'], customerId = 'c1'): ResponseRecord {
  return {
    decisionId,
    actionId,
    customerId,
    channel: 'web',
    outcome,
    at: '2026-03-01T09:16:00.000Z',
    receivedAt: '2026-03-01T09:16:00.250Z',
  };
}

/** Expected checksums are hashed from canonical JSON written out by hand in this file. */
function sha256(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

const CATALOG_A: JsonValue = {
  version: 'spring',
  channels: [{ id: 'web', direction: 'inbound' }],
  issues: [{ id: 'grow', lever: 1, groups: [{ id: 'cards', lever: 1, actions: [{ id: 'gold-card', value: 150 }] }] }],
};
const CATALOG_A_CANONICAL =
  '{"channels":[{"direction":"inbound","id":"web"}],"issues":[{"groups":[{"actions":[{"id":"gold-card","value":150}],"id":"cards","lever":1}],"id":"grow","lever":1}],"version":"spring"}';
/** Same meaning as CATALOG_A, keys written in another order. */
const CATALOG_A_REORDERED: JsonValue = {
  issues: [{ groups: [{ actions: [{ value: 150, id: 'gold-card' }], lever: 1, id: 'cards' }], lever: 1, id: 'grow' }],
  channels: [{ direction: 'inbound', id: 'web' }],
  version: 'spring',
};
const CATALOG_B: JsonValue = { version: 'summer', channels: [], issues: [] };
const CATALOG_C: JsonValue = { version: 'autumn', zeta: 1, alpha: { z: true, a: [3, 2, 1] } };

export function runStoreContract(name: string, factory: () => Promise<StoreUnderTest>): void {
  describe(`Store contract: ${name}`, () => {
    let subject: StoreUnderTest;
    let store: Store;

    beforeEach(async () => {
      subject = await factory();
      store = subject.store;
    });

    afterEach(async () => {
      await subject.cleanup();
    });

    it('describes itself without being empty', () => {
      expect(typeof store.description).toBe('string');
      expect(store.description.length).toBeGreaterThan(0);
    });

    describe('profiles', () => {
      it('returns undefined for an unknown customer and counts zero when empty', async () => {
        expect(await store.getProfile('nobody')).toBeUndefined();
        expect(await store.countProfiles()).toBe(0);
      });

      it('puts and gets a profile with every kind of JSON value', async () => {
        const attributes: JsonObject = {
          age: 42,
          balance: -1234.56,
          big: 9007199254740991,
          tiny: 1e-12,
          segment: 'A',
          name: 'Zoë Ø 测试 🚀 "quoted" \\ back\nslash',
          active: true,
          closed: false,
          income: null,
          products: ['current', 'savings'],
          address: { city: 'Zürich', zip: '8001', geo: { lat: 47.37, lon: 8.54 } },
          emptyObject: {},
          emptyArray: [],
        };
        const put = await store.putProfile('c1', attributes, T0);
        expect(put).toStrictEqual({ customerId: 'c1', attributes, updatedAt: '2026-03-01T09:15:30.123Z' });
        expect(await store.getProfile('c1')).toStrictEqual(put);
        expect(await store.countProfiles()).toBe(1);
      });

      it('replaces the whole profile on put', async () => {
        await store.putProfile('c1', { age: 42, segment: 'A' }, T0);
        const replaced = await store.putProfile('c1', { segment: 'B' }, T1);
        expect(replaced).toStrictEqual({ customerId: 'c1', attributes: { segment: 'B' }, updatedAt: T1.toISOString() });
        expect(await store.getProfile('c1')).toStrictEqual(replaced);
        expect(await store.countProfiles()).toBe(1);
      });

      it('patches shallowly: merges keys, null removes a key, nested objects are replaced whole', async () => {
        await store.putProfile(
          'c1',
          { age: 42, segment: 'A', address: { city: 'Bern', zip: '3000' }, vip: true, 'we{ird}, "key"\\': 1 },
          T0,
        );
        const patched = await store.patchProfile(
          'c1',
          { segment: 'B', vip: null, address: { city: 'Basel' }, lastPage: 'mortgages', missing: null, 'we{ird}, "key"\\': null },
          T1,
        );
        const expected = {
          customerId: 'c1',
          attributes: { age: 42, segment: 'B', address: { city: 'Basel' }, lastPage: 'mortgages' },
          updatedAt: T1.toISOString(),
        };
        expect(patched).toStrictEqual(expected);
        expect(await store.getProfile('c1')).toStrictEqual(expected);
      });

      it('creates the profile when patching an absent one (null keys are not stored)', async () => {
        const created = await store.patchProfile('c2', { age: 30, gone: null }, T2);
        expect(created).toStrictEqual({ customerId: 'c2', attributes: { age: 30 }, updatedAt: T2.toISOString() });
        expect(await store.getProfile('c2')).toStrictEqual(created);
        expect(await store.countProfiles()).toBe(1);
      });

      it('applies concurrent patches of one profile atomically (no lost update)', async () => {
        await store.putProfile('c1', { base: 0 }, T0);
        const keys = Array.from({ length: 10 }, (_, i) => `k${i}`);
        await Promise.all(keys.map((key, i) => store.patchProfile('c1', { [key]: i }, T1)));
        const expected: JsonObject = { base: 0 };
        keys.forEach((key, i) => (expected[key] = i));
        expect((await store.getProfile('c1'))?.attributes).toStrictEqual(expected);
      });

      it('puts many profiles at once, replacing existing ones; the last duplicate wins', async () => {
        await store.putProfile('c0', { old: true, segment: 'Z' }, T0);
        const profiles = Array.from({ length: 250 }, (_, i) => ({
          customerId: `c${i}`,
          attributes: { index: i, segment: i % 2 === 0 ? 'A' : 'B' } as JsonObject,
        }));
        profiles.push({ customerId: 'c7', attributes: { index: 7, segment: 'last' } });
        await store.putProfiles(profiles, T1);
        expect(await store.countProfiles()).toBe(250);
        expect(await store.getProfile('c0')).toStrictEqual({
          customerId: 'c0',
          attributes: { index: 0, segment: 'A' },
          updatedAt: T1.toISOString(),
        });
        expect(await store.getProfile('c7')).toStrictEqual({
          customerId: 'c7',
          attributes: { index: 7, segment: 'last' },
          updatedAt: T1.toISOString(),
        });
        expect((await store.getProfile('c249'))?.attributes).toStrictEqual({ index: 249, segment: 'B' });
        await store.putProfiles([], T2);
        expect(await store.countProfiles()).toBe(250);
      });
    });

    describe('decisions and responses', () => {
      it('round-trips a decision exactly, key order included', async () => {
        const saved = decision('d1', 'c1');
        await store.saveDecision(saved);
        const loaded = await store.getDecision('d1');
        expect(loaded).toStrictEqual(saved);
        expect(JSON.stringify(loaded)).toBe(JSON.stringify(saved));
        expect(await store.getDecision('unknown')).toBeUndefined();
      });

      it('round-trips an outbound decision with no actions and no predictors', async () => {
        const empty = decision('d-empty', 'c9', { direction: 'outbound', channel: 'email', actions: [], predictors: {}, context: {} });
        await store.saveDecision(empty);
        expect(await store.getDecision('d-empty')).toStrictEqual(empty);
      });

      it('rejects a second decision with the same id and keeps the first', async () => {
        const first = decision('d1', 'c1');
        await store.saveDecision(first);
        const error = await store.saveDecision(decision('d1', 'c2')).then(
          () => undefined,
          (reason: unknown) => reason,
        );
        expect(error).toBeInstanceOf(Error);
        expect((error as Error).message).toContain('d1');
        expect(await store.getDecision('d1')).toStrictEqual(first);
        expect(await store.countDecisions()).toBe(1);
      });

      it('saves a batch of decisions in one transaction, with their history', async () => {
        const day = '2026-02-01';
        await store.saveDecisions([
          { decision: decision('b1', 'c1') },
          { decision: decision('b2', 'c2'), options: { history: [{ day, channel: 'web', issue: 'grow', group: 'cards', actionId: 'gold-card', outcome: 'decided', count: 1 }] } },
          { decision: decision('b3', 'c1') },
        ]);
        expect(await store.countDecisions()).toBe(3);
        expect(await store.getDecision('b2')).toStrictEqual(decision('b2', 'c2'));
        expect((await store.getHistory('c2', day)).map((r) => [r.actionId, r.outcome, r.count])).toEqual([['gold-card', 'decided', 1]]);
        await store.saveDecisions([]);
        expect(await store.countDecisions()).toBe(3);
      });

      it('a batch with a failing decision saves none of it', async () => {
        await store.saveDecision(decision('d1', 'c1'));
        const error = await store.saveDecisions([{ decision: decision('n1', 'c3') }, { decision: decision('d1', 'c3') }]).then(
          () => undefined,
          (reason: unknown) => reason,
        );
        expect(error).toBeInstanceOf(Error);
        expect(await store.getDecision('n1')).toBeUndefined();
        expect(await store.countDecisions()).toBe(1);
      });

      it('counts decisions in total and per customer', async () => {
        await store.saveDecision(decision('d1', 'c1'));
        await store.saveDecision(decision('d2', 'c1'));
        await store.saveDecision(decision('d3', 'c2'));
        expect(await store.countDecisions()).toBe(3);
        expect(await store.countDecisions('c1')).toBe(2);
        expect(await store.countDecisions('c2')).toBe(1);
        expect(await store.countDecisions('c3')).toBe(0);
      });

      it('stores a response once per (decision, action, outcome)', async () => {
        await store.saveDecision(decision('d1', 'c1'));
        const first = response('d1', 'gold-card', 'clicked');
        expect(await store.saveResponse(first)).toBe(true);
        expect(await store.saveResponse({ ...first, at: '2026-03-01T10:00:00.000Z', receivedAt: '2026-03-01T10:00:01.000Z' })).toBe(false);
        expect(await store.countResponses()).toBe(1);
        expect(await store.listResponses('d1')).toStrictEqual([first]);
      });

      it('counts another outcome or another action of the same decision separately', async () => {
        await store.saveDecision(decision('d1', 'c1'));
        const impression = response('d1', 'gold-card', 'impression');
        const clicked = response('d1', 'gold-card', 'clicked');
        const otherAction = response('d1', 'savings-tip', 'impression');
        expect(await store.saveResponse(impression)).toBe(true);
        expect(await store.saveResponse(clicked)).toBe(true);
        expect(await store.saveResponse(otherAction)).toBe(true);
        expect(await store.countResponses()).toBe(3);
        expect(await store.countResponses('c1')).toBe(3);
        expect(await store.countResponses('c2')).toBe(0);
        expect(await store.listResponses('d1')).toStrictEqual([impression, clicked, otherAction]);
      });

      it('accepts exactly one of concurrent identical responses, and counts its history and booking once', async () => {
        const accepted = response('d1', 'gold-card', 'accepted');
        const increment: HistoryRow = { day: '2026-03-01', channel: 'web', issue: 'grow', group: 'cards', actionId: 'gold-card', outcome: 'accepted', count: 1 };
        const options = { history: [increment], advisorBooking: { advisorId: 'adv-1', week: '2026-W09' } };
        const results = await Promise.all(Array.from({ length: 8 }, () => store.saveResponse(accepted, options)));
        expect(results.filter((stored) => stored)).toHaveLength(1);
        expect(await store.countResponses()).toBe(1);
        expect(await store.getHistory(accepted.customerId, '2026-01-01')).toStrictEqual([increment]);
        expect(await store.getAdvisorLoad('2026-W09')).toStrictEqual({ 'adv-1': 1 });
      });

      it('lists the responses of one decision only, in the order they were stored', async () => {
        await store.saveDecision(decision('d1', 'c1'));
        await store.saveDecision(decision('d2', 'c2'));
        const responses = [
          response('d1', 'savings-tip', 'ignored'),
          response('d2', 'gold-card', 'impression', 'c2'),
          response('d1', 'gold-card', 'impression'),
          response('d1', 'gold-card', 'rejected'),
        ];
        for (const r of responses) expect(await store.saveResponse(r)).toBe(true);
        expect(await store.listResponses('d1')).toStrictEqual([responses[0], responses[2], responses[3]]);
        expect(await store.listResponses('d2')).toStrictEqual([responses[1]]);
        expect(await store.listResponses('d3')).toStrictEqual([]);
        expect(await store.countResponses('c1')).toBe(3);
        expect(await store.countResponses('c2')).toBe(1);
      });
    });

    describe('erasure', () => {
      it('erases the profile, decisions and responses of one customer and leaves the others alone', async () => {
        await store.putProfile('c1', { age: 42 }, T0);
        await store.putProfile('c2', { age: 30 }, T0);
        await store.saveDecision(decision('d1', 'c1'));
        await store.saveDecision(decision('d2', 'c1'));
        await store.saveDecision(decision('d3', 'c2'));
        await store.saveResponse(response('d1', 'gold-card', 'impression'));
        await store.saveResponse(response('d1', 'gold-card', 'clicked'));
        await store.saveResponse(response('d2', 'savings-tip', 'ignored'));
        const kept = response('d3', 'gold-card', 'accepted', 'c2');
        await store.saveResponse(kept);

        expect(await store.eraseCustomer('c1')).toStrictEqual({ profile: true, decisions: 2, responses: 3 });

        expect(await store.getProfile('c1')).toBeUndefined();
        expect(await store.getDecision('d1')).toBeUndefined();
        expect(await store.getDecision('d2')).toBeUndefined();
        expect(await store.listResponses('d1')).toStrictEqual([]);
        expect(await store.countDecisions('c1')).toBe(0);
        expect(await store.countResponses('c1')).toBe(0);

        expect(await store.getProfile('c2')).toStrictEqual({ customerId: 'c2', attributes: { age: 30 }, updatedAt: T0.toISOString() });
        expect(await store.getDecision('d3')).toStrictEqual(decision('d3', 'c2'));
        expect(await store.listResponses('d3')).toStrictEqual([kept]);
        expect(await store.countProfiles()).toBe(1);
        expect(await store.countDecisions()).toBe(1);
        expect(await store.countResponses()).toBe(1);
      });

      it('erases history of a customer without a profile, and reports nothing for an unknown one', async () => {
        await store.saveDecision(decision('d1', 'c1'));
        await store.saveResponse(response('d1', 'gold-card', 'impression'));
        expect(await store.eraseCustomer('c1')).toStrictEqual({ profile: false, decisions: 1, responses: 1 });
        expect(await store.eraseCustomer('c1')).toStrictEqual({ profile: false, decisions: 0, responses: 0 });
        expect(await store.eraseCustomer('nobody')).toStrictEqual({ profile: false, decisions: 0, responses: 0 });
      });

      it("erases every response to the customer's decisions, even one recorded under another customer id", async () => {
        await store.saveDecision(decision('d1', 'c1'));
        await store.saveResponse(response('d1', 'gold-card', 'clicked', 'mislabelled'));
        expect(await store.eraseCustomer('c1')).toStrictEqual({ profile: false, decisions: 1, responses: 1 });
        expect(await store.countResponses()).toBe(0);
      });

      it('allows the customer to come back after erasure', async () => {
        await store.putProfile('c1', { age: 42 }, T0);
        await store.saveDecision(decision('d1', 'c1'));
        await store.eraseCustomer('c1');
        await store.putProfile('c1', { age: 43 }, T1);
        await store.saveDecision(decision('d1', 'c1'));
        expect(await store.countProfiles()).toBe(1);
        expect(await store.countDecisions('c1')).toBe(1);
      });
    });

    describe('interaction history summary', () => {
      const row = (day: string, actionId: string, outcome: HistoryRow['outcome'], count = 1, channel = 'web'): HistoryRow => ({
        day,
        channel,
        issue: actionId === '' ? '' : 'grow',
        group: actionId === '' ? '' : 'cards',
        actionId,
        outcome,
        count,
      });

      it('adds history increments with the decision, sums equal keys, and reads one customer since a day, ordered', async () => {
        await store.saveDecision(decision('d1', 'c1'), {
          history: [row('2026-03-01', 'gold-card', 'decided'), row('2026-03-01', '', 'contact', 1, 'email')],
        });
        await store.saveDecision(decision('d2', 'c1'), {
          history: [row('2026-03-01', 'gold-card', 'decided'), row('2026-03-01', 'gold-card', 'decided'), row('2026-02-20', 'savings-tip', 'decided')],
        });
        await store.saveDecision(decision('d3', 'c2'), { history: [row('2026-03-01', 'gold-card', 'decided', 5)] });
        expect(await store.getHistory('c1', '2026-02-01')).toStrictEqual([
          row('2026-02-20', 'savings-tip', 'decided'),
          row('2026-03-01', '', 'contact', 1, 'email'),
          row('2026-03-01', 'gold-card', 'decided', 3),
        ]);
        expect(await store.getHistory('c1', '2026-03-01')).toStrictEqual([row('2026-03-01', '', 'contact', 1, 'email'), row('2026-03-01', 'gold-card', 'decided', 3)]);
        expect(await store.getHistory('c1', '2026-03-02')).toStrictEqual([]);
        expect(await store.getHistory('c2', '2000-01-01')).toStrictEqual([row('2026-03-01', 'gold-card', 'decided', 5)]);
        expect(await store.getHistory('nobody', '2000-01-01')).toStrictEqual([]);
      });

      it('does not apply the history of a decision that was refused (same id)', async () => {
        await store.saveDecision(decision('d1', 'c1'), { history: [row('2026-03-01', 'gold-card', 'decided')] });
        await expect(store.saveDecision(decision('d1', 'c1'), { history: [row('2026-03-01', 'gold-card', 'decided')] })).rejects.toThrowError(/d1/);
        expect(await store.getHistory('c1', '2026-01-01')).toStrictEqual([row('2026-03-01', 'gold-card', 'decided')]);
      });

      it('adds response history and an advisor booking only when the response is new', async () => {
        await store.saveDecision(decision('d1', 'c1'));
        const options = { history: [row('2026-03-01', 'gold-card', 'accepted')], advisorBooking: { advisorId: 'adv-1', week: '2026-W09' } };
        expect(await store.saveResponse(response('d1', 'gold-card', 'accepted'), options)).toBe(true);
        expect(await store.saveResponse(response('d1', 'gold-card', 'accepted'), options)).toBe(false);
        expect(await store.getHistory('c1', '2026-01-01')).toStrictEqual([row('2026-03-01', 'gold-card', 'accepted')]);
        expect(await store.getAdvisorLoad('2026-W09')).toStrictEqual({ 'adv-1': 1 });
        await store.saveResponse(response('d1', 'savings-tip', 'accepted'), { advisorBooking: { advisorId: 'adv-1', week: '2026-W09' } });
        await store.saveResponse(response('d1', 'gold-card', 'clicked'), { advisorBooking: { advisorId: 'adv-2', week: '2026-W10' } });
        expect(await store.getAdvisorLoad('2026-W09')).toStrictEqual({ 'adv-1': 2 });
        expect(await store.getAdvisorLoad('2026-W10')).toStrictEqual({ 'adv-2': 1 });
        expect(await store.getAdvisorLoad('2026-W11')).toStrictEqual({});
      });

      it('writes responses given together each as if alone: new ones with their history and bookings, duplicates with nothing', async () => {
        await store.saveDecision(decision('d1', 'c1'));
        await store.saveDecision(decision('d2', 'c2'));
        expect(await store.saveResponse(response('d1', 'gold-card', 'clicked'), { history: [row('2026-03-01', 'gold-card', 'clicked')] })).toBe(true);
        const accepted = { history: [row('2026-03-02', 'gold-card', 'accepted')], advisorBooking: { advisorId: 'adv-1', week: '2026-W09' } };
        const results = await Promise.all([
          store.saveResponse(response('d1', 'gold-card', 'clicked'), { history: [row('2026-03-01', 'gold-card', 'clicked')] }), // stored before
          store.saveResponse(response('d1', 'gold-card', 'accepted'), accepted),
          store.saveResponse(response('d2', 'gold-card', 'accepted', 'c2'), accepted),
          store.saveResponse(response('d1', 'gold-card', 'accepted'), accepted), // the same as the second
          store.saveResponse(response('d2', 'savings-tip', 'impression', 'c2'), { history: [row('2026-03-02', 'savings-tip', 'impression'), row('2026-03-02', 'savings-tip', 'impression')] }),
        ]);
        expect(results).toStrictEqual([false, true, true, false, true]);
        expect(await store.getHistory('c1', '2026-01-01')).toStrictEqual([row('2026-03-01', 'gold-card', 'clicked'), row('2026-03-02', 'gold-card', 'accepted')]);
        expect(await store.getHistory('c2', '2026-01-01')).toStrictEqual([row('2026-03-02', 'gold-card', 'accepted'), row('2026-03-02', 'savings-tip', 'impression', 2)]);
        expect(await store.getAdvisorLoad('2026-W09')).toStrictEqual({ 'adv-1': 2 });
        expect((await store.listResponses('d1')).map((r) => r.outcome)).toStrictEqual(['clicked', 'accepted']);
        expect((await store.listResponses('d2')).map((r) => r.actionId)).toStrictEqual(['gold-card', 'savings-tip']);
      });

      it('refuses only the response at fault among responses given together', async () => {
        await store.saveDecision(decision('d1', 'c1'));
        const broken = { ...response('d1', 'savings-tip', 'clicked'), customerId: undefined } as unknown as ResponseRecord;
        const outcomes = await Promise.allSettled([
          store.saveResponse(response('d1', 'gold-card', 'clicked'), { history: [row('2026-03-01', 'gold-card', 'clicked')] }),
          store.saveResponse(broken),
          store.saveResponse(response('d1', 'gold-card', 'impression')),
        ]);
        expect(outcomes.map((o) => o.status)).toStrictEqual(['fulfilled', 'rejected', 'fulfilled']);
        expect((await store.listResponses('d1')).map((r) => r.outcome)).toStrictEqual(['clicked', 'impression']);
        expect(await store.getHistory('c1', '2026-01-01')).toStrictEqual([row('2026-03-01', 'gold-card', 'clicked')]);
      });

      it('round-trips the control-group flag, and leaves it out when the decision did not say', async () => {
        await store.saveDecision(decision('d1', 'c1', { controlGroup: true }));
        await store.saveDecision(decision('d2', 'c1', { controlGroup: false }));
        await store.saveDecision(decision('d3', 'c1'));
        expect(await store.getDecision('d1')).toStrictEqual(decision('d1', 'c1', { controlGroup: true }));
        expect(await store.getDecision('d2')).toStrictEqual(decision('d2', 'c1', { controlGroup: false }));
        expect(await store.getDecision('d3')).toStrictEqual(decision('d3', 'c1'));
      });

      it('lists decisions whose response deadline passed, oldest first, until marked swept', async () => {
        await store.saveDecision(decision('d-late', 'c1'), { respondBy: '2026-03-02T09:00:00.000Z' });
        await store.saveDecision(decision('d-early', 'c2'), { respondBy: '2026-03-01T10:00:00.000Z' });
        await store.saveDecision(decision('d-future', 'c1'), { respondBy: '2026-03-09T00:00:00.000Z' });
        await store.saveDecision(decision('d-none', 'c1'));
        const due = await store.listDueDecisions('2026-03-02T09:00:00.000Z', 10);
        expect(due.map((d) => [d.decision.decisionId, d.respondBy])).toStrictEqual([
          ['d-early', '2026-03-01T10:00:00.000Z'],
          ['d-late', '2026-03-02T09:00:00.000Z'],
        ]);
        expect(due[0]?.decision).toStrictEqual(decision('d-early', 'c2'));
        expect((await store.listDueDecisions('2026-03-02T09:00:00.000Z', 1)).map((d) => d.decision.decisionId)).toStrictEqual(['d-early']);
        await store.markDecisionsSwept(['d-early']);
        await store.markDecisionsSwept([]);
        expect((await store.listDueDecisions('2026-12-31T00:00:00.000Z', 10)).map((d) => d.decision.decisionId)).toStrictEqual(['d-late', 'd-future']);
      });

      it('counts decisions and decisions with a positive response per arm, with filters', async () => {
        const at = (day: string) => `2026-03-${day}T12:00:00.000Z`;
        const offered = decision('x', 'x').actions;
        const save = (id: string, control: boolean, channel: string, day: string, actions = offered) =>
          store.saveDecision(decision(id, 'c1', { controlGroup: control, channel, createdAt: at(day), actions }));
        await save('n1', false, 'web', '01');
        await save('n2', false, 'web', '02');
        await save('n3', false, 'email', '03');
        await save('n4', false, 'web', '04', []);
        await save('k1', true, 'web', '01');
        await save('k2', true, 'email', '02');
        await store.saveDecision(decision('old', 'c1', { createdAt: at('01') })); // no control flag: counts as NBA
        const reply = (id: string, outcome: ResponseRecord['outcome'], actionId = 'gold-card') =>
          store.saveResponse({ ...response(id, actionId, outcome), channel: 'web' });
        await reply('n1', 'clicked');
        await reply('n1', 'accepted');
        await reply('n2', 'impression');
        await reply('n3', 'clicked'); // not positive in email
        await reply('k1', 'rejected');
        await reply('k2', 'accepted', 'savings-tip');
        const positive = [
          { channel: 'web', outcome: 'clicked' },
          { channel: 'web', outcome: 'accepted' },
          { channel: 'email', outcome: 'accepted' },
        ];
        expect(await store.impactCounts({}, positive)).toStrictEqual({ nba: { decisions: 4, positives: 1 }, control: { decisions: 2, positives: 1 } });
        expect(await store.impactCounts({ channel: 'email' }, positive)).toStrictEqual({ nba: { decisions: 1, positives: 0 }, control: { decisions: 1, positives: 1 } });
        expect(await store.impactCounts({ issue: 'service' }, positive)).toStrictEqual({ nba: { decisions: 0, positives: 0 }, control: { decisions: 0, positives: 0 } });
        expect(await store.impactCounts({ issue: 'grow', from: at('02'), to: at('03') }, positive)).toStrictEqual({
          nba: { decisions: 1, positives: 0 },
          control: { decisions: 1, positives: 1 },
        });
      });
    });

    describe('preferences', () => {
      const preferences: CustomerPreferences = {
        optedOutChannels: ['sms'],
        marketingConsent: true,
        preferredChannels: ['email', 'push'],
        contactTimes: [{ days: ['mon', 'fri'], from: '18:00', to: '21:00' }, { from: '22:00', to: '01:00' }],
        preferredAdvisor: 'adv-7',
      };

      it('puts, gets and replaces preferences', async () => {
        expect(await store.getPreferences('c1')).toBeUndefined();
        const put = await store.putPreferences('c1', preferences, T0);
        expect(put).toStrictEqual({ customerId: 'c1', preferences, updatedAt: T0.toISOString() });
        expect(await store.getPreferences('c1')).toStrictEqual(put);
        const none: CustomerPreferences = { optedOutChannels: [], marketingConsent: null, preferredChannels: [], contactTimes: [], preferredAdvisor: null };
        const replaced = await store.putPreferences('c1', none, T1);
        expect(await store.getPreferences('c1')).toStrictEqual({ customerId: 'c1', preferences: none, updatedAt: T1.toISOString() });
        expect(replaced.preferences).toStrictEqual(none);
      });

      it('reads profile, preferences and history of a customer at once, as the single reads give them', async () => {
        expect(await store.getDecisionInputs('c1', '2026-01-01')).toStrictEqual({ profile: undefined, preferences: undefined, history: [] });
        await store.putProfile('c1', { age: 40, tags: ['a'], nested: { x: 1 } }, T0);
        await store.putPreferences('c1', preferences, T0);
        const rows = [
          { day: '2026-02-02', channel: 'web', issue: 'grow', group: 'cards', actionId: 'gold-card', outcome: 'decided' as const, count: 1 },
          { day: '2026-02-01', channel: 'email', issue: 'grow', group: 'cards', actionId: 'gold-card', outcome: 'decided' as const, count: 2 },
          { day: '2025-12-31', channel: 'web', issue: 'risk', group: 'fraud', actionId: 'fraud-alert', outcome: 'decided' as const, count: 1 },
        ];
        await store.saveDecision(decision('h1', 'c1'), { history: rows });
        const inputs = await store.getDecisionInputs('c1', '2026-01-01');
        expect(inputs.profile).toStrictEqual(await store.getProfile('c1'));
        expect(inputs.preferences).toStrictEqual(await store.getPreferences('c1'));
        expect(inputs.history).toStrictEqual(await store.getHistory('c1', '2026-01-01'));
        expect(inputs.history.map((r) => r.day)).toEqual(['2026-02-01', '2026-02-02']);
        expect((await store.getDecisionInputs('c1', null)).history).toEqual([]);
        expect((await store.getDecisionInputs('c2', '2026-01-01')).profile).toBeUndefined();
      });

      it('reads asked for together give what each would alone, each in objects of its own', async () => {
        await store.putProfile('c1', { age: 40, tags: ['a'] }, T0);
        await store.putProfile('c2', { age: 30 }, T0);
        await store.putPreferences('c1', preferences, T0);
        const row = { day: '2026-02-02', channel: 'web', issue: 'grow', group: 'cards', actionId: 'gold-card', outcome: 'decided' as const, count: 1 };
        await store.saveDecision(decision('h1', 'c1'), { history: [row] });
        const [first, second, noHistory, other, unknown, later] = await Promise.all([
          store.getDecisionInputs('c1', '2026-01-01'),
          store.getDecisionInputs('c1', '2026-01-01'),
          store.getDecisionInputs('c1', null),
          store.getDecisionInputs('c2', '2026-01-01'),
          store.getDecisionInputs('nobody', '2026-01-01'),
          store.getDecisionInputs('c1', '2026-03-01'),
        ]);
        const alone = await store.getDecisionInputs('c1', '2026-01-01');
        expect(first).toStrictEqual(alone);
        expect(second).toStrictEqual(alone);
        expect(alone.history).toStrictEqual([row]);
        expect(noHistory).toStrictEqual({ ...alone, history: [] });
        expect(later).toStrictEqual({ ...alone, history: [] });
        expect(other.profile).toStrictEqual(await store.getProfile('c2'));
        expect(other.preferences).toBeUndefined();
        expect(unknown).toStrictEqual({ profile: undefined, preferences: undefined, history: [] });
        (first.profile!.attributes['tags'] as string[]).push('changed');
        first.preferences!.preferences.optedOutChannels.push('sms');
        expect(second.profile!.attributes['tags']).toStrictEqual(['a']);
        expect(second.preferences).toStrictEqual(await store.getPreferences('c1'));
      });

      it('puts many customers’ preferences at once; the last duplicate wins', async () => {
        const consent = (marketingConsent: boolean | null): CustomerPreferences => ({ ...preferences, marketingConsent });
        await store.putPreferences('c0', consent(null), T0);
        const entries = Array.from({ length: 1100 }, (_, i) => ({ customerId: `c${i}`, preferences: consent(i % 2 === 0) }));
        entries.push({ customerId: 'c7', preferences: consent(null) });
        await store.putManyPreferences(entries, T1);
        await store.putManyPreferences([], T2);
        expect(await store.getPreferences('c0')).toStrictEqual({ customerId: 'c0', preferences: consent(true), updatedAt: T1.toISOString() });
        expect((await store.getPreferences('c7'))?.preferences).toStrictEqual(consent(null));
        expect((await store.getPreferences('c1099'))?.preferences).toStrictEqual(consent(false));
      });

      it('erases preferences and history with the customer, and nobody else’s', async () => {
        await store.putPreferences('c1', preferences, T0);
        await store.putPreferences('c2', preferences, T0);
        const history: HistoryRow[] = [{ day: '2026-03-01', channel: 'web', issue: 'grow', group: 'cards', actionId: 'gold-card', outcome: 'decided', count: 1 }];
        await store.saveDecision(decision('d1', 'c1'), { history });
        await store.saveDecision(decision('d2', 'c2'), { history });
        expect(await store.eraseCustomer('c1')).toStrictEqual({ profile: false, decisions: 1, responses: 0 });
        expect(await store.getPreferences('c1')).toBeUndefined();
        expect(await store.getHistory('c1', '2000-01-01')).toStrictEqual([]);
        expect((await store.getPreferences('c2'))?.preferences).toStrictEqual(preferences);
        expect(await store.getHistory('c2', '2000-01-01')).toStrictEqual(history);
      });

      it('keeps preferences, history, bookings and pending deadlines across close and reopen', async (context) => {
        if (!subject.reopen) {
          context.skip();
          return;
        }
        const history: HistoryRow[] = [{ day: '2026-03-01', channel: 'web', issue: 'grow', group: 'cards', actionId: 'gold-card', outcome: 'decided', count: 2 }];
        await store.putPreferences('c1', preferences, T0);
        await store.saveDecision(decision('d1', 'c1', { controlGroup: true }), { history, respondBy: '2026-03-02T09:15:30.123Z' });
        await store.saveResponse(response('d1', 'gold-card', 'accepted'), { advisorBooking: { advisorId: 'adv-7', week: '2026-W09' } });
        await store.close();
        const reopened = await subject.reopen();
        expect((await reopened.getPreferences('c1'))?.preferences).toStrictEqual(preferences);
        expect(await reopened.getHistory('c1', '2026-01-01')).toStrictEqual(history);
        expect(await reopened.getAdvisorLoad('2026-W09')).toStrictEqual({ 'adv-7': 1 });
        const due = await reopened.listDueDecisions('2026-03-03T00:00:00.000Z', 5);
        expect(due).toStrictEqual([{ decision: decision('d1', 'c1', { controlGroup: true }), respondBy: '2026-03-02T09:15:30.123Z' }]);
        await reopened.close();
      });
    });

    describe('catalog versions', () => {
      it('has no catalog at first', async () => {
        expect(await store.getActiveCatalog()).toBeUndefined();
        expect(await store.getCatalog(1)).toBeUndefined();
        expect(await store.listCatalogVersions()).toStrictEqual([]);
      });

      it('numbers versions 1, 2, 3 and serves the latest as active', async () => {
        const v1 = await store.saveCatalog(CATALOG_A, 'file:/etc/nextbest/catalog.yaml', T0);
        const v2 = await store.saveCatalog(CATALOG_B, 'api', T1);
        const v3 = await store.saveCatalog(CATALOG_C, 'demo', T2);
        expect(v1).toStrictEqual({
          version: 1,
          createdAt: T0.toISOString(),
          source: 'file:/etc/nextbest/catalog.yaml',
          checksum: sha256(CATALOG_A_CANONICAL),
        });
        expect(v2).toStrictEqual({ version: 2, createdAt: T1.toISOString(), source: 'api', checksum: sha256('{"channels":[],"issues":[],"version":"summer"}') });
        expect(v3).toStrictEqual({
          version: 3,
          createdAt: T2.toISOString(),
          source: 'demo',
          checksum: sha256('{"alpha":{"a":[3,2,1],"z":true},"version":"autumn","zeta":1}'),
        });
        expect(await store.getActiveCatalog()).toStrictEqual({ ...v3, document: CATALOG_C });
        expect(await store.listCatalogVersions()).toStrictEqual([v1, v2, v3]);
      });

      it('gets any version with its document exactly as saved, key order included', async () => {
        const v1 = await store.saveCatalog(CATALOG_A_REORDERED, 'api', T0);
        const v2 = await store.saveCatalog(CATALOG_C, 'api', T1);
        const stored1 = await store.getCatalog(1);
        expect(stored1).toStrictEqual({ ...v1, document: CATALOG_A_REORDERED });
        expect(JSON.stringify(stored1?.document)).toBe(JSON.stringify(CATALOG_A_REORDERED));
        const stored2 = await store.getCatalog(2);
        expect(stored2).toStrictEqual({ ...v2, document: CATALOG_C });
        expect(JSON.stringify(stored2?.document)).toBe(JSON.stringify(CATALOG_C));
        expect(await store.getCatalog(3)).toBeUndefined();
        expect(await store.getCatalog(0)).toBeUndefined();
      });

      it('does not store a document identical to the active one (keys in any order): returns the active info', async () => {
        const v1 = await store.saveCatalog(CATALOG_A, 'file:a.yaml', T0);
        const again = await store.saveCatalog(CATALOG_A_REORDERED, 'api', T1);
        expect(again).toStrictEqual(v1);
        expect(await store.listCatalogVersions()).toStrictEqual([v1]);
        expect(await store.getActiveCatalog()).toStrictEqual({ ...v1, document: CATALOG_A });
      });

      it('stores a document again when it differs from the active one, even if an older version had it', async () => {
        const v1 = await store.saveCatalog(CATALOG_A, 'api', T0);
        const v2 = await store.saveCatalog(CATALOG_B, 'api', T1);
        const v3 = await store.saveCatalog(CATALOG_A, 'rollback', T2);
        expect(v3).toStrictEqual({ version: 3, createdAt: T2.toISOString(), source: 'rollback', checksum: v1.checksum });
        expect((await store.listCatalogVersions()).map((info) => info.version)).toStrictEqual([1, 2, 3]);
        expect(v2.checksum).not.toBe(v1.checksum);
        expect((await store.getActiveCatalog())?.version).toBe(3);
      });

      it('gives distinct consecutive versions to concurrent saves', async () => {
        const documents: JsonValue[] = Array.from({ length: 6 }, (_, i) => ({ version: `v${i}` }));
        const infos = await Promise.all(documents.map((document) => store.saveCatalog(document, 'api', T0)));
        expect(infos.map((info) => info.version).sort((a, b) => a - b)).toStrictEqual([1, 2, 3, 4, 5, 6]);
        const listed = await store.listCatalogVersions();
        expect(listed.map((info) => info.version)).toStrictEqual([1, 2, 3, 4, 5, 6]);
        for (const info of infos) {
          const stored = await store.getCatalog(info.version);
          expect(stored?.checksum).toBe(info.checksum);
        }
      });
    });

    describe('model states', () => {
      it('saves, upserts per key and loads per kind ordered by key; kinds are isolated', async () => {
        expect(await store.loadModelStates('beta-bernoulli')).toStrictEqual([]);
        await store.saveModelStates(
          'beta-bernoulli',
          [
            { key: 'gold-card/web/inbound', state: { pos: 3, neg: 10 } },
            { key: 'auto-loan/email/outbound', state: { pos: 0, neg: 1 } },
          ],
          T0,
        );
        await store.saveModelStates('naive-bayes', [{ key: 'gold-card/web/inbound', state: { bins: [[1, 2], [3, 4]], zeta: 1, alpha: 2 } }], T0);
        await store.saveModelStates(
          'beta-bernoulli',
          [
            { key: 'gold-card/web/inbound', state: { pos: 4, neg: 10 } },
            { key: 'savings-tip/app/inbound', state: { pos: 1, neg: 0 } },
          ],
          T1,
        );
        await store.saveModelStates('beta-bernoulli', [], T2);
        expect(await store.loadModelStates('beta-bernoulli')).toStrictEqual([
          { key: 'auto-loan/email/outbound', state: { pos: 0, neg: 1 } },
          { key: 'gold-card/web/inbound', state: { pos: 4, neg: 10 } },
          { key: 'savings-tip/app/inbound', state: { pos: 1, neg: 0 } },
        ]);
        const naive = await store.loadModelStates('naive-bayes');
        expect(naive).toStrictEqual([{ key: 'gold-card/web/inbound', state: { bins: [[1, 2], [3, 4]], zeta: 1, alpha: 2 } }]);
        expect(JSON.stringify(naive[0]?.state)).toBe('{"bins":[[1,2],[3,4]],"zeta":1,"alpha":2}');
        expect(await store.loadModelStates('other')).toStrictEqual([]);
      });

      it('keeps any JSON value as a state', async () => {
        const states: Array<{ key: string; state: JsonValue }> = [
          { key: 'a', state: 0.25 },
          { key: 'b', state: 'text' },
          { key: 'c', state: [1, 'two', null, { three: 3 }] },
          { key: 'd', state: null },
          { key: 'e', state: true },
          { key: 'x{1}, "quoted" \\ key', state: { nested: ['a,b', '{c}', 'd"e'] } },
        ];
        await store.saveModelStates('misc', states, T0);
        expect(await store.loadModelStates('misc')).toStrictEqual(states);
      });
    });

    describe('lifecycle', () => {
      it('closes idempotently and then rejects with a plain Error', async () => {
        await store.close();
        await store.close();
        const error = await store.getProfile('c1').then(
          () => undefined,
          (reason: unknown) => reason,
        );
        expect(error).toBeInstanceOf(Error);
        expect((error as Error).constructor).toBe(Error);
      });

      it('keeps everything across close and reopen', async (context) => {
        if (!subject.reopen) {
          context.skip();
          return;
        }
        await store.putProfile('c1', { age: 42, address: { city: 'Bern' } }, T0);
        await store.putProfiles([{ customerId: 'c2', attributes: { age: 30 } }], T0);
        await store.patchProfile('c1', { segment: 'A' }, T1);
        await store.saveDecision(decision('d1', 'c1'));
        await store.saveResponse(response('d1', 'gold-card', 'clicked'));
        const v1 = await store.saveCatalog(CATALOG_A, 'api', T0);
        const v2 = await store.saveCatalog(CATALOG_C, 'demo', T1);
        await store.saveModelStates('beta-bernoulli', [{ key: 'gold-card/web/inbound', state: { pos: 1, neg: 2 } }], T1);
        await store.close();

        const reopened = await subject.reopen();
        expect(await reopened.getProfile('c1')).toStrictEqual({
          customerId: 'c1',
          attributes: { age: 42, address: { city: 'Bern' }, segment: 'A' },
          updatedAt: T1.toISOString(),
        });
        expect(await reopened.countProfiles()).toBe(2);
        expect(await reopened.getDecision('d1')).toStrictEqual(decision('d1', 'c1'));
        expect(await reopened.listResponses('d1')).toStrictEqual([response('d1', 'gold-card', 'clicked')]);
        expect(await reopened.saveResponse(response('d1', 'gold-card', 'clicked'))).toBe(false);
        expect(await reopened.listCatalogVersions()).toStrictEqual([v1, v2]);
        expect(await reopened.getActiveCatalog()).toStrictEqual({ ...v2, document: CATALOG_C });
        expect(await reopened.saveCatalog(CATALOG_C, 'again', T2)).toStrictEqual(v2);
        expect(await reopened.loadModelStates('beta-bernoulli')).toStrictEqual([
          { key: 'gold-card/web/inbound', state: { pos: 1, neg: 2 } },
        ]);
        await reopened.close();
      });
    });
  });
}
