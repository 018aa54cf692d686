/**
 * The decision loop has one fast way through (no explanation: the top `limit` are selected, no
 * per-candidate objects) and one that explains every candidate. Both must reach the same answer
 * from the same state and seed, over the demo bank's real catalog and customers, with learnt
 * adaptive models, preferences, contact history, advisors, the control arm and models per
 * treatment. The adaptive models' scorers are packed side by side by the first decision; a model
 * that then learns and lays out a new scorer must still be read right.
 */
import { describe, expect, it } from 'vitest';
import { buildCatalogOrThrow, type CompiledCatalog } from '../catalog/compile.js';
import { AdaptiveModel } from '../models/adaptive/index.js';
import { SeededRandom } from '../random.js';
import { extractPredictors } from '../predictors.js';
import type { HistoryRow } from '../types.js';
import { loadDemoCatalog } from '../../demo/load.js';
import { generateDemoCustomers } from '../../demo/customers.js';
import { demoPreferences } from '../../demo/preferences.js';
import { decide, type DecideRequest } from './decide.js';

const customers = generateDemoCustomers(200);
const NOW = new Date('2026-06-15T10:30:00Z');

/** An adaptive model that has learnt from seeded responses to random actions in three channels. */
function learntModel(catalog: CompiledCatalog, responses: number, seed: number): AdaptiveModel {
  const r = new SeededRandom(seed);
  const model = new AdaptiveModel();
  for (let i = 0; i < responses; i++) {
    const c = customers[i % customers.length]!;
    const a = catalog.actions[Math.floor(r.next() * catalog.actions.length)]!;
    const channel = ['web', 'mobile', 'email'][i % 3]!;
    const predictors = extractPredictors(c.attributes, { intent: r.next() < 0.3 ? 'cancel' : 'browse' });
    model.learn(`${a.id}/${channel}/${channel === 'email' ? 'outbound' : 'inbound'}`, predictors, r.next() < 0.15);
  }
  return model;
}

function randomRequest(r: SeededRandom, catalog: CompiledCatalog, i: number): DecideRequest {
  const c = customers[i % customers.length]!;
  const channels = [...catalog.channels.keys()];
  const history: HistoryRow[] = Array.from({ length: Math.floor(r.next() * 5) }, () => {
    const a = catalog.actions[Math.floor(r.next() * catalog.actions.length)]!;
    return {
      day: `2026-06-${String(1 + Math.floor(r.next() * 14)).padStart(2, '0')}`,
      channel: channels[Math.floor(r.next() * channels.length)]!,
      issue: a.issue,
      group: a.group,
      actionId: a.id,
      outcome: (['decided', 'impression', 'clicked', 'rejected', 'ignored'] as const)[Math.floor(r.next() * 5)]!,
      count: 1 + Math.floor(r.next() * 3),
    };
  });
  return {
    channel: channels[Math.floor(r.next() * channels.length)]!,
    customer: r.next() < 0.05 ? undefined : c.attributes,
    context: r.next() < 0.3 ? { intent: 'cancel' } : { intent: 'browse' },
    limit: 1 + Math.floor(r.next() * 4),
    explain: false,
    history,
    preferences: r.next() < 0.3 ? null : demoPreferences(c.customerId),
    advisorLoad: new Map([['adv-remote-1', Math.floor(r.next() * 30)]]),
    controlGroup: r.next() < 0.1,
  };
}

describe('decision paths: without and with explanation', () => {
  for (const perTreatment of [false, true]) {
    it(`reach the same actions from the same seed${perTreatment ? ' (models per treatment)' : ''}`, () => {
      const doc = loadDemoCatalog() as Record<string, unknown>;
      if (perTreatment) doc['models'] = { perTreatment: true };
      const catalog = buildCatalogOrThrow(doc, 1);
      const model = learntModel(catalog, 6000, 5);
      const r = new SeededRandom(8);
      let selected = 0;
      for (let i = 0; i < 400; i++) {
        const request = randomRequest(r, catalog, i);
        const seed = Math.floor(r.next() * 1e9);
        const fast = decide(request, { catalog, model, random: new SeededRandom(seed), now: NOW });
        const explained = decide({ ...request, explain: true }, { catalog, model, random: new SeededRandom(seed), now: NOW });
        expect(fast.actions).toEqual(explained.actions);
        expect(fast.explanation).toBeUndefined();
        // the explanation's selected entries are the answer, rank by rank
        const chosen = explained.explanation!.filter((e) => e.stage === 'selected').sort((a, b) => a.rank! - b.rank!);
        expect(chosen.map((e) => [e.actionId, e.treatmentId])).toEqual(explained.actions.map((a) => [a.actionId, a.treatmentId]));
        selected += fast.actions.length;
      }
      expect(selected).toBeGreaterThan(400);
    });
  }
});

describe('packed scorers', () => {
  it('score as before packing, and after models learn and lay out new scorers', () => {
    const catalog = buildCatalogOrThrow(loadDemoCatalog(), 1);
    // two models that learn the same responses; only the first is used (and packed) by decisions
    const model = learntModel(catalog, 8000, 2);
    const twin = learntModel(catalog, 8000, 2);
    const means = (m: AdaptiveModel): number[] => {
      const out: number[] = [];
      for (const key of model.keys()) {
        for (const c of customers.slice(0, 20)) out.push(m.estimate(key, extractPredictors(c.attributes, { intent: 'browse' }), new SeededRandom(1)).mean);
      }
      return out;
    };
    const before = means(model);
    expect(before).toEqual(means(twin));
    for (const channel of ['web', 'email']) {
      decide({ channel, customer: customers[0]!.attributes, context: {}, limit: 3, explain: false }, { catalog, model, random: new SeededRandom(3), now: NOW });
    }
    expect(means(model)).toEqual(before);
    // learning moves some models out of the pack (new layouts at refresh points)
    const r = new SeededRandom(4);
    for (let i = 0; i < 3000; i++) {
      const key = model.keys()[i % 7]!;
      const p = extractPredictors(customers[i % customers.length]!.attributes, { intent: 'browse' });
      const y = r.next() < 0.2;
      model.learn(key, p, y);
      twin.learn(key, p, y);
    }
    const after = means(model);
    expect(after).not.toEqual(before);
    expect(after).toEqual(means(twin));
    // and decisions from the mixed state (packed and moved-out scorers) match the twin's
    for (let i = 0; i < 50; i++) {
      const request: DecideRequest = { channel: 'web', customer: customers[i]!.attributes, context: {}, limit: 3, explain: false };
      const a = decide(request, { catalog, model, random: new SeededRandom(i), now: NOW });
      const b = decide(request, { catalog, model: twin, random: new SeededRandom(i), now: NOW });
      expect(a.actions).toEqual(b.actions);
    }
  });
});
