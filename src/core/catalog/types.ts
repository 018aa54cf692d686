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

export interface CatalogDocument {
  name?: string;
  channels: ChannelDef[];
  outcomes: OutcomeMapping;
  issues: IssueDef[];
  contextWeights: ContextWeightDef[];
  relevance: RelevanceDef;
}

export const POLICY_STAGES = ['eligibility', 'applicability', 'suitability'] as const;
export type PolicyStage = (typeof POLICY_STAGES)[number];
export type PolicyLevel = 'issue' | 'group' | 'action';
