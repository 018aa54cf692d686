/**
 * Synthetic, seeded workloads for the benchmarks: a catalog of N actions (4 issues, groups of 10,
 * policies at every level, one web treatment each), profiles with P predictors (half numeric,
 * half symbolic), and adaptive models trained on a few hundred responses so that bins exist, one
 * per action, not all alike.
 */
import { buildCatalogOrThrow, type CompiledCatalog } from '../src/core/catalog/compile.js';
import { AdaptiveModel } from '../src/core/models/adaptive/index.js';
import { modelKey } from '../src/core/models/model.js';
import { extractPredictors } from '../src/core/predictors.js';
import { SeededRandom, type Random } from '../src/core/random.js';
import type { JsonObject, Predictors } from '../src/core/types.js';

const ISSUES = ['grow', 'retain', 'service', 'risk'];

export function syntheticCatalogDocument(actions: number): Record<string, unknown> {
  const groupsPerIssue = new Map<string, Array<Record<string, unknown>>>();
  for (let a = 0; a < actions; a++) {
    const issue = ISSUES[a % ISSUES.length] as string;
    const groups = groupsPerIssue.get(issue) ?? [];
    groupsPerIssue.set(issue, groups);
    let group = groups[groups.length - 1];
    if (!group || (group['actions'] as unknown[]).length >= 10) {
      group = { id: `${issue}-g${groups.length}`, applicability: 'customer.n0 >= 0.0', actions: [] };
      groups.push(group);
    }
    (group['actions'] as unknown[]).push({
      id: `a${a}`,
      value: 10 + (a % 17) * 7,
      eligibility: `customer.n1 < ${0.9 + (a % 10) / 100}`,
      suitability: a % 3 === 0 ? "customer.s0 != 'blocked'" : undefined,
      treatments: [{ id: `a${a}-web`, channel: 'web' }],
    });
  }
  return {
    channels: [{ id: 'web', direction: 'inbound' }],
    issues: ISSUES.map((id) => ({ id, eligibility: 'customer.age >= 18', groups: groupsPerIssue.get(id) ?? [] })),
    contextWeights: [{ when: "context.intent == 'cancel'", issue: 'retain', weight: 2 }],
    relevance: { minPropensity: 0 },
  };
}

export function syntheticCatalog(actions: number): CompiledCatalog {
  return buildCatalogOrThrow(JSON.parse(JSON.stringify(syntheticCatalogDocument(actions))), 1);
}

/** A profile with `predictors` attributes besides age: n0..n(k-1) numeric in [0,1), s0.. symbolic. */
export function syntheticProfile(predictors: number, random: Random): JsonObject {
  const profile: JsonObject = { age: 18 + Math.floor(random.next() * 60) };
  const numeric = Math.max(2, Math.ceil(predictors / 2));
  for (let i = 0; i < numeric; i++) profile[`n${i}`] = random.next();
  for (let i = 0; i < predictors - numeric; i++) profile[`s${i}`] = `v${Math.floor(random.next() * 12)}`;
  return profile;
}

/**
 * One adaptive model per action key. Keys get distinct models: up to `teachers` (default 64)
 * models are trained, each on `responses` synthetic responses of its own (own seed, and a response
 * rate driven by its own numeric predictor), and key a loads the state of teacher a mod teachers
 * (a separate copy per key: realistic size and layout, and bins that differ from key to key).
 */
export function trainedModel(actions: number, predictors: number, responses = 300, seed = 7, teachers = 64): AdaptiveModel {
  const states = Array.from({ length: Math.min(actions, teachers) }, (_, t) => {
    const random = new SeededRandom(seed + 1000 * t);
    const teacher = new AdaptiveModel({ explore: true });
    const signal = `n${t % Math.max(2, Math.ceil(predictors / 2))}`;
    for (let i = 0; i < responses; i++) {
      const profile = syntheticProfile(predictors, random);
      const p = 0.02 + 0.2 * Number(profile[signal]);
      teacher.learn('seed', extractPredictors(profile, {}), random.next() < p);
    }
    return teacher.takeDirty()[0]!.state;
  });
  const model = new AdaptiveModel({ explore: true });
  for (let a = 0; a < actions; a++) model.load(modelKey({ actionId: `a${a}`, channel: 'web', direction: 'inbound' }), states[a % states.length]!);
  return model;
}

/**
 * A predictor record as the service learns from it: the decision's snapshot as stored (JSON) and
 * read back when the response arrives.
 */
export function storedPredictors(profile: JsonObject): Predictors {
  return JSON.parse(JSON.stringify(extractPredictors(profile, {}))) as Predictors;
}
