/**
 * The catalog: the bank's decision configuration (channels, outcomes, issues > groups > actions >
 * treatments, engagement policies, levers, context weights, relevance floor). These are the
 * validated document types; `compile.ts` turns a document into the in-memory form the pipeline uses.
 */
import type { Direction, Outcome } from '../types.js';

export interface OutcomeMapping {
  positive: Outcome[];
  negative: Outcome[];
}

export interface ChannelDef {
  id: string;
  direction: Direction;
  name?: string;
  /** Overrides the catalog-wide outcome mapping for this channel. */
  outcomes?: OutcomeMapping;
  /**
   * Hours after a decision within which a response is expected; after that every offered action
   * without a positive or negative response counts as `ignored`. Default 24 inbound, 168 outbound.
   */
  responseWindowHours?: number;
}

/** Engagement policies: CEL expressions over `customer`, `context` and `now`. Absent means "true". */
export interface PolicySet {
  eligibility?: string;
  applicability?: string;
  suitability?: string;
}

export interface TreatmentDef {
  id: string;
  channel: string;
  name?: string;
  /** Free content for the channel (headline, template id, script...). Returned untouched. */
  content?: Record<string, unknown>;
}

export const ACTION_KINDS = ['offer', 'retention', 'service', 'risk', 'conversation'] as const;
export type ActionKind = (typeof ACTION_KINDS)[number];

export interface ActionDef extends PolicySet {
  id: string;
  name?: string;
  description?: string;
  kind?: ActionKind;
  /** Business value V, >= 0. Default 1. */
  value: number;
  /** Action lever, >= 0. Default 1. */
  lever: number;
  /** Inclusive ISO dates (YYYY-MM-DD), UTC. */
  validFrom?: string;
  validTo?: string;
  /** Fixed propensity in [0, 1]: no model (e.g. regulatory messages). */
  propensity?: number;
  /**
   * Regulatory or risk action that must reach the customer: skips contact policies (suppression,
   * limits, quiet hours) and arbitration (ranked ahead of every other action), never preferences.
   */
  mandatory?: boolean;
  /** Transactional (a service message the customer needs): does not count toward contact limits. */
  transactional?: boolean;
  /**
   * Marketing needs the customer's marketing consent. Default: true unless `kind` is service or risk.
   */
  marketing?: boolean;
  /** For `conversation` actions: the expertise topic an advisor must list (default: the group id). */
  topic?: string;
  treatments: TreatmentDef[];
}

export interface GroupDef extends PolicySet {
  id: string;
  name?: string;
  lever: number;
  actions: ActionDef[];
}

export interface IssueDef extends PolicySet {
  id: string;
  name?: string;
  lever: number;
  groups: GroupDef[];
}

/** A context weight applies to exactly one of issue, group or action. */
export interface ContextWeightDef {
  when: string;
  issue?: string;
  group?: string;
  action?: string;
  weight: number;
}

export interface RelevanceDef {
  /** Actions whose arbitrated propensity is below this are dropped. Default 0. */
  minPropensity: number;
}

/** Outcomes a suppression rule can count: a response outcome, `decided` (offered), or any positive/negative. */
export const HISTORY_CONDITIONS = ['decided', 'impression', 'clicked', 'accepted', 'rejected', 'ignored', 'positive', 'negative'] as const;
export type HistoryCondition = (typeof HISTORY_CONDITIONS)[number];

export const SUPPRESSION_SCOPES = ['action', 'group', 'issue'] as const;
export type SuppressionScope = (typeof SUPPRESSION_SCOPES)[number];

/** "After `count` x `outcome` within `withinDays` (without a positive), suppress for `suppressDays`." */
export interface SuppressionDef {
  name: string;
  scope: SuppressionScope;
  /** A channel id (only that channel's history counts, only that channel is suppressed) or `all`. */
  channel: string;
  when: { outcome: HistoryCondition; count: number; withinDays: number; withoutPositive: boolean };
  suppressDays: number;
}

/** At most `max` outbound contacts per customer in `channel` (or `all` outbound channels) per `periodDays`. */
export interface ContactLimitDef {
  name: string;
  channel: string;
  max: number;
  periodDays: number;
}

/** No contact between `from` and `to` (local HH:MM in the customer's time zone; may wrap midnight). */
export interface QuietHoursDef {
  /** A channel id, or `all` for every outbound channel. */
  channel: string;
  from: string;
  to: string;
}

export interface ContactPoliciesDef {
  /** IANA time zone for customers whose profile has no valid `timeZone`. Default UTC. */
  timeZone: string;
  suppressions: SuppressionDef[];
  limits: ContactLimitDef[];
  quietHours: QuietHoursDef[];
}

export interface AdvisorDef {
  id: string;
  name?: string;
  /** Expertise topics, strongest first (e.g. mortgages, investments, debt, retention). */
  topics: string[];
  /** How they meet customers: branch, phone, video... */
  channels: string[];
  /** Conversations they can take per ISO week. */
  weeklyCapacity: number;
}

export const CONTROL_PERIODS = ['month', 'quarter', 'year', 'forever'] as const;
export type ControlPeriod = (typeof CONTROL_PERIODS)[number];

export interface ControlGroupDef {
  /** Share of customers in the control arm, 0..0.5. Default 0.02. */
  share: number;
  /** Membership is re-drawn each period (hash of customerId and period). Default quarter. */
  period: ControlPeriod;
}

/** How the adaptive models are keyed and which predictors they see. */
export interface ModelsDef {
  /** One model per treatment (action x channel x direction x treatment) instead of per action x channel x direction. Default false. */
  perTreatment: boolean;
  /**
   * Predictor names to keep (empty: all) and to drop, exact (`customer.age`) or by prefix with a
   * trailing `*` (`customer.*`, `ih.*`). Exclusions win.
   */
  predictors: { include: string[]; exclude: string[] };
}

export interface CatalogDocument {
  name?: string;
  channels: ChannelDef[];
  outcomes: OutcomeMapping;
  issues: IssueDef[];
  contextWeights: ContextWeightDef[];
  relevance: RelevanceDef;
  /** Normalised by validation: always present (empty lists by default). */
  contactPolicies?: ContactPoliciesDef;
  advisors?: AdvisorDef[];
  controlGroup?: ControlGroupDef;
  models?: ModelsDef;
}

export const POLICY_STAGES = ['eligibility', 'applicability', 'suitability'] as const;
export type PolicyStage = (typeof POLICY_STAGES)[number];
export type PolicyLevel = 'issue' | 'group' | 'action';
