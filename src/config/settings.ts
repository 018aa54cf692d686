/**
 * Service settings from flags, then environment (`NEXTBEST_*`), then defaults; validated with
 * errors that name the setting and the fix.
 */
import { nbError } from '../errors.js';

export interface ServeSettings {
  port: number;
  host: string;
  db: string;
  catalog: string | undefined;
  demo: boolean;
  seed: number | undefined;
  logLevel: string;
  /** Log every request (received, answered) at `info`; off leaves errors and start-up only. */
  requestLog: boolean;
  /** How often learnt model state is written to the store, in ms (0: only when the service closes). */
  modelFlushMs: number;
  /** Event-loop time each of those writes may take, in ms (at least one model is written each time). */
  modelFlushBudgetMs: number;
}

export interface ServeFlags {
  port?: string;
  host?: string;
  db?: string;
  catalog?: string;
  demo?: boolean;
  seed?: string;
  logLevel?: string;
  requestLog?: string;
  modelFlushMs?: string;
  modelFlushBudgetMs?: string;
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];
const ON = ['on', 'true', '1', 'yes'];
const OFF = ['off', 'false', '0', 'no'];

export function resolveServeSettings(flags: ServeFlags, env: NodeJS.ProcessEnv = process.env): ServeSettings {
  const portText = flags.port ?? env['NEXTBEST_PORT'] ?? '8080';
  const port = Number(portText);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw nbError('NB_ERR_CONFIG', [`port '${portText}' (--port or NEXTBEST_PORT) must be an integer from 0 to 65535`]);
  }
  const seedText = flags.seed ?? env['NEXTBEST_SEED'];
  let seed: number | undefined;
  if (seedText !== undefined && seedText !== '') {
    seed = Number(seedText);
    if (!Number.isInteger(seed) || seed < 0) {
      throw nbError('NB_ERR_CONFIG', [`seed '${seedText}' (--seed or NEXTBEST_SEED) must be a non-negative integer`]);
    }
  }
  const logLevel = flags.logLevel ?? env['NEXTBEST_LOG_LEVEL'] ?? 'info';
  if (!LOG_LEVELS.includes(logLevel)) {
    throw nbError('NB_ERR_CONFIG', [`log level '${logLevel}' (--log-level or NEXTBEST_LOG_LEVEL) must be one of ${LOG_LEVELS.join(', ')}`]);
  }
  const requestLogText = (flags.requestLog ?? env['NEXTBEST_REQUEST_LOG'] ?? 'on').toLowerCase();
  const requestLog = ON.includes(requestLogText) ? true : OFF.includes(requestLogText) ? false : undefined;
  if (requestLog === undefined) {
    throw nbError('NB_ERR_CONFIG', [`request log '${requestLogText}' (--request-log or NEXTBEST_REQUEST_LOG) must be on or off`]);
  }
  const modelFlushMs = milliseconds('model flush interval', '--model-flush-ms or NEXTBEST_MODEL_FLUSH_MS', flags.modelFlushMs ?? env['NEXTBEST_MODEL_FLUSH_MS'], 1000);
  const modelFlushBudgetMs = milliseconds(
    'model flush budget',
    '--model-flush-budget-ms or NEXTBEST_MODEL_FLUSH_BUDGET_MS',
    flags.modelFlushBudgetMs ?? env['NEXTBEST_MODEL_FLUSH_BUDGET_MS'],
    25,
  );
  const catalog = flags.catalog ?? (env['NEXTBEST_CATALOG'] || undefined);
  return {
    port,
    host: flags.host ?? env['NEXTBEST_HOST'] ?? '127.0.0.1',
    db: flags.db ?? (env['NEXTBEST_DB'] || './nextbest.db'),
    catalog,
    demo: flags.demo ?? ['1', 'true', 'yes'].includes((env['NEXTBEST_DEMO'] ?? '').toLowerCase()),
    seed,
    logLevel,
    requestLog,
    modelFlushMs,
    modelFlushBudgetMs,
  };
}

/** A setting in whole milliseconds (`fallback` when unset or empty), refused unless a non-negative integer. */
function milliseconds(what: string, where: string, text: string | undefined, fallback: number): number {
  if (text === undefined || text === '') return fallback;
  const value = Number(text);
  if (!/^\s*\d+\s*$/.test(text) || !Number.isSafeInteger(value)) {
    throw nbError('NB_ERR_CONFIG', [`${what} '${text}' (${where}) must be a whole number of milliseconds, 0 or more`]);
  }
  return value;
}
