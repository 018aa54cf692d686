/**
 * The decision pipeline (DESIGN section 3), pure and deterministic given the injected clock value,
 * random source, model state, history summary and preferences:
 * candidates (treatments for the channel, valid today) -> engagement policies (eligibility,
 * applicability, suitability at issue, group, action level) -> preferences and consent -> contact
 * policies (quiet hours, suppressions, contact limits) -> advisor routing for conversations ->
 * propensity -> relevance floor -> arbitration priority = P x C x V x L -> mandatory actions first,
 * then best first, one treatment per action -> top `limit`. In the control arm the arbitrated order
 * is replaced by a random order of the eligible actions (after all policies).
 * Every candidate can be explained: the stage that removed it and why, or its factors.
 */
import { nbError } from '../../errors.js';
import type { CompiledAction, CompiledCatalog } from '../catalog/compile.js';
import type { PolicyLevel, PolicyStage, TreatmentDef } from '../catalog/types.js';
import type { CompiledRule, RuleInput, RuleOutcome } from '../expr/cel.js';
import { modelKey, type PropensityEstimate, type PropensityModel } from '../models/model.js';
import { extractPredictors } from '../predictors.js';
import { addHistoryPredictors } from '../history-features.js';
import type { Random } from '../random.js';
import type { CustomerPreferences, HistoryRow, JsonObject, Predictors, RankedAction } from '../types.js';
import { isTimeZone } from '../catalog/validate.js';
import { routeAdvisor } from '../policy/advisors.js';
import { ContactPolicyEvaluator } from '../policy/contact.js';
import { checkPreferences, DEFAULT_PREFERENCES } from '../policy/preferences.js';
import { dayOf, isoWeek, localClock, type LocalClock } from '../policy/time.js';

export interface DecideRequest {
  channel: string;
  /** Profile attributes; undefined for an unknown (anonymous) customer. */
  customer: JsonObject | undefined;
  context: JsonObject;
  limit: number;
  explain: boolean;
  /** The customer's interaction-history summary (days the catalog's contact policies need). Default none. */
  history?: readonly HistoryRow[];
  /**
   * The customer's preferences; `null` when none were given (the defaults apply). When undefined the
   * preference stage is skipped (library use without preferences).
   */
  preferences?: CustomerPreferences | null;
  /** Conversations booked per advisor in the current ISO week. Default none. */
  advisorLoad?: ReadonlyMap<string, number>;
  /** The customer is in the control arm: a random order of the eligible actions. Default false. */
  controlGroup?: boolean;
}

export interface DecideDeps {
  catalog: CompiledCatalog;
  model: PropensityModel;
  random: Random;
  now: Date;
}

export type CandidateStage =
  | 'validity'
  | PolicyStage
  | 'preference'
  | 'quiet-hours'
  | 'suppression'
  | 'contact-limit'
  | 'advisor'
  | 'relevance'
  | 'duplicate'
  | 'limit'
  | 'selected';

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
  /** Contact policy name, or the preference (`optedOutChannels`, `marketingConsent`...) that removed it. */
  policy?: string;
  /** The history or clock reading that triggered a contact policy. */
  evidence?: Record<string, string | number | boolean>;
  /** Conversation actions: the advisor routed to. */
  advisorId?: string;
  /** The same in plain words. */
  reason: string;
}

export interface DecideResult {
  actions: RankedAction[];
  predictors: Predictors;
  explanation?: CandidateExplanation[];
  /** Echo of the request's control-group flag. */
  controlGroup: boolean;
}

interface Scored {
  action: CompiledAction;
  treatment: TreatmentDef;
  others: TreatmentDef[];
  factors: CandidateFactors;
  advisorId: string | undefined;
  advisorReason: string | undefined;
}

/** The customer's time zone: profile `timeZone` when it is a valid IANA zone, else the catalog default. */
export function customerTimeZone(customer: JsonObject | undefined, fallback: string): string {
  const zone = customer?.['timeZone'];
  return isTimeZone(zone) ? zone : fallback;
}

/**
 * A model that can resolve the predictor record once per decision for all its keys (the adaptive
 * model): same estimates as `estimate`, without one property lookup per key and predictor.
 */
interface PreparingModel extends PropensityModel {
  prepare(predictors: Predictors): unknown;
  estimatePrepared(key: string, prepared: unknown, random: Random): PropensityEstimate;
}

function isPreparing(model: PropensityModel): model is PreparingModel {
  const m = model as Partial<PreparingModel>;
  return typeof m.prepare === 'function' && typeof m.estimatePrepared === 'function';
}

const NO_TREATMENTS: TreatmentDef[] = [];

/** Model keys per action, for the channel last asked (saves building and hashing a string per action). */
const keyCache = new WeakMap<CompiledAction, { channel: string; direction: string; key: string }>();

function actionModelKey(action: CompiledAction, channel: { id: string; direction: Parameters<typeof modelKey>[0]['direction'] }): string {
  const hit = keyCache.get(action);
  if (hit && hit.channel === channel.id && hit.direction === channel.direction) return hit.key;
  const key = modelKey({ actionId: action.id, channel: channel.id, direction: channel.direction });
  keyCache.set(action, { channel: channel.id, direction: channel.direction, key });
  return key;
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
  addHistoryPredictors(predictors, request.history ?? [], catalog, dayOf(now));
  if (catalog.models.predictors.include.length > 0 || catalog.models.predictors.exclude.length > 0) {
    for (const name of Object.keys(predictors)) if (!catalog.keepPredictor(name)) delete predictors[name];
  }
  const explain = request.explain;
  const explanation: CandidateExplanation[] = [];
  const nowMs = now.getTime();
  const controlGroup = request.controlGroup === true;
  const zone = customerTimeZone(request.customer, catalog.contactPolicies.timeZone);
  let clock: LocalClock | undefined;
  const needsClock =
    catalog.contactPolicies.quietHours.length > 0 || (request.preferences?.contactTimes.length ?? 0) > 0;
  if (needsClock) clock = localClock(now, zone);
  const contact = new ContactPolicyEvaluator(catalog, channel, request.history ?? [], dayOf(now), clock);
  const preferences = request.preferences === undefined ? undefined : (request.preferences ?? DEFAULT_PREFERENCES);
  const explicitPreferences = request.preferences !== undefined && request.preferences !== null;
  const advisorLoad = request.advisorLoad ?? new Map<string, number>();
  const week = isoWeek(now);

  const preparing = isPreparing(model) ? model : undefined;
  let prepared: unknown;

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
  for (const candidate of candidates) {
    const action = candidate.action;
    let treatments = candidate.treatments;
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

    if (preferences) {
      const finding = checkPreferences(action, channel, preferences, explicitPreferences, clock);
      if (finding) {
        drop(action, treatments, { stage: 'preference', policy: finding.preference, reason: finding.reason });
        continue;
      }
    }
    const contactFinding = contact.check(action);
    if (contactFinding) {
      drop(action, treatments, { stage: contactFinding.stage, policy: contactFinding.policy, evidence: contactFinding.evidence, reason: contactFinding.reason });
      continue;
    }
    let advisorId: string | undefined;
    let advisorReason: string | undefined;
    if (action.topic !== undefined && catalog.advisors.length > 0) {
      const routing = routeAdvisor(action.topic, catalog.advisors, advisorLoad, preferences?.preferredAdvisor ?? null, preferences?.preferredChannels ?? [], week);
      if (!routing.advisor) {
        drop(action, treatments, { stage: 'advisor', reason: routing.reason });
        continue;
      }
      advisorId = routing.advisor.id;
      advisorReason = routing.reason;
    }

    let propensity: number;
    let modelPropensity: number;
    let evidence: number;
    const fixed = action.fixedPropensity !== undefined;
    if (action.fixedPropensity !== undefined) {
      propensity = modelPropensity = action.fixedPropensity;
      evidence = 0;
    } else {
      const estimateFor = (key: string): PropensityEstimate => {
        if (preparing) {
          prepared ??= preparing.prepare(predictors);
          return preparing.estimatePrepared(key, prepared, random);
        }
        return model.estimate(key, predictors, random);
      };
      let estimate: PropensityEstimate;
      if (catalog.models.perTreatment) {
        // One model per treatment: the treatment with the highest arbitrated propensity represents the action.
        let best = -1;
        estimate = { propensity: 0, mean: 0, evidence: 0 };
        for (let t = 0; t < treatments.length; t++) {
          const treatment = treatments[t] as TreatmentDef;
          const e = estimateFor(modelKey({ actionId: action.id, channel: channel.id, direction: channel.direction, treatmentId: treatment.id }));
          if (e.propensity > estimate.propensity || best < 0) {
            estimate = e;
            best = t;
          }
        }
        if (best > 0) treatments = [treatments[best] as TreatmentDef, ...treatments.filter((_, i) => i !== best)];
      } else estimate = estimateFor(actionModelKey(action, channel));
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
    if (propensity < catalog.minPropensity && !action.mandatory && !controlGroup) {
      drop(action, treatments, {
        stage: 'relevance',
        factors,
        reason: `propensity ${round(propensity)} is below the relevance floor ${catalog.minPropensity}`,
      });
      continue;
    }
    const first = treatments[0] as TreatmentDef;
    const others = treatments.length > 1 ? treatments.slice(1) : NO_TREATMENTS;
    scored.push({ action, treatment: first, others, factors, advisorId, advisorReason });
  }

  // Mandatory actions skip arbitration: first, in catalog order. The rest best first, or (control
  // arm) in a random order drawn from the injected random source.
  const mandatory = scored.filter((s) => s.action.mandatory).sort((a, b) => a.action.order - b.action.order);
  let arbitrated = scored.filter((s) => !s.action.mandatory);
  const byPriority = (a: Scored, b: Scored): number => b.factors.priority - a.factors.priority || a.action.order - b.action.order;
  const wanted = Math.max(1, Math.floor(request.limit)) - mandatory.length;
  if (!explain && !controlGroup && Number.isFinite(wanted) && wanted < arbitrated.length && !arbitrated.some((s) => Number.isNaN(s.factors.priority))) {
    // Only the first `wanted` are returned: select them (the same as the head of the stable sort,
    // the comparator being a total order without NaN priorities) instead of sorting everything.
    arbitrated = topOf(arbitrated, Math.max(0, wanted), byPriority);
  } else arbitrated.sort(byPriority);
  if (controlGroup) {
    for (let i = arbitrated.length - 1; i > 0; i--) {
      const j = Math.floor(random.next() * (i + 1));
      [arbitrated[i], arbitrated[j]] = [arbitrated[j] as Scored, arbitrated[i] as Scored];
    }
  }
  scored.length = 0;
  scored.push(...mandatory, ...arbitrated);

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
        ...(s.action.mandatory ? { mandatory: true } : {}),
        ...(s.advisorId !== undefined ? { advisorId: s.advisorId } : {}),
      });
    }
    if (!explain) return;
    const f = s.factors;
    const formula = `P ${round(f.propensity)} x C ${round(f.contextWeight)} x V ${round(f.value)} x L ${round(f.lever)} = ${round(f.priority)}`;
    const how = s.action.mandatory
      ? `mandatory, placed ahead of arbitration (${formula})`
      : controlGroup
        ? `control group: random order among the ${arbitrated.length} eligible action(s) (${formula})`
        : formula;
    const advisor = s.advisorReason ? `; advisor: ${s.advisorReason}` : '';
    explanation.push({
      actionId: s.action.id,
      treatmentId: s.treatment.id,
      issue: s.action.issue,
      group: s.action.group,
      stage: selected ? 'selected' : 'limit',
      ...(selected ? { rank: index + 1 } : {}),
      factors: f,
      ...(s.advisorId !== undefined ? { advisorId: s.advisorId } : {}),
      reason: selected
        ? `ranked ${index + 1}: ${how}${advisor}`
        : `passed every rule but ranked ${index + 1}, below the ${limit} requested: ${how}${advisor}`,
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

  return explain ? { actions, predictors, explanation, controlGroup } : { actions, predictors, controlGroup };
}

/** The first k of `items` stably sorted by `compare`, in order (k small: insertion into the head). */
function topOf<T>(items: readonly T[], k: number, compare: (a: T, b: T) => number): T[] {
  const top: T[] = [];
  if (k <= 0) return top;
  for (const item of items) {
    if (top.length === k && compare(top[k - 1] as T, item) <= 0) continue;
    // after every element not greater than it (stability)
    let i = top.length;
    while (i > 0 && compare(top[i - 1] as T, item) > 0) i--;
    top.splice(i, 0, item);
    if (top.length > k) top.pop();
  }
  return top;
}

function round(x: number): number {
  return Math.round(x * 10000) / 10000;
}
