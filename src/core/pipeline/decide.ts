/**
 * The decision pipeline (DESIGN section 3), pure and deterministic given the injected clock value,
 * random source and model state:
 * candidates (treatments for the channel, valid today) -> engagement policies (eligibility,
 * applicability, suitability at issue, group, action level) -> propensity -> relevance floor ->
 * arbitration priority = P x C x V x L -> best first, one treatment per action -> top `limit`.
 * Every candidate can be explained: the stage that removed it and why, or its factors.
 */
import { nbError } from '../../errors.js';
import type { CompiledAction, CompiledCatalog } from '../catalog/compile.js';
import type { PolicyLevel, PolicyStage, TreatmentDef } from '../catalog/types.js';
import type { CompiledRule, RuleInput, RuleOutcome } from '../expr/cel.js';
import { modelKey, type PropensityModel } from '../models/model.js';
import { extractPredictors } from '../predictors.js';
import type { Random } from '../random.js';
import type { JsonObject, Predictors, RankedAction } from '../types.js';

export interface DecideRequest {
  channel: string;
  /** Profile attributes; undefined for an unknown (anonymous) customer. */
  customer: JsonObject | undefined;
  context: JsonObject;
  limit: number;
  explain: boolean;
}

export interface DecideDeps {
  catalog: CompiledCatalog;
  model: PropensityModel;
  random: Random;
  now: Date;
}

export type CandidateStage = 'validity' | PolicyStage | 'relevance' | 'duplicate' | 'limit' | 'selected';

export interface CandidateFactors {
  /** Arbitrated propensity P. */
  propensity: number;
  /** The model's point estimate (equals P for a fixed propensity). */
  modelPropensity: number;
  /** Responses behind the model estimate (0 for a fixed propensity). */
  evidence: number;
  fixedPropensity: boolean;
  contextWeight: number;
  value: number;
  lever: number;
  priority: number;
}

export interface CandidateExplanation {
  actionId: string;
  treatmentId: string;
  issue: string;
  group: string;
  /** `selected`, or the stage that removed the candidate. */
  stage: CandidateStage;
  rank?: number;
  level?: PolicyLevel;
  rule?: string;
  missing?: string[];
  error?: string;
  factors?: CandidateFactors;
  /** The same in plain words. */
  reason: string;
}

export interface DecideResult {
  actions: RankedAction[];
  predictors: Predictors;
  explanation?: CandidateExplanation[];
}

interface Scored {
  action: CompiledAction;
  treatment: TreatmentDef;
  others: TreatmentDef[];
  factors: CandidateFactors;
}

export function decide(request: DecideRequest, deps: DecideDeps): DecideResult {
  const { catalog, model, random, now } = deps;
  const channel = catalog.channels.get(request.channel);
  const candidates = catalog.candidatesByChannel.get(request.channel);
  if (!channel || !candidates) {
    throw nbError('NB_ERR_UNKNOWN_CHANNEL', [request.channel, [...catalog.channels.keys()].join(', ')]);
  }
  const customer = request.customer ?? {};
  const input: RuleInput = { customer, context: request.context, now };
  const predictors = extractPredictors(request.customer, request.context);
  const explain = request.explain;
  const explanation: CandidateExplanation[] = [];
  const nowMs = now.getTime();

  // Rules shared by many actions (issue and group level) are evaluated once per decision.
  const ruleCache = new Map<CompiledRule, RuleOutcome>();
  const evaluate = (rule: CompiledRule): RuleOutcome => {
    let outcome = ruleCache.get(rule);
    if (!outcome) {
      outcome = rule.evaluate(input);
      ruleCache.set(rule, outcome);
    }
    return outcome;
  };
  let weights: number[] | undefined;
  const weightOf = (action: CompiledAction): number => {
    if (action.weightIndexes.length === 0) return 1;
    weights ??= catalog.contextWeights.map((w) => (evaluate(w.rule).value ? w.weight : 1));
    let product = 1;
    for (const index of action.weightIndexes) product *= weights[index] ?? 1;
    return product;
  };

  const drop = (action: CompiledAction, treatments: TreatmentDef[], entry: Omit<CandidateExplanation, 'actionId' | 'treatmentId' | 'issue' | 'group'>): void => {
    if (!explain) return;
    for (const t of treatments) {
      explanation.push({ actionId: action.id, treatmentId: t.id, issue: action.issue, group: action.group, ...entry });
    }
  };

  const scored: Scored[] = [];
  for (const { action, treatments } of candidates) {
    if (nowMs < action.validFromMs || nowMs >= action.validToMs) {
      drop(action, treatments, {
        stage: 'validity',
        reason: `not valid on ${now.toISOString().slice(0, 10)} (valid ${action.def.validFrom ?? 'always'} to ${action.def.validTo ?? 'open end'})`,
      });
      continue;
    }
    let blocked = false;
    for (const policy of action.policies) {
      const outcome = evaluate(policy.rule);
      if (outcome.value) continue;
      blocked = true;
      if (explain) {
        const where = `${policy.stage} rule of ${policy.level} '${policy.owner}'`;
        const reason = outcome.missing
          ? `${where} is false because ${outcome.missing.join(', ')} ${outcome.missing.length > 1 ? 'are' : 'is'} missing: ${policy.rule.source}`
          : outcome.error
            ? `${where} could not be evaluated (${outcome.error}), so it counts as false: ${policy.rule.source}`
            : `${where} is false: ${policy.rule.source}`;
        drop(action, treatments, {
          stage: policy.stage,
          level: policy.level,
          rule: policy.rule.source,
          ...(outcome.missing ? { missing: outcome.missing } : {}),
          ...(outcome.error ? { error: outcome.error } : {}),
          reason,
        });
      }
      break;
    }
    if (blocked) continue;

    let propensity: number;
    let modelPropensity: number;
    let evidence: number;
    const fixed = action.fixedPropensity !== undefined;
    if (action.fixedPropensity !== undefined) {
      propensity = modelPropensity = action.fixedPropensity;
      evidence = 0;
    } else {
      const estimate = model.estimate(modelKey({ actionId: action.id, channel: channel.id, direction: channel.direction }), predictors, random);
      propensity = estimate.propensity;
      modelPropensity = estimate.mean;
      evidence = estimate.evidence;
    }
    const contextWeight = weightOf(action);
    const factors: CandidateFactors = {
      propensity,
      modelPropensity,
      evidence,
      fixedPropensity: fixed,
      contextWeight,
      value: action.value,
      lever: action.lever,
      priority: propensity * contextWeight * action.value * action.lever,
    };
    if (propensity < catalog.minPropensity) {
      drop(action, treatments, {
        stage: 'relevance',
        factors,
        reason: `propensity ${round(propensity)} is below the relevance floor ${catalog.minPropensity}`,
      });
      continue;
    }
    const [first, ...others] = treatments as [TreatmentDef, ...TreatmentDef[]];
    scored.push({ action, treatment: first, others, factors });
  }

  scored.sort((a, b) => b.factors.priority - a.factors.priority || a.action.order - b.action.order);

  const limit = Math.max(1, Math.floor(request.limit));
  const actions: RankedAction[] = [];
  scored.forEach((s, index) => {
    const selected = index < limit;
    if (selected) {
      actions.push({
        rank: index + 1,
        actionId: s.action.id,
        issue: s.action.issue,
        group: s.action.group,
        treatmentId: s.treatment.id,
        propensity: s.factors.propensity,
        contextWeight: s.factors.contextWeight,
        value: s.factors.value,
        lever: s.factors.lever,
        priority: s.factors.priority,
      });
    }
    if (!explain) return;
    const f = s.factors;
    const formula = `P ${round(f.propensity)} x C ${round(f.contextWeight)} x V ${round(f.value)} x L ${round(f.lever)} = ${round(f.priority)}`;
    explanation.push({
      actionId: s.action.id,
      treatmentId: s.treatment.id,
      issue: s.action.issue,
      group: s.action.group,
      stage: selected ? 'selected' : 'limit',
      ...(selected ? { rank: index + 1 } : {}),
      factors: f,
      reason: selected
        ? `ranked ${index + 1}: ${formula}`
        : `passed every rule but ranked ${index + 1}, below the ${limit} requested: ${formula}`,
    });
    for (const other of s.others) {
      explanation.push({
        actionId: s.action.id,
        treatmentId: other.id,
        issue: s.action.issue,
        group: s.action.group,
        stage: 'duplicate',
        factors: f,
        reason: `another treatment of the same action (${s.treatment.id}) represents it in this channel`,
      });
    }
  });

  return explain ? { actions, predictors, explanation } : { actions, predictors };
}

function round(x: number): number {
  return Math.round(x * 10000) / 10000;
}
