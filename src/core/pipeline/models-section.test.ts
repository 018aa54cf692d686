import { describe, expect, it } from 'vitest';
import { buildCatalog, buildCatalogOrThrow } from '../catalog/compile.js';
import { AdaptiveModel } from '../models/adaptive/index.js';
import { BetaBernoulliModel } from '../models/beta-bernoulli.js';
import { SeededRandom } from '../random.js';
import { smallCatalog } from '../testing/fixtures.js';
import type { HistoryRow } from '../types.js';
import { decide } from './decide.js';

type Doc = Record<string, any>;
const NOW = new Date('2026-06-15T10:00:00Z');
const customer = { age: 22, income: 45000, products: ['checking'], riskScore: 0.1 };

function withSuppression(doc: Doc): Doc {
  doc['contactPolicies'] = {
    suppressions: [{ name: 'no-repeat', scope: 'action', when: { outcome: 'rejected', count: 1, withinDays: 30 }, suppressDays: 30 }],
  };
  return doc;
}

describe('catalog models section', () => {
  it('validates perTreatment and predictor patterns with paths', () => {
    const doc: Doc = smallCatalog();
    doc['models'] = { perTreatment: 'yes', predictors: { include: ['customer.*', 'bad pattern'], exclude: [3] }, colour: 1 };
    const built = buildCatalog(doc, 1);
    expect(built.ok).toBe(false);
    if (built.ok) return;
    expect(built.errors.map((e) => e.path)).toEqual([
      'models.colour',
      'models.perTreatment',
      'models.predictors.include[1]',
      'models.predictors.exclude[0]',
    ]);
  });

  it('include and exclude choose the predictors recorded and learnt from', () => {
    const doc: Doc = smallCatalog();
    doc['models'] = { predictors: { include: ['customer.*', 'context.page'], exclude: ['customer.income'] } };
    const catalog = buildCatalogOrThrow(doc, 1);
    const result = decide(
      { channel: 'web', customer, context: { page: 'cards', device: 'ios' }, limit: 1, explain: false },
      { catalog, model: new BetaBernoulliModel(), random: new SeededRandom(1), now: NOW },
    );
    expect(Object.keys(result.predictors).sort()).toEqual(['context.page', 'customer.age', 'customer.products.count', 'customer.products=checking', 'customer.riskScore']);
  });

  it('adds interaction-history predictors when the catalog reads history', () => {
    const catalog = buildCatalogOrThrow(withSuppression(smallCatalog()), 1);
    const history: HistoryRow[] = [
      { day: '2026-06-14', channel: 'web', issue: 'grow', group: 'cards', actionId: 'gold-card', outcome: 'decided', count: 2 },
      { day: '2026-06-01', channel: 'web', issue: 'grow', group: 'cards', actionId: 'gold-card', outcome: 'decided', count: 1 },
      { day: '2026-06-10', channel: 'web', issue: 'grow', group: 'cards', actionId: 'gold-card', outcome: 'clicked', count: 1 },
      { day: '2026-06-12', channel: 'email', issue: 'grow', group: 'cards', actionId: 'gold-card', outcome: 'rejected', count: 1 },
      { day: '2026-06-12', channel: 'email', issue: '', group: '', actionId: '', outcome: 'contact', count: 1 },
    ];
    const result = decide(
      { channel: 'web', customer, context: {}, limit: 1, explain: false, history },
      { catalog, model: new BetaBernoulliModel(), random: new SeededRandom(1), now: NOW },
    );
    expect(result.predictors).toMatchObject({
      'ih.offers7d': 2,
      'ih.offers30d': 3,
      'ih.contacts30d': 1,
      'ih.positives': 1,
      'ih.negatives': 1,
      'ih.daysSinceLastPositive': 5,
    });
    const without = decide(
      { channel: 'web', customer, context: {}, limit: 1, explain: false },
      { catalog: buildCatalogOrThrow(smallCatalog(), 1), model: new BetaBernoulliModel(), random: new SeededRandom(1), now: NOW },
    );
    expect(Object.keys(without.predictors).some((k) => k.startsWith('ih.'))).toBe(false);
  });

  it('per-treatment models: the treatment with the best propensity represents the action', () => {
    const doc: Doc = smallCatalog();
    delete doc['issues'][1].groups[0].actions[0].propensity;
    doc['issues'][1].groups[0].actions[0].treatments = [
      { id: 'fee-waiver-web-a', channel: 'web' },
      { id: 'fee-waiver-web-b', channel: 'web' },
    ];
    doc['models'] = { perTreatment: true };
    const catalog = buildCatalogOrThrow(doc, 1);
    const model = new AdaptiveModel({ explore: false });
    for (let i = 0; i < 40; i++) {
      model.learn('fee-waiver/web/inbound/fee-waiver-web-a', {}, i % 10 === 0);
      model.learn('fee-waiver/web/inbound/fee-waiver-web-b', {}, i % 2 === 0);
    }
    const result = decide(
      { channel: 'web', customer: undefined, context: { intent: 'cancel' }, limit: 1, explain: true },
      { catalog, model, random: new SeededRandom(1), now: NOW },
    );
    expect(result.actions[0]).toMatchObject({ actionId: 'fee-waiver', treatmentId: 'fee-waiver-web-b' });
    expect(result.explanation!.find((e) => e.treatmentId === 'fee-waiver-web-a')!.stage).toBe('duplicate');
    expect(model.keys().sort()).toEqual(['fee-waiver/web/inbound/fee-waiver-web-a', 'fee-waiver/web/inbound/fee-waiver-web-b']);
  });
});
