/**
 * Catalog validation: checks a raw document (parsed YAML or JSON) and returns either the normalised
 * `CatalogDocument` (defaults filled in) or every problem at once, each with the path and the fix,
 * e.g. `issues[1].groups[0].actions[3].value: must be a number >= 0`. CEL expressions are compiled
 * here too, so a parse or type error is a load-time error, never a crash while deciding.
 */
import { parse as parseYaml } from 'yaml';
import { nbError } from '../../errors.js';
import { OUTCOMES, type Outcome } from '../types.js';
import { compileRule, type CompiledRule } from '../expr/cel.js';
import {
  ACTION_KINDS,
  CONTROL_PERIODS,
  HISTORY_CONDITIONS,
  POLICY_STAGES,
  SUPPRESSION_SCOPES,
  type ActionDef,
  type AdvisorDef,
  type ContactLimitDef,
  type ContactPoliciesDef,
  type ControlGroupDef,
  type ControlPeriod,
  type HistoryCondition,
  type QuietHoursDef,
  type SuppressionDef,
  type SuppressionScope,
  type CatalogDocument,
  type ChannelDef,
  type ContextWeightDef,
  type GroupDef,
  type IssueDef,
  type OutcomeMapping,
  type PolicySet,
  type TreatmentDef,
  type ModelsDef,
} from './types.js';

export interface CatalogProblem {
  path: string;
  message: string;
}

export type ValidationResult =
  | { ok: true; document: CatalogDocument; rules: Map<string, CompiledRule> }
  | { ok: false; errors: CatalogProblem[] };

export const DEFAULT_OUTCOMES: OutcomeMapping = { positive: ['clicked', 'accepted'], negative: ['rejected', 'ignored'] };

const ID_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/;
const DATE_PATTERN = /^\d{4}-\d{2}-\d{2}$/;
const TOP_LEVEL_KEYS = [
  'name', 'description', 'channels', 'outcomes', 'issues', 'contextWeights', 'relevance', 'contactPolicies', 'advisors', 'controlGroup',
  'models',
];
const TIME_PATTERN = /^([01]\d|2[0-3]):[0-5]\d$/;

const knownZones = new Map<string, boolean>();
const MAX_CACHED_ZONES = 2048;

/**
 * True when `zone` is an IANA time zone this runtime knows. Answers are cached (building an
 * Intl.DateTimeFormat costs tens of microseconds and this runs on every decision).
 */
export function isTimeZone(zone: unknown): zone is string {
  if (typeof zone !== 'string' || zone === '') return false;
  const cached = knownZones.get(zone);
  if (cached !== undefined) return cached;
  let valid: boolean;
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    valid = true;
  } catch {
    valid = false;
  }
  if (knownZones.size < MAX_CACHED_ZONES) knownZones.set(zone, valid);
  return valid;
}

/** Parse catalog text. `format` defaults to YAML, which also reads JSON. */
export function parseCatalogText(text: string, format: 'yaml' | 'json' = 'yaml'): unknown {
  try {
    return format === 'json' ? JSON.parse(text) : parseYaml(text, { prettyErrors: true });
  } catch (error) {
    const message = error instanceof Error ? (error.message.split('\n')[0] ?? error.message) : String(error);
    throw nbError('NB_ERR_CATALOG_PARSE', [format.toUpperCase(), message], { cause: error });
  }
}

class Checker {
  readonly errors: CatalogProblem[] = [];
  readonly rules = new Map<string, CompiledRule>();

  fail(path: string, message: string): void {
    this.errors.push({ path, message });
  }

  object(value: unknown, path: string): Record<string, unknown> | undefined {
    if (typeof value === 'object' && value !== null && !Array.isArray(value)) return value as Record<string, unknown>;
    this.fail(path, `must be an object, got ${kindOf(value)}`);
    return undefined;
  }

  unknownKeys(value: Record<string, unknown>, path: string, allowed: readonly string[]): void {
    for (const key of Object.keys(value)) {
      if (!allowed.includes(key)) {
        this.fail(join(path, key), `unknown field; remove it or use one of: ${allowed.join(', ')}`);
      }
    }
  }

  id(value: unknown, path: string): string | undefined {
    if (typeof value === 'string' && ID_PATTERN.test(value)) return value;
    this.fail(path, 'must be an id: 1-128 letters, digits, "-", "_" or ".", starting with a letter or digit');
    return undefined;
  }

  optionalString(value: unknown, path: string): string | undefined {
    if (value === undefined) return undefined;
    if (typeof value === 'string') return value;
    this.fail(path, `must be a string, got ${kindOf(value)}`);
    return undefined;
  }

  number(value: unknown, path: string, fallback: number, min: number, max = Number.POSITIVE_INFINITY): number {
    if (value === undefined) return fallback;
    if (typeof value === 'number' && Number.isFinite(value) && value >= min && value <= max) return value;
    this.fail(path, max === Number.POSITIVE_INFINITY ? `must be a number >= ${min}` : `must be a number between ${min} and ${max}`);
    return fallback;
  }

  array(value: unknown, path: string, nonEmpty: boolean): unknown[] {
    if (Array.isArray(value)) {
      if (nonEmpty && value.length === 0) this.fail(path, 'must list at least one entry');
      return value;
    }
    this.fail(path, value === undefined ? 'is required (a list)' : `must be a list, got ${kindOf(value)}`);
    return [];
  }

  rule(value: unknown, path: string): string | undefined {
    if (value === undefined) return undefined;
    if (typeof value === 'boolean') value = String(value);
    if (typeof value !== 'string') {
      this.fail(path, `must be a CEL expression (string), got ${kindOf(value)}`);
      return undefined;
    }
    const compiled = compileRule(value);
    if (!compiled.ok) {
      this.fail(path, `invalid CEL expression: ${compiled.error}`);
      return undefined;
    }
    this.rules.set(value.trim(), compiled.rule);
    return value.trim();
  }

  date(value: unknown, path: string): string | undefined {
    if (value === undefined) return undefined;
    if (value instanceof Date && !Number.isNaN(value.getTime())) return value.toISOString().slice(0, 10);
    if (typeof value === 'string' && DATE_PATTERN.test(value) && !Number.isNaN(Date.parse(`${value}T00:00:00Z`))) return value;
    this.fail(path, 'must be a date YYYY-MM-DD');
    return undefined;
  }

  outcomes(value: unknown, path: string): OutcomeMapping | undefined {
    const raw = this.object(value, path);
    if (!raw) return undefined;
    this.unknownKeys(raw, path, ['positive', 'negative']);
    const list = (key: 'positive' | 'negative'): Outcome[] => {
      const entries = this.array(raw[key], join(path, key), key === 'positive');
      const out: Outcome[] = [];
      entries.forEach((entry, i) => {
        if (typeof entry === 'string' && (OUTCOMES as readonly string[]).includes(entry)) out.push(entry as Outcome);
        else this.fail(`${join(path, key)}[${i}]`, `must be one of ${OUTCOMES.join(', ')}`);
      });
      return out;
    };
    const positive = list('positive');
    const negative = list('negative');
    for (const outcome of positive) {
      if (negative.includes(outcome)) this.fail(path, `'${outcome}' cannot be both positive and negative`);
    }
    return { positive, negative };
  }

  policies(raw: Record<string, unknown>, path: string): PolicySet {
    const set: PolicySet = {};
    for (const stage of POLICY_STAGES) {
      const rule = this.rule(raw[stage], join(path, stage));
      if (rule !== undefined) set[stage] = rule;
    }
    return set;
  }
}

/** Validate and normalise a raw catalog document. */
export function validateCatalog(raw: unknown): ValidationResult {
  const c = new Checker();
  const root = c.object(raw, '$');
  if (!root) return { ok: false, errors: c.errors };
  c.unknownKeys(root, '', TOP_LEVEL_KEYS);

  const channels: ChannelDef[] = [];
  const channelIds = new Set<string>();
  c.array(root['channels'], 'channels', true).forEach((entry, i) => {
    const path = `channels[${i}]`;
    const ch = c.object(entry, path);
    if (!ch) return;
    c.unknownKeys(ch, path, ['id', 'direction', 'name', 'outcomes', 'responseWindowHours']);
    const id = c.id(ch['id'], `${path}.id`);
    if (id && channelIds.has(id)) c.fail(`${path}.id`, `duplicate channel id '${id}'; channel ids must be unique`);
    const direction = ch['direction'];
    if (direction !== 'inbound' && direction !== 'outbound') c.fail(`${path}.direction`, "must be 'inbound' or 'outbound'");
    const outcomes = ch['outcomes'] === undefined ? undefined : c.outcomes(ch['outcomes'], `${path}.outcomes`);
    const name = c.optionalString(ch['name'], `${path}.name`);
    const window = ch['responseWindowHours'] === undefined ? undefined : c.number(ch['responseWindowHours'], `${path}.responseWindowHours`, 24, 0.01, 24 * 366);
    if (id) channelIds.add(id); // known even when invalid, so treatments don't repeat the error
    if (id && (direction === 'inbound' || direction === 'outbound')) {
      channels.push({
        id,
        direction,
        ...(name ? { name } : {}),
        ...(outcomes ? { outcomes } : {}),
        ...(window !== undefined ? { responseWindowHours: window } : {}),
      });
    }
  });

  const outcomes = root['outcomes'] === undefined ? DEFAULT_OUTCOMES : (c.outcomes(root['outcomes'], 'outcomes') ?? DEFAULT_OUTCOMES);

  const issues: IssueDef[] = [];
  const issueIds = new Set<string>();
  const groupIds = new Set<string>();
  const actionIds = new Set<string>();
  const treatmentIds = new Set<string>();
  c.array(root['issues'], 'issues', true).forEach((entry, i) => {
    const path = `issues[${i}]`;
    const raw = c.object(entry, path);
    if (!raw) return;
    c.unknownKeys(raw, path, ['id', 'name', 'description', 'lever', ...POLICY_STAGES, 'groups']);
    const id = c.id(raw['id'], `${path}.id`);
    if (id && issueIds.has(id)) c.fail(`${path}.id`, `duplicate issue id '${id}'; issue ids must be unique`);
    if (id) issueIds.add(id);
    const lever = c.number(raw['lever'], `${path}.lever`, 1, 0);
    const policies = c.policies(raw, path);
    const groups: GroupDef[] = [];
    c.array(raw['groups'], `${path}.groups`, true).forEach((groupEntry, j) => {
      const group = validateGroup(c, groupEntry, `${path}.groups[${j}]`, { groupIds, actionIds, treatmentIds, channelIds });
      if (group) groups.push(group);
    });
    const name = c.optionalString(raw['name'], `${path}.name`);
    c.optionalString(raw['description'], `${path}.description`);
    if (id) {
      issues.push({ id, ...(name ? { name } : {}), lever, ...policies, groups });
    }
  });

  const contextWeights: ContextWeightDef[] = [];
  const weights = root['contextWeights'] === undefined ? [] : c.array(root['contextWeights'], 'contextWeights', false);
  weights.forEach((entry, i) => {
    const path = `contextWeights[${i}]`;
    const raw = c.object(entry, path);
    if (!raw) return;
    c.unknownKeys(raw, path, ['when', 'issue', 'group', 'action', 'weight']);
    const when = raw['when'] === undefined ? (c.fail(`${path}.when`, 'is required (a CEL condition)'), undefined) : c.rule(raw['when'], `${path}.when`);
    const targets = (['issue', 'group', 'action'] as const).filter((k) => raw[k] !== undefined);
    if (targets.length !== 1) {
      c.fail(path, 'must name exactly one target: issue, group or action');
      return;
    }
    const level = targets[0] as 'issue' | 'group' | 'action';
    const target = raw[level];
    const known = level === 'issue' ? issueIds : level === 'group' ? groupIds : actionIds;
    if (typeof target !== 'string' || !known.has(target)) {
      c.fail(`${path}.${level}`, `must be the id of a ${level} in this catalog; '${String(target)}' is not one`);
      return;
    }
    const weight = raw['weight'] === undefined ? (c.fail(`${path}.weight`, 'is required (a number >= 0)'), 1) : c.number(raw['weight'], `${path}.weight`, 1, 0);
    if (when !== undefined) contextWeights.push({ when, [level]: target, weight });
  });

  let minPropensity = 0;
  if (root['relevance'] !== undefined) {
    const relevance = c.object(root['relevance'], 'relevance');
    if (relevance) {
      c.unknownKeys(relevance, 'relevance', ['minPropensity']);
      minPropensity = c.number(relevance['minPropensity'], 'relevance.minPropensity', 0, 0, 1);
    }
  }
  const name = c.optionalString(root['name'], 'name');

  const contactPolicies = validateContactPolicies(c, root['contactPolicies'], channels, channelIds);
  const advisors = validateAdvisors(c, root['advisors']);
  const controlGroup = validateControlGroup(c, root['controlGroup']);
  const models = validateModels(c, root['models']);
  if (root['advisors'] !== undefined) {
    const topics = new Set(advisors.flatMap((a) => a.topics));
    issues.forEach((issue, i) =>
      issue.groups.forEach((group, j) =>
        group.actions.forEach((action, k) => {
          if (action.kind !== 'conversation') return;
          const topic = action.topic ?? group.id;
          if (!topics.has(topic)) {
            c.fail(
              `issues[${i}].groups[${j}].actions[${k}]${action.topic ? '.topic' : ''}`,
              `conversation topic '${topic}' is not in any advisor's topics; add it to an advisor or set the action's topic to one of: ${[...topics].join(', ') || 'none'}`,
            );
          }
        }),
      ),
    );
  }

  if (c.errors.length > 0) return { ok: false, errors: c.errors };
  return {
    ok: true,
    document: {
      ...(name ? { name } : {}),
      channels,
      outcomes,
      issues,
      contextWeights,
      relevance: { minPropensity },
      contactPolicies,
      advisors,
      controlGroup,
      models,
    },
    rules: c.rules,
  };
}

function validateContactPolicies(
  c: Checker,
  value: unknown,
  channels: ChannelDef[],
  channelIds: Set<string>,
): ContactPoliciesDef {
  const result: ContactPoliciesDef = { timeZone: 'UTC', suppressions: [], limits: [], quietHours: [] };
  if (value === undefined) return result;
  const raw = c.object(value, 'contactPolicies');
  if (!raw) return result;
  c.unknownKeys(raw, 'contactPolicies', ['timeZone', 'suppressions', 'limits', 'quietHours']);
  if (raw['timeZone'] !== undefined) {
    if (isTimeZone(raw['timeZone'])) result.timeZone = raw['timeZone'];
    else c.fail('contactPolicies.timeZone', 'must be an IANA time zone such as Europe/Lisbon or UTC');
  }
  const outbound = new Set(channels.filter((ch) => ch.direction === 'outbound').map((ch) => ch.id));
  const names = new Set<string>();
  const policyName = (v: unknown, path: string): string | undefined => {
    if (typeof v !== 'string' || v.trim() === '' || v.length > 128) {
      c.fail(path, 'is required: a name (1-128 characters) that explanations show');
      return undefined;
    }
    if (names.has(v)) c.fail(path, `duplicate policy name '${v}'; contact policy names must be unique`);
    names.add(v);
    return v;
  };
  const channelRef = (v: unknown, path: string, allowed: Set<string>, what: string): string | undefined => {
    if (v === undefined || v === 'all') return 'all';
    if (typeof v === 'string' && allowed.has(v)) return v;
    c.fail(path, `must be 'all' or one of the ${what} (${[...allowed].join(', ') || 'none declared'})`);
    return undefined;
  };
  const integer = (v: unknown, path: string, min: number, max: number): number | undefined => {
    if (typeof v === 'number' && Number.isInteger(v) && v >= min && v <= max) return v;
    c.fail(path, v === undefined ? `is required (an integer from ${min} to ${max})` : `must be an integer from ${min} to ${max}`);
    return undefined;
  };

  const suppressions = raw['suppressions'] === undefined ? [] : c.array(raw['suppressions'], 'contactPolicies.suppressions', false);
  suppressions.forEach((entry, i) => {
    const path = `contactPolicies.suppressions[${i}]`;
    const s = c.object(entry, path);
    if (!s) return;
    c.unknownKeys(s, path, ['name', 'scope', 'channel', 'when', 'suppressDays']);
    const name = policyName(s['name'], `${path}.name`);
    const scope = s['scope'];
    if (!(typeof scope === 'string' && (SUPPRESSION_SCOPES as readonly string[]).includes(scope))) {
      c.fail(`${path}.scope`, `must be one of ${SUPPRESSION_SCOPES.join(', ')}`);
    }
    const channel = channelRef(s['channel'], `${path}.channel`, channelIds, 'declared channels');
    const suppressDays = integer(s['suppressDays'], `${path}.suppressDays`, 1, 3650);
    const when = s['when'] === undefined ? (c.fail(`${path}.when`, 'is required: {outcome, count, withinDays, withoutPositive?}'), undefined) : c.object(s['when'], `${path}.when`);
    if (!when) return;
    c.unknownKeys(when, `${path}.when`, ['outcome', 'count', 'withinDays', 'withoutPositive']);
    const outcome = when['outcome'];
    if (!(typeof outcome === 'string' && (HISTORY_CONDITIONS as readonly string[]).includes(outcome))) {
      c.fail(`${path}.when.outcome`, `must be one of ${HISTORY_CONDITIONS.join(', ')}`);
    }
    const count = integer(when['count'], `${path}.when.count`, 1, 100_000);
    const withinDays = integer(when['withinDays'], `${path}.when.withinDays`, 1, 3650);
    const withoutPositive = when['withoutPositive'];
    if (withoutPositive !== undefined && typeof withoutPositive !== 'boolean') c.fail(`${path}.when.withoutPositive`, 'must be true or false');
    if (name && channel && suppressDays !== undefined && count !== undefined && withinDays !== undefined && typeof scope === 'string' && typeof outcome === 'string') {
      result.suppressions.push({
        name,
        scope: scope as SuppressionScope,
        channel,
        when: { outcome: outcome as HistoryCondition, count, withinDays, withoutPositive: withoutPositive === true },
        suppressDays,
      } satisfies SuppressionDef);
    }
  });

  const limits = raw['limits'] === undefined ? [] : c.array(raw['limits'], 'contactPolicies.limits', false);
  limits.forEach((entry, i) => {
    const path = `contactPolicies.limits[${i}]`;
    const l = c.object(entry, path);
    if (!l) return;
    c.unknownKeys(l, path, ['name', 'channel', 'max', 'periodDays']);
    const name = policyName(l['name'], `${path}.name`);
    const channel = channelRef(l['channel'], `${path}.channel`, outbound, 'outbound channels');
    const max = integer(l['max'], `${path}.max`, 0, 100_000);
    const periodDays = integer(l['periodDays'], `${path}.periodDays`, 1, 366);
    if (name && channel && max !== undefined && periodDays !== undefined) result.limits.push({ name, channel, max, periodDays } satisfies ContactLimitDef);
  });

  const quiet = raw['quietHours'] === undefined ? [] : c.array(raw['quietHours'], 'contactPolicies.quietHours', false);
  quiet.forEach((entry, i) => {
    const path = `contactPolicies.quietHours[${i}]`;
    const q = c.object(entry, path);
    if (!q) return;
    c.unknownKeys(q, path, ['channel', 'from', 'to']);
    const channel = channelRef(q['channel'], `${path}.channel`, channelIds, 'declared channels');
    const time = (key: 'from' | 'to'): string | undefined => {
      const v = q[key];
      if (typeof v === 'string' && TIME_PATTERN.test(v)) return v;
      c.fail(`${path}.${key}`, 'must be a local time HH:MM (00:00-23:59), e.g. "21:00"');
      return undefined;
    };
    const from = time('from');
    const to = time('to');
    if (from !== undefined && to !== undefined && from === to) c.fail(`${path}.to`, 'must differ from `from` (an empty or 24-hour window); remove the entry or opt the channel out');
    if (channel && from && to && from !== to) result.quietHours.push({ channel, from, to } satisfies QuietHoursDef);
  });
  return result;
}

function validateAdvisors(c: Checker, value: unknown): AdvisorDef[] {
  if (value === undefined) return [];
  const advisors: AdvisorDef[] = [];
  const ids = new Set<string>();
  c.array(value, 'advisors', false).forEach((entry, i) => {
    const path = `advisors[${i}]`;
    const a = c.object(entry, path);
    if (!a) return;
    c.unknownKeys(a, path, ['id', 'name', 'topics', 'channels', 'weeklyCapacity']);
    const id = c.id(a['id'], `${path}.id`);
    if (id && ids.has(id)) c.fail(`${path}.id`, `duplicate advisor id '${id}'; advisor ids must be unique`);
    if (id) ids.add(id);
    const strings = (key: 'topics' | 'channels'): string[] => {
      const out: string[] = [];
      c.array(a[key], `${path}.${key}`, true).forEach((v, j) => {
        if (typeof v === 'string' && /^[A-Za-z0-9][A-Za-z0-9_.-]{0,127}$/.test(v)) out.push(v);
        else c.fail(`${path}.${key}[${j}]`, 'must be an id: 1-128 letters, digits, "-", "_" or "."');
      });
      return out;
    };
    const topics = strings('topics');
    const channels = strings('channels');
    const capacity = a['weeklyCapacity'];
    if (!(typeof capacity === 'number' && Number.isInteger(capacity) && capacity >= 0)) {
      c.fail(`${path}.weeklyCapacity`, capacity === undefined ? 'is required (conversations per ISO week, an integer >= 0)' : 'must be an integer >= 0');
    }
    const name = c.optionalString(a['name'], `${path}.name`);
    if (id && typeof capacity === 'number') advisors.push({ id, ...(name ? { name } : {}), topics, channels, weeklyCapacity: capacity });
  });
  return advisors;
}

const PREDICTOR_PATTERN = /^[^*\s]+\*?$/;

function validateModels(c: Checker, value: unknown): ModelsDef {
  const result: ModelsDef = { perTreatment: false, predictors: { include: [], exclude: [] } };
  if (value === undefined) return result;
  const raw = c.object(value, 'models');
  if (!raw) return result;
  c.unknownKeys(raw, 'models', ['perTreatment', 'predictors']);
  if (raw['perTreatment'] !== undefined) {
    if (typeof raw['perTreatment'] === 'boolean') result.perTreatment = raw['perTreatment'];
    else c.fail('models.perTreatment', 'must be true or false');
  }
  if (raw['predictors'] !== undefined) {
    const predictors = c.object(raw['predictors'], 'models.predictors');
    if (predictors) {
      c.unknownKeys(predictors, 'models.predictors', ['include', 'exclude']);
      for (const key of ['include', 'exclude'] as const) {
        if (predictors[key] === undefined) continue;
        c.array(predictors[key], `models.predictors.${key}`, false).forEach((entry, i) => {
          if (typeof entry === 'string' && PREDICTOR_PATTERN.test(entry)) result.predictors[key].push(entry);
          else c.fail(`models.predictors.${key}[${i}]`, "must be a predictor name (customer.age) or a prefix ending in * (customer.*, ih.*)");
        });
      }
    }
  }
  return result;
}

function validateControlGroup(c: Checker, value: unknown): ControlGroupDef {
  const result: ControlGroupDef = { share: 0.02, period: 'quarter' };
  if (value === undefined) return result;
  const raw = c.object(value, 'controlGroup');
  if (!raw) return result;
  c.unknownKeys(raw, 'controlGroup', ['share', 'period']);
  result.share = c.number(raw['share'], 'controlGroup.share', 0.02, 0, 0.5);
  if (raw['period'] !== undefined) {
    if (typeof raw['period'] === 'string' && (CONTROL_PERIODS as readonly string[]).includes(raw['period'])) result.period = raw['period'] as ControlPeriod;
    else c.fail('controlGroup.period', `must be one of ${CONTROL_PERIODS.join(', ')}`);
  }
  return result;
}

interface Registries {
  groupIds: Set<string>;
  actionIds: Set<string>;
  treatmentIds: Set<string>;
  channelIds: Set<string>;
}

function validateGroup(c: Checker, entry: unknown, path: string, reg: Registries): GroupDef | undefined {
  const raw = c.object(entry, path);
  if (!raw) return undefined;
  c.unknownKeys(raw, path, ['id', 'name', 'description', 'lever', ...POLICY_STAGES, 'actions']);
  const id = c.id(raw['id'], `${path}.id`);
  if (id && reg.groupIds.has(id)) c.fail(`${path}.id`, `duplicate group id '${id}'; group ids must be unique across the catalog`);
  if (id) reg.groupIds.add(id);
  const lever = c.number(raw['lever'], `${path}.lever`, 1, 0);
  const policies = c.policies(raw, path);
  const actions: ActionDef[] = [];
  c.array(raw['actions'], `${path}.actions`, true).forEach((actionEntry, k) => {
    const action = validateAction(c, actionEntry, `${path}.actions[${k}]`, reg);
    if (action) actions.push(action);
  });
  const name = c.optionalString(raw['name'], `${path}.name`);
  c.optionalString(raw['description'], `${path}.description`);
  if (!id) return undefined;
  return { id, ...(name ? { name } : {}), lever, ...policies, actions };
}

function validateAction(c: Checker, entry: unknown, path: string, reg: Registries): ActionDef | undefined {
  const raw = c.object(entry, path);
  if (!raw) return undefined;
  c.unknownKeys(raw, path, [
    'id', 'name', 'description', 'kind', 'value', 'lever', ...POLICY_STAGES, 'validFrom', 'validTo', 'propensity',
    'mandatory', 'transactional', 'marketing', 'topic', 'treatments',
  ]);
  const flag = (key: 'mandatory' | 'transactional' | 'marketing'): boolean | undefined => {
    const v = raw[key];
    if (v === undefined) return undefined;
    if (typeof v === 'boolean') return v;
    c.fail(`${path}.${key}`, 'must be true or false');
    return undefined;
  };
  const mandatory = flag('mandatory');
  const transactional = flag('transactional');
  const marketing = flag('marketing');
  const topic = raw['topic'] === undefined ? undefined : c.id(raw['topic'], `${path}.topic`);
  if (topic !== undefined && raw['kind'] !== 'conversation') c.fail(`${path}.topic`, "only conversation actions have a topic; set kind: conversation or remove topic");
  const id = c.id(raw['id'], `${path}.id`);
  if (id && reg.actionIds.has(id)) c.fail(`${path}.id`, `duplicate action id '${id}'; action ids must be unique across the catalog`);
  if (id) reg.actionIds.add(id);
  const kind = raw['kind'];
  if (kind !== undefined && !(typeof kind === 'string' && (ACTION_KINDS as readonly string[]).includes(kind))) {
    c.fail(`${path}.kind`, `must be one of ${ACTION_KINDS.join(', ')}`);
  }
  const value = c.number(raw['value'], `${path}.value`, 1, 0);
  const lever = c.number(raw['lever'], `${path}.lever`, 1, 0);
  const validFrom = c.date(raw['validFrom'], `${path}.validFrom`);
  const validTo = c.date(raw['validTo'], `${path}.validTo`);
  if (validFrom && validTo && validFrom > validTo) c.fail(`${path}.validTo`, `must not be before validFrom (${validFrom})`);
  const propensity = raw['propensity'] === undefined ? undefined : c.number(raw['propensity'], `${path}.propensity`, 0, 0, 1);
  const treatments: TreatmentDef[] = [];
  c.array(raw['treatments'], `${path}.treatments`, true).forEach((tEntry, t) => {
    const tPath = `${path}.treatments[${t}]`;
    const tr = c.object(tEntry, tPath);
    if (!tr) return;
    c.unknownKeys(tr, tPath, ['id', 'channel', 'name', 'content']);
    const tid = c.id(tr['id'], `${tPath}.id`);
    if (tid && reg.treatmentIds.has(tid)) c.fail(`${tPath}.id`, `duplicate treatment id '${tid}'; treatment ids must be unique across the catalog`);
    if (tid) reg.treatmentIds.add(tid);
    const channel = tr['channel'];
    if (typeof channel !== 'string' || !reg.channelIds.has(channel)) {
      c.fail(`${tPath}.channel`, `must be one of the declared channels (${[...reg.channelIds].join(', ') || 'none declared'})`);
      return;
    }
    const name = c.optionalString(tr['name'], `${tPath}.name`);
    const content = tr['content'] === undefined ? undefined : c.object(tr['content'], `${tPath}.content`);
    if (tid) treatments.push({ id: tid, channel, ...(name ? { name } : {}), ...(content ? { content } : {}) });
  });
  const name = c.optionalString(raw['name'], `${path}.name`);
  const description = c.optionalString(raw['description'], `${path}.description`);
  if (!id) return undefined;
  return {
    id,
    ...(name ? { name } : {}),
    ...(description ? { description } : {}),
    ...(typeof kind === 'string' && (ACTION_KINDS as readonly string[]).includes(kind) ? { kind: kind as ActionDef['kind'] } : {}),
    value,
    lever,
    ...c.policies(raw, path),
    ...(validFrom ? { validFrom } : {}),
    ...(validTo ? { validTo } : {}),
    ...(propensity !== undefined ? { propensity } : {}),
    ...(mandatory !== undefined ? { mandatory } : {}),
    ...(transactional !== undefined ? { transactional } : {}),
    ...(marketing !== undefined ? { marketing } : {}),
    ...(topic !== undefined ? { topic } : {}),
    treatments,
  };
}

function join(path: string, key: string): string {
  return path === '' ? key : `${path}.${key}`;
}

function kindOf(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (value === undefined) return 'nothing';
  return `a ${typeof value}`;
}
