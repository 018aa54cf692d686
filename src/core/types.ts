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
  /** Present and true for a `mandatory` action: placed ahead of arbitration. */
  mandatory?: boolean;
  /** For a conversation: the advisor it is routed to. */
  advisorId?: string;
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
  /** True when the customer was in the control arm: the actions are a random eligible choice. */
  controlGroup?: boolean;
}

/**
 * Interaction-history summary: daily counts per customer x channel x issue x group x action x
 * outcome. Offering an action counts as `decided`; an outbound decision that offered at least one
 * non-transactional action also counts one `contact` (with empty issue, group and action).
 */
export type HistoryOutcome = Outcome | 'decided' | 'contact';

export interface HistoryRow {
  /** UTC day, YYYY-MM-DD. */
  day: string;
  channel: string;
  issue: string;
  group: string;
  actionId: string;
  outcome: HistoryOutcome;
  count: number;
}

export const WEEKDAYS = ['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** A window in which the customer agrees to be contacted (local time; `to` may wrap midnight). */
export interface ContactWindow {
  /** Days the window applies to; absent = every day. */
  days?: Weekday[];
  from: string;
  to: string;
}

/** What the customer chose. Hard constraints: the pipeline never overrides them. */
export interface CustomerPreferences {
  /** Channels the customer does not want to be reached on, inbound or outbound. */
  optedOutChannels: string[];
  /** true: marketing allowed; false: only service and risk actions; null: unknown (see docs). */
  marketingConsent: boolean | null;
  /** When non-empty, outbound contact only on these channels. */
  preferredChannels: string[];
  /** When non-empty, outbound contact only inside these windows. */
  contactTimes: ContactWindow[];
  /** Advisor id the customer wants for conversations, when able. */
  preferredAdvisor: string | null;
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
