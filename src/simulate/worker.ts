/**
 * Worker-thread entry: runs one strategy (workerData: { id, config }) and posts its progress and
 * result back to run.ts.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { runStrategy, type SimulationConfig } from './run.js';
import type { StrategyId } from './strategies.js';

const { id, config } = workerData as { id: StrategyId; config: SimulationConfig };
try {
  const result = runStrategy(id, config, { onDay: (day) => parentPort?.postMessage({ type: 'day', day }) });
  parentPort?.postMessage({ type: 'done', result });
} catch (error) {
  parentPort?.postMessage({ type: 'error', message: error instanceof Error ? (error.stack ?? error.message) : String(error) });
}
