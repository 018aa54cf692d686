/**
 * `nextbest serve` settings: defaults, flags over environment, and a refusal naming the setting and
 * the fix for each bad value; and what `--request-log off` leaves in the log.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ManualClock } from '../core/clock.js';
import { startServer } from '../server.js';
import { resolveServeSettings } from './settings.js';

describe('serve settings', () => {
  it('defaults without flags or environment', () => {
    expect(resolveServeSettings({}, {})).toStrictEqual({
      port: 8080,
      host: '127.0.0.1',
      db: './nextbest.db',
      catalog: undefined,
      demo: false,
      seed: undefined,
      logLevel: 'info',
      requestLog: true,
      modelFlushMs: 1000,
      modelFlushBudgetMs: 25,
    });
  });

  it('reads the environment, and flags win over it', () => {
    const env = { NEXTBEST_PORT: '9000', NEXTBEST_LOG_LEVEL: 'warn', NEXTBEST_REQUEST_LOG: 'off', NEXTBEST_SEED: '7', NEXTBEST_DEMO: 'yes' };
    expect(resolveServeSettings({}, env)).toMatchObject({ port: 9000, logLevel: 'warn', requestLog: false, seed: 7, demo: true });
    expect(resolveServeSettings({ port: '0', logLevel: 'debug', requestLog: 'ON' }, env)).toMatchObject({ port: 0, logLevel: 'debug', requestLog: true });
    const flushEnv = { NEXTBEST_MODEL_FLUSH_MS: '5000', NEXTBEST_MODEL_FLUSH_BUDGET_MS: '10' };
    expect(resolveServeSettings({}, flushEnv)).toMatchObject({ modelFlushMs: 5000, modelFlushBudgetMs: 10 });
    expect(resolveServeSettings({ modelFlushMs: '0', modelFlushBudgetMs: '50' }, flushEnv)).toMatchObject({ modelFlushMs: 0, modelFlushBudgetMs: 50 });
    for (const [text, on] of [['true', true], ['1', true], ['yes', true], ['false', false], ['0', false], ['no', false]] as const) {
      expect(resolveServeSettings({ requestLog: text }, {}).requestLog).toBe(on);
    }
  });

  it('refuses a bad value with the setting, where it came from and what it must be', () => {
    const refusal = (flags: Parameters<typeof resolveServeSettings>[0], env: NodeJS.ProcessEnv = {}): string => {
      try {
        resolveServeSettings(flags, env);
      } catch (error) {
        expect(error).toMatchObject({ code: 'NB_ERR_CONFIG' });
        return (error as Error).message;
      }
      throw new Error('accepted');
    };
    expect(refusal({ port: '70000' })).toContain("port '70000' (--port or NEXTBEST_PORT) must be an integer from 0 to 65535");
    expect(refusal({ seed: '-1' })).toContain("seed '-1' (--seed or NEXTBEST_SEED) must be a non-negative integer");
    expect(refusal({ logLevel: 'loud' })).toContain("log level 'loud' (--log-level or NEXTBEST_LOG_LEVEL) must be one of fatal, error, warn, info, debug, trace, silent");
    expect(refusal({}, { NEXTBEST_REQUEST_LOG: 'sometimes' })).toContain("request log 'sometimes' (--request-log or NEXTBEST_REQUEST_LOG) must be on or off");
    for (const bad of ['-1', '1.5', '1e3', 'soon']) {
      expect(refusal({ modelFlushMs: bad })).toContain(`model flush interval '${bad}' (--model-flush-ms or NEXTBEST_MODEL_FLUSH_MS) must be a whole number of milliseconds, 0 or more`);
    }
    expect(refusal({}, { NEXTBEST_MODEL_FLUSH_BUDGET_MS: '-5' })).toContain(
      "model flush budget '-5' (--model-flush-budget-ms or NEXTBEST_MODEL_FLUSH_BUDGET_MS) must be a whole number of milliseconds, 0 or more",
    );
  });
});

describe('request log', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'nextbest-requestlog-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  /** The log lines (as parsed JSON) of a service that makes one decision and fails one request with a 500. */
  async function logOf(requestLog: string): Promise<Array<Record<string, unknown>>> {
    const lines: Array<Record<string, unknown>> = [];
    const settings = resolveServeSettings({ db: join(dir, `${requestLog}.db`), demo: true, seed: '1', requestLog }, {});
    const server = await startServer(settings, {
      clock: new ManualClock('2026-06-15T10:00:00Z'),
      modelFlushMs: 0,
      sweepMs: 0,
      logger: { level: 'info', stream: { write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>) } },
    });
    try {
      const decided = await server.app.inject({ method: 'POST', url: '/v1/decisions', payload: { customerId: 'C000001', channel: 'web' } });
      expect(decided.statusCode).toBe(200);
      await server.service.store.close(); // every later read fails: a 500
      const failed = await server.app.inject({ method: 'GET', url: '/v1/customers/C000001' });
      expect(failed.statusCode).toBe(500);
    } finally {
      await server.close().catch(() => undefined);
    }
    return lines;
  }

  it('logs each request received and answered when on, and only errors when off', async () => {
    const on = await logOf('on');
    expect(on.filter((l) => l['msg'] === 'incoming request')).toHaveLength(2);
    expect(on.filter((l) => l['msg'] === 'request completed')).toHaveLength(2);
    const off = await logOf('off');
    expect(off.filter((l) => l['msg'] === 'incoming request' || l['msg'] === 'request completed')).toHaveLength(0);
    const errors = off.filter((l) => l['level'] === 50);
    expect(errors).toHaveLength(1);
    expect(String(errors[0]!['msg'])).toContain('the store is closed');
  });
});
