/**
 * The one catalogue of stable error codes (fastify's FST_ERR_* style). Every error an entry point
 * returns is a `NextbestError` with a code from here, its HTTP status, a message, optional details
 * (e.g. the list of catalog validation problems) and the `cause` chain kept.
 */

export interface ErrorSpec {
  status: number;
  /** Message template; `%s` is replaced by the arguments in order. */
  message: string;
}

export const ERRORS = {
  NB_ERR_VALIDATION: { status: 400, message: 'Invalid request: %s' },
  NB_ERR_UNKNOWN_CHANNEL: { status: 400, message: "Unknown channel '%s'; the active catalog defines: %s" },
  NB_ERR_CATALOG_INVALID: { status: 400, message: 'The catalog has %s error(s); see details' },
  NB_ERR_CATALOG_PARSE: { status: 400, message: 'The catalog could not be parsed as %s: %s' },
  NB_ERR_CUSTOMER_NOT_FOUND: { status: 404, message: "No customer '%s'" },
  NB_ERR_DECISION_NOT_FOUND: { status: 404, message: "No decision '%s' (it may have been erased)" },
  NB_ERR_CATALOG_VERSION_NOT_FOUND: { status: 404, message: 'No catalog version %s' },
  NB_ERR_MODEL_NOT_FOUND: { status: 404, message: "No model '%s'; keys are action/channel/direction, listed at GET /v1/models" },
  NB_ERR_ROUTE_NOT_FOUND: { status: 404, message: 'No route %s %s; see /docs for the API' },
  NB_ERR_ACTION_NOT_IN_DECISION: {
    status: 422,
    message: "Action '%s' was not part of decision '%s' (it offered: %s)",
  },
  NB_ERR_PAYLOAD_TOO_LARGE: { status: 413, message: 'Request body too large: %s' },
  NB_ERR_UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'Unsupported content type %s; send application/json' },
  NB_ERR_NOT_READY: { status: 503, message: 'The service is not ready: %s' },
  NB_ERR_CONFIG: { status: 500, message: 'Configuration error: %s' },
  NB_ERR_STORE: { status: 500, message: 'Storage failure: %s' },
  NB_ERR_INTERNAL: { status: 500, message: 'Internal error: %s' },
} as const satisfies Record<string, ErrorSpec>;

export type ErrorCode = keyof typeof ERRORS;

export class NextbestError extends Error {
  readonly code: ErrorCode;
  readonly status: number;
  readonly details: unknown;

  constructor(code: ErrorCode, args: ReadonlyArray<string | number>, options: { details?: unknown; cause?: unknown } = {}) {
    const spec: ErrorSpec = ERRORS[code];
    let i = 0;
    const message = spec.message.replace(/%s/g, () => String(args[i++] ?? ''));
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'NextbestError';
    this.code = code;
    this.status = spec.status;
    this.details = options.details;
  }

  toJSON(): { error: { code: ErrorCode; message: string; details?: unknown } } {
    return {
      error: {
        code: this.code,
        message: this.message,
        ...(this.details === undefined ? {} : { details: this.details }),
      },
    };
  }
}

export function nbError(
  code: ErrorCode,
  args: ReadonlyArray<string | number> = [],
  options: { details?: unknown; cause?: unknown } = {},
): NextbestError {
  return new NextbestError(code, args, options);
}

export function isNextbestError(value: unknown): value is NextbestError {
  return value instanceof NextbestError;
}
