/**
 * Model reports over HTTP: `GET /v1/models` lists every adaptive model (key, responses, positives,
 * AUC, active predictors); `GET /v1/models/{key}` shows one model's predictors with their bins
 * and log-odds, and its classifier bins. The key is `action/channel/direction`, given as is
 * (`/v1/models/gold-card/web/inbound`) or URL-encoded.
 */
import type { FastifyInstance } from 'fastify';
import { Type } from 'typebox';
import { AdaptiveModel } from '../core/models/adaptive/index.js';
import { nbError } from '../errors.js';
import type { DecisionService } from '../service/service.js';
import { errorResponses } from './schemas.js';

const Summary = Type.Object({
  key: Type.String({ description: 'action/channel/direction' }),
  responses: Type.Number({ description: 'Responses learnt (decayed when a half-life is set).' }),
  positives: Type.Number(),
  auc: Type.Number({ description: 'Model AUC over the score range the active predictors can reach (0.5 = no discrimination).' }),
  activePredictors: Type.Integer(),
});

const Bin = Type.Object({
  label: Type.String(),
  kind: Type.Union([Type.Literal('interval'), Type.Literal('symbols'), Type.Literal('residual'), Type.Literal('missing')]),
  lower: Type.Optional(Type.Number()),
  upper: Type.Optional(Type.Number()),
  symbols: Type.Optional(Type.Array(Type.String())),
  positives: Type.Number(),
  negatives: Type.Number(),
  logOdds: Type.Number(),
});

const Report = Type.Object({
  key: Type.String(),
  kind: Type.String(),
  responses: Type.Number(),
  positives: Type.Number(),
  auc: Type.Number(),
  activePredictors: Type.Integer(),
  scoreRange: Type.Array(Type.Number()),
  classifierHalfLife: Type.Union([Type.Number(), Type.Null()]),
  predictors: Type.Array(
    Type.Object({
      name: Type.String(),
      type: Type.String(),
      auc: Type.Number(),
      active: Type.Boolean(),
      groupedWith: Type.Optional(Type.String()),
      bins: Type.Array(Bin),
    }),
  ),
  classifier: Type.Array(
    Type.Object({
      lower: Type.Optional(Type.Number()),
      upper: Type.Optional(Type.Number()),
      positives: Type.Number(),
      negatives: Type.Number(),
      propensity: Type.Number(),
    }),
  ),
});

function adaptive(service: DecisionService): AdaptiveModel {
  if (service.model instanceof AdaptiveModel) return service.model;
  throw nbError('NB_ERR_NOT_READY', [`model reports need the adaptive model; this service runs '${service.model.kind}'`]);
}

export function registerModelRoutes(app: FastifyInstance, service: DecisionService): void {
  app.get(
    '/v1/models',
    {
      schema: {
        tags: ['models'],
        summary: 'Every adaptive model: key, responses, positives, AUC, number of active predictors.',
        response: { 200: Type.Object({ kind: Type.String(), models: Type.Array(Summary) }), ...errorResponses(503) },
      },
    },
    async () => {
      const model = adaptive(service);
      return { kind: model.kind, models: model.summaries() };
    },
  );

  app.get(
    '/v1/models/*',
    {
      schema: {
        tags: ['models'],
        summary: 'One model: each predictor with its bins (range or symbols, positives, negatives, log-odds), AUC and active flag; the classifier bins.',
        params: Type.Object({ '*': Type.String({ description: 'The model key, e.g. gold-card/web/inbound' }) }),
        response: { 200: Report, ...errorResponses(404, 503) },
      },
    },
    async (request) => {
      const model = adaptive(service);
      const key = decodeURIComponent((request.params as { '*': string })['*']);
      const report = model.report(key);
      if (!report) throw nbError('NB_ERR_MODEL_NOT_FOUND', [key]);
      return { key, kind: model.kind, ...report };
    },
  );
}
