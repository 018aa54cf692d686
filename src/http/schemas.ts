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
  reason: Type.String(),
});

export const DecisionResponse = Type.Object({
  decisionId: Type.String(),
  customerId: Type.String(),
  channel: Type.String(),
  knownCustomer: Type.Boolean({ description: 'False when no profile exists: the decision used the context alone.' }),
  catalogVersion: Type.Integer(),
  createdAt: Type.String({ format: 'date-time' }),
  actions: Type.Array(RankedAction, { description: 'Best first; empty when nothing is relevant (say nothing).' }),
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
  learned: Type.Union([Type.Literal('positive'), Type.Literal('negative'), Type.Literal('none')]),
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
