/**
 * The service's interaction history, ignored-response sweeper, advisor capacity, control group,
 * preferences and impact report, end to end with a manual clock and a seeded random source,
 * including restarts on the same data: on a real SQLite file and on PostgreSQL (a fresh schema per
 * test; failing under CI when the server is unreachable, skipped loudly otherwise).
 */
import { randomBytes } from 'node:crypto';
import { rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../core/clock.js';
import { BetaBernoulliModel } from '../core/models/beta-bernoulli.js';
import { inControlGroup } from '../core/policy/control.js';
import { SeededRandom } from '../core/random.js';
import { policyCatalog } from '../core/testing/policy-fixtures.js';
import { openStore } from '../store/open.js';
import { maskUrlPassword } from '../store/support.js';
import { dropPostgresSchema, POSTGRES_TEST_URL, postgresUnreachableReason } from '../store/postgres/test-server.js';
import { DecisionService } from './service.js';

const HOUR = 3_600_000;
/** Where the store lives: a SQLite file path or a postgres:// URL with `?schema=`. */
let location: string;
let clock: ManualClock;
let service: DecisionService;
let counter = 0;

async function start(document: unknown = catalog()): Promise<DecisionService> {
  return DecisionService.start({
    store: await openStore(location),
    catalog: { document, source: 'test' },
    clock,
    // Pinned: the tests count this model's learning, whatever the service's default model is.
    model: new BetaBernoulliModel(),
    random: new SeededRandom(7),
    newId: () => `d${++counter}`,
    modelFlushMs: 0,
    sweepMs: 0,
  });
}

/** The policy catalog with student-card learned (no fixed propensity) and no control group. */
function catalog() {
  const doc = policyCatalog();
  delete doc['issues'][0].groups[0].actions[1].propensity;
  doc['controlGroup'] = { share: 0 };
  return doc;
}


interface Backend {
  name: string;
  location: () => string;
  cleanup: (location: string) => Promise<void>;
}

function serviceSuite(backend: Backend): void {
  describe(`service on ${backend.name}`, () => {
    beforeEach(async () => {
      location = backend.location();
      clock = new ManualClock('2026-06-15T10:00:00Z'); // Monday, 11:00 in Lisbon
      counter = 0;
      service = await start();
      await service.putProfile('c1', { age: 40, timeZone: 'Europe/Lisbon' });
      await service.putPreferences('c1', { marketingConsent: true });
    });

    afterEach(async () => {
      await service.close();
      await backend.cleanup(location);
    });

    describe('interaction history', () => {
      it('records offers and outbound contacts with the decision, and responses with the response', async () => {
        const email = await service.decide({ customerId: 'c1', channel: 'email', limit: 2 });
        expect(email.actions.map((a) => a.actionId)).toEqual(['terms-update', 'mortgage-talk']);
        const web = await service.decide({ customerId: 'c1', channel: 'web', limit: 1 });
        await service.respond({ decisionId: email.decisionId, actionId: 'mortgage-talk', outcome: 'impression' });
        await service.respond({ decisionId: email.decisionId, actionId: 'mortgage-talk', outcome: 'impression' }); // duplicate: counted once
        await service.respond({ decisionId: web.decisionId, actionId: web.actions[0]!.actionId, outcome: 'clicked', at: '2026-06-14T09:00:00Z' });
        expect(await service.getHistory('c1', '2026-06-01')).toEqual([
          { day: '2026-06-14', channel: 'web', issue: 'risk', group: 'regulatory', actionId: 'terms-update', outcome: 'clicked', count: 1 },
          { day: '2026-06-15', channel: 'email', issue: '', group: '', actionId: '', outcome: 'contact', count: 1 },
          { day: '2026-06-15', channel: 'email', issue: 'advice', group: 'mortgages', actionId: 'mortgage-talk', outcome: 'decided', count: 1 },
          { day: '2026-06-15', channel: 'email', issue: 'advice', group: 'mortgages', actionId: 'mortgage-talk', outcome: 'impression', count: 1 },
          { day: '2026-06-15', channel: 'email', issue: 'risk', group: 'regulatory', actionId: 'terms-update', outcome: 'decided', count: 1 },
          { day: '2026-06-15', channel: 'web', issue: 'risk', group: 'regulatory', actionId: 'terms-update', outcome: 'decided', count: 1 },
        ]);
      });

      it('a transactional-only outbound decision is not a contact; contacts feed the limit', async () => {
        await service.putPreferences('c1', { marketingConsent: false, optedOutChannels: [] });
        const doc = catalog();
        doc['issues'][2].groups[0].actions[0].mandatory = false; // terms-update no longer mandatory
        doc['issues'][2].groups[0].actions[0].transactional = true;
        await service.putCatalog(doc);
        for (let i = 0; i < 3; i++) await service.decide({ customerId: 'c1', channel: 'email', limit: 5 });
        const contacts = (await service.getHistory('c1')).filter((r) => r.outcome === 'contact');
        expect(contacts).toEqual([]);
      });

      it('suppresses an action once the history says so, and explains it with the policy and the counts', async () => {
        for (let i = 0; i < 3; i++) {
          const d = await service.decide({ customerId: 'c1', channel: 'web', limit: 5 });
          await service.respond({ decisionId: d.decisionId, actionId: 'gold-card', outcome: 'impression' });
          clock.advance(24 * HOUR);
        }
        const next = await service.decide({ customerId: 'c1', channel: 'web', limit: 5, explain: true });
        expect(next.actions.map((a) => a.actionId)).not.toContain('gold-card');
        expect(next.explanation!.find((e) => e.actionId === 'gold-card')).toMatchObject({
          stage: 'suppression',
          policy: 'three strikes',
          evidence: { count: 3, from: '2026-06-11', to: '2026-06-17', until: '2026-07-17' },
        });
      });

      it('stops outbound contact at the channel limit', async () => {
        for (let i = 0; i < 2; i++) await service.decide({ customerId: 'c1', channel: 'email', limit: 5 });
        const third = await service.decide({ customerId: 'c1', channel: 'email', limit: 5, explain: true });
        expect(third.actions.map((a) => a.actionId)).toEqual(['terms-update', 'card-expiry']);
        expect(third.explanation!.find((e) => e.actionId === 'gold-card')).toMatchObject({ stage: 'contact-limit', policy: 'email weekly', evidence: { contacts: 2 } });
      });
    });

    describe('responses', () => {
      it('teaches the model once per decision and action when its responses arrive together', async () => {
        const web = await service.decide({ customerId: 'c1', channel: 'web', limit: 5 });
        expect(web.actions.map((a) => a.actionId)).toContain('student-card');
        const answers = await Promise.all(
          (['clicked', 'accepted', 'rejected', 'clicked'] as const).map((outcome) => service.respond({ decisionId: web.decisionId, actionId: 'student-card', outcome })),
        );
        expect(answers.map((a) => [a.outcome, a.recorded, a.learned])).toEqual([
          ['clicked', true, 'positive'],
          ['accepted', true, 'none'],
          ['rejected', true, 'none'],
          ['clicked', false, 'none'],
        ]);
        expect((service.model as BetaBernoulliModel).countsOf('student-card/web/inbound')).toEqual({ positives: 1, negatives: 0 });
      });
    });

    describe('ignored-response sweeper', () => {
      it('records ignored after the channel window for offered actions without a response, teaching the model once', async () => {
        const email = await service.decide({ customerId: 'c1', channel: 'email', limit: 5 }); // window 72 h
        const web = await service.decide({ customerId: 'c1', channel: 'web', limit: 5 }); // window 24 h
        expect(email.actions.map((a) => a.actionId)).toEqual(['terms-update', 'mortgage-talk', 'student-card', 'gold-card', 'card-expiry']);
        await service.respond({ decisionId: email.decisionId, actionId: 'gold-card', outcome: 'clicked' });
        await service.respond({ decisionId: email.decisionId, actionId: 'card-expiry', outcome: 'impression' });

        clock.advance(24 * HOUR - 1);
        expect(await service.sweepIgnored()).toEqual({ decisions: 0, ignored: 0 });
        clock.advance(1);
        expect(await service.sweepIgnored()).toEqual({ decisions: 1, ignored: 5 }); // the web decision
        expect((await service.store.listResponses(web.decisionId)).map((r) => [r.actionId, r.outcome, r.at])).toEqual(
          web.actions.map((a) => [a.actionId, 'ignored', '2026-06-16T10:00:00.000Z']),
        );

        clock.advance(48 * HOUR);
        expect(await service.sweepIgnored()).toEqual({ decisions: 1, ignored: 4 }); // all but the clicked gold-card
        const outcomes = (await service.store.listResponses(email.decisionId)).map((r) => `${r.actionId}:${r.outcome}`);
        expect(outcomes).toEqual([
          'gold-card:clicked',
          'card-expiry:impression',
          'terms-update:ignored',
          'mortgage-talk:ignored',
          'student-card:ignored',
          'card-expiry:ignored',
        ]);
        const model = service.model as BetaBernoulliModel;
        expect(model.countsOf('student-card/email/outbound')).toEqual({ positives: 0, negatives: 1 });
        expect(model.countsOf('student-card/web/inbound')).toEqual({ positives: 0, negatives: 1 });
        const ignored = (await service.getHistory('c1', '2026-06-01')).filter((r) => r.outcome === 'ignored');
        expect(ignored.map((r) => `${r.day} ${r.channel} ${r.actionId}`)).toEqual([
          '2026-06-16 web card-expiry',
          '2026-06-16 web gold-card',
          '2026-06-16 web mortgage-talk',
          '2026-06-16 web student-card',
          '2026-06-16 web terms-update',
          '2026-06-18 email card-expiry',
          '2026-06-18 email mortgage-talk',
          '2026-06-18 email student-card',
          '2026-06-18 email terms-update',
        ]);
        expect(await service.sweepIgnored()).toEqual({ decisions: 0, ignored: 0 });
        expect(service.metrics.sweptDecisions.get()).toBe(2);
        expect(service.metrics.render()).toContain('nextbest_swept_decisions_total 2');
      });

      it('is idempotent and survives a restart, including one in the middle of a sweep', async () => {
        const first = await service.decide({ customerId: 'c1', channel: 'web', limit: 2 });
        const second = await service.decide({ customerId: 'c1', channel: 'web', limit: 2 });
        clock.advance(25 * HOUR);
        // A crash after recording one ignored response but before the decision was marked swept:
        await service.respond({ decisionId: first.decisionId, actionId: first.actions[0]!.actionId, outcome: 'ignored' });
        await service.close();
        service = await start();
        expect(await service.sweepIgnored()).toEqual({ decisions: 2, ignored: 3 });
        expect((await service.store.listResponses(first.decisionId)).map((r) => r.outcome)).toEqual(['ignored', 'ignored']);
        expect((await service.store.listResponses(second.decisionId)).map((r) => r.outcome)).toEqual(['ignored', 'ignored']);
        await service.close();
        service = await start();
        expect(await service.sweepIgnored()).toEqual({ decisions: 0, ignored: 0 });
        expect(await service.store.countResponses('c1')).toBe(4);
      });

      it('handles more due decisions than one batch, and runs one sweep at a time', async () => {
        for (let i = 0; i < 5; i++) await service.decide({ customerId: 'c1', channel: 'web', limit: 1 });
        clock.advance(25 * HOUR);
        const [a, b] = await Promise.all([service.sweepIgnored(2), service.sweepIgnored(2)]);
        expect(a).toEqual({ decisions: 5, ignored: 5 });
        expect(b).toEqual({ decisions: 0, ignored: 0 });
      });
    });

    describe('advisor capacity', () => {
      it('counts accepted conversations per advisor and ISO week, durably, and routes to the next advisor when full', async () => {
        const book = async () => {
          const d = await service.decide({ customerId: 'c1', channel: 'web', limit: 5 });
          const talk = d.actions.find((a) => a.actionId === 'mortgage-talk');
          if (talk) await service.respond({ decisionId: d.decisionId, actionId: 'mortgage-talk', outcome: 'accepted' });
          return talk?.advisorId;
        };
        // ana (2 slots) first, then carla (1), then ben (5; mortgages is his second topic).
        expect(await book()).toBe('ana');
        expect(await book()).toBe('ana');
        await service.close();
        service = await start();
        expect(await book()).toBe('carla');
        expect(await book()).toBe('ben');
        expect(await service.store.getAdvisorLoad('2026-W25')).toEqual({ ana: 2, ben: 1, carla: 1 });
        clock.set('2026-06-22T10:00:00Z'); // next ISO week
        expect(await book()).toBe('ana');
      });

      it('routes to the preferred advisor when able', async () => {
        await service.putPreferences('c1', { marketingConsent: true, preferredAdvisor: 'ben' });
        const d = await service.decide({ customerId: 'c1', channel: 'web', limit: 5 });
        expect(d.actions.find((a) => a.actionId === 'mortgage-talk')?.advisorId).toBe('ben');
      });
    });

    describe('control group', () => {
      it('flags decisions of customers in the control arm, records the flag, and keeps the others in the NBA arm', async () => {
        const doc = catalog();
        doc['controlGroup'] = { share: 0.02, period: 'quarter' };
        await service.putCatalog(doc);
        const now = clock.now();
        const ids = Array.from({ length: 400 }, (_, i) => `cust-${i}`);
        const control = ids.filter((id) => inControlGroup(id, now, { share: 0.02, period: 'quarter' }));
        expect(control.length).toBeGreaterThan(0);
        const member = control[0]!;
        const other = ids.find((id) => !control.includes(id))!;
        const a = await service.decide({ customerId: member, channel: 'web', limit: 3 });
        const b = await service.decide({ customerId: other, channel: 'web', limit: 3 });
        expect([a.controlGroup, b.controlGroup]).toEqual([true, false]);
        expect(service.metrics.controlDecisions.get({ channel: 'web' })).toBe(1);
        expect((await service.store.getDecision(a.decisionId))?.controlGroup).toBe(true);
        expect((await service.store.getDecision(b.decisionId))?.controlGroup).toBe(false);
      });
    });

    describe('preferences', () => {
      it('defaults when none were given, validates against the catalog, and are erased with the customer', async () => {
        expect(await service.getPreferences('c2')).toEqual({
          customerId: 'c2',
          preferences: { optedOutChannels: [], marketingConsent: null, preferredChannels: [], contactTimes: [], preferredAdvisor: null },
          explicit: false,
          updatedAt: null,
        });
        await expect(service.putPreferences('c2', { optedOutChannels: ['fax'] })).rejects.toMatchObject({
          code: 'NB_ERR_VALIDATION',
          details: [{ path: 'body.optedOutChannels[0]', message: "must be one of the catalog's channels (web, email, push)" }],
        });
        await service.putPreferences('c2', { optedOutChannels: ['push'] });
        expect((await service.getPreferences('c2')).explicit).toBe(true);
        await service.decide({ customerId: 'c2', channel: 'web' });
        await service.eraseCustomer('c2');
        expect((await service.getPreferences('c2')).explicit).toBe(false);
        expect(await service.getHistory('c2', '2000-01-01')).toEqual([]);
      });
    });

    describe('impact report', () => {
      it('computes decisions, positives, rates and lift per arm on a seeded scenario', async () => {
        // NBA: 40 decisions, 8 with a click (20%). Control: 20 decisions, 2 with a click (10%).
        // Lift = (0.2 - 0.1) / 0.1 = 1; se = sqrt(1/8 - 1/40 + 1/2 - 1/20) = sqrt(0.55) = 0.741620;
        // CI = exp(0.693147 -/+ 1.959964 x 0.741620) - 1 = exp(0.693147 -/+ 1.453548) - 1 = [-0.53252, 7.55654].
        const save = async (id: string, control: boolean, clicked: boolean, channel = 'web') => {
          await service.store.saveDecision({
            decisionId: id,
            customerId: 'c9',
            channel,
            direction: channel === 'web' ? 'inbound' : 'outbound',
            catalogVersion: 1,
            createdAt: '2026-06-10T12:00:00.000Z',
            context: {},
            actions: [{ rank: 1, actionId: 'gold-card', issue: 'grow', group: 'cards', treatmentId: 'gold-card-web', propensity: 0.1, contextWeight: 1, value: 1, lever: 1, priority: 0.1 }],
            predictors: {},
            controlGroup: control,
          });
          await service.respond({ decisionId: id, actionId: 'gold-card', outcome: 'impression' });
          if (clicked) await service.respond({ decisionId: id, actionId: 'gold-card', outcome: 'clicked' });
        };
        for (let i = 0; i < 40; i++) await save(`n${i}`, false, i < 8);
        for (let i = 0; i < 20; i++) await save(`k${i}`, true, i < 2);
        await save('email-1', false, true, 'email');
        const report = await service.impactReport({ channel: 'web', issue: 'grow', from: '2026-06-01T00:00:00Z', to: '2026-07-01T00:00:00Z' });
        expect(report.filter).toEqual({ channel: 'web', issue: 'grow', from: '2026-06-01T00:00:00.000Z', to: '2026-07-01T00:00:00.000Z' });
        expect(report.nba).toEqual({ decisions: 40, positives: 8, rate: 0.2 });
        expect(report.control).toEqual({ decisions: 20, positives: 2, rate: 0.1 });
        expect(report.lift).toBeCloseTo(1, 12);
        expect(report.liftCi95![0]).toBeCloseTo(-0.53252, 4);
        expect(report.liftCi95![1]).toBeCloseTo(7.55654, 4);
        expect((await service.impactReport({})).nba).toEqual({ decisions: 41, positives: 9, rate: 9 / 41 });
        expect((await service.impactReport({ to: '2026-06-10T12:00:00.000Z' })).nba.decisions).toBe(0);
        await expect(service.impactReport({ channel: 'fax' })).rejects.toMatchObject({ code: 'NB_ERR_UNKNOWN_CHANNEL' });
        await expect(service.impactReport({ issue: 'nothing' })).rejects.toMatchObject({ code: 'NB_ERR_VALIDATION' });
      });
    });
  });
}

serviceSuite({
  name: 'sqlite (temporary file)',
  location: () => join(tmpdir(), `nextbest-service-${randomBytes(6).toString('hex')}.db`),
  cleanup: async (path) => {
    for (const suffix of ['', '-wal', '-shm']) rmSync(path + suffix, { force: true });
  },
});

const unreachable = await postgresUnreachableReason();
if (unreachable === undefined) {
  serviceSuite({
    name: 'postgres (fresh schema per test)',
    location: () => {
      const url = new URL(POSTGRES_TEST_URL);
      url.searchParams.set('schema', `nb_svc_${randomBytes(6).toString('hex')}`);
      return url.toString();
    },
    cleanup: async (location) => dropPostgresSchema(new URL(location).searchParams.get('schema') ?? ''),
  });
} else if (process.env.CI) {
  describe('service on postgres', () => {
    it('needs a reachable PostgreSQL', () => {
      throw new Error(`PostgreSQL not reachable at ${maskUrlPassword(POSTGRES_TEST_URL)}; CI requires it (${unreachable})`);
    });
  });
} else {
  console.warn(`[service policies.test] PostgreSQL not reachable (${unreachable}); running on SQLite only.`);
}
