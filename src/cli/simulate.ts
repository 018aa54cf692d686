/**
 * `nextbest simulate`: runs the synthetic bank (src/simulate) through the real decision pipeline
 * with the five strategies on the same population and seed, prints the comparison table (or the
 * JSON document with --json) and, with --out, writes simulation.json, the table and two SVG charts.
 * Invalid options exit with code 2.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import type { Command } from 'commander';
import { buildReport, cumulativeChartSvg, formatReport, reportJson, rollingChartSvg } from '../simulate/report.js';
import { DEFAULT_START, runSimulation, type SimulationConfig } from '../simulate/run.js';
import { STRATEGY_IDS, type StrategyId } from '../simulate/strategies.js';

export interface SimulateFlags {
  customers: string;
  days: string;
  seed: string;
  start: string;
  strategies?: string;
  workers?: string;
  json?: boolean;
  out?: string;
}

export class OptionError extends Error {}

function integer(text: string, flag: string, min: number, max: number): number {
  const n = Number(text);
  if (!/^\s*\d+\s*$/.test(text) || !Number.isSafeInteger(n) || n < min || n > max) {
    throw new OptionError(`${flag} must be an integer from ${min.toLocaleString('en-US')} to ${max.toLocaleString('en-US')}, got "${text}"`);
  }
  return n;
}

/** Checks and converts the flags; throws OptionError with a message for the user. */
export function parseSimulateFlags(flags: SimulateFlags): { config: SimulationConfig; strategies: StrategyId[]; workers: number } {
  const customers = integer(flags.customers, '--customers', 1, 2_000_000);
  const days = integer(flags.days, '--days', 1, 730);
  const seed = integer(flags.seed, '--seed', 0, 4_294_967_295);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(flags.start) || Number.isNaN(Date.parse(`${flags.start}T00:00:00Z`))) {
    throw new OptionError(`--start must be a date YYYY-MM-DD, got "${flags.start}"`);
  }
  let strategies: StrategyId[] = [...STRATEGY_IDS];
  if (flags.strategies !== undefined) {
    const names = flags.strategies.split(',').map((s) => s.trim()).filter((s) => s !== '');
    const unknown = names.filter((s) => !(STRATEGY_IDS as readonly string[]).includes(s));
    if (names.length === 0 || unknown.length > 0) {
      throw new OptionError(`--strategies must be a comma-separated list of ${STRATEGY_IDS.join(', ')}${unknown.length ? `; unknown: ${unknown.join(', ')}` : ''}`);
    }
    strategies = STRATEGY_IDS.filter((id) => names.includes(id));
  }
  const workers = flags.workers === undefined ? Math.min(strategies.length, availableParallelism()) : integer(flags.workers, '--workers', 1, 64);
  return { config: { customers, days, seed, start: flags.start }, strategies, workers };
}

/** A one-line progress bar on a terminal's stderr (nothing when stderr is not a TTY). */
function progressBar(total: number, stream: NodeJS.WriteStream = process.stderr): { tick(): void; done(): void } {
  if (!stream.isTTY) return { tick: () => {}, done: () => {} };
  const width = 30;
  const started = Date.now();
  let count = 0;
  let last = -1;
  return {
    tick() {
      count++;
      const fraction = Math.min(1, count / total);
      const percent = Math.floor(fraction * 100);
      if (percent === last) return;
      last = percent;
      const filled = Math.round(fraction * width);
      const secs = (Date.now() - started) / 1000;
      stream.write(`\r[${'#'.repeat(filled)}${'-'.repeat(width - filled)}] ${String(percent).padStart(3)}%  strategy-days ${count}/${total}  ${secs.toFixed(0)} s`);
    },
    done() {
      if (last >= 0) stream.write('\r' + ' '.repeat(width + 50) + '\r');
    },
  };
}

export function registerSimulateCommand(program: Command): void {
  program
    .command('simulate')
    .description('Simulate a synthetic bank through the real decision pipeline and compare strategies (segment campaigns, random, NBA without and with learning, oracle).')
    .option('--customers <n>', 'customers in the synthetic bank', '100000')
    .option('--days <n>', 'days to simulate', '90')
    .option('--seed <n>', 'seed: same seed, same population, events and results', '42')
    .option('--start <date>', 'first simulated day (YYYY-MM-DD, UTC)', DEFAULT_START)
    .option('--strategies <list>', `comma-separated subset of ${STRATEGY_IDS.join(', ')} (default: all)`)
    .option('--workers <n>', 'worker threads, one strategy each (default: one per core, at most one per strategy)')
    .option('--json', 'print the report as one JSON document instead of the table')
    .option('--out <dir>', 'also write simulation.json, summary.txt and the SVG charts into this directory')
    .action(async (flags: SimulateFlags) => {
      let parsed: ReturnType<typeof parseSimulateFlags>;
      try {
        parsed = parseSimulateFlags(flags);
      } catch (error) {
        if (!(error instanceof OptionError)) throw error;
        process.stderr.write(`error: ${error.message}\n`);
        process.exitCode = 2;
        return;
      }
      const { config, strategies, workers } = parsed;
      const bar = progressBar(strategies.length * config.days);
      const started = Date.now();
      const result = await runSimulation(config, { strategies, workers, onProgress: () => bar.tick() });
      bar.done();
      const seconds = (Date.now() - started) / 1000;
      const report = buildReport(result);
      const json = reportJson(report);
      const text = formatReport(report);
      process.stdout.write(flags.json ? json + '\n' : text);
      if (flags.out) {
        mkdirSync(flags.out, { recursive: true });
        writeFileSync(join(flags.out, 'simulation.json'), json + '\n');
        writeFileSync(join(flags.out, 'summary.txt'), text);
        writeFileSync(join(flags.out, 'response-rate-cumulative.svg'), cumulativeChartSvg(report));
        writeFileSync(join(flags.out, 'response-rate-7day.svg'), rollingChartSvg(report));
        process.stderr.write(`wrote ${['simulation.json', 'summary.txt', 'response-rate-cumulative.svg', 'response-rate-7day.svg'].map((f) => join(flags.out!, f)).join(', ')}\n`);
      }
      process.stderr.write(`simulated ${config.customers.toLocaleString('en-US')} customers x ${config.days} days x ${strategies.length} strategies in ${seconds.toFixed(1)} s (${workers} worker${workers === 1 ? '' : 's'})\n`);
    });
}
