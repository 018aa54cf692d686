/**
 * Tests of the demo bank: the generated customers (deterministic, consistent, realistic product
 * shares) and the demo catalog (shape, CEL rules that type-check and evaluate on real demo
 * profiles, every field a rule reads present on every customer, and no dead action: each one
 * passes all its engagement policies for at least 1% of the customers). The catalog is read as a
 * plain YAML document here, independently of the catalog compiler, so this suite pins the data;
 * the last block then runs the real validator and decision pipeline over it.
 */
import { ConstantModel } from '../core/models/constant.js';
import { readFileSync } from 'node:fs';
import { Environment } from '@marcbachmann/cel-js';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { buildCatalog, type CompiledCatalog } from '../core/catalog/compile.js';
import type { ActionDef, CatalogDocument, GroupDef, IssueDef, PolicySet } from '../core/catalog/types.js';
import { parseCatalogText } from '../core/catalog/validate.js';
import { decide } from '../core/pipeline/decide.js';
import { SeededRandom } from '../core/random.js';
import type { JsonObject } from '../core/types.js';
import { DEMO_CUSTOMER_COUNT, DEMO_PERSONAS, DEMO_PRODUCTS, generateDemoCustomers } from './customers.js';

const catalogText = readFileSync(new URL('./catalog.yaml', import.meta.url), 'utf8');
const catalog = parseYaml(catalogText) as CatalogDocument;
const customers = generateDemoCustomers();
/** A fixed decision time, so the suite does not depend on the day it runs. */
const NOW = new Date('2026-11-23T10:00:00Z');

const env = new Environment()
  .registerVariable('customer', 'map')
  .registerVariable('context', 'map')
  .registerVariable('now', 'google.protobuf.Timestamp');

interface Located {
  where: string;
  expr: string;
}

const STAGES = ['eligibility', 'applicability', 'suitability'] as const;

function allActions(): Array<{ issue: IssueDef; group: GroupDef; action: ActionDef }> {
  const out: Array<{ issue: IssueDef; group: GroupDef; action: ActionDef }> = [];
  for (const issue of catalog.issues) for (const group of issue.groups) for (const action of group.actions) out.push({ issue, group, action });
  return out;
}

function policiesOf(where: string, set: PolicySet): Located[] {
  const out: Located[] = [];
  for (const stage of STAGES) {
    const expr = set[stage];
    if (expr !== undefined) out.push({ where: `${where}.${stage}`, expr });
  }
  return out;
}

function allPolicies(): Located[] {
  const out: Located[] = [];
  for (const issue of catalog.issues) {
    out.push(...policiesOf(`issue ${issue.id}`, issue));
    for (const group of issue.groups) {
      out.push(...policiesOf(`group ${group.id}`, group));
      for (const action of group.actions) out.push(...policiesOf(`action ${action.id}`, action));
    }
  }
  return out;
}

function fieldsRead(expr: string, variable: 'customer' | 'context'): string[] {
  return [...expr.matchAll(new RegExp(`\\b${variable}\\.([A-Za-z_][A-Za-z0-9_]*)`, 'g'))].map((m) => m[1] ?? '');
}

/** A context in which a context-weight rule is true: its `context.x == 'literal'` comparisons, satisfied. */
function contextSatisfying(expr: string): JsonObject {
  const context: JsonObject = {};
  for (const field of fieldsRead(expr, 'context')) context[field] = 'something-else';
  for (const m of expr.matchAll(/\bcontext\.([A-Za-z_][A-Za-z0-9_]*)\s*==\s*'([^']*)'/g)) {
    if (m[1] !== undefined && m[2] !== undefined) context[m[1]] = m[2];
  }
  return context;
}

const compiled = new Map<string, (ctx: Record<string, unknown>) => unknown>();
function evaluate(expr: string, customer: JsonObject, context: JsonObject = {}): unknown {
  let fn = compiled.get(expr);
  if (!fn) {
    fn = env.parse(expr);
    compiled.set(expr, fn);
  }
  return fn({ customer, context, now: NOW });
}

/** The engine's reading of a rule: absent is true, an evaluation error is false. */
function passes(expr: string | undefined, customer: JsonObject): boolean {
  if (expr === undefined) return true;
  try {
    return evaluate(expr, customer) === true;
  } catch {
    return false;
  }
}

function passesAllPolicies(issue: IssueDef, group: GroupDef, action: ActionDef, customer: JsonObject): boolean {
  return STAGES.every((stage) => passes(issue[stage], customer) && passes(group[stage], customer) && passes(action[stage], customer));
}

function productsOf(customer: JsonObject): string[] {
  return customer.products as string[];
}

// ---------------------------------------------------------------------------------- customers

describe('demo customers', () => {
  it('generates the default count with unique, sequential ids', () => {
    expect(DEMO_CUSTOMER_COUNT).toBe(1200);
    expect(customers).toHaveLength(DEMO_CUSTOMER_COUNT);
    expect(new Set(customers.map((c) => c.customerId)).size).toBe(customers.length);
    expect(customers[0]?.customerId).toBe('C000001');
    expect(customers.at(-1)?.customerId).toBe('C001200');
    expect(generateDemoCustomers(37)).toHaveLength(37);
    expect(generateDemoCustomers(0)).toEqual([]);
  });

  it('is deterministic for a seed, and a smaller population is a prefix of a larger one', () => {
    expect(generateDemoCustomers(300, 7)).toEqual(generateDemoCustomers(300, 7));
    expect(generateDemoCustomers(1200, 42)).toEqual(customers);
    expect(generateDemoCustomers(100)).toEqual(customers.slice(0, 100));
  });

  it('differs across seeds, apart from the fixed personas', () => {
    const a = generateDemoCustomers(200, 1);
    const b = generateDemoCustomers(200, 2);
    const personas = DEMO_PERSONAS.length;
    expect(a.slice(0, personas)).toEqual(b.slice(0, personas));
    const same = a.slice(personas).filter((c, i) => JSON.stringify(c) === JSON.stringify(b[i + personas])).length;
    expect(same).toBe(0);
  });

  it('returns fresh objects (mutating one population does not touch the next)', () => {
    const first = generateDemoCustomers(2);
    productsOf(first[0]!.attributes).push('platinum-card');
    expect(productsOf(generateDemoCustomers(2)[0]!.attributes)).not.toContain('platinum-card');
  });

  it('gives every customer the same fields, with sane types and ranges', () => {
    const keys = Object.keys(customers[0]!.attributes).sort();
    for (const { customerId, attributes: a } of customers) {
      expect(Object.keys(a).sort(), customerId).toEqual(keys);
      for (const value of Object.values(a)) expect(value, customerId).not.toBeNull();
      expect(a.age as number).toBeGreaterThanOrEqual(16);
      expect(a.age as number).toBeLessThanOrEqual(90);
      expect(['A', 'B', 'C']).toContain(a.segment);
      expect(a.riskScore as number).toBeGreaterThanOrEqual(0);
      expect(a.riskScore as number).toBeLessThanOrEqual(1);
      expect(a.churnScore as number).toBeGreaterThanOrEqual(0);
      expect(a.churnScore as number).toBeLessThanOrEqual(1);
      expect(a.creditScore as number).toBeGreaterThanOrEqual(300);
      expect(a.creditScore as number).toBeLessThanOrEqual(850);
      expect(a.income as number).toBeGreaterThanOrEqual(0);
      expect(a.savingsBalance as number).toBeGreaterThanOrEqual(0);
      expect(a.tenureYears as number).toBeGreaterThanOrEqual(0);
      expect(a.tenureYears as number, customerId).toBeLessThanOrEqual((a.age as number) - 15);
      for (const p of productsOf(a)) expect(DEMO_PRODUCTS, customerId).toContain(p);
      expect(new Set(productsOf(a)).size).toBe(productsOf(a).length);
    }
  });

  it('keeps profiles internally consistent', () => {
    const zoneOf: Record<string, string[]> = {
      PT: ['Europe/Lisbon', 'Atlantic/Madeira', 'Atlantic/Azores'],
      ES: ['Europe/Madrid', 'Atlantic/Canary'],
      DE: ['Europe/Berlin'],
      NL: ['Europe/Amsterdam'],
      FR: ['Europe/Paris'],
      IE: ['Europe/Dublin'],
      BE: ['Europe/Brussels'],
    };
    for (const { customerId, attributes: a } of customers) {
      const products = productsOf(a);
      expect(zoneOf[a.country as string], customerId).toContain(a.timeZone);
      expect(() => new Intl.DateTimeFormat('en', { timeZone: a.timeZone as string })).not.toThrow();
      if (a.appUser) expect(a.digitalActive, customerId).toBe(true);
      if (!a.digitalActive) expect(a.paperStatements, customerId).toBe(true);
      if ((a.age as number) < 18) {
        expect(a.employment, customerId).toBe('student');
        expect(products.filter((p) => !['checking', 'savings-account'].includes(p)), customerId).toEqual([]);
      }
      if (products.includes('student-card')) expect(a.employment, customerId).toBe('student');
      const mortgage = products.includes('mortgage-first-home') || products.includes('mortgage-refinance');
      expect(mortgage, customerId).toBe((a.mortgageRate as number) > 0);
      if (mortgage) {
        expect(a.age as number, customerId).toBeGreaterThanOrEqual(24);
        expect(a.age as number, customerId).toBeLessThanOrEqual(70);
      }
      const saver = products.includes('savings-account') || products.includes('term-deposit');
      expect(saver, customerId).toBe((a.savingsBalance as number) > 0);
      if (products.includes('kids-savings')) expect(a.children as number, customerId).toBeGreaterThan(0);
      if ((a.overdraftDays as number) > 0) expect(a.age as number).toBeGreaterThanOrEqual(18);
    }
  });

  it('correlates attributes the way a real customer base does', () => {
    const mean = (xs: number[]): number => xs.reduce((s, x) => s + x, 0) / Math.max(1, xs.length);
    const of = (pred: (a: JsonObject) => boolean, field: string): number =>
      mean(customers.filter((c) => pred(c.attributes)).map((c) => c.attributes[field] as number));
    // Students are young and earn little; segment A earns most; retirees are old.
    expect(of((a) => a.employment === 'student', 'age')).toBeLessThan(25);
    expect(of((a) => a.employment === 'student', 'income')).toBeLessThan(of((a) => a.employment === 'employed', 'income') / 4);
    expect(of((a) => a.segment === 'A', 'income')).toBeGreaterThan(of((a) => a.segment === 'C', 'income') * 3);
    expect(of((a) => a.employment === 'retired', 'age')).toBeGreaterThan(65);
    // Overdrafts go with risk; the unemployed are riskier; mortgage holders are mid-life.
    expect(of((a) => (a.overdraftDays as number) > 0, 'riskScore')).toBeGreaterThan(of((a) => a.overdraftDays === 0, 'riskScore') * 2);
    expect(of((a) => a.employment === 'unemployed', 'riskScore')).toBeGreaterThan(of((a) => a.employment === 'employed', 'riskScore'));
    const mortgageAge = of((a) => productsOf(a).includes('mortgage-first-home'), 'age');
    expect(mortgageAge).toBeGreaterThan(35);
    expect(mortgageAge).toBeLessThan(55);
    // The young bank on their phones, the old less so.
    const appShare = (pred: (a: JsonObject) => boolean): number => mean(customers.filter((c) => pred(c.attributes)).map((c) => (c.attributes.appUser ? 1 : 0)));
    expect(appShare((a) => (a.age as number) < 35)).toBeGreaterThan(appShare((a) => (a.age as number) >= 70) + 0.4);
    // Advisors serve segment A.
    const advisorShare = (segment: string): number => mean(customers.filter((c) => c.attributes.segment === segment).map((c) => (c.attributes.hasAdvisor ? 1 : 0)));
    expect(advisorShare('A')).toBeGreaterThan(0.5);
    expect(advisorShare('C')).toBeLessThan(0.1);
  });

  it('holds products in realistic shares', () => {
    const share = (product: string): number => customers.filter((c) => productsOf(c.attributes).includes(product)).length / customers.length;
    const expected: Record<(typeof DEMO_PRODUCTS)[number], [number, number]> = {
      checking: [0.9, 1],
      'gold-card': [0.08, 0.3],
      'platinum-card': [0.01, 0.08],
      'student-card': [0.01, 0.08],
      'personal-loan': [0.05, 0.2],
      'car-loan': [0.03, 0.15],
      'mortgage-first-home': [0.1, 0.3],
      'mortgage-refinance': [0.005, 0.06],
      'savings-account': [0.3, 0.65],
      'term-deposit': [0.05, 0.25],
      'kids-savings': [0.03, 0.15],
      'robo-advisor': [0.01, 0.08],
      'pension-plan': [0.08, 0.3],
      'investment-account': [0.02, 0.12],
    };
    for (const [product, [lo, hi]] of Object.entries(expected)) {
      expect(share(product), product).toBeGreaterThanOrEqual(lo);
      expect(share(product), product).toBeLessThanOrEqual(hi);
    }
    const segments = (s: string): number => customers.filter((c) => c.attributes.segment === s).length / customers.length;
    expect(segments('A')).toBeGreaterThan(0.03);
    expect(segments('A')).toBeLessThan(0.15);
    expect(segments('C')).toBeGreaterThan(0.4);
  });

  it('puts the personas at their documented ids', () => {
    expect(DEMO_PERSONAS.map((p) => p.customerId)).toEqual(DEMO_PERSONAS.map((_, i) => `C00000${i + 1}`));
    for (const p of DEMO_PERSONAS) {
      const c = customers.find((x) => x.customerId === p.customerId);
      expect(c?.attributes).toEqual(p.attributes);
      expect(Object.keys(p.attributes).sort()).toEqual(Object.keys(customers[20]!.attributes).sort());
    }
  });
});

// ------------------------------------------------------------------------------------ catalog

describe('demo catalog', () => {
  const actions = allActions();

  it('declares the six channels, the outcome mapping and the email override', () => {
    expect(catalog.channels.map((c) => `${c.id}:${c.direction}`)).toEqual([
      'web:inbound',
      'mobile:inbound',
      'call-centre:inbound',
      'branch:inbound',
      'email:outbound',
      'push:outbound',
    ]);
    expect(catalog.outcomes).toEqual({ positive: ['clicked', 'accepted'], negative: ['rejected', 'ignored'] });
    expect(catalog.channels.find((c) => c.id === 'email')?.outcomes).toEqual({ positive: ['accepted'], negative: ['rejected', 'ignored'] });
    expect(catalog.relevance).toEqual({ minPropensity: 0.01 });
  });

  it('has at least 24 actions across the 4 issues, with unique ids and declared channels', () => {
    expect(catalog.issues.map((i) => i.id)).toEqual(['grow', 'retain', 'service', 'risk']);
    expect(actions.length).toBeGreaterThanOrEqual(24);
    for (const issue of catalog.issues) expect(actions.filter((a) => a.issue === issue).length, issue.id).toBeGreaterThanOrEqual(4);
    const ids = actions.map((a) => a.action.id);
    expect(new Set(ids).size).toBe(ids.length);
    const groups = catalog.issues.flatMap((i) => i.groups.map((g) => g.id));
    expect(new Set(groups).size).toBe(groups.length);
    const treatments = actions.flatMap((a) => a.action.treatments.map((t) => t.id));
    expect(new Set(treatments).size).toBe(treatments.length);
    const channels = new Set(catalog.channels.map((c) => c.id));
    const used = new Set<string>();
    for (const { action } of actions) {
      expect(action.treatments.length, action.id).toBeGreaterThan(0);
      const perChannel = new Set<string>();
      for (const t of action.treatments) {
        expect(channels.has(t.channel), `${t.id} -> ${t.channel}`).toBe(true);
        expect(t.id, t.id).toBe(`${action.id}-${t.channel}`);
        expect(perChannel.has(t.channel), `${action.id} has two treatments for ${t.channel}`).toBe(false);
        perChannel.add(t.channel);
        used.add(t.channel);
      }
    }
    expect([...used].sort()).toEqual([...channels].sort());
  });

  it('gives every action a name, a kind, a non-negative value and lever, and sane dates', () => {
    const kinds = new Set<string>();
    for (const { action } of actions) {
      expect(action.name, action.id).toBeTruthy();
      expect(action.description, action.id).toBeTruthy();
      expect(['offer', 'retention', 'service', 'risk', 'conversation']).toContain(action.kind);
      kinds.add(action.kind ?? '');
      expect(action.value, action.id).toBeGreaterThan(0);
      expect(action.lever, action.id).toBeGreaterThanOrEqual(0);
      for (const date of [action.validFrom, action.validTo]) {
        if (date !== undefined) expect(date, action.id).toMatch(/^\d{4}-\d{2}-\d{2}$/);
      }
      if (action.validFrom !== undefined && action.validTo !== undefined) expect(action.validFrom <= action.validTo, action.id).toBe(true);
      // Active on the reference date, so that the demo is not missing actions today.
      const today = NOW.toISOString().slice(0, 10);
      expect(action.validFrom === undefined || action.validFrom <= today, action.id).toBe(true);
      expect(action.validTo === undefined || action.validTo >= today, action.id).toBe(true);
      if (action.propensity !== undefined) {
        expect(action.propensity).toBeGreaterThanOrEqual(0);
        expect(action.propensity).toBeLessThanOrEqual(1);
      }
    }
    expect(kinds.size).toBe(5);
    expect(actions.some((a) => a.action.propensity !== undefined)).toBe(true);
    expect(actions.some((a) => a.action.validFrom !== undefined)).toBe(true);
    expect(actions.some((a) => a.action.validTo !== undefined)).toBe(true);
    for (const issue of catalog.issues) {
      expect(issue.lever).toBeGreaterThanOrEqual(0);
      for (const group of issue.groups) expect(group.lever).toBeGreaterThanOrEqual(0);
    }
  });

  it('uses every policy stage at every level', () => {
    for (const stage of STAGES) {
      expect(catalog.issues.some((i) => i[stage] !== undefined), `issue ${stage}`).toBe(true);
      expect(catalog.issues.some((i) => i.groups.some((g) => g[stage] !== undefined)), `group ${stage}`).toBe(true);
      expect(actions.some((a) => a.action[stage] !== undefined), `action ${stage}`).toBe(true);
    }
  });

  it('points context weights at existing issues, groups and actions', () => {
    expect(catalog.contextWeights.length).toBeGreaterThanOrEqual(3);
    const cancel = catalog.contextWeights.find((w) => w.when === "context.intent == 'cancel'");
    expect(cancel).toMatchObject({ issue: 'retain', weight: 3 });
    for (const w of catalog.contextWeights) {
      const targets = [w.issue, w.group, w.action].filter((t) => t !== undefined);
      expect(targets, w.when).toHaveLength(1);
      expect(w.weight).toBeGreaterThan(0);
      if (w.issue !== undefined) expect(catalog.issues.map((i) => i.id)).toContain(w.issue);
      if (w.group !== undefined) expect(catalog.issues.flatMap((i) => i.groups.map((g) => g.id))).toContain(w.group);
      if (w.action !== undefined) expect(actions.map((a) => a.action.id)).toContain(w.action);
    }
  });

  it('reads only profile fields that every demo customer has', () => {
    const expressions = [...allPolicies(), ...catalog.contextWeights.map((w) => ({ where: `weight ${w.when}`, expr: w.when }))];
    const fields = new Set(expressions.flatMap((e) => fieldsRead(e.expr, 'customer')));
    expect(fields.size).toBeGreaterThan(15);
    for (const { customerId, attributes } of customers) {
      for (const field of fields) expect(attributes, `${customerId} lacks ${field}`).toHaveProperty(field);
    }
    // Product names in rules are products customers can hold.
    for (const { where, expr } of expressions) {
      for (const m of expr.matchAll(/'([a-z-]+)' in customer\.products/g)) expect(DEMO_PRODUCTS, where).toContain(m[1]);
    }
  });

  it('type-checks every rule as a boolean', () => {
    const expressions = [...allPolicies(), ...catalog.contextWeights.map((w) => ({ where: `weight ${w.when}`, expr: w.when }))];
    expect(expressions.length).toBeGreaterThan(40);
    for (const { where, expr } of expressions) {
      const result = env.check(expr);
      expect(result.valid, `${where}: ${expr}: ${result.error?.message ?? ''}`).toBe(true);
      expect(['bool', 'dyn'], `${where}: ${expr}`).toContain(result.type);
    }
  });

  it('evaluates every policy to a boolean, without error, on the first 200 customers', () => {
    for (const { customerId, attributes } of customers.slice(0, 200)) {
      for (const { where, expr } of allPolicies()) {
        let result: unknown;
        expect(() => (result = evaluate(expr, attributes, {})), `${customerId} ${where}: ${expr}`).not.toThrow();
        expect(typeof result, `${customerId} ${where}: ${expr}`).toBe('boolean');
      }
    }
  });

  it('evaluates every context weight without error, and each one can fire', () => {
    for (const w of catalog.contextWeights) {
      const context = contextSatisfying(w.when);
      for (const { customerId, attributes } of customers.slice(0, 200)) {
        let result: unknown;
        expect(() => (result = evaluate(w.when, attributes, context)), `${customerId} ${w.when}`).not.toThrow();
        expect(result, `${customerId} ${w.when} in ${JSON.stringify(context)}`).toBe(true);
        // A context that says something else does not trigger it (time-based weights aside).
        const other: JsonObject = Object.fromEntries(Object.keys(context).map((k) => [k, 'something-else']));
        if (Object.keys(context).length > 0) expect(evaluate(w.when, attributes, other), w.when).toBe(false);
      }
    }
  });

  it.each([42, 7, 2026])('has no dead action: each passes all its policies for at least 1 percent of customers (seed %i)', (seed) => {
    const population = seed === 42 ? customers : generateDemoCustomers(DEMO_CUSTOMER_COUNT, seed);
    for (const { issue, group, action } of actions) {
      const eligible = population.filter((c) => passesAllPolicies(issue, group, action, c.attributes)).length / population.length;
      if (process.env.DEMO_REPORT) console.log(`seed ${seed} ${issue.id}/${group.id}/${action.id}: ${(eligible * 100).toFixed(1)}%`);
      expect(eligible, `${action.id} (seed ${seed})`).toBeGreaterThanOrEqual(0.01);
      // ...and no action is for everyone: each rule set actually selects.
      expect(eligible, `${action.id} (seed ${seed})`).toBeLessThan(0.95);
    }
  });

  it('says what the persona documentation says', () => {
    const byId = new Map(actions.map((a) => [a.action.id, a]));
    const eligibleActions = (customerId: string): string[] => {
      const c = customers.find((x) => x.customerId === customerId);
      if (!c) throw new Error(customerId);
      return actions.filter((a) => passesAllPolicies(a.issue, a.group, a.action, c.attributes)).map((a) => a.action.id);
    };
    const growIds = actions.filter((a) => a.issue.id === 'grow').map((a) => a.action.id);
    expect(byId.size).toBe(actions.length);

    expect(eligibleActions('C000001')).toEqual(expect.arrayContaining(['gold-card', 'kids-savings', 'pension-top-up']));
    expect(eligibleActions('C000001')).not.toContain('mortgage-first-home');
    expect(eligibleActions('C000002')).toContain('student-card');
    expect(eligibleActions('C000002')).not.toContain('personal-loan');
    expect(eligibleActions('C000003')).toEqual(expect.arrayContaining(['investment-review', 'platinum-card', 'robo-advisor']));
    expect(eligibleActions('C000004')).toEqual(expect.arrayContaining(['cancel-save-call', 'loyalty-bonus', 'rate-match', 'fee-waiver']));
    const inDifficulty = eligibleActions('C000005');
    expect(inDifficulty).toEqual(expect.arrayContaining(['debt-advice', 'overdraft-warning']));
    expect(inDifficulty.filter((id) => growIds.includes(id))).toEqual([]);
    expect(eligibleActions('C000006')).toEqual(expect.arrayContaining(['card-expiry-reminder', 'address-update', 'app-onboarding', 'terms-update']));
    expect(eligibleActions('C000007')).toEqual(expect.arrayContaining(['fraud-alert-review', 'travel-notice']));
    expect(eligibleActions('C000008').filter((id) => growIds.includes(id))).toEqual([]);
  });
});

// --------------------------------------------------------------------- with the real pipeline

describe('demo bank through the decision pipeline', () => {
  const built = buildCatalog(parseCatalogText(catalogText), 1);
  const flatModel = new ConstantModel(0.5); // every learned action at the same propensity
  const compiledCatalog = (): CompiledCatalog => {
    if (!built.ok) throw new Error(JSON.stringify(built.errors));
    return built.catalog;
  };
  const run = (customerId: string, channel: string, context: JsonObject = {}, limit = 3) => {
    const customer = customers.find((c) => c.customerId === customerId);
    return decide(
      { channel, customer: customer?.attributes, context, limit, explain: true },
      { catalog: compiledCatalog(), model: flatModel, random: new SeededRandom(1), now: NOW },
    );
  };

  it('passes catalog validation', () => {
    expect(built.ok ? [] : built.errors).toEqual([]);
  });

  it('never drops a candidate for a missing attribute or an evaluation error', () => {
    let decisions = 0;
    let answered = 0;
    for (const { customerId } of customers.slice(0, 200)) {
      for (const channel of catalog.channels.map((c) => c.id)) {
        const result = run(customerId, channel);
        decisions++;
        if (result.actions.length > 0) answered++;
        for (const entry of result.explanation ?? []) {
          expect(entry.missing, `${customerId} ${channel} ${entry.reason}`).toBeUndefined();
          expect(entry.error, `${customerId} ${channel} ${entry.reason}`).toBeUndefined();
        }
      }
    }
    // The demo has something to say to almost everyone.
    expect(answered / decisions).toBeGreaterThan(0.9);
  });

  it('gives the personas the decisions their documentation promises', () => {
    const ids = (r: ReturnType<typeof run>): string[] => r.actions.map((a) => a.actionId);
    const growIds = allActions().filter((a) => a.issue.id === 'grow').map((a) => a.action.id);

    const leaving = run('C000004', 'web', { intent: 'cancel' });
    expect(leaving.actions[0]).toMatchObject({ actionId: 'cancel-save-call', contextWeight: 3 });
    expect(run('C000004', 'call-centre', { intent: 'cancel' }).actions[0]?.actionId).toBe('cancel-save-call');

    expect(run('C000007', 'push').actions[0]?.actionId).toBe('fraud-alert-review');
    // With equal propensities a EUR 5 service action does not outrank a loan; its weight does apply.
    const travel = run('C000007', 'mobile', { reason: 'travel' }, 20).explanation?.find((e) => e.actionId === 'travel-notice');
    expect(travel?.factors?.contextWeight).toBe(3);

    expect(ids(run('C000005', 'web', {}, 20)).filter((id) => growIds.includes(id))).toEqual([]);
    expect(ids(run('C000005', 'call-centre', {}, 20))).toContain('debt-advice');
    expect(ids(run('C000008', 'web', {}, 20)).filter((id) => growIds.includes(id))).toEqual([]);

    expect(ids(run('C000006', 'branch', {}, 20))).toEqual(expect.arrayContaining(['terms-update', 'address-update', 'app-onboarding']));
    expect(ids(run('C000006', 'call-centre', {}, 20))).toEqual(expect.arrayContaining(['card-expiry-reminder', 'address-update']));
    expect(ids(run('C000002', 'mobile', {}, 20))).toContain('student-card');
    expect(ids(run('C000003', 'branch', {}, 20))).toContain('investment-review');
    expect(ids(run('C000001', 'web', {}, 20))).toEqual(expect.arrayContaining(['gold-card', 'kids-savings', 'pension-top-up']));
  });

  it('boosts mortgages on the mortgage pages', () => {
    const result = run('C000001', 'web', { page: 'mortgages' }, 20);
    const refinance = result.explanation?.find((e) => e.actionId === 'mortgage-refinance');
    expect(refinance?.stage).toBe('applicability'); // rate 2.1% is already low
    const family = customers.find((c) => {
      const a = c.attributes;
      return (a.age as number) < 45 && !productsOf(a).some((p) => p.startsWith('mortgage')) && run(c.customerId, 'web', {}, 30).actions.some((x) => x.actionId === 'mortgage-first-home');
    });
    expect(family).toBeDefined();
    const boosted = run(family!.customerId, 'web', { page: 'mortgages' }, 30).actions.find((a) => a.actionId === 'mortgage-first-home');
    expect(boosted?.contextWeight).toBe(2);
  });
});
