import { describe, expect, it } from 'vitest';
import { buildCatalogOrThrow } from '../catalog/compile.js';
import { BetaBernoulliModel } from '../models/beta-bernoulli.js';
import { SeededRandom } from '../random.js';
import { smallCatalog } from '../testing/fixtures.js';
import type { JsonObject } from '../types.js';
import { decide, type DecideRequest } from './decide.js';

type Doc = Record<string, any>;
const NOW = new Date('2026-06-15T10:00:00Z');
const adult: JsonObject = { age: 40, income: 50000, products: ['checking'], riskScore: 0.2 };

function run(doc: Doc, request: Partial<DecideRequest> = {}, seed = 1) {
  const catalog = buildCatalogOrThrow(doc, 1);
  return decide(
    { channel: 'web', customer: adult, context: {}, limit: 10, explain: true, ...request },
    { catalog, model: new BetaBernoulliModel(), random: new SeededRandom(seed), now: NOW },
  );
}

function stageOf(result: ReturnType<typeof run>, actionId: string) {
  return result.explanation!.find((e) => e.actionId === actionId)!;
}

describe('decision pipeline: engagement policies', () => {
  it('issue-level eligibility removes every action of the issue', () => {
    const result = run(smallCatalog(), { customer: { ...adult, age: 16 } });
    expect(result.actions.map((a) => a.actionId)).toEqual(['fee-waiver']);
    const gold = stageOf(result, 'gold-card');
    expect(gold).toMatchObject({ stage: 'eligibility', level: 'issue', rule: 'customer.age >= 18' });
    expect(gold.reason).toBe("eligibility rule of issue 'grow' is false: customer.age >= 18");
    expect(stageOf(result, 'student-card')).toMatchObject({ stage: 'eligibility', level: 'issue' });
  });

  it('group-level applicability removes the group', () => {
    const doc: Doc = smallCatalog();
    doc['issues'][0].groups[0].applicability = "context.page != 'cards'";
    const result = run(doc, { customer: { ...adult, age: 22 }, context: { page: 'cards' } });
    expect(stageOf(result, 'gold-card')).toMatchObject({ stage: 'applicability', level: 'group', rule: "context.page != 'cards'" });
    expect(stageOf(result, 'student-card')).toMatchObject({ stage: 'applicability', level: 'group' });
    expect(result.actions.map((a) => a.actionId)).toEqual(['fee-waiver']);
  });

  it('action-level eligibility, applicability and suitability each remove only that action', () => {
    expect(stageOf(run(smallCatalog(), { customer: { ...adult, income: 20000 } }), 'gold-card')).toMatchObject({
      stage: 'eligibility',
      level: 'action',
      rule: 'customer.income >= 30000',
    });
    expect(stageOf(run(smallCatalog(), { customer: { ...adult, products: ['gold-card'] } }), 'gold-card')).toMatchObject({
      stage: 'applicability',
      level: 'action',
    });
    const unsuitable = run(smallCatalog(), { customer: { ...adult, riskScore: 0.9 } });
    expect(stageOf(unsuitable, 'gold-card')).toMatchObject({ stage: 'suitability', level: 'action', rule: 'customer.riskScore < 0.7' });
    expect(unsuitable.actions.map((a) => a.actionId)).toEqual(['fee-waiver']);
  });

  it('a missing attribute makes the rule false and the explanation names it', () => {
    const { riskScore: _omit, ...noRisk } = adult;
    const result = run(smallCatalog(), { customer: noRisk });
    const gold = stageOf(result, 'gold-card');
    expect(gold).toMatchObject({ stage: 'suitability', missing: ['customer.riskScore'] });
    expect(gold.reason).toBe("suitability rule of action 'gold-card' is false because customer.riskScore is missing: customer.riskScore < 0.7");
  });

  it('a runtime type error counts as false with the error text, never a crash', () => {
    const result = run(smallCatalog(), { customer: { ...adult, age: 'forty' } });
    const gold = stageOf(result, 'gold-card');
    expect(gold.stage).toBe('eligibility');
    expect(gold.error).toMatch(/no such overload|not supported|overload/i);
  });

  it('validity window excludes actions outside their dates', () => {
    const doc: Doc = smallCatalog();
    doc['issues'][0].groups[0].actions[0].validTo = '2026-06-14';
    expect(stageOf(run(doc), 'gold-card')).toMatchObject({ stage: 'validity' });
    doc['issues'][0].groups[0].actions[0].validTo = '2026-06-15';
    expect(stageOf(run(doc), 'gold-card').stage).not.toBe('validity');
  });

  it('an unknown customer is decided on the context alone', () => {
    const result = run(smallCatalog(), { customer: undefined, context: { intent: 'cancel' } });
    expect(result.actions.map((a) => a.actionId)).toEqual(['fee-waiver']);
    expect(result.actions[0]!.contextWeight).toBe(2);
    expect(stageOf(result, 'gold-card')).toMatchObject({ stage: 'eligibility', missing: ['customer.age'] });
  });

  it('rejects an unknown channel with the list of known ones', () => {
    expect(() => run(smallCatalog(), { channel: 'fax' })).toThrowError("Unknown channel 'fax'; the active catalog defines: web, email");
  });
});

describe('decision pipeline: arbitration', () => {
  // All three actions eligible for a 22-year-old: gold-card P .05 V 120 (6), student-card P .2 V 20 (4), fee-waiver P .1 V 50 (5).
  const young: JsonObject = { ...adult, age: 22 };

  it('priority is P x C x V x L and ranks best first', () => {
    const result = run(smallCatalog(), { customer: young });
    expect(result.actions.map((a) => [a.actionId, a.priority])).toEqual([
      ['gold-card', 0.05 * 120],
      ['fee-waiver', 0.1 * 50],
      ['student-card', 0.2 * 20],
    ]);
    expect(result.actions[0]).toEqual({
      rank: 1,
      actionId: 'gold-card',
      issue: 'grow',
      group: 'cards',
      treatmentId: 'gold-card-web',
      propensity: 0.05,
      contextWeight: 1,
      value: 120,
      lever: 1,
      priority: 0.05 * 120,
    });
  });

  it('propensity P changes the ranking', () => {
    const doc: Doc = smallCatalog();
    doc['issues'][0].groups[0].actions[1].propensity = 0.5; // student-card 0.5 x 20 = 10
    expect(run(doc, { customer: young }).actions[0]!.actionId).toBe('student-card');
  });

  it('context weight C changes the ranking', () => {
    const result = run(smallCatalog(), { customer: young, context: { intent: 'cancel' } });
    expect(result.actions[0]).toMatchObject({ actionId: 'fee-waiver', contextWeight: 2, priority: 0.1 * 2 * 50 });
  });

  it('context weights on issue, group and action multiply', () => {
    const doc: Doc = smallCatalog();
    doc['contextWeights'] = [
      { when: 'true', issue: 'grow', weight: 2 },
      { when: 'true', group: 'cards', weight: 3 },
      { when: 'true', action: 'gold-card', weight: 0.5 },
      { when: 'false', action: 'gold-card', weight: 100 },
    ];
    const gold = run(doc, { customer: young }).actions.find((a) => a.actionId === 'gold-card')!;
    expect(gold.contextWeight).toBe(3);
  });

  it('value V changes the ranking', () => {
    const doc: Doc = smallCatalog();
    doc['issues'][1].groups[0].actions[0].value = 70; // fee-waiver 0.1 x 70 = 7
    expect(run(doc, { customer: young }).actions[0]!.actionId).toBe('fee-waiver');
  });

  it('levers L at issue, group and action level multiply and change the ranking', () => {
    const doc: Doc = smallCatalog();
    doc['issues'][0].lever = 0.5;
    doc['issues'][0].groups[0].lever = 0.8;
    doc['issues'][0].groups[0].actions[0].lever = 1.5; // gold-card L 0.6 -> 3.6
    const result = run(doc, { customer: young });
    expect(result.actions.map((a) => a.actionId)).toEqual(['fee-waiver', 'gold-card', 'student-card']);
    expect(result.actions[1]!.lever).toBeCloseTo(0.6, 12);
  });

  it('returns an empty list when nothing passes: say nothing', () => {
    const doc: Doc = smallCatalog();
    doc['issues'][1].eligibility = 'customer.tenureYears > 1';
    const result = run(doc, { customer: { age: 12 }, context: {} });
    expect(result.actions).toEqual([]);
    expect(result.explanation!.every((e) => e.stage !== 'selected')).toBe(true);
  });

  it('the relevance floor drops actions below it, and can empty the answer', () => {
    const doc: Doc = smallCatalog();
    doc['relevance'] = { minPropensity: 0.15 };
    const result = run(doc, { customer: young });
    expect(result.actions.map((a) => a.actionId)).toEqual(['student-card']);
    expect(stageOf(result, 'gold-card')).toMatchObject({ stage: 'relevance' });
    doc['relevance'] = { minPropensity: 0.9 };
    expect(run(doc, { customer: young }).actions).toEqual([]);
  });

  it('keeps one treatment per action and honours the limit', () => {
    const doc: Doc = smallCatalog();
    doc['issues'][0].groups[0].actions[0].treatments.push({ id: 'gold-card-web-b', channel: 'web' });
    const result = run(doc, { customer: young, limit: 2 });
    expect(result.actions.map((a) => a.treatmentId)).toEqual(['gold-card-web', 'fee-waiver-web']);
    expect(result.explanation!.find((e) => e.treatmentId === 'gold-card-web-b')!.stage).toBe('duplicate');
    expect(stageOf(result, 'student-card')).toMatchObject({ stage: 'limit' });
  });

  it('learned propensities are Thompson draws: reproducible with a seed, different across seeds', () => {
    const doc: Doc = smallCatalog();
    delete doc['issues'][1].groups[0].actions[0].propensity;
    const a = run(doc, { customer: young }, 7);
    const b = run(doc, { customer: young }, 7);
    const c = run(doc, { customer: young }, 8);
    const p = (r: typeof a) => r.actions.find((x) => x.actionId === 'fee-waiver')!.propensity;
    expect(p(a)).toBe(p(b));
    expect(p(a)).not.toBe(p(c));
    const factors = stageOf(a, 'fee-waiver').factors!;
    expect(factors).toMatchObject({ fixedPropensity: false, evidence: 0, modelPropensity: 0.5 });
  });

  it('records the predictor snapshot the model will learn from', () => {
    const result = run(smallCatalog(), { customer: young, context: { intent: 'browse' } });
    expect(result.predictors).toMatchObject({ 'customer.age': 22, 'customer.products=checking': true, 'context.intent': 'browse' });
  });
});
