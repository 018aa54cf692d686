/**
 * The HTTP API (Fastify 5 + TypeBox): a thin layer over `DecisionService`. Validates every input
 * against its schema, maps every failure to `{error: {code, message, details?}}` with a code from
 * the catalogue in src/errors.ts, and serves the OpenAPI document at /docs/json with a UI at /docs.
 */
import Fastify, { LogController, type FastifyError, type FastifyInstance } from 'fastify';
import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import type { TypeBoxTypeProvider } from '@fastify/type-provider-typebox';
import { Type } from 'typebox';
import { parseCatalogText } from '../core/catalog/validate.js';
import type { JsonObject } from '../core/types.js';
import { isNextbestError, nbError, type NextbestError } from '../errors.js';
import type { DecisionService } from '../service/service.js';
import { registerModelRoutes } from './models.js';
import { assertStorableJson } from './storable.js';
import {
  Attributes,
  CatalogVersionInfo,
  CatalogVersionList,
  CustomerIdParam,
  DecisionIdParam,
  DecisionRequest,
  DecisionResponse,
  Erasure,
  ErrorBody,
  HistoryResponse,
  ImpactQuery,
  ImpactResponse,
  PlainExplanationResponse,
  PreferencesBody,
  PreferencesResponse,
  Profile,
  ResponseAccepted,
  ResponseRequest,
  SweepResponse,
  errorResponses,
} from './schemas.js';

export interface AppOptions {
  service: DecisionService;
  /** Pino logger options, or false for silence (tests). */
  logger?: boolean | object;
  /**
   * Log each request received and answered (Fastify's request log, at `info`). Default true. Off,
   * the log keeps start-up and errors: at thousands of decisions a second the two lines per
   * request cost about a fifth of the event loop's time (bench/ANALYSIS.md).
   */
  requestLog?: boolean;
  version?: string;
}

const YAML_TYPES = ['application/yaml', 'application/x-yaml', 'text/yaml'];

export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const { service } = options;
  const app = Fastify({
    logger: effectiveLogger(options.logger),
    ...(options.requestLog === false ? { logController: new LogController({ disableRequestLogging: true }) } : {}),
    bodyLimit: 5 * 1024 * 1024,
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', useDefaults: true, allErrors: true } },
  }).withTypeProvider<TypeBoxTypeProvider>();

  app.addSchema(ErrorBody);
  app.addContentTypeParser(YAML_TYPES, { parseAs: 'string' }, (_req, body, done) => done(null, body));
  app.addContentTypeParser('application/merge-patch+json', { parseAs: 'string' }, (_req, body, done) => {
    try {
      done(null, JSON.parse(body as string));
    } catch (error) {
      done(nbError('NB_ERR_VALIDATION', ['body is not valid JSON'], { cause: error }) as unknown as FastifyError);
    }
  });

  await app.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'nextbest',
        version: options.version ?? '0.1.0',
        description:
          'Always-on next best action for banks. Every error is `{error: {code, message, details?}}` with a stable code (see docs/errors.md).',
      },
      tags: [
        { name: 'decisions', description: 'Ask for the next best action; report responses.' },
        { name: 'customers', description: 'Customer profiles and erasure.' },
        { name: 'catalog', description: 'The decision configuration, versioned.' },
        { name: 'reports', description: 'Impact of NBA against the control group.' },
        { name: 'models', description: 'Adaptive model reports.' },
        { name: 'operations', description: 'Health and metrics.' },
      ],
    },
  });
  await app.register(swaggerUi, { routePrefix: '/docs' });

  app.setErrorHandler((error: FastifyError | NextbestError, request, reply) => {
    const failure = toNextbestError(error);
    if (failure.status >= 500) request.log.error({ err: error }, failure.message);
    void reply.status(failure.status).type('application/json').send(failure.toJSON());
  });
  app.setNotFoundHandler((request, reply) => {
    const failure = nbError('NB_ERR_ROUTE_NOT_FOUND', [request.method, request.url]);
    void reply.status(failure.status).send(failure.toJSON());
  });

  // --- decisions
  app.post(
    '/v1/decisions',
    {
      schema: {
        tags: ['decisions'],
        summary: 'Decide the next best action(s) for a customer in a channel, now.',
        body: DecisionRequest,
        response: { 200: DecisionResponse, ...errorResponses(400, 500) },
      },
    },
    async (request) => {
      if (request.body.context !== undefined) assertStorableJson(request.body.context, 'body.context');
      return service.decide({
        customerId: request.body.customerId,
        channel: request.body.channel,
        context: (request.body.context ?? {}) as JsonObject,
        limit: request.body.limit ?? 1,
        explain: request.body.explain ?? false,
      });
    },
  );

  app.post(
    '/v1/responses',
    {
      schema: {
        tags: ['decisions'],
        summary: 'Report the outcome of an action of a decision. Idempotent per (decisionId, actionId, outcome).',
        body: ResponseRequest,
        response: { 202: ResponseAccepted, ...errorResponses(400, 404, 422, 500) },
      },
    },
    async (request, reply) => {
      const result = await service.respond(request.body);
      return reply.status(202).send(result);
    },
  );

  // --- customers
  app.put(
    '/v1/customers/:id',
    {
      schema: {
        tags: ['customers'],
        summary: 'Replace the whole profile (creates it when absent).',
        params: CustomerIdParam,
        body: Attributes,
        response: { 200: Profile, ...errorResponses(400, 500) },
      },
    },
    async (request) => {
      assertStorableJson(request.body, 'body');
      return service.putProfile(request.params.id, request.body as JsonObject);
    },
  );

  app.patch(
    '/v1/customers/:id',
    {
      schema: {
        tags: ['customers'],
        summary: 'Merge attributes into the profile; an attribute set to null is removed.',
        params: CustomerIdParam,
        body: Attributes,
        response: { 200: Profile, ...errorResponses(400, 500) },
      },
    },
    async (request) => {
      assertStorableJson(request.body, 'body');
      return service.patchProfile(request.params.id, request.body as JsonObject);
    },
  );

  app.get(
    '/v1/customers/:id',
    {
      schema: { tags: ['customers'], summary: 'Read a profile.', params: CustomerIdParam, response: { 200: Profile, ...errorResponses(400, 404) } },
    },
    async (request) => service.getProfile(request.params.id),
  );

  app.delete(
    '/v1/customers/:id',
    {
      schema: {
        tags: ['customers'],
        summary: 'Erase the profile and all its decisions and responses (right to erasure). Idempotent.',
        params: CustomerIdParam,
        response: { 200: Erasure, ...errorResponses(400, 500) },
      },
    },
    async (request) => ({ customerId: request.params.id, erased: await service.eraseCustomer(request.params.id) }),
  );

  app.get(
    '/v1/customers/:id/preferences',
    {
      schema: {
        tags: ['customers'],
        summary: "The customer's preferences and consent (the defaults, with explicit=false, when none were given).",
        params: CustomerIdParam,
        response: { 200: PreferencesResponse, ...errorResponses(400) },
      },
    },
    async (request) => service.getPreferences(request.params.id),
  );

  app.put(
    '/v1/customers/:id/preferences',
    {
      schema: {
        tags: ['customers'],
        summary: 'Replace the preferences: opted-out channels, marketing consent, preferred channels, contact times, preferred advisor. Hard constraints.',
        params: CustomerIdParam,
        body: PreferencesBody,
        response: { 200: PreferencesResponse, ...errorResponses(400, 500) },
      },
    },
    async (request) => service.putPreferences(request.params.id, request.body),
  );

  app.get(
    '/v1/customers/:id/history',
    {
      schema: {
        tags: ['customers'],
        summary: 'The interaction-history summary: daily counts per channel, action and outcome (decided = offered).',
        params: CustomerIdParam,
        querystring: Type.Object({ since: Type.Optional(Type.String({ format: 'date', description: 'YYYY-MM-DD; default: what the contact policies read.' })) }, { additionalProperties: false }),
        response: { 200: HistoryResponse, ...errorResponses(400) },
      },
    },
    async (request) => {
      const since = request.query.since ?? service.defaultHistorySince();
      return { customerId: request.params.id, since, rows: await service.getHistory(request.params.id, since) };
    },
  );

  app.get(
    '/v1/decisions/:decisionId/explanation',
    {
      schema: {
        tags: ['decisions'],
        summary: '"Why am I seeing this?": a recorded decision explained in plain words.',
        params: DecisionIdParam,
        response: { 200: PlainExplanationResponse, ...errorResponses(400, 404) },
      },
    },
    async (request) => service.explainDecision(request.params.decisionId),
  );

  app.post(
    '/v1/operations/sweep-ignored',
    {
      schema: {
        tags: ['operations'],
        summary: 'Record `ignored` for offered actions whose response window passed (the service also does this every minute).',
        response: { 200: SweepResponse, ...errorResponses(500) },
      },
    },
    async () => service.sweepIgnored(),
  );

  // --- reports
  app.get(
    '/v1/reports/impact',
    {
      schema: {
        tags: ['reports'],
        summary: 'NBA vs control arm: decisions, positives, rate, lift = (rateNBA - rateControl) / rateControl with a 95% interval.',
        querystring: ImpactQuery,
        response: { 200: ImpactResponse, ...errorResponses(400, 500) },
      },
      // `?channel=&issue=` (empty) means no filter, as in a form left blank.
      preValidation: async (request) => {
        const query = request.query as Record<string, unknown>;
        for (const key of Object.keys(query)) if (query[key] === '') delete query[key];
      },
    },
    async (request) => service.impactReport(request.query),
  );

  // --- catalog
  app.get(
    '/v1/catalog',
    {
      schema: {
        tags: ['catalog'],
        summary: 'The active catalog document (its version in the x-catalog-version header).',
        response: { 200: Type.Unknown() },
      },
    },
    async (_request, reply) => {
      const version = service.catalog.version;
      void reply.header('x-catalog-version', String(version));
      return service.getCatalogVersion(version);
    },
  );

  app.put(
    '/v1/catalog',
    {
      schema: {
        tags: ['catalog'],
        summary: 'Validate and activate a new catalog version at once (JSON or YAML body). 400 lists every problem.',
        body: Type.Unknown({ description: 'The catalog document (application/json or application/yaml).' }),
        response: { 200: CatalogVersionInfo, ...errorResponses(400, 500) },
      },
    },
    async (request) => {
      const document = typeof request.body === 'string' ? parseCatalogText(request.body, 'yaml') : request.body;
      return service.putCatalog(document, 'api');
    },
  );

  app.get(
    '/v1/catalog/versions',
    { schema: { tags: ['catalog'], summary: 'Every catalog version kept, oldest first.', response: { 200: CatalogVersionList } } },
    async () => ({ active: service.catalog.version, versions: await service.listCatalogVersions() }),
  );

  app.get(
    '/v1/catalog/versions/:version',
    {
      schema: {
        tags: ['catalog'],
        summary: 'One stored catalog version.',
        params: Type.Object({ version: Type.Integer({ minimum: 1 }) }),
        response: { 200: Type.Unknown(), ...errorResponses(400, 404) },
      },
    },
    async (request) => service.getCatalogVersion(request.params.version),
  );

  registerModelRoutes(app, service);

  // --- operations
  app.get(
    '/health',
    {
      schema: {
        tags: ['operations'],
        summary: 'Liveness and what the service runs on.',
        response: { 200: Type.Object({ status: Type.Literal('ok'), store: Type.String(), catalogVersion: Type.Integer(), model: Type.String() }) },
      },
    },
    async () => ({ status: 'ok' as const, store: service.store.description, catalogVersion: service.catalog.version, model: service.model.kind }),
  );

  app.get('/metrics', { schema: { tags: ['operations'], summary: 'Prometheus metrics (text format).' } }, async (_request, reply) => {
    void reply.type('text/plain; version=0.0.4; charset=utf-8');
    return service.metrics.render();
  });

  return app;
}

/**
 * Pino at level `silent` writes nothing, yet still builds a child logger (with its serialised
 * bindings) for every request; no logger at all writes the same nothing for less.
 */
function effectiveLogger(logger: AppOptions['logger']): boolean | object {
  if (typeof logger === 'object' && logger !== null && (logger as { level?: unknown }).level === 'silent') return false;
  return logger ?? false;
}

interface ValidationIssue {
  instancePath?: string;
  message?: string;
  params?: Record<string, unknown>;
}

function toNextbestError(error: FastifyError | NextbestError): NextbestError {
  if (isNextbestError(error)) return error;
  const fastifyError = error as FastifyError & { validation?: ValidationIssue[]; validationContext?: string };
  if (fastifyError.validation) {
    const where = fastifyError.validationContext ?? 'body';
    const details = fastifyError.validation.map((v) => {
      const base = `${where}${(v.instancePath ?? '').replace(/\//g, '.')}`;
      const extra = v.params?.['additionalProperty'] ?? v.params?.['missingProperty'];
      const path = extra ? `${base}.${String(extra)}` : base;
      const allowed = v.params?.['allowedValues'];
      const message = extra && v.params?.['additionalProperty'] ? 'unknown field; remove it' : `${v.message ?? 'is invalid'}${allowed ? ` (${(allowed as unknown[]).join(', ')})` : ''}`;
      return { path, message };
    });
    return nbError('NB_ERR_VALIDATION', [details.map((d) => `${d.path}: ${d.message}`).join('; ')], { details, cause: error });
  }
  switch (fastifyError.code) {
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return nbError('NB_ERR_PAYLOAD_TOO_LARGE', [fastifyError.message], { cause: error });
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return nbError('NB_ERR_UNSUPPORTED_MEDIA_TYPE', [String(fastifyError.message)], { cause: error });
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return nbError('NB_ERR_VALIDATION', ['the body is empty; send a JSON object'], { cause: error });
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
      return nbError('NB_ERR_VALIDATION', ['the body is not valid JSON'], { cause: error });
    default:
      break;
  }
  if (typeof fastifyError.statusCode === 'number' && fastifyError.statusCode < 500) {
    return nbError('NB_ERR_VALIDATION', [fastifyError.message], { cause: error });
  }
  return nbError('NB_ERR_INTERNAL', [error.message], { cause: error });
}
