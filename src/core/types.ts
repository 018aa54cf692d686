/**
 * Shared vocabulary of the decision core (see DESIGN.md section 2): JSON values, profiles,
 * outcomes, decisions and responses as they travel between core, store and entry points.
 */

export type JsonPrimitive = string | number | boolean | null;
export type JsonValue = JsonPrimitive | JsonValue[] | { [key: string]: JsonValue };
export type JsonObject = { [key: string]: JsonValue };

export type Direction = 'inbound' | 'outbound';

/** Every response outcome the API accepts. `impression` is neutral: it neither teaches nor punishes. */
export const OUTCOMES = ['impression', 'clicked', 'accepted', 'rejected', 'ignored'] as const;
export type Outcome = (typeof OUTCOMES)[number];

/** A customer's profile: free-form attributes the engagement policies and models read. */
export interface CustomerProfile {
  customerId: string;
  attributes: JsonObject;
  updatedAt: string;
}

/** Predictor values as recorded with a decision: flat names (`customer.age`, `context.intent`). */
export type PredictorValue = number | string | boolean | null;
export type Predictors = Record<string, PredictorValue>;

/** One ranked action of a decision, with the arbitration factors that placed it. */
export interface RankedAction {
  rank: number;
  actionId: string;
  issue: string;
  group: string;
  treatmentId: string;
  /** Arbitrated propensity P (a Thompson draw for learned models, the fixed value otherwise). */
  propensity: number;
  /** Context weight C. */
  contextWeight: number;
  /** Business value V. */
  value: number;
  /** Product of issue, group and action levers L. */
  lever: number;
  /** P x C x V x L. */
  priority: number;
}

/** The record of one decision, persisted so that responses can be joined to it later. */
export interface DecisionRecord {
  decisionId: string;
  customerId: string;
  channel: string;
  direction: Direction;
  catalogVersion: number;
  createdAt: string;
  context: JsonObject;
  actions: RankedAction[];
  /** Predictor values known at decision time; responses teach the model these, never later data. */
  predictors: Predictors;
}

export interface ResponseRecord {
  decisionId: string;
  actionId: string;
  customerId: string;
  channel: string;
  outcome: Outcome;
  at: string;
  receivedAt: string;
}
