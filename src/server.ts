/**
 * Boots the whole service from settings: opens the store, chooses the catalog (file, stored, or
 * the demo bank), seeds demo customers when asked or when the store is new, and builds the HTTP
 * app. Used by `nextbest serve` and by the integration tests, so both run the same start-up.
 */
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { parseCatalogText } from './core/catalog/validate.js';
import { SeededRandom } from './core/random.js';
import type { Clock } from './core/clock.js';
import type { PropensityModel } from './core/models/model.js';
import { generateDemoCustomers } from './demo/customers.js';
import { loadDemoCatalog } from './demo/load.js';
import { demoPreferences } from './demo/preferences.js';
import { nbError } from './errors.js';
import { buildApp } from './http/app.js';
import { DecisionService, type CatalogSource } from './service/service.js';
import { openStore } from './store/open.js';
import type { ServeSettings } from './config/settings.js';

export interface StartedServer {
  app: FastifyInstance;
  service: DecisionService;
  /** What was loaded, for the start-up banner. */
  summary: { catalogSource: string; catalogVersion: number; customers: number; seededDemoCustomers: number };
  close(): Promise<void>;
}

export interface StartOptions {
  logger?: boolean | object;
  clock?: Clock;
  model?: PropensityModel;
  /** Overrides `settings.modelFlushMs` (tests: 0, and they flush themselves). */
  modelFlushMs?: number;
  /** Ignored-response sweeper interval in ms (0 = off; tests call `service.sweepIgnored()`). */
  sweepMs?: number;
}

export function readCatalogFile(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw nbError('NB_ERR_CONFIG', [`cannot read catalog file '${path}' (--catalog or NEXTBEST_CATALOG): ${(error as Error).message}`], { cause: error });
  }
  return parseCatalogText(text, extname(path).toLowerCase() === '.json' ? 'json' : 'yaml');
}

export async function startServer(settings: ServeSettings, options: StartOptions = {}): Promise<StartedServer> {
  const store = await openStore(settings.db);
  try {
    let catalog: CatalogSource | undefined;
    let seedDemo = settings.demo;
    if (settings.catalog) {
      catalog = { document: readCatalogFile(settings.catalog), source: `file:${settings.catalog}` };
    } else if (settings.demo || !(await store.getActiveCatalog())) {
      catalog = { document: loadDemoCatalog(), source: 'demo' };
      seedDemo = true;
    }
    let seeded = 0;
    if (seedDemo && (await store.countProfiles()) === 0) {
      const customers = generateDemoCustomers();
      const at = options.clock?.now() ?? new Date();
      await store.putProfiles(customers, at);
      await store.putManyPreferences(customers.map(({ customerId }) => ({ customerId, preferences: demoPreferences(customerId) })), at);
      seeded = customers.length;
    }
    const service = await DecisionService.start({
      store,
      ...(catalog ? { catalog } : {}),
      ...(settings.seed !== undefined ? { random: new SeededRandom(settings.seed) } : {}),
      ...(options.clock ? { clock: options.clock } : {}),
      ...(options.model ? { model: options.model } : {}),
      modelFlushMs: options.modelFlushMs ?? settings.modelFlushMs,
      modelFlushBudgetMs: settings.modelFlushBudgetMs,
      ...(options.sweepMs !== undefined ? { sweepMs: options.sweepMs } : {}),
    });
    const app = await buildApp({ service, logger: options.logger ?? false, requestLog: settings.requestLog });
    const versions = await store.listCatalogVersions();
    const active = versions.find((v) => v.version === service.catalog.version);
    return {
      app,
      service,
      summary: {
        catalogSource: active?.source ?? 'stored',
        catalogVersion: service.catalog.version,
        customers: await store.countProfiles(),
        seededDemoCustomers: seeded,
      },
      async close() {
        await app.close();
        await service.close();
      },
    };
  } catch (error) {
    await store.close().catch(() => undefined);
    throw error;
  }
}
