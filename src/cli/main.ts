#!/usr/bin/env node
/**
 * The `nextbest` command line: `serve` starts the decision service; `catalog validate` checks a
 * catalog file; `evaluate` measures the adaptive model on a data file; `ope` estimates policies
 * from logged bandit feedback; `simulate` runs strategies through a synthetic bank. Thin: it parses options
 * and calls the modules that do the work.
 */
import { Command } from 'commander';
import { resolveServeSettings, type ServeFlags } from '../config/settings.js';
import { buildCatalog } from '../core/catalog/compile.js';
import { isNextbestError } from '../errors.js';
import { readCatalogFile, startServer } from '../server.js';
import { registerEvaluateCommand } from './evaluate.js';
import { registerOpeCommand } from './ope.js';
import { registerSimulateCommand } from './simulate.js';

const program = new Command();
program.name('nextbest').description('Always-on next best action for banks.').version('0.1.0');

program
  .command('serve')
  .description('Start the decision service (HTTP API, OpenAPI UI at /docs).')
  .option('--port <port>', 'port to listen on (env NEXTBEST_PORT, default 8080)')
  .option('--host <host>', 'interface to bind (env NEXTBEST_HOST, default 127.0.0.1)')
  .option('--db <location>', 'SQLite file or postgres:// URL (env NEXTBEST_DB, default ./nextbest.db)')
  .option('--catalog <file>', 'catalog YAML or JSON file (env NEXTBEST_CATALOG); default: the stored one, else the demo bank')
  .option('--demo', 'serve the demo bank (demo catalog; demo customers seeded into an empty store)')
  .option('--seed <n>', 'seed the random source so decisions are reproducible (env NEXTBEST_SEED)')
  .option('--log-level <level>', 'fatal, error, warn, info, debug, trace or silent (env NEXTBEST_LOG_LEVEL, default info)')
  .option('--request-log <on|off>', 'log each request received and answered, at info (env NEXTBEST_REQUEST_LOG, default on)')
  .option('--model-flush-ms <ms>', 'how often learnt model state is written to the store; 0: only at shutdown (env NEXTBEST_MODEL_FLUSH_MS, default 1000)')
  .option('--model-flush-budget-ms <ms>', 'event-loop time each of those writes may take (env NEXTBEST_MODEL_FLUSH_BUDGET_MS, default 25)')
  .action(async (flags: ServeFlags) => {
    const settings = resolveServeSettings(flags);
    const server = await startServer(settings, { logger: { level: settings.logLevel } });
    const address = await server.app.listen({ port: settings.port, host: settings.host });
    const { summary } = server;
    process.stderr.write(
      [
        `nextbest listening on ${address}`,
        `  store:     ${server.service.store.description}`,
        `  catalog:   version ${summary.catalogVersion} (${summary.catalogSource}), ${server.service.catalog.actions.length} actions, channels ${[...server.service.catalog.channels.keys()].join(', ')}`,
        `  customers: ${summary.customers}${summary.seededDemoCustomers ? ` (${summary.seededDemoCustomers} demo customers seeded)` : ''}`,
        `  API docs:  ${address}/docs`,
        `  try:       curl -s -X POST ${address}/v1/decisions -H 'content-type: application/json' -d '{"customerId":"C000001","channel":"web","explain":true}'`,
        '',
      ].join('\n'),
    );
    const shutdown = (signal: string) => {
      process.stderr.write(`\n${signal}: closing (flushing model state)...\n`);
      server
        .close()
        .then(() => process.exit(0))
        .catch((error: unknown) => {
          process.stderr.write(`error while closing: ${String(error)}\n`);
          process.exit(1);
        });
    };
    process.once('SIGINT', () => shutdown('SIGINT'));
    process.once('SIGTERM', () => shutdown('SIGTERM'));
  });

const catalog = program.command('catalog').description('Work with catalog files.');
catalog
  .command('validate <file>')
  .description('Check a catalog file; prints every problem with its path and the fix.')
  .action((file: string) => {
    const built = buildCatalog(readCatalogFile(file), 0);
    if (!built.ok) {
      process.stderr.write(`${file}: ${built.errors.length} problem(s)\n`);
      for (const e of built.errors) process.stderr.write(`  ${e.path}: ${e.message}\n`);
      process.exitCode = 2;
      return;
    }
    const c = built.catalog;
    process.stdout.write(`${file}: valid — ${c.channels.size} channels, ${c.document.issues.length} issues, ${c.actions.length} actions\n`);
  });

registerEvaluateCommand(program);
registerOpeCommand(program);
registerSimulateCommand(program);

program.parseAsync(process.argv).catch((error: unknown) => {
  if (isNextbestError(error)) {
    process.stderr.write(`error ${error.code}: ${error.message}\n`);
    if (Array.isArray(error.details)) {
      for (const d of error.details as Array<{ path?: string; message?: string }>) process.stderr.write(`  ${d.path ?? ''}: ${d.message ?? JSON.stringify(d)}\n`);
    }
    process.exit(error.status < 500 || error.code === 'NB_ERR_CONFIG' ? 2 : 1);
  }
  process.stderr.write(`error: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
