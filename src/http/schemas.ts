/**
 * HTTP schemas (TypeBox -> JSON Schema): one source for request validation, response
 * serialisation and the OpenAPI document served at /docs/json.
 */
import { Type } from 'typebox';
import { OUTCOMES } from '../core/types.js';

export const ID_PATTERN = '^[A-Za-z0-9][A-Za-z0-9._:@-]{0,127}$';

export const ErrorBody = Type.Object(
  {
    error: Type.Object({
      code: Type.String({ description: 'Stable error code from the catalogue (docs/errors.md).' }),
      message: Type.String(),
      details: Type.Optional(Type.Unknown()),
    }),
  },
  { $id: 'Error' },
);

const errorRef = Type.Ref('Error');

export const errorResponses = (...statuses: number[]) =>
  Object.fromEntries(statuses.map((s) => [s, errorRef]));

export const CustomerIdParam = Type.Object({
  id: Type.String({ pattern: ID_PATTERN, description: 'Customer id: 1-128 letters, digits, . _ : @ -' }),
});

export const DecisionRequest = Type.Object(
  {
    customerId: Type.String({ pattern: ID_PATTERN, description: 'The customer; an unknown id is decided as an anonymous visitor.' }),
    channel: Type.String({ minLength: 1, maxLength: 128, description: 'A channel id of the active catalog.' }),
    context: Type.Optional(Type.Record(Type.String(), Type.Unknown(), { description: 'What the channel knows about this moment (page, intent, device...).' })),
    limit: Type.Optional(Type.Integer({ minimum: 1, maximum: 50, default: 1, description: 'How many actions at most.' })),
    explain: Type.Optional(Type.Boolean({ default: false, description: 'Include the explanation of every candidate.' })),
  },
  { additionalProperties: false },
);

const RankedAction = Type.Object({
  rank: Type.Integer(),
  actionId: Type.String(),
  issue: Type.String(),
  group: Type.String(),
  treatmentId: Type.String(),
  propensity: Type.Number(),
  contextWeight: Type.Number(),
  value: Type.Number(),
  lever: Type.Number(),
  priority: Type.Number(),
  mandatory: Type.Optional(Type.Boolean({ description: 'A mandatory (regulatory, risk) action: placed ahead of arbitration.' })),
  advisorId: Type.Optional(Type.String({ description: 'Conversation actions: the advisor the customer is routed to.' })),
});

const CandidateExplanation = Type.Object({
  actionId: Type.String(),
  treatmentId: Type.String(),
  issue: Type.String(),
  group: Type.String(),
  stage: Type.Union([
    Type.Literal('selected'),
    Type.Literal('limit'),
    Type.Literal('duplicate'),
    Type.Literal('relevance'),
    Type.Literal('validity'),
    Type.Literal('eligibility'),
    Type.Literal('applicability'),
    Type.Literal('suitability'),
    Type.Literal('preference'),
    Type.Literal('quiet-hours'),
    Type.Literal('suppression'),
    Type.Literal('contact-limit'),
    Type.Literal('advisor'),
  ]),
  rank: Type.Optional(Type.Integer()),
  level: Type.Optional(Type.Union([Type.Literal('issue'), Type.Literal('group'), Type.Literal('action')])),
  rule: Type.Optional(Type.String()),
  missing: Type.Optional(Type.Array(Type.String())),
  error: Type.Optional(Type.String()),
  factors: Type.Optional(
    Type.Object({
      propensity: Type.Number(),
      modelPropensity: Type.Number(),
      evidence: Type.Number(),
      fixedPropensity: Type.Boolean(),
      contextWeight: Type.Number(),
      value: Type.Number(),
      lever: Type.Number(),
      priority: Type.Number(),
    }),
  ),
  policy: Type.Optional(Type.String({ description: 'The contact policy name, or the preference that removed the candidate.' })),
  evidence: Type.Optional(
    Type.Record(Type.String(), Type.Union([Type.String(), Type.Number(), Type.Boolean()]), {
      description: 'The history (counts, days) or clock reading that triggered a contact policy.',
    }),
  ),
  advisorId: Type.Optional(Type.String()),
  reason: Type.String(),
});

export const DecisionResponse = Type.Object({
  decisionId: Type.String({ description: 'A UUIDv7: ids of later decisions sort after earlier ones (to the millisecond).' }),
  customerId: Type.String(),
  channel: Type.String(),
  knownCustomer: Type.Boolean({ description: 'False when no profile exists: the decision used the context alone.' }),
  catalogVersion: Type.Integer(),
  createdAt: Type.String({ format: 'date-time' }),
  actions: Type.Array(RankedAction, { description: 'Best first; empty when nothing is relevant (say nothing).' }),
  controlGroup: Type.Boolean({ description: 'True in the control arm: a random eligible action instead of the arbitrated one.' }),
  explanation: Type.Optional(Type.Array(CandidateExplanation)),
});

export const ResponseRequest = Type.Object(
  {
    decisionId: Type.String({ minLength: 1, maxLength: 128 }),
    actionId: Type.String({ minLength: 1, maxLength: 128 }),
    outcome: Type.Union(
      [Type.Literal('impression'), Type.Literal('clicked'), Type.Literal('accepted'), Type.Literal('rejected'), Type.Literal('ignored')],
      { description: OUTCOMES.join(' | ') },
    ),
    at: Type.Optional(Type.String({ format: 'date-time', description: 'When it happened (ISO 8601); default: when received.' })),
  },
  { additionalProperties: false },
);

export const ResponseAccepted = Type.Object({
  decisionId: Type.String(),
  actionId: Type.String(),
  outcome: Type.String(),
  recorded: Type.Boolean({ description: 'False when this exact response was already recorded (counted once).' }),
  learned: Type.Union([Type.Literal('positive'), Type.Literal('negative'), Type.Literal('none')], {
    description:
      "What the model of the action and channel learns from this response: positive or negative by the channel's outcome classes; none for a neutral outcome (an impression), a decision and action it already learnt from, or an action with a fixed propensity or no longer in the active catalog. The model learns it before it next scores that action.",
  }),
});

export const Attributes = Type.Record(Type.String(), Type.Unknown(), { description: 'Profile attributes (JSON object).' });

export const Profile = Type.Object({
  customerId: Type.String(),
  attributes: Type.Record(Type.String(), Type.Unknown()),
  updatedAt: Type.String({ format: 'date-time' }),
});

export const Erasure = Type.Object({
  customerId: Type.String(),
  erased: Type.Object({ profile: Type.Boolean(), decisions: Type.Integer(), responses: Type.Integer() }),
});

export const CatalogVersionInfo = Type.Object({
  version: Type.Integer(),
  createdAt: Type.String(),
  source: Type.String(),
  checksum: Type.String(),
});

export const CatalogVersionList = Type.Object({
  active: Type.Integer(),
  versions: Type.Array(CatalogVersionInfo),
});

const Weekday = Type.Union(['mon', 'tue', 'wed', 'thu', 'fri', 'sat', 'sun'].map((d) => Type.Literal(d)));
const LocalTime = Type.String({ pattern: '^([01][0-9]|2[0-3]):[0-5][0-9]$', description: 'Local time HH:MM in the customer time zone.' });

const PreferencesBody = Type.Object(
  {
    optedOutChannels: Type.Optional(Type.Array(Type.String(), { description: 'Channels never to use, inbound or outbound.' })),
    // A type list, not a union: with type coercion on, ajv would turn null into false (or false
    // into null) trying the union's branches; a value of a listed type is never coerced.
    marketingConsent: Type.Optional(
      Type.Unsafe<boolean | null>({
        type: ['boolean', 'null'],
        description: 'true: marketing allowed; false: only service and risk actions; null/absent: unknown (no marketing on outbound channels).',
      }),
    ),
    preferredChannels: Type.Optional(Type.Array(Type.String(), { description: 'When non-empty, outbound contact only on these channels.' })),
    contactTimes: Type.Optional(
      Type.Array(
        Type.Object({ from: LocalTime, to: LocalTime, days: Type.Optional(Type.Array(Weekday)) }, { additionalProperties: false }),
        { description: 'When non-empty, outbound contact only inside these windows (to < from wraps midnight).' },
      ),
    ),
    preferredAdvisor: Type.Optional(Type.Unsafe<string | null>({ type: ['string', 'null'], description: 'An advisor id of the catalog.' })),
  },
  { additionalProperties: false },
);
export { PreferencesBody };

export const PreferencesResponse = Type.Object({
  customerId: Type.String(),
  preferences: Type.Object({
    optedOutChannels: Type.Array(Type.String()),
    marketingConsent: Type.Union([Type.Boolean(), Type.Null()]),
    preferredChannels: Type.Array(Type.String()),
    contactTimes: Type.Array(Type.Object({ from: Type.String(), to: Type.String(), days: Type.Optional(Type.Array(Type.String())) })),
    preferredAdvisor: Type.Union([Type.String(), Type.Null()]),
  }),
  explicit: Type.Boolean({ description: 'False when the customer gave none: the defaults shown apply.' }),
  updatedAt: Type.Union([Type.String({ format: 'date-time' }), Type.Null()]),
});

export const DecisionIdParam = Type.Object({ decisionId: Type.String({ minLength: 1, maxLength: 128 }) });

export const PlainExplanationResponse = Type.Object({
  decisionId: Type.String(),
  customerId: Type.String(),
  channel: Type.String(),
  createdAt: Type.String(),
  controlGroup: Type.Boolean(),
  actions: Type.Array(Type.Object({ actionId: Type.String(), name: Type.String(), text: Type.String() })),
  text: Type.String({ description: 'The whole explanation in plain words, one paragraph per line.' }),
});

export const ImpactQuery = Type.Object(
  {
    channel: Type.Optional(Type.String({ minLength: 1, maxLength: 128 })),
    issue: Type.Optional(Type.String({ minLength: 1, maxLength: 128, description: "The issue of the decision's first-ranked action." })),
    from: Type.Optional(Type.String({ format: 'date-time', description: 'Inclusive.' })),
    to: Type.Optional(Type.String({ format: 'date-time', description: 'Exclusive.' })),
  },
  { additionalProperties: false },
);

const Arm = Type.Object({
  decisions: Type.Integer({ description: 'Decisions that offered at least one action.' }),
  positives: Type.Integer({ description: 'Of those, decisions with at least one positive response.' }),
  rate: Type.Union([Type.Number(), Type.Null()]),
});

export const ImpactResponse = Type.Object({
  filter: Type.Object({
    channel: Type.Optional(Type.String()),
    issue: Type.Optional(Type.String()),
    from: Type.Optional(Type.String()),
    to: Type.Optional(Type.String()),
  }),
  nba: Arm,
  control: Arm,
  lift: Type.Union([Type.Number(), Type.Null()], { description: '(rateNBA - rateControl) / rateControl.' }),
  liftCi95: Type.Union([Type.Tuple([Type.Number(), Type.Number()]), Type.Null()], { description: '95% interval (log relative risk).' }),
  note: Type.Optional(Type.String()),
});

export const HistoryResponse = Type.Object({
  customerId: Type.String(),
  since: Type.String(),
  rows: Type.Array(
    Type.Object({
      day: Type.String(),
      channel: Type.String(),
      issue: Type.String(),
      group: Type.String(),
      actionId: Type.String(),
      outcome: Type.String(),
      count: Type.Integer(),
    }),
  ),
});

export const SweepResponse = Type.Object({
  decisions: Type.Integer({ description: 'Decisions whose response window had passed.' }),
  ignored: Type.Integer({ description: 'ignored responses recorded.' }),
});
