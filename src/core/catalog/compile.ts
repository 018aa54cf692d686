/**
 * Compiles a validated catalog document into the in-memory structures the pipeline reads on every
 * decision: candidates per channel, policy chains with their CEL programs compiled once, lever
 * products, validity windows as timestamps, context weights by target. Built once per catalog
 * version; nothing here is rebuilt per request.
 */
import type { Direction, Outcome } from '../types.js';
import type { CompiledRule } from '../expr/cel.js';
import { compileRule } from '../expr/cel.js';
import { nbError } from '../../errors.js';
import { validateCatalog, type CatalogProblem } from './validate.js';
import {
  POLICY_STAGES,
  type ActionDef,
  type AdvisorDef,
  type CatalogDocument,
  type ContactPoliciesDef,
  type ControlGroupDef,
  type PolicyLevel,
  type PolicyStage,
  type TreatmentDef,
  type ModelsDef,
} from './types.js';

export interface CompiledPolicy {
  stage: PolicyStage;
  level: PolicyLevel;
  /** Id of the issue, group or action that owns the rule. */
  owner: string;
  rule: CompiledRule;
}

export interface CompiledChannel {
  id: string;
  direction: Direction;
  positive: ReadonlySet<Outcome>;
  negative: ReadonlySet<Outcome>;
  /** After this many hours without a positive or negative response, offered actions count as ignored. */
  responseWindowHours: number;
}

export interface CompiledAction {
  id: string;
  /** Position in the catalog: stable tie-break in arbitration. */
  order: number;
  issue: string;
  group: string;
  def: ActionDef;
  value: number;
  /** issue lever x group lever x action lever. */
  lever: number;
  validFromMs: number;
  validToMs: number;
  fixedPropensity: number | undefined;
  /** Skips contact policies and arbitration (never preferences). */
  mandatory: boolean;
  /** Does not count toward contact limits. */
  transactional: boolean;
  /** Needs marketing consent. */
  marketing: boolean;
  /** Conversation actions: the advisor topic; undefined for other kinds. */
  topic: string | undefined;
  /** Eligibility, then applicability, then suitability; each issue, then group, then action level. */
  policies: CompiledPolicy[];
  /** Indexes into `CompiledCatalog.contextWeights` that target this action, its group or its issue. */
  weightIndexes: number[];
}

export interface Candidate {
  action: CompiledAction;
  treatment: TreatmentDef;
}

export interface CompiledContextWeight {
  rule: CompiledRule;
  level: PolicyLevel;
  target: string;
  weight: number;
}

export interface CompiledCatalog {
  version: number;
  document: CatalogDocument;
  channels: ReadonlyMap<string, CompiledChannel>;
  actions: readonly CompiledAction[];
  actionsById: ReadonlyMap<string, CompiledAction>;
  /** Per channel: each action with its treatments for that channel, in catalog order. */
  candidatesByChannel: ReadonlyMap<string, ReadonlyArray<{ action: CompiledAction; treatments: TreatmentDef[] }>>;
  contextWeights: readonly CompiledContextWeight[];
  minPropensity: number;
  contactPolicies: ContactPoliciesDef;
  advisors: readonly AdvisorDef[];
  controlGroup: ControlGroupDef;
  /** Model keying and predictor selection (`models` section). */
  models: ModelsDef;
  /** Keeps a predictor name or not, per `models.predictors` (memoised per name). */
  keepPredictor: (name: string) => boolean;
  /** Days of interaction history the contact policies need (how far back a decision reads). */
  historyDays: number;
}

export const DEFAULT_RESPONSE_WINDOW_HOURS = { inbound: 24, outbound: 168 } as const;

const DAY_MS = 86_400_000;

export type BuildResult = { ok: true; catalog: CompiledCatalog } | { ok: false; errors: CatalogProblem[] };

/** Validate and compile a raw document in one step. */
export function buildCatalog(raw: unknown, version: number): BuildResult {
  const validated = validateCatalog(raw);
  if (!validated.ok) return validated;
  return { ok: true, catalog: compileCatalog(validated.document, version, validated.rules) };
}

/** Like `buildCatalog` but throws NB_ERR_CATALOG_INVALID with every problem in `details`. */
export function buildCatalogOrThrow(raw: unknown, version: number): CompiledCatalog {
  const built = buildCatalog(raw, version);
  if (!built.ok) throw nbError('NB_ERR_CATALOG_INVALID', [built.errors.length], { details: built.errors });
  return built.catalog;
}

export function compileCatalog(document: CatalogDocument, version: number, rules = new Map<string, CompiledRule>()): CompiledCatalog {
  const ruleFor = (source: string): CompiledRule => {
    const cached = rules.get(source);
    if (cached) return cached;
    const compiled = compileRule(source);
    if (!compiled.ok) throw nbError('NB_ERR_CATALOG_INVALID', [1], { details: [{ path: source, message: compiled.error }] });
    rules.set(source, compiled.rule);
    return compiled.rule;
  };

  const channels = new Map<string, CompiledChannel>();
  for (const ch of document.channels) {
    const mapping = ch.outcomes ?? document.outcomes;
    channels.set(ch.id, {
      id: ch.id,
      direction: ch.direction,
      positive: new Set(mapping.positive),
      negative: new Set(mapping.negative),
      responseWindowHours: ch.responseWindowHours ?? DEFAULT_RESPONSE_WINDOW_HOURS[ch.direction],
    });
  }

  const contextWeights: CompiledContextWeight[] = document.contextWeights.map((w) => {
    const level: PolicyLevel = w.issue !== undefined ? 'issue' : w.group !== undefined ? 'group' : 'action';
    return { rule: ruleFor(w.when), level, target: (w.issue ?? w.group ?? w.action) as string, weight: w.weight };
  });

  const actions: CompiledAction[] = [];
  for (const issue of document.issues) {
    for (const group of issue.groups) {
      for (const action of group.actions) {
        const policies: CompiledPolicy[] = [];
        for (const stage of POLICY_STAGES) {
          const levels: Array<[PolicyLevel, string, string | undefined]> = [
            ['issue', issue.id, issue[stage]],
            ['group', group.id, group[stage]],
            ['action', action.id, action[stage]],
          ];
          for (const [level, owner, source] of levels) {
            if (source === undefined) continue;
            const rule = ruleFor(source);
            if (rule.source === 'true') continue;
            policies.push({ stage, level, owner, rule });
          }
        }
        const weightIndexes: number[] = [];
        contextWeights.forEach((w, index) => {
          if ((w.level === 'issue' && w.target === issue.id) || (w.level === 'group' && w.target === group.id) || (w.level === 'action' && w.target === action.id)) {
            weightIndexes.push(index);
          }
        });
        actions.push({
          id: action.id,
          order: actions.length,
          issue: issue.id,
          group: group.id,
          def: action,
          value: action.value,
          lever: issue.lever * group.lever * action.lever,
          validFromMs: action.validFrom ? Date.parse(`${action.validFrom}T00:00:00Z`) : Number.NEGATIVE_INFINITY,
          validToMs: action.validTo ? Date.parse(`${action.validTo}T00:00:00Z`) + DAY_MS : Number.POSITIVE_INFINITY,
          fixedPropensity: action.propensity,
          mandatory: action.mandatory === true,
          transactional: action.transactional === true,
          marketing: action.marketing ?? !(action.kind === 'service' || action.kind === 'risk'),
          topic: action.kind === 'conversation' ? (action.topic ?? group.id) : undefined,
          policies,
          weightIndexes,
        });
      }
    }
  }

  const candidatesByChannel = new Map<string, Array<{ action: CompiledAction; treatments: TreatmentDef[] }>>();
  for (const ch of document.channels) candidatesByChannel.set(ch.id, []);
  for (const action of actions) {
    const byChannel = new Map<string, TreatmentDef[]>();
    for (const t of action.def.treatments) {
      const list = byChannel.get(t.channel) ?? [];
      list.push(t);
      byChannel.set(t.channel, list);
    }
    for (const [channel, treatments] of byChannel) candidatesByChannel.get(channel)?.push({ action, treatments });
  }

  const contactPolicies: ContactPoliciesDef = document.contactPolicies ?? { timeZone: 'UTC', suppressions: [], limits: [], quietHours: [] };
  const historyDays = Math.max(
    0,
    ...contactPolicies.suppressions.map((p) => p.suppressDays + p.when.withinDays),
    ...contactPolicies.limits.map((l) => l.periodDays),
  );

  return {
    version,
    document,
    contactPolicies,
    advisors: document.advisors ?? [],
    controlGroup: document.controlGroup ?? { share: 0.02, period: 'quarter' },
    models: document.models ?? { perTreatment: false, predictors: { include: [], exclude: [] } },
    keepPredictor: predictorFilter(document.models?.predictors ?? { include: [], exclude: [] }),
    historyDays,
    channels,
    actions,
    actionsById: new Map(actions.map((a) => [a.id, a])),
    candidatesByChannel,
    contextWeights,
    minPropensity: document.relevance.minPropensity,
  };
}

/** A memoised filter for predictor names: `include` (empty: everything) minus `exclude`; `x*` matches by prefix. */
export function predictorFilter(spec: { include: string[]; exclude: string[] }): (name: string) => boolean {
  if (spec.include.length === 0 && spec.exclude.length === 0) return () => true;
  const matches = (patterns: string[], name: string): boolean =>
    patterns.some((p) => (p.endsWith('*') ? name.startsWith(p.slice(0, -1)) : name === p));
  const memo = new Map<string, boolean>();
  return (name: string): boolean => {
    let keep = memo.get(name);
    if (keep === undefined) {
      keep = (spec.include.length === 0 || matches(spec.include, name)) && !matches(spec.exclude, name);
      if (memo.size < 100_000) memo.set(name, keep);
    }
    return keep;
  };
}
