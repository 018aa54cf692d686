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
import type { RuleInput, RuleOutcome } from '../expr/cel.js';
import { modelKey, type PropensityEstimate, type PropensityModel } from '../models/model.js';
import { extractPredictors } from '../predictors.js';
import { addHistoryPredictors } from '../history-features.js';
import type { Random } from '../random.js';
import type { CustomerPreferences, HistoryRow, JsonObject, Predictors, RankedAction } from '../types.js';
import { isTimeZone } from '../catalog/validate.js';
import { routeAdvisor } from '../policy/advisors.js';
import { ContactPolicyEvaluator, type ContactFinding } from '../policy/contact.js';
import { checkPreferences, DEFAULT_PREFERENCES, type PreferenceFinding } from '../policy/preferences.js';
import { dayOf, isoWeek, localClock, type LocalClock } from '../policy/time.js';
import { channelTable, slotsFor } from './channel-table.js';

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

/**
 * A preparing model that also hands out a slot per key (valid while `slotsVersion` holds) and
 * estimates into an array: the pipeline resolves each candidate's key once, not on every decision,
 * and allocates nothing per candidate (the adaptive model).
 */
interface SlottedModel extends PreparingModel {
  slot(key: string): unknown;
  /** Changes when slots handed out before may be stale. */
  readonly slotsVersion: number;
  estimateInto(slot: unknown, prepared: unknown, random: Random, out: Float64Array, at: number): void;
  /** Lays the slots' scorers side by side in memory (optional; with `scorerLayouts`). */
  packScorers?(slots: readonly unknown[]): void;
  /** Grows as models lay out new scorers, leaving a pack. */
  readonly scorerLayouts?: number;
}

function isPreparing(model: PropensityModel): model is PreparingModel {
  const m = model as Partial<PreparingModel>;
  return typeof m.prepare === 'function' && typeof m.estimatePrepared === 'function';
}

function isSlotted(model: PropensityModel): model is SlottedModel {
  const m = model as Partial<SlottedModel>;
  return isPreparing(model) && typeof m.slot === 'function' && typeof m.estimateInto === 'function' && typeof m.slotsVersion === 'number';
}

/** Why a candidate left the pipeline (per candidate in the decision's scratch arrays). */
const PASSED = 0;
const VALIDITY = 1;
const POLICY = 2;
const PREFERENCE = 3;
const CONTACT = 4;
const ADVISOR = 5;
const RELEVANCE = 6;

/**
 * Per-candidate working arrays, reused from decision to decision (a decision runs to completion
 * synchronously and its result never refers to them): stage code, failed policy position,
 * [propensity, model propensity, evidence] triples, context weight and priority.
 */
let stageOf = new Uint8Array(64);
let detailOf = new Int32Array(64);
let estimates = new Float64Array(192);
let weightOf = new Float64Array(64);
let priorityOf = new Float64Array(64);
let passed = new Int32Array(64);

function ensureScratch(n: number): void {
  if (stageOf.length >= n) return;
  const size = Math.max(n, 2 * stageOf.length);
  stageOf = new Uint8Array(size);
  detailOf = new Int32Array(size);
  estimates = new Float64Array(3 * size);
  weightOf = new Float64Array(size);
  priorityOf = new Float64Array(size);
  passed = new Int32Array(size);
}

export function decide(request: DecideRequest, deps: DecideDeps): DecideResult {
  const { catalog, model, random, now } = deps;
  const found = channelTable(catalog, request.channel);
  if (!found) throw nbError('NB_ERR_UNKNOWN_CHANNEL', [request.channel, [...catalog.channels.keys()].join(', ')]);
  const table = found;
  const channel = table.channel;
  const candidates = table.candidates;
  const n = table.count;
  const customer = request.customer ?? {};
  const input: RuleInput = { customer, context: request.context, now };
  const predictors = extractPredictors(request.customer, request.context);
  addHistoryPredictors(predictors, request.history ?? [], catalog, dayOf(now));
  if (catalog.models.predictors.include.length > 0 || catalog.models.predictors.exclude.length > 0) {
    for (const name of Object.keys(predictors)) if (!catalog.keepPredictor(name)) delete predictors[name];
  }
  const explain = request.explain;
  const nowMs = now.getTime();
  const controlGroup = request.controlGroup === true;
  const zone = customerTimeZone(request.customer, catalog.contactPolicies.timeZone);
  let clock: LocalClock | undefined;
  const needsClock =
    catalog.contactPolicies.quietHours.length > 0 || (request.preferences?.contactTimes.length ?? 0) > 0;
  if (needsClock) clock = localClock(now, zone);
  const contact = table.noContactPolicies ? undefined : new ContactPolicyEvaluator(catalog, channel, request.history ?? [], dayOf(now), clock);
  const preferences = request.preferences === undefined ? undefined : (request.preferences ?? DEFAULT_PREFERENCES);
  const explicitPreferences = request.preferences !== undefined && request.preferences !== null;
  const advisorLoad = request.advisorLoad ?? new Map<string, number>();
  const routing = catalog.advisors.length > 0;
  const week = routing ? isoWeek(now) : '';

  // Rules are evaluated at most once per decision, by number (issue and group rules are shared).
  const rules = table.rules;
  const outcomes = new Array<RuleOutcome | undefined>(rules.length);
  const outcome = (r: number): RuleOutcome => (outcomes[r] ??= rules[r]!.evaluate(input));
  // candidate c's context weight into weightOf[c] (no number returned: that would allocate)
  let contextWeights: Float64Array | undefined;
  const setContextWeight = (c: number): void => {
    const start = table.weightStart[c]!;
    const end = table.weightStart[c + 1]!;
    if (!contextWeights) {
      contextWeights = new Float64Array(catalog.contextWeights.length);
      catalog.contextWeights.forEach((w, i) => (contextWeights![i] = outcome(table.weightRule[i]!).value ? w.weight : 1));
    }
    let product = 1;
    for (let k = start; k < end; k++) product *= contextWeights[table.weightIndex[k]!] ?? 1;
    weightOf[c] = product;
  };
  // A preference finding depends on the action only through its marketing flag.
  const preferenceFindings: Array<PreferenceFinding | null | undefined> = [undefined, undefined];

  const slotted = isSlotted(model) ? model : undefined;
  const preparing = isPreparing(model) ? model : undefined;
  const slots = slotted ? slotsFor(table, slotted, slotted.slotsVersion, (key) => slotted.slot(key)) : undefined;
  if (slotted?.packScorers && slots) {
    // the candidates' scorers side by side, packed again once an eighth of them have left
    const layouts = slotted.scorerLayouts ?? 0;
    const at = table.packedAt.get(slotted);
    if (at === undefined || layouts - at > Math.max(8, n >> 3)) {
      slotted.packScorers(slots);
      table.packedAt.set(slotted, layouts);
    }
  }
  let prepared: unknown;

  // What the explanation (or the answer) needs beyond the arrays, for the few candidates concerned.
  const findings: Array<PreferenceFinding | ContactFinding | string | undefined> = [];
  const advisorIds: Array<string | undefined> = [];
  const advisorReasons: Array<string | undefined> = [];
  const reordered: Array<TreatmentDef[] | undefined> = [];

  ensureScratch(n);
  const stage = stageOf;
  const est = estimates;
  let passedCount = 0;
  for (let c = 0; c < n; c++) {
    if (nowMs < table.validFromMs[c]! || nowMs >= table.validToMs[c]!) {
      stage[c] = VALIDITY;
      continue;
    }
    let failed = -1;
    for (let k = table.ruleStart[c]!, end = table.ruleStart[c + 1]!; k < end; k++) {
      if (!outcome(table.ruleOf[k]!).value) {
        failed = k - table.ruleStart[c]!;
        break;
      }
    }
    if (failed >= 0) {
      stage[c] = POLICY;
      detailOf[c] = failed;
      continue;
    }
    // the candidate's action object only when a check needs more than the table holds
    if (preferences) {
      const m = table.marketing[c]!;
      let finding = preferenceFindings[m];
      if (finding === undefined) finding = preferenceFindings[m] = checkPreferences(candidates[c]!.action, channel, preferences, explicitPreferences, clock) ?? null;
      if (finding) {
        stage[c] = PREFERENCE;
        findings[c] = finding;
        continue;
      }
    }
    if (contact) {
      const finding = contact.check(candidates[c]!.action);
      if (finding) {
        stage[c] = CONTACT;
        findings[c] = finding;
        continue;
      }
    }
    if (table.conversation[c] === 1 && routing) {
      const routed = routeAdvisor(candidates[c]!.action.topic!, catalog.advisors, advisorLoad, preferences?.preferredAdvisor ?? null, preferences?.preferredChannels ?? [], week);
      if (!routed.advisor) {
        stage[c] = ADVISOR;
        findings[c] = routed.reason;
        continue;
      }
      advisorIds[c] = routed.advisor.id;
      advisorReasons[c] = routed.reason;
    }

    const fixed = table.fixed[c]!;
    if (fixed === fixed) {
      est[3 * c] = fixed;
      est[3 * c + 1] = fixed;
      est[3 * c + 2] = 0;
    } else if (catalog.models.perTreatment) {
      // One model per treatment: the treatment with the highest arbitrated propensity represents the action.
      const { action, treatments } = candidates[c]!;
      let best = -1;
      for (let t = 0; t < treatments.length; t++) {
        const key = modelKey({ actionId: action.id, channel: channel.id, direction: channel.direction, treatmentId: treatments[t]!.id });
        let e: PropensityEstimate;
        if (preparing) {
          prepared ??= preparing.prepare(predictors);
          e = preparing.estimatePrepared(key, prepared, random);
        } else e = model.estimate(key, predictors, random);
        if (best < 0 || e.propensity > est[3 * c]!) {
          est[3 * c] = e.propensity;
          est[3 * c + 1] = e.mean;
          est[3 * c + 2] = e.evidence;
          best = t;
        }
      }
      if (best > 0) reordered[c] = [treatments[best]!, ...treatments.filter((_, i) => i !== best)];
    } else if (slotted) {
      prepared ??= slotted.prepare(predictors);
      slotted.estimateInto(slots![c], prepared, random, est, 3 * c);
    } else {
      let e: PropensityEstimate;
      if (preparing) {
        prepared ??= preparing.prepare(predictors);
        e = preparing.estimatePrepared(table.keys[c]!, prepared, random);
      } else e = model.estimate(table.keys[c]!, predictors, random);
      est[3 * c] = e.propensity;
      est[3 * c + 1] = e.mean;
      est[3 * c + 2] = e.evidence;
    }
    const propensity = est[3 * c]!;
    if (table.weightStart[c] === table.weightStart[c + 1]) weightOf[c] = 1;
    else setContextWeight(c);
    priorityOf[c] = propensity * weightOf[c]! * table.value[c]! * table.lever[c]!;
    if (propensity < catalog.minPropensity && table.mandatory[c] === 0 && !controlGroup) {
      stage[c] = RELEVANCE;
      continue;
    }
    stage[c] = PASSED;
    passed[passedCount++] = c;
  }

  // Mandatory actions skip arbitration: first, in catalog order. The rest best first, or (control
  // arm) in a random order drawn from the injected random source.
  const mandatory: number[] = [];
  let arbitratedCount = 0;
  let nan = false;
  for (let i = 0; i < passedCount; i++) {
    const c = passed[i]!;
    if (table.mandatory[c] === 1) mandatory.push(c);
    else {
      arbitratedCount++;
      if (priorityOf[c] !== priorityOf[c]) nan = true;
    }
  }
  const byPriority = (a: number, b: number): number => priorityOf[b]! - priorityOf[a]! || a - b;
  const limit = Math.max(1, Math.floor(request.limit));
  const wanted = limit - mandatory.length;
  let arbitrated: number[];
  if (!explain && !controlGroup && Number.isFinite(wanted) && wanted < arbitratedCount && !nan) {
    // Only the first `wanted` are returned: select them (the same as the head of the stable sort,
    // the comparator being a total order without NaN priorities) instead of sorting everything.
    arbitrated = topOf(passedCount, table.mandatory, Math.max(0, wanted));
  } else {
    arbitrated = [];
    for (let i = 0; i < passedCount; i++) if (table.mandatory[passed[i]!] === 0) arbitrated.push(passed[i]!);
    arbitrated.sort(byPriority);
  }
  if (controlGroup) {
    for (let i = arbitrated.length - 1; i > 0; i--) {
      const j = Math.floor(random.next() * (i + 1));
      [arbitrated[i], arbitrated[j]] = [arbitrated[j]!, arbitrated[i]!];
    }
  }
  const ranked = mandatory.length > 0 ? [...mandatory, ...arbitrated] : arbitrated;

  const actions: RankedAction[] = [];
  for (let index = 0; index < ranked.length && index < limit; index++) {
    const c = ranked[index]!;
    const action = candidates[c]!.action;
    const treatment = (reordered[c] ?? candidates[c]!.treatments)[0]!;
    const advisorId = advisorIds[c];
    actions.push({
      rank: index + 1,
      actionId: action.id,
      issue: action.issue,
      group: action.group,
      treatmentId: treatment.id,
      propensity: est[3 * c]!,
      contextWeight: weightOf[c]!,
      value: action.value,
      lever: action.lever,
      priority: priorityOf[c]!,
      ...(action.mandatory ? { mandatory: true } : {}),
      ...(advisorId !== undefined ? { advisorId } : {}),
    });
  }
  if (!explain) return { actions, predictors, controlGroup };

  const factorsOf = (c: number): CandidateFactors => ({
    propensity: est[3 * c]!,
    modelPropensity: est[3 * c + 1]!,
    evidence: est[3 * c + 2]!,
    fixedPropensity: table.fixed[c] === table.fixed[c],
    contextWeight: weightOf[c]!,
    value: table.value[c]!,
    lever: table.lever[c]!,
    priority: priorityOf[c]!,
  });
  const explanation: CandidateExplanation[] = [];
  // the candidates removed along the way, in catalog order, then the arbitrated ones in rank order
  for (let c = 0; c < n; c++) {
    const code = stage[c]!;
    if (code === PASSED) continue;
    const action = candidates[c]!.action;
    const entry = dropEntry(code, c, action);
    for (const t of reordered[c] ?? candidates[c]!.treatments) {
      explanation.push({ actionId: action.id, treatmentId: t.id, issue: action.issue, group: action.group, ...entry });
    }
  }
  function dropEntry(code: number, c: number, action: CompiledAction): Omit<CandidateExplanation, 'actionId' | 'treatmentId' | 'issue' | 'group'> {
    switch (code) {
      case VALIDITY:
        return {
          stage: 'validity',
          reason: `not valid on ${now.toISOString().slice(0, 10)} (valid ${action.def.validFrom ?? 'always'} to ${action.def.validTo ?? 'open end'})`,
        };
      case POLICY: {
        const policy = action.policies[detailOf[c]!]!;
        const result = outcome(table.ruleOf[table.ruleStart[c]! + detailOf[c]!]!);
        const where = `${policy.stage} rule of ${policy.level} '${policy.owner}'`;
        const reason = result.missing
          ? `${where} is false because ${result.missing.join(', ')} ${result.missing.length > 1 ? 'are' : 'is'} missing: ${policy.rule.source}`
          : result.error
            ? `${where} could not be evaluated (${result.error}), so it counts as false: ${policy.rule.source}`
            : `${where} is false: ${policy.rule.source}`;
        return {
          stage: policy.stage,
          level: policy.level,
          rule: policy.rule.source,
          ...(result.missing ? { missing: result.missing } : {}),
          ...(result.error ? { error: result.error } : {}),
          reason,
        };
      }
      case PREFERENCE: {
        const finding = findings[c] as PreferenceFinding;
        return { stage: 'preference', policy: finding.preference, reason: finding.reason };
      }
      case CONTACT: {
        const finding = findings[c] as ContactFinding;
        return { stage: finding.stage, policy: finding.policy, evidence: finding.evidence, reason: finding.reason };
      }
      case ADVISOR:
        return { stage: 'advisor', reason: findings[c] as string };
      default:
        return {
          stage: 'relevance',
          factors: factorsOf(c),
          reason: `propensity ${round(est[3 * c]!)} is below the relevance floor ${catalog.minPropensity}`,
        };
    }
  }
  ranked.forEach((c, index) => {
    const action = candidates[c]!.action;
    const [treatment, ...others] = reordered[c] ?? candidates[c]!.treatments;
    const selected = index < limit;
    const f = factorsOf(c);
    const formula = `P ${round(f.propensity)} x C ${round(f.contextWeight)} x V ${round(f.value)} x L ${round(f.lever)} = ${round(f.priority)}`;
    const how = action.mandatory
      ? `mandatory, placed ahead of arbitration (${formula})`
      : controlGroup
        ? `control group: random order among the ${arbitrated.length} eligible action(s) (${formula})`
        : formula;
    const advisorId = advisorIds[c];
    const advisor = advisorReasons[c] ? `; advisor: ${advisorReasons[c]}` : '';
    explanation.push({
      actionId: action.id,
      treatmentId: treatment!.id,
      issue: action.issue,
      group: action.group,
      stage: selected ? 'selected' : 'limit',
      ...(selected ? { rank: index + 1 } : {}),
      factors: f,
      ...(advisorId !== undefined ? { advisorId } : {}),
      reason: selected
        ? `ranked ${index + 1}: ${how}${advisor}`
        : `passed every rule but ranked ${index + 1}, below the ${limit} requested: ${how}${advisor}`,
    });
    for (const other of others) {
      explanation.push({
        actionId: action.id,
        treatmentId: other.id,
        issue: action.issue,
        group: action.group,
        stage: 'duplicate',
        factors: f,
        reason: `another treatment of the same action (${treatment!.id}) represents it in this channel`,
      });
    }
  });
  return { actions, predictors, explanation, controlGroup };
}

/**
 * The first k of the first `count` passed candidates that are not mandatory, by priority (highest
 * first, then catalog order), in order: k is small, so each is inserted into the head instead of
 * sorting everything.
 */
function topOf(count: number, mandatory: Uint8Array, k: number): number[] {
  const top: number[] = [];
  if (k <= 0) return top;
  for (let j = 0; j < count; j++) {
    const c = passed[j]!;
    if (mandatory[c] === 1) continue;
    const p = priorityOf[c]!;
    if (top.length === k) {
      const last = top[k - 1]!;
      if (priorityOf[last]! > p || (priorityOf[last] === p && last < c)) continue;
    }
    // after every element not below it (ties keep catalog order)
    let i = top.length;
    while (i > 0) {
      const before = top[i - 1]!;
      if (priorityOf[before]! > p || (priorityOf[before] === p && before < c)) break;
      i--;
    }
    top.splice(i, 0, c);
    if (top.length > k) top.pop();
  }
  return top;
}

function round(x: number): number {
  return Math.round(x * 10000) / 10000;
}
