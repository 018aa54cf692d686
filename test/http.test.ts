/**
 * The HTTP API end to end through Fastify's inject (no socket), on a real SQLite file, with a
 * seeded random source and a fixed clock: decisions, responses, profiles and erasure, catalog
 * versions, errors, metrics, OpenAPI, and persistence across a restart.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../src/core/clock.js';
import { smallCatalog } from '../src/core/testing/fixtures.js';
import { startServer, type StartedServer } from '../src/server.js';
import { resolveServeSettings } from '../src/config/settings.js';
import { writeFileSync } from 'node:fs';
import { stringify } from 'yaml';

let dir: string;
let server: StartedServer;
const clock = new ManualClock('2026-06-15T10:00:00Z');

async function start(extra: { catalog?: string } = {}): Promise<StartedServer> {
  const settings = resolveServeSettings({ db: join(dir, 'nextbest.db'), seed: '42', ...extra }, {});
  return startServer(settings, { clock, modelFlushMs: 0, sweepMs: 0 });
}

function catalogFile(doc: unknown = smallCatalog()): string {
  const path = join(dir, 'catalog.yaml');
  writeFileSync(path, stringify(doc));
  return path;
}

beforeEach(async () => {
  dir = mkdtempSync(join(tmpdir(), 'nextbest-http-'));
  server = await start({ catalog: catalogFile() });
  await server.app.inject({ method: 'PUT', url: '/v1/customers/ana', payload: { age: 22, income: 45000, products: ['checking'], riskScore: 0.1 } });
});

afterEach(async () => {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
});

async function post(url: string, payload: unknown) {
  const res = await server.app.inject({ method: 'POST', url, payload: payload as object });
  return { status: res.statusCode, body: res.json() };
}

describe('POST /v1/decisions', () => {
  it('returns ranked actions with their factors', async () => {
    const { status, body } = await post('/v1/decisions', { customerId: 'ana', channel: 'web', limit: 3 });
    expect(status).toBe(200);
    expect(body.customerId).toBe('ana');
    expect(body.knownCustomer).toBe(true);
    expect(body.catalogVersion).toBe(1);
    expect(body.createdAt).toBe('2026-06-15T10:00:00.000Z');
    expect(body.actions.map((a: { actionId: string }) => a.actionId)).toEqual(['gold-card', 'fee-waiver', 'student-card']);
    expect(body.actions[0]).toEqual({
      rank: 1, actionId: 'gold-card', issue: 'grow', group: 'cards', treatmentId: 'gold-card-web',
      propensity: 0.05, contextWeight: 1, value: 120, lever: 1, priority: 6,
    });
    expect(body.explanation).toBeUndefined();
  });

  it('explains every candidate on request', async () => {
    const { body } = await post('/v1/decisions', { customerId: 'ana', channel: 'web', explain: true });
    expect(body.explanation).toHaveLength(3);
    expect(body.explanation.map((e: { stage: string }) => e.stage)).toEqual(['selected', 'limit', 'limit']);
    expect(body.explanation[0].reason).toBe('ranked 1: P 0.05 x C 1 x V 120 x L 1 = 6');
  });

  it('decides for an unknown customer on the context alone', async () => {
    const { status, body } = await post('/v1/decisions', { customerId: 'visitor-1', channel: 'web', context: { intent: 'cancel' }, explain: true });
    expect(status).toBe(200);
    expect(body.knownCustomer).toBe(false);
    expect(body.actions.map((a: { actionId: string }) => a.actionId)).toEqual(['fee-waiver']);
    expect(body.actions[0].contextWeight).toBe(2);
  });

  it('answers an empty list when nothing is relevant', async () => {
    await server.app.inject({ method: 'PUT', url: '/v1/customers/kid', payload: { age: 12 } });
    const doc = smallCatalog() as Record<string, any>;
    doc['issues'][1].eligibility = 'customer.age >= 18';
    expect((await server.app.inject({ method: 'PUT', url: '/v1/catalog', payload: doc })).statusCode).toBe(200);
    const { status, body } = await post('/v1/decisions', { customerId: 'kid', channel: 'web' });
    expect(status).toBe(200);
    expect(body.actions).toEqual([]);
  });

  it('rejects an unknown channel and invalid fields with codes and paths', async () => {
    const unknown = await post('/v1/decisions', { customerId: 'ana', channel: 'fax' });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.code).toBe('NB_ERR_UNKNOWN_CHANNEL');
    expect(unknown.body.error.message).toBe("Unknown channel 'fax'; the active catalog defines: web, email");

    const bad = await post('/v1/decisions', { customerId: 'ana', channel: 'web', limit: 51, colour: 'red' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('NB_ERR_VALIDATION');
    const paths = bad.body.error.details.map((d: { path: string }) => d.path);
    expect(paths).toContain('body.limit');
    expect(paths).toContain('body.colour');

    const missing = await post('/v1/decisions', { channel: 'web' });
    expect(missing.body.error.details).toContainEqual({ path: 'body.customerId', message: "must have required property 'customerId'" });
  });

  it('answers malformed JSON and unknown routes with catalogue errors', async () => {
    const res = await server.app.inject({ method: 'POST', url: '/v1/decisions', headers: { 'content-type': 'application/json' }, payload: '{"customerId":' });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.code).toBe('NB_ERR_VALIDATION');
    const nf = await server.app.inject({ method: 'GET', url: '/v1/nothing' });
    expect(nf.statusCode).toBe(404);
    expect(nf.json().error.code).toBe('NB_ERR_ROUTE_NOT_FOUND');
  });
});

describe('POST /v1/responses', () => {
  async function decision(): Promise<{ decisionId: string; actionId: string }> {
    const { body } = await post('/v1/decisions', { customerId: 'ana', channel: 'web', limit: 3 });
    return { decisionId: body.decisionId, actionId: body.actions[1].actionId };
  }

  it('answers decisions with UUIDv7 ids of the service clock, later decisions sorting after earlier ones', async () => {
    const start = clock.now();
    const first = await decision();
    clock.advance(1);
    const second = await decision();
    clock.set(start);
    for (const { decisionId } of [first, second]) expect(decisionId).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const at = (id: string): number => Number.parseInt(id.slice(0, 8) + id.slice(9, 13), 16);
    expect(at(second.decisionId)).toBe(at(first.decisionId) + 1);
    expect(at(first.decisionId)).toBe(start.getTime());
    expect(second.decisionId > first.decisionId).toBe(true);
  });

  it('accepts a response (202) and counts the same response once', async () => {
    const d = await decision();
    const first = await post('/v1/responses', { ...d, outcome: 'clicked' });
    expect(first.status).toBe(202);
    expect(first.body).toEqual({ ...d, outcome: 'clicked', recorded: true, learned: 'none' });
    const again = await post('/v1/responses', { ...d, outcome: 'clicked' });
    expect(again.status).toBe(202);
    expect(again.body.recorded).toBe(false);
    expect(await server.service.store.countResponses('ana')).toBe(1);
    const impression = await post('/v1/responses', { ...d, outcome: 'impression' });
    expect(impression.body.recorded).toBe(true);
    expect(await server.service.store.countResponses('ana')).toBe(2);
  });

  it('404 for an unknown decision, 422 for an action not in the decision, 400 for a bad outcome', async () => {
    const d = await decision();
    const nf = await post('/v1/responses', { decisionId: 'nope', actionId: d.actionId, outcome: 'clicked' });
    expect(nf.status).toBe(404);
    expect(nf.body.error.code).toBe('NB_ERR_DECISION_NOT_FOUND');
    const wrong = await post('/v1/responses', { decisionId: d.decisionId, actionId: 'mortgage', outcome: 'clicked' });
    expect(wrong.status).toBe(422);
    expect(wrong.body.error).toEqual({
      code: 'NB_ERR_ACTION_NOT_IN_DECISION',
      message: `Action 'mortgage' was not part of decision '${d.decisionId}' (it offered: gold-card, fee-waiver, student-card)`,
    });
    const bad = await post('/v1/responses', { ...d, outcome: 'maybe' });
    expect(bad.status).toBe(400);
    expect(bad.body.error.code).toBe('NB_ERR_VALIDATION');
  });

  it('teaches the model once per decision and action when its responses arrive together', async () => {
    const doc = smallCatalog() as Record<string, any>;
    delete doc['issues'][1].groups[0].actions[0].propensity; // fee-waiver now learns
    await server.app.inject({ method: 'PUT', url: '/v1/catalog', payload: doc });
    const { body } = await post('/v1/decisions', { customerId: 'visitor', channel: 'web', context: { intent: 'cancel' } });
    const answers = await Promise.all(
      (['clicked', 'accepted', 'clicked'] as const).map((outcome) => post('/v1/responses', { decisionId: body.decisionId, actionId: 'fee-waiver', outcome })),
    );
    expect(answers.map((a) => [a.body.recorded, a.body.learned])).toEqual([
      [true, 'positive'],
      [true, 'none'],
      [false, 'none'],
    ]);
    const models = (await server.app.inject({ method: 'GET', url: '/v1/models' })).json();
    expect(models.models).toEqual([{ key: 'fee-waiver/web/inbound', responses: 1, positives: 1, auc: 0.5, activePredictors: 0 }]);
  });

  it('teaches the model once per decision and action, from the snapshot at decision time', async () => {
    const doc = smallCatalog() as Record<string, any>;
    delete doc['issues'][1].groups[0].actions[0].propensity; // fee-waiver now learns
    await server.app.inject({ method: 'PUT', url: '/v1/catalog', payload: doc });
    const { body } = await post('/v1/decisions', { customerId: 'visitor', channel: 'web', context: { intent: 'cancel' } });
    expect(body.actions[0].actionId).toBe('fee-waiver');
    const r1 = await post('/v1/responses', { decisionId: body.decisionId, actionId: 'fee-waiver', outcome: 'clicked' });
    const r2 = await post('/v1/responses', { decisionId: body.decisionId, actionId: 'fee-waiver', outcome: 'accepted' });
    expect([r1.body.learned, r2.body.learned]).toEqual(['positive', 'none']);
    const models = (await server.app.inject({ method: 'GET', url: '/v1/models' })).json();
    expect(models.kind).toBe('adaptive-nb');
    expect(models.models).toEqual([{ key: 'fee-waiver/web/inbound', responses: 1, positives: 1, auc: 0.5, activePredictors: 0 }]);
    const report = (await server.app.inject({ method: 'GET', url: '/v1/models/fee-waiver/web/inbound' })).json();
    expect(report).toMatchObject({ key: 'fee-waiver/web/inbound', responses: 1, positives: 1 });
    // what was known at decision time: the context of the decision (no profile for this visitor)
    expect(report.predictors.map((p: { name: string }) => p.name)).toEqual(['context.intent']);
    expect((await server.app.inject({ method: 'GET', url: '/v1/models/nope/web/inbound' })).json().error.code).toBe('NB_ERR_MODEL_NOT_FOUND');
  });
});

describe('customers', () => {
  it('PUT replaces, PATCH merges (null removes), GET reads, unknown is 404', async () => {
    const put = await server.app.inject({ method: 'PUT', url: '/v1/customers/bo', payload: { age: 50, city: 'Porto' } });
    expect(put.statusCode).toBe(200);
    expect(put.json()).toEqual({ customerId: 'bo', attributes: { age: 50, city: 'Porto' }, updatedAt: '2026-06-15T10:00:00.000Z' });
    const patch = await server.app.inject({ method: 'PATCH', url: '/v1/customers/bo', payload: { city: null, income: 1000 } });
    expect(patch.json().attributes).toEqual({ age: 50, income: 1000 });
    const replaced = await server.app.inject({ method: 'PUT', url: '/v1/customers/bo', payload: { age: 51 } });
    expect(replaced.json().attributes).toEqual({ age: 51 });
    expect((await server.app.inject({ method: 'GET', url: '/v1/customers/bo' })).json().attributes).toEqual({ age: 51 });
    const nf = await server.app.inject({ method: 'GET', url: '/v1/customers/zed' });
    expect(nf.statusCode).toBe(404);
    expect(nf.json().error.code).toBe('NB_ERR_CUSTOMER_NOT_FOUND');
    const badBody = await server.app.inject({ method: 'PUT', url: '/v1/customers/bo', payload: [1, 2] as unknown as object });
    expect(badBody.statusCode).toBe(400);
    const badId = await server.app.inject({ method: 'GET', url: '/v1/customers/%20bad%20id' });
    expect(badId.statusCode).toBe(400);
  });

  it('DELETE erases the profile and every decision and response, and nothing else', async () => {
    await server.app.inject({ method: 'PUT', url: '/v1/customers/other', payload: { age: 30, income: 40000, products: [], riskScore: 0.1 } });
    const mine = await post('/v1/decisions', { customerId: 'ana', channel: 'web' });
    await post('/v1/decisions', { customerId: 'ana', channel: 'web' });
    const theirs = await post('/v1/decisions', { customerId: 'other', channel: 'web' });
    await post('/v1/responses', { decisionId: mine.body.decisionId, actionId: mine.body.actions[0].actionId, outcome: 'clicked' });
    await post('/v1/responses', { decisionId: theirs.body.decisionId, actionId: theirs.body.actions[0].actionId, outcome: 'clicked' });

    const del = await server.app.inject({ method: 'DELETE', url: '/v1/customers/ana' });
    expect(del.statusCode).toBe(200);
    expect(del.json()).toEqual({ customerId: 'ana', erased: { profile: true, decisions: 2, responses: 1 } });
    expect((await server.app.inject({ method: 'GET', url: '/v1/customers/ana' })).statusCode).toBe(404);
    const gone = await post('/v1/responses', { decisionId: mine.body.decisionId, actionId: mine.body.actions[0].actionId, outcome: 'accepted' });
    expect(gone.status).toBe(404);
    expect(await server.service.store.countDecisions('other')).toBe(1);
    expect(await server.service.store.countResponses('other')).toBe(1);
    const again = await server.app.inject({ method: 'DELETE', url: '/v1/customers/ana' });
    expect(again.json()).toEqual({ customerId: 'ana', erased: { profile: false, decisions: 0, responses: 0 } });
  });
});

describe('catalog API', () => {
  it('GET returns the active document with its version', async () => {
    const res = await server.app.inject({ method: 'GET', url: '/v1/catalog' });
    expect(res.statusCode).toBe(200);
    expect(res.headers['x-catalog-version']).toBe('1');
    expect(res.json()).toEqual(smallCatalog());
  });

  it('PUT with errors answers 400 listing all of them, and keeps the active version', async () => {
    const doc = smallCatalog() as Record<string, any>;
    doc['issues'][0].groups[0].actions[0].value = 'lots';
    doc['issues'][0].eligibility = 'customer.age >>= 3';
    const res = await server.app.inject({ method: 'PUT', url: '/v1/catalog', payload: doc });
    expect(res.statusCode).toBe(400);
    const body = res.json();
    expect(body.error.code).toBe('NB_ERR_CATALOG_INVALID');
    expect(body.error.details.map((d: { path: string }) => d.path)).toEqual(['issues[0].eligibility', 'issues[0].groups[0].actions[0].value']);
    expect(server.service.catalog.version).toBe(1);
  });

  it('PUT activates a new version at once (JSON or YAML), earlier versions are listed and readable', async () => {
    const doc = smallCatalog() as Record<string, any>;
    doc['issues'][0].groups[0].actions[0].value = 300;
    const json = await server.app.inject({ method: 'PUT', url: '/v1/catalog', payload: doc });
    expect(json.statusCode).toBe(200);
    expect(json.json().version).toBe(2);
    const decision = await post('/v1/decisions', { customerId: 'ana', channel: 'web' });
    expect(decision.body.catalogVersion).toBe(2);
    expect(decision.body.actions[0].value).toBe(300);

    doc['issues'][0].groups[0].actions[0].value = 10;
    const yaml = await server.app.inject({ method: 'PUT', url: '/v1/catalog', headers: { 'content-type': 'application/yaml' }, payload: stringify(doc) });
    expect(yaml.statusCode).toBe(200);
    expect(yaml.json()).toMatchObject({ version: 3, source: 'api' });

    const versions = (await server.app.inject({ method: 'GET', url: '/v1/catalog/versions' })).json();
    expect(versions.active).toBe(3);
    expect(versions.versions.map((v: { version: number }) => v.version)).toEqual([1, 2, 3]);
    const v2 = await server.app.inject({ method: 'GET', url: '/v1/catalog/versions/2' });
    expect(v2.json().issues[0].groups[0].actions[0].value).toBe(300);
    expect((await server.app.inject({ method: 'GET', url: '/v1/catalog/versions/9' })).statusCode).toBe(404);

    const badYaml = await server.app.inject({ method: 'PUT', url: '/v1/catalog', headers: { 'content-type': 'application/yaml' }, payload: 'issues: [' });
    expect(badYaml.statusCode).toBe(400);
    expect(badYaml.json().error.code).toBe('NB_ERR_CATALOG_PARSE');
  });
});

describe('operations', () => {
  it('serves health, Prometheus metrics and the OpenAPI document', async () => {
    const health = (await server.app.inject({ method: 'GET', url: '/health' })).json();
    expect(health).toMatchObject({ status: 'ok', catalogVersion: 1, model: 'adaptive-nb' });
    expect(health.store).toMatch(/^sqlite:/);
    await post('/v1/decisions', { customerId: 'ana', channel: 'web' });
    const metrics = await server.app.inject({ method: 'GET', url: '/metrics' });
    expect(metrics.headers['content-type']).toMatch(/^text\/plain/);
    expect(metrics.body).toContain('nextbest_decisions_total{channel="web",empty="false"} 1');
    expect(metrics.body).toContain('nextbest_decision_duration_seconds_count 1');
    expect(metrics.body).toContain('nextbest_responses_total 0');
    const openapi = (await server.app.inject({ method: 'GET', url: '/docs/json' })).json();
    expect(openapi.openapi).toBe('3.1.0');
    expect(Object.keys(openapi.paths)).toEqual(
      expect.arrayContaining(['/v1/decisions', '/v1/responses', '/v1/customers/{id}', '/v1/catalog', '/v1/catalog/versions', '/health', '/metrics']),
    );
    expect((await server.app.inject({ method: 'GET', url: '/docs' })).statusCode).toBeLessThan(400);
  });
});

describe('persistence', () => {
  it('profiles, decisions, responses, catalog versions and model state survive a restart', async () => {
    const doc = smallCatalog() as Record<string, any>;
    delete doc['issues'][1].groups[0].actions[0].propensity;
    await server.app.inject({ method: 'PUT', url: '/v1/catalog', payload: doc });
    const d = await post('/v1/decisions', { customerId: 'visitor', channel: 'web', context: { intent: 'cancel' } });
    await post('/v1/responses', { decisionId: d.body.decisionId, actionId: 'fee-waiver', outcome: 'rejected' });
    await server.close();

    server = await start(); // no --catalog: the stored active version is used
    expect(server.service.catalog.version).toBe(2);
    expect((await server.app.inject({ method: 'GET', url: '/v1/customers/ana' })).json().attributes.age).toBe(22);
    const again = await post('/v1/responses', { decisionId: d.body.decisionId, actionId: 'fee-waiver', outcome: 'rejected' });
    expect(again.body.recorded).toBe(false);
    const models = (await server.app.inject({ method: 'GET', url: '/v1/models' })).json();
    expect(models.models).toEqual([{ key: 'fee-waiver/web/inbound', responses: 1, positives: 0, auc: 0.5, activePredictors: 0 }]);
    const versions = (await server.app.inject({ method: 'GET', url: '/v1/catalog/versions' })).json();
    expect(versions.versions).toHaveLength(2);
  });

  it('restarting with the same catalog file does not add a version; a changed file does', async () => {
    await server.close();
    server = await start({ catalog: join(dir, 'catalog.yaml') });
    expect(server.service.catalog.version).toBe(1);
    await server.close();
    const doc = smallCatalog() as Record<string, any>;
    doc['name'] = 'changed';
    server = await start({ catalog: catalogFile(doc) });
    expect(server.service.catalog.version).toBe(2);
  });

  it('refuses to start on an invalid catalog file, naming every problem', async () => {
    const doc = smallCatalog() as Record<string, any>;
    doc['channels'] = [{ id: 'web', direction: 'up' }];
    await expect(start({ catalog: catalogFile(doc) })).rejects.toMatchObject({ code: 'NB_ERR_CATALOG_INVALID' });
  });
});

describe('preferences, explanations, history and impact', () => {
  async function get(url: string) {
    const res = await server.app.inject({ method: 'GET', url });
    return { status: res.statusCode, body: res.json() };
  }
  async function put(url: string, payload: unknown) {
    const res = await server.app.inject({ method: 'PUT', url, payload: payload as object });
    return { status: res.statusCode, body: res.json() };
  }

  it('GET shows the defaults until preferences are PUT; PUT validates against the catalog; DELETE erases them', async () => {
    expect(await get('/v1/customers/ana/preferences')).toEqual({
      status: 200,
      body: {
        customerId: 'ana',
        preferences: { optedOutChannels: [], marketingConsent: null, preferredChannels: [], contactTimes: [], preferredAdvisor: null },
        explicit: false,
        updatedAt: null,
      },
    });
    const preferences = { optedOutChannels: ['email'], marketingConsent: true, preferredChannels: [], contactTimes: [{ from: '18:00', to: '21:00', days: ['mon'] }], preferredAdvisor: null };
    const saved = await put('/v1/customers/ana/preferences', preferences);
    expect(saved).toEqual({ status: 200, body: { customerId: 'ana', preferences, explicit: true, updatedAt: '2026-06-15T10:00:00.000Z' } });
    expect((await get('/v1/customers/ana/preferences')).body).toEqual(saved.body);

    // null stays null (unknown consent), never coerced to false.
    const unknownConsent = await put('/v1/customers/ana/preferences', { marketingConsent: null, preferredAdvisor: null });
    expect(unknownConsent.body.preferences).toMatchObject({ marketingConsent: null, preferredAdvisor: null });
    expect((await put('/v1/customers/ana/preferences', { marketingConsent: false })).body.preferences.marketingConsent).toBe(false);
    await put('/v1/customers/ana/preferences', preferences);
    const unknown = await put('/v1/customers/ana/preferences', { optedOutChannels: ['fax'], preferredAdvisor: 'zoe' });
    expect(unknown.status).toBe(400);
    expect(unknown.body.error.code).toBe('NB_ERR_VALIDATION');
    expect(unknown.body.error.details).toEqual([
      { path: 'body.optedOutChannels[0]', message: "must be one of the catalog's channels (web, email)" },
      { path: 'body.preferredAdvisor', message: 'must be an advisor id of the catalog (none declared) or null' },
    ]);
    const malformed = await put('/v1/customers/ana/preferences', { contactTimes: [{ from: '6pm', to: '21:00' }], colour: 'red' });
    expect(malformed.status).toBe(400);
    expect(malformed.body.error.details.map((d: { path: string }) => d.path)).toEqual(expect.arrayContaining(['body.colour', 'body.contactTimes.0.from']));

    await server.app.inject({ method: 'DELETE', url: '/v1/customers/ana' });
    expect((await get('/v1/customers/ana/preferences')).body.explicit).toBe(false);
  });

  it('honours consent in decisions and shows it in the explanation', async () => {
    await put('/v1/customers/ana/preferences', { marketingConsent: false });
    const { body } = await post('/v1/decisions', { customerId: 'ana', channel: 'web', explain: true, limit: 3 });
    expect(body.actions).toEqual([]);
    expect(body.controlGroup).toBe(false);
    expect(body.explanation.map((e: { stage: string; policy: string }) => `${e.stage}:${e.policy}`)).toEqual([
      'preference:marketingConsent',
      'preference:marketingConsent',
      'preference:marketingConsent',
    ]);
  });

  it('explains a recorded decision in plain words, and 404s an unknown one', async () => {
    const { body } = await post('/v1/decisions', { customerId: 'ana', channel: 'web', limit: 1 });
    const explained = await get(`/v1/decisions/${body.decisionId}/explanation`);
    expect(explained.status).toBe(200);
    expect(explained.body).toMatchObject({ decisionId: body.decisionId, customerId: 'ana', channel: 'web', controlGroup: false });
    expect(explained.body.actions).toEqual([
      {
        actionId: 'gold-card',
        name: 'gold-card',
        text:
          'We showed you "gold-card" because it is one of the options you qualify for and it came first: we estimated a 5% chance that it interests you. ' +
          "Conditions you met: customer.age >= 18; customer.income >= 30000; !('gold-card' in customer.products); customer.riskScore < 0.7.",
      },
    ]);
    expect(explained.body.text.split('\n')).toEqual([
      'On 2026-06-15 10:00 UTC in web we showed you 1 option(s).',
      explained.body.actions[0].text,
      'We respect your choices: until you tell us your marketing choice we send you no marketing (we may still show offers when you visit us). You can change them at any time.',
    ]);
    const nf = await get('/v1/decisions/nope/explanation');
    expect(nf.status).toBe(404);
    expect(nf.body.error.code).toBe('NB_ERR_DECISION_NOT_FOUND');
  });

  it('sweeps ignored responses, shows the history summary, and reports impact', async () => {
    const { body } = await post('/v1/decisions', { customerId: 'ana', channel: 'web', limit: 2 });
    await post('/v1/responses', { decisionId: body.decisionId, actionId: 'gold-card', outcome: 'clicked' });
    try {
      clock.advance(25 * 3_600_000);
      const swept = await server.app.inject({ method: 'POST', url: '/v1/operations/sweep-ignored' });
      expect(swept.json()).toEqual({ decisions: 1, ignored: 1 });
    } finally {
      clock.set('2026-06-15T10:00:00Z');
    }
    const history = await get('/v1/customers/ana/history?since=2026-06-01');
    expect(history.body).toEqual({
      customerId: 'ana',
      since: '2026-06-01',
      rows: [
        { day: '2026-06-15', channel: 'web', issue: 'retain', group: 'retention', actionId: 'fee-waiver', outcome: 'decided', count: 1 },
        { day: '2026-06-15', channel: 'web', issue: 'grow', group: 'cards', actionId: 'gold-card', outcome: 'clicked', count: 1 },
        { day: '2026-06-15', channel: 'web', issue: 'grow', group: 'cards', actionId: 'gold-card', outcome: 'decided', count: 1 },
        { day: '2026-06-16', channel: 'web', issue: 'retain', group: 'retention', actionId: 'fee-waiver', outcome: 'ignored', count: 1 },
      ],
    });
    const impact = await get('/v1/reports/impact?channel=web&issue=grow&from=2026-06-01T00:00:00Z&to=2026-07-01T00:00:00Z');
    expect(impact).toEqual({
      status: 200,
      body: {
        filter: { channel: 'web', issue: 'grow', from: '2026-06-01T00:00:00.000Z', to: '2026-07-01T00:00:00.000Z' },
        nba: { decisions: 1, positives: 1, rate: 1 },
        control: { decisions: 0, positives: 0, rate: null },
        lift: null,
        liftCi95: null,
        note: 'an arm has no decisions in this range',
      },
    });
    expect((await get('/v1/reports/impact?channel=&issue=&from=&to=')).body.nba).toEqual({ decisions: 1, positives: 1, rate: 1 });
    expect((await get('/v1/reports/impact?channel=fax')).body.error.code).toBe('NB_ERR_UNKNOWN_CHANNEL');
    expect((await get('/v1/reports/impact?from=yesterday')).status).toBe(400);
  });

  it('explains a suppression with its policy and evidence over HTTP', async () => {
    const doc = smallCatalog() as Record<string, any>;
    doc['contactPolicies'] = {
      suppressions: [{ name: 'once a day', scope: 'action', when: { outcome: 'decided', count: 1, withinDays: 1 }, suppressDays: 1 }],
    };
    expect((await server.app.inject({ method: 'PUT', url: '/v1/catalog', payload: doc })).statusCode).toBe(200);
    await post('/v1/decisions', { customerId: 'ana', channel: 'web', limit: 1 });
    const { body } = await post('/v1/decisions', { customerId: 'ana', channel: 'web', limit: 3, explain: true });
    expect(body.actions.map((a: { actionId: string }) => a.actionId)).toEqual(['fee-waiver', 'student-card']);
    expect(body.explanation[0]).toEqual({
      actionId: 'gold-card',
      treatmentId: 'gold-card-web',
      issue: 'grow',
      group: 'cards',
      stage: 'suppression',
      policy: 'once a day',
      evidence: { scope: 'action', target: 'gold-card', outcome: 'decided', count: 1, from: '2026-06-15', to: '2026-06-15', until: '2026-06-16', withoutPositive: false },
      reason:
        "suppressed by contact policy 'once a day' until 2026-06-16: 1 offer(s) for action 'gold-card' between 2026-06-15 and 2026-06-15 (rule: 1 within 1 day(s) suppresses 1 day(s))",
    });
  });

  it('documents the new routes in the OpenAPI document', async () => {
    const openapi = (await get('/docs/json')).body;
    expect(Object.keys(openapi.paths)).toEqual(
      expect.arrayContaining([
        '/v1/customers/{id}/preferences',
        '/v1/customers/{id}/history',
        '/v1/decisions/{decisionId}/explanation',
        '/v1/reports/impact',
        '/v1/operations/sweep-ignored',
      ]),
    );
    expect(Object.keys(openapi.paths['/v1/customers/{id}/preferences'])).toEqual(expect.arrayContaining(['get', 'put']));
  });
});

describe('storable input', () => {
  it('refuses strings no store can keep (NUL, unpaired surrogates) with their paths', async () => {
    const res = await server.app.inject({
      method: 'PUT',
      url: '/v1/customers/zoe',
      headers: { 'content-type': 'application/json' },
      payload: '{"name":"a\\u0000b","tags":["ok","\\ud800"]}',
    });
    expect(res.statusCode).toBe(400);
    expect(res.json().error.details).toEqual([
      { path: 'body.name', message: 'contains a NUL character or an unpaired surrogate; remove it' },
      { path: 'body.tags[1]', message: 'contains a NUL character or an unpaired surrogate; remove it' },
    ]);
    const decision = await server.app.inject({
      method: 'POST',
      url: '/v1/decisions',
      headers: { 'content-type': 'application/json' },
      payload: '{"customerId":"ana","channel":"web","context":{"page":"x\\u0000"}}',
    });
    expect(decision.statusCode).toBe(400);
    expect(decision.json().error.details).toEqual([{ path: 'body.context.page', message: 'contains a NUL character or an unpaired surrogate; remove it' }]);
    expect((await server.app.inject({ method: 'GET', url: '/v1/customers/zoe' })).statusCode).toBe(404);
  });
});

describe('models per treatment', () => {
  it('a response teaches the model of the treatment that was shown', async () => {
    const doc = smallCatalog() as Record<string, any>;
    delete doc['issues'][1].groups[0].actions[0].propensity;
    doc['models'] = { perTreatment: true };
    expect((await server.app.inject({ method: 'PUT', url: '/v1/catalog', payload: doc })).statusCode).toBe(200);
    const { body } = await post('/v1/decisions', { customerId: 'visitor-9', channel: 'web', context: { intent: 'cancel' } });
    expect(body.actions[0]).toMatchObject({ actionId: 'fee-waiver', treatmentId: 'fee-waiver-web' });
    await post('/v1/responses', { decisionId: body.decisionId, actionId: 'fee-waiver', outcome: 'accepted' });
    const models = (await server.app.inject({ method: 'GET', url: '/v1/models' })).json();
    expect(models.models.map((m: { key: string }) => m.key)).toEqual(['fee-waiver/web/inbound/fee-waiver-web']);
    const report = await server.app.inject({ method: 'GET', url: '/v1/models/fee-waiver/web/inbound/fee-waiver-web' });
    expect(report.json()).toMatchObject({ responses: 1, positives: 1 });
  });
});
