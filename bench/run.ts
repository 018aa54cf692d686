/**
 * `npm run bench`: measures nextbest and writes bench/RESULTS.md (tables, machine, date, commit).
 *   1. in-process decision latency and throughput vs actions and predictors;
 *   2. model updates per second, also next to "the floor" of learning (only the work a model of the
 *      default shape must do per response, on flat typed arrays);
 *   3. `nextbest evaluate` rows per second on bank-full;
 *   4. HTTP decisions (autocannon at 16, 32 and 64 connections) against the running service, SQLite and
 *      PostgreSQL, with the service's CPU time per decision;
 *   5. HTTP responses (one to each of a set of decisions made beforehand, each recorded and learnt), with
 *      the same stores;
 * each next to "the limit": a bare lookup-and-add loop over tables of the same sizes (or, for HTTP,
 * a bare node:http server answering a fixed JSON), so each figure reads as a ratio to the best the
 * machine can do. `--quick` runs a smaller matrix; `--no-http` skips sections 4 and 5; `--only=decisions,
 * updates,evaluate,http` runs the sections named (http: 4 and 5) and prints them without writing RESULTS.md. The profile analysis
 * kept in bench/ANALYSIS.md (written by hand after profiling) is appended to the results.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import autocannon from 'autocannon';
import pg from 'pg';
import { stringify } from 'yaml';
import { decide } from '../src/core/pipeline/decide.js';
import { AdaptiveModel } from '../src/core/models/adaptive/index.js';
import { SeededRandom } from '../src/core/random.js';
import { runEvaluation } from '../src/evaluate/prequential.js';
import { postgresUrlWithDefaultUser } from '../src/store/postgres/index.js';
import { storedPredictors, syntheticCatalog, syntheticCatalogDocument, syntheticProfile, trainedModel } from './fixtures.js';
import { decisionLimitCall, fmt, learningFloorRun, machine, table, timeBulk, timeBulkAlternating, timePaired, updateLimitRun, type Timing } from './lib.js';

const args = new Set(process.argv.slice(2));
const quick = args.has('--quick');
const only = [...args].find((a) => a.startsWith('--only='))?.slice('--only='.length).split(',');
const SECTIONS = ['decisions', 'updates', 'evaluate', 'http'];
for (const name of only ?? []) {
  if (!SECTIONS.includes(name)) {
    process.stderr.write(`bench: --only: unknown section "${name}"; use a comma-separated list of ${SECTIONS.join(', ')}\n`);
    process.exit(2);
  }
}
const runs = (section: string): boolean => (only ? only.includes(section) : section !== 'http' || !args.has('--no-http'));
const sections: string[] = [];
const log = (text: string) => process.stdout.write(`${text}\n`);

/** `met` or `not met`, with what was measured. */
function verdict(met: boolean, measured: string): string {
  return `${met ? 'met' : 'not met'} (${measured})`;
}

/**
 * One configuration of section 1, measured in this process (a fresh one per configuration, see
 * `inProcessDecisions`): the decision's timing and the limit loop's, alternating.
 */
function measureDecisions(actions: number, predictors: number): { timing: Timing; limit: Timing } {
  const catalog = syntheticCatalog(actions);
  const model = trainedModel(actions, predictors, quick ? 150 : 300);
  const random = new SeededRandom(1);
  const profiles = Array.from({ length: 256 }, () => syntheticProfile(predictors, random));
  const now = new Date('2026-06-01T10:00:00Z');
  // runs of 200 ms of decisions alternate with runs of the limit loop, so that both see the machine alike
  const { a: timing, b: limit } = timePaired(
    (i) => {
      decide({ channel: 'web', customer: profiles[i & 255], context: { intent: 'browse' }, limit: 3, explain: false }, { catalog, model, random, now });
    },
    decisionLimitCall(actions, predictors),
    { budgetMs: quick ? 800 : 2500, maxCalls: 100_000 },
  );
  return { timing, limit };
}

function inProcessDecisions(): void {
  let target1000x50 = NaN;
  const configs: Array<[number, number]> = quick
    ? [[10, 50], [100, 50], [1000, 50], [100, 10], [100, 200]]
    : [[10, 50], [100, 50], [1000, 50], [2500, 50], [100, 10], [100, 200], [100, 700], [1000, 200]];
  const rows: Array<Array<string | number>> = [];
  for (const [actions, predictors] of configs) {
    // Each configuration in a process of its own (as benchmark harnesses fork per benchmark): a
    // service holds one catalog's models, not the garbage and heap layout of the configurations
    // measured before, nor their collections under way.
    const child = spawnSync(process.execPath, [process.argv[1]!, `--decisions=${actions}x${predictors}`, ...(quick ? ['--quick'] : [])], { encoding: 'utf8', maxBuffer: 1 << 20 });
    if (child.status !== 0) throw new Error(`decisions ${actions}x${predictors} failed: ${child.stderr}`);
    const { timing, limit } = JSON.parse(child.stdout.trim().split('\n').pop()!) as { timing: Timing; limit: Timing };
    if (actions === 1000 && predictors === 50) target1000x50 = timing.p99Us;
    rows.push([actions, predictors, timing.calls, timing.p50Us, timing.p99Us, timing.perSecond, limit.p50Us, limit.p99Us, timing.p50Us / limit.p50Us, timing.p99Us / limit.p99Us]);
    log(`  decisions ${actions} actions x ${predictors} predictors: p50 ${fmt(timing.p50Us)} us, p99 ${fmt(timing.p99Us)} us`);
  }
  sections.push(
    [
      '## 1. In-process decisions (`decide()`: policies, adaptive-model propensity with Thompson draw, arbitration; limit 3)',
      '',
      table(['actions', 'predictors', 'calls', 'p50 µs', 'p99 µs', 'decisions/s', 'limit p50 µs', 'limit p99 µs', 'p50 / limit', 'p99 / limit'], rows),
      '',
      `Target: 1,000 actions x 50 predictors, p99 <= 1 ms (1,000 µs): ${verdict(target1000x50 <= 1000, `p99 ${fmt(target1000x50)} µs`)}. The limit is a bare loop that looks up one bin contribution per action x predictor in a Float64Array and adds them; it runs in 200 ms turns alternating with the decisions (the first call of each turn not counted), so both see the machine alike, and its own p99 / p50 shows how much of a p99 is the machine's (preemption, other tenants) rather than the code's.`,
    ].join('\n'),
  );
}

function modelUpdates(): void {
  const rows: Array<Array<string | number>> = [];
  let at50 = NaN;
  let floorAt50 = NaN;
  // [predictors, keys]: the target's reading (50 predictors, 100 keys taking turns, so each model is
  // out of the processor's caches when its turn comes), and one key: the model's own speed.
  const configs: Array<[number, number]> = [[10, 100], [50, 100], [200, 100], [50, 1]];
  for (const [predictors, keyCount] of configs) {
    const random = new SeededRandom(3);
    const model = new AdaptiveModel();
    const samples = Array.from({ length: 1024 }, () => {
      const profile = syntheticProfile(predictors, random);
      return { predictors: storedPredictors(profile), positive: random.next() < 0.1 + 0.3 * Number(profile['n0']) };
    });
    const count = quick ? 100_000 : predictors >= 200 ? 100_000 : 400_000;
    const keys = Array.from({ length: keyCount }, (_, i) => `a${i}/web/inbound`);
    const learnRun =
      (into: AdaptiveModel) =>
      (from: number, to: number): void => {
        for (let i = from; i < to; i++) {
          const s = samples[i & 1023]!;
          into.learn(keys[i % keyCount]!, s.predictors, s.positive);
        }
        // every response of the chunk learnt before the clock stops (learn queues per key)
        into.catchUp();
      };
    // the code compiled first (a separate model, limit and floor learn a quarter as many, untimed),
    // so that the measured models, which start empty, are not timed while the code compiles
    for (const warmUp of [learnRun(new AdaptiveModel()), updateLimitRun(predictors, keyCount), learningFloorRun(samples, keyCount)]) warmUp(0, count / 4);
    // chunks of 10,000 responses alternate with as many of the limit loop's and the floor loop's
    const [perSecond, limit, floor] = timeBulkAlternating(count, 10_000, [
      learnRun(model),
      updateLimitRun(predictors, keyCount),
      learningFloorRun(samples, keyCount),
    ]) as [number, number, number];
    if (predictors === 50 && keyCount === 100) {
      at50 = perSecond;
      floorAt50 = floor;
    }
    rows.push([predictors, keyCount, count, perSecond, limit, limit / perSecond, floor, floor / perSecond]);
    log(`  model updates, ${predictors} predictors, ${keyCount} key${keyCount === 1 ? '' : 's'}: ${fmt(perSecond)}/s`);
  }
  sections.push(
    [
      '## 2. Model updates (`AdaptiveModel.learn`, keys taking turns, in process; records as the service reads them back with the response: the stored JSON snapshot; every chunk of 10,000 ends with `catchUp()`, so each response counted is learnt; the models start empty, after the code was compiled on a separate model learning a quarter as many responses, untimed)',
      '',
      table(['predictors', 'keys', 'updates', 'updates/s', 'limit updates/s', 'limit / measured', 'floor updates/s', 'floor / measured'], rows),
      '',
      `Target: >= 200,000 responses/s (read at 50 predictors, 100 keys): ${verdict(at50 >= 200_000, `${fmt(at50)}/s`)}; the floor of that work on this machine: ${fmt(floorAt50)}/s. The limit increments one counter per predictor in as many Float64Array tables as there are keys. The floor does per response what learning a record into a model of the default shape takes at the least, on flat typed arrays: per predictor its bin (a search over 20 bounds, or a Map lookup for a symbol), two logarithms for the score the response is learnt on and a count; per number a search in a 64-interval sketch and a count; a search and a count in each of 5 calibration sketches of 100 intervals; keys in runs of 32. It leaves out evidence thresholds, missing values, the correlation window and refreshes. Both run in chunks alternating with the measured ones. With one key the model stays in the processor's caches; with 100, \`learn\` queues each key's responses and the model learns them in runs of up to 32, so its state is fetched from memory once per run (the gap between the two rows is what remains of that cost).`,
    ].join('\n'),
  );
}

async function evaluateSpeed(): Promise<void> {
  const file = join(process.cwd(), '..', 'shared', 'data', 'bank-marketing', 'bank-full.csv');
  if (!existsSync(file)) {
    sections.push('## 3. `nextbest evaluate`\n\nSkipped: ../shared/data/bank-marketing/bank-full.csv is absent.');
    return;
  }
  const runs: number[] = [];
  const limits: number[] = [];
  const limitRun = updateLimitRun(15);
  let auc = 0;
  for (let i = 0; i < (quick ? 1 : 3); i++) {
    // predict + learn: two passes over 15 predictors per row, measured right after each run
    const report = await runEvaluation({ file, outcome: 'y', positive: ['yes'], exclude: ['duration'] });
    runs.push(report.rowsPerSecond);
    limits.push(timeBulk(45_211, () => limitRun(0, 45_211)) / 2);
    auc = report.auc;
  }
  runs.sort((a, b) => a - b);
  limits.sort((a, b) => a - b);
  const median = runs[Math.floor(runs.length / 2)]!;
  const limit = limits[Math.floor(limits.length / 2)]!;
  sections.push(
    [
      '## 3. `nextbest evaluate` on bank-full (45,211 rows, 15 predictors, predict then learn each row; reading included)',
      '',
      table(['runs', 'rows/s (median)', 'rows/s (min)', 'rows/s (max)', 'AUC', 'limit rows/s', 'limit / measured'], [[runs.length, median, runs[0]!, runs[runs.length - 1]!, auc.toFixed(4), limit, limit / median]]),
      '',
      `Target: >= 50,000 rows/s: ${verdict(median >= 50_000, `${fmt(median)} rows/s`)}. The limit is a lookup-and-add over 15 predictors twice per row (no parsing).`,
    ].join('\n'),
  );
  log(`  evaluate: ${fmt(median)} rows/s`);
}

// ----------------------------------------------------------------------------------------- HTTP

function startChild(command: string, argv: string[], env: NodeJS.ProcessEnv, readyText: string): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, argv, { env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    let seen = '';
    const timer = setTimeout(() => reject(new Error(`${argv.join(' ')} did not start: ${seen}`)), 60_000);
    child.stderr?.on('data', (chunk: Buffer) => {
      seen += chunk.toString();
      if (seen.includes(readyText)) {
        clearTimeout(timer);
        resolve(child);
      }
    });
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`${argv.join(' ')} exited with ${code}: ${seen}`));
    });
  });
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  await new Promise<void>((resolve) => {
    child.removeAllListeners('exit');
    child.once('exit', () => resolve());
    child.kill('SIGTERM');
  });
}

/** How `load` sends: a fixed number of requests instead of a duration, and what it does with each answer (only with `amount`). */
interface LoadOptions {
  amount?: number;
  onResponse?: (status: number, body: string) => void;
}

/**
 * Autocannon POSTing `bodies` in turn (cycling through them) to `url`, for the section's duration
 * or, with `amount`, for that many requests; then requests/s is the total over the time from the
 * start to the last answer (autocannon's own duration is counted in whole seconds of its ticker).
 */
async function load(
  url: string,
  bodies: string[],
  connections = 64,
  options: LoadOptions = {},
): Promise<{ rps: number; total: number; p50: number; p99: number; errors: number; non2xx: number }> {
  let i = 0;
  const started = performance.now();
  let lastAnswer = started;
  const result = await autocannon({
    url,
    connections,
    ...(options.amount === undefined ? { duration: quick ? 5 : 10 } : { amount: options.amount }),
    requests: [
      {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        setupRequest: (req) => ({ ...req, body: bodies[i++ % bodies.length] }),
        // only with `amount` (collecting bodies costs the load generator, which shares the cores)
        ...(options.amount === undefined
          ? {}
          : {
              onResponse: (status: number, body: string) => {
                lastAnswer = performance.now();
                options.onResponse?.(status, body);
              },
            }),
      },
    ],
  });
  return {
    rps: options.amount === undefined ? result.requests.average : (1000 * result.requests.total) / (lastAnswer - started),
    total: result.requests.total,
    p50: result.latency.p50,
    p99: result.latency.p99,
    errors: result.errors + result.timeouts,
    non2xx: result.non2xx,
  };
}

/**
 * CPU time a process has used so far, in ms, from Linux's /proc (undefined elsewhere): its main
 * thread (the event loop) and all its threads (SQLite's writer and checkpointer, libuv's pool).
 */
function processCpuMs(pid: number): { main: number; all: number } | undefined {
  const ticksPerMs = 100 / 1000; // USER_HZ
  try {
    let main = 0;
    let all = 0;
    for (const task of readdirSync(`/proc/${pid}/task`)) {
      const fields = readFileSync(`/proc/${pid}/task/${task}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
      const ticks = Number(fields[11]) + Number(fields[12]); // utime + stime
      all += ticks;
      if (Number(task) === pid) main = ticks;
    }
    return { main: main / ticksPerMs, all: all / ticksPerMs };
  } catch {
    return undefined;
  }
}

/**
 * CPU time all PostgreSQL server processes (backends, WAL writer, checkpointer, ...) have used so
 * far, in ms, from Linux's /proc: the processes named `postgres`, and their ended children. Undefined
 * without /proc.
 */
function postgresCpuMs(): number | undefined {
  try {
    let ticks = 0;
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      let stat: string;
      try {
        stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      } catch {
        continue; // ended meanwhile
      }
      if (!stat.includes(' (postgres) ')) continue;
      // utime, stime and the same of ended children (the postmaster's: backends and workers that
      // ended meanwhile are counted too)
      const fields = stat.split(') ')[1]?.split(' ') ?? [];
      ticks += Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]);
    }
    return ticks * 10; // USER_HZ = 100
  } catch {
    return undefined;
  }
}

/**
 * Busy and total jiffies of the whole machine so far, from /proc/stat (undefined elsewhere): of its
 * first eight fields (user, nice, system, idle, iowait, irq, softirq, steal; the guest fields that
 * follow are already counted in user and nice), busy is all but idle, iowait and steal.
 */
function machineJiffies(): { busy: number; total: number } | undefined {
  try {
    const fields = readFileSync('/proc/stat', 'utf8').split('\n')[0]!.trim().split(/\s+/).slice(1, 9).map(Number);
    const total = fields.reduce((a, b) => a + b, 0);
    return { busy: total - fields[3]! - fields[4]! - (fields[7] ?? 0), total };
  } catch {
    return undefined;
  }
}

/**
 * `load`, with the CPU time spent per request meanwhile, in µs as printed ('n/a' without /proc):
 * process `pid`'s event loop and all its threads, PostgreSQL's processes, and this process (the
 * load generator); and the share of the machine's cores that were busy.
 */
async function loadWithCpu(
  pid: number,
  url: string,
  bodies: string[],
  connections: number,
  options: LoadOptions = {},
): Promise<Awaited<ReturnType<typeof load>> & { cpuMain: string; cpuAll: string; cpuPostgres: string; cpuLoad: string; busy: string }> {
  const before = processCpuMs(pid);
  const postgresBefore = postgresCpuMs();
  const machineBefore = machineJiffies();
  const ownBefore = process.cpuUsage();
  const result = await load(url, bodies, connections, options);
  const own = process.cpuUsage(ownBefore);
  const after = processCpuMs(pid);
  const postgresAfter = postgresCpuMs();
  const machineAfter = machineJiffies();
  const perRequest = (ms: number | undefined): string => (ms !== undefined && result.total > 0 ? fmt((1000 * ms) / result.total) : 'n/a');
  const delta = (which: 'main' | 'all'): number | undefined => (before && after ? after[which] - before[which] : undefined);
  return {
    ...result,
    cpuMain: perRequest(delta('main')),
    cpuAll: perRequest(delta('all')),
    cpuPostgres: perRequest(postgresBefore !== undefined && postgresAfter !== undefined ? postgresAfter - postgresBefore : undefined),
    cpuLoad: perRequest((own.user + own.system) / 1000),
    busy:
      machineBefore && machineAfter && machineAfter.total > machineBefore.total
        ? `${Math.round((100 * (machineAfter.busy - machineBefore.busy)) / (machineAfter.total - machineBefore.total))}%`
        : 'n/a',
  };
}

/** The PostgreSQL CPU column of a row of `store` (its label): measured for PostgreSQL's rows, '-' for the others. */
function postgresColumn(store: string, measured: { cpuPostgres: string }): string {
  return store.startsWith('PostgreSQL') ? measured.cpuPostgres : '-';
}

/** Concurrency levels of section 4. */
const CONNECTIONS = [16, 32, 64];
/** Section 5: its concurrency, and how many decisions it answers (each once). */
const RESPONSE_CONNECTIONS = 32;
const RESPONSES = quick ? 10_000 : 40_000;

/**
 * Section 5 for one running service: makes `RESPONSES` decisions (not measured), then sends one
 * response to each decision's top action, 1 in 10 `clicked` and the rest `rejected`, so that
 * every response is recorded durably and learnt (a second response to the same decision and
 * action would be a duplicate, which the service records once and does not learn from).
 */
async function httpResponses(pid: number, base: string, decisionBodies: string[]): Promise<Awaited<ReturnType<typeof loadWithCpu>> & { learnt: number }> {
  const responses: string[] = [];
  await load(`${base}/v1/decisions`, decisionBodies, RESPONSE_CONNECTIONS, {
    amount: RESPONSES,
    onResponse: (status, body) => {
      if (status !== 200) return;
      const decision = JSON.parse(body) as { decisionId: string; actions: Array<{ actionId: string }> };
      const top = decision.actions[0];
      if (!top) return;
      const outcome = responses.length % 10 === 0 ? 'clicked' : 'rejected';
      responses.push(JSON.stringify({ decisionId: decision.decisionId, actionId: top.actionId, outcome }));
    },
  });
  if (responses.length === 0) throw new Error('section 5: no decision offered an action to respond to');
  let learnt = 0;
  const measured = await loadWithCpu(pid, `${base}/v1/responses`, responses, RESPONSE_CONNECTIONS, {
    amount: responses.length,
    // a cheap check (the load generator shares the cores): the answer says what the model learnt
    onResponse: (status, body) => {
      if (status === 202 && !body.includes('"learned":"none"')) learnt++;
    },
  });
  return { ...measured, learnt };
}

async function httpDecisions(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'nextbest-bench-'));
  const catalogPath = join(dir, 'catalog.yaml');
  writeFileSync(catalogPath, stringify(syntheticCatalogDocument(100)));
  const random = new SeededRandom(11);
  const customers = Array.from({ length: 1000 }, (_, i) => ({ id: `B${i}`, profile: syntheticProfile(50, random) }));
  const bodies = customers.map((c) => JSON.stringify({ customerId: c.id, channel: 'web', context: { intent: 'browse' }, limit: 3 }));
  const rows: Array<Array<string | number>> = [];
  const responseRows: Array<Array<string | number>> = [];
  const verdicts: string[] = [];
  const port = 18_400 + Math.floor(Math.random() * 500);
  const base = `http://127.0.0.1:${port}`;

  // The limit: a bare node:http server answering a fixed decision-sized JSON.
  const bare = await startChild(
    process.execPath,
    [
      '-e',
      `const body = JSON.stringify({decisionId:'x',actions:[{rank:1,actionId:'a1',propensity:0.1,priority:1}]});
       require('node:http').createServer((req,res)=>{let n=0;req.on('data',c=>n+=c.length);req.on('end',()=>{res.writeHead(200,{'content-type':'application/json'});res.end(body);});}).listen(${port},'127.0.0.1',()=>process.stderr.write('READY\\n'));`,
    ],
    {},
    'READY',
  );
  const limit = await loadWithCpu(bare.pid ?? -1, `${base}/`, bodies, 64);
  await stopChild(bare);
  log(`  HTTP limit (bare node:http): ${fmt(limit.rps)} req/s, CPU ${limit.cpuMain} µs (event loop) per request`);

  const stores: Array<[string, string, () => Promise<void>]> = [[`SQLite (${join(dir, 'bench.db')})`, join(dir, 'bench.db'), async () => undefined]];
  const schema = `nb_bench_${process.pid}`;
  const pgUrl = process.env['NEXTBEST_TEST_PG'] ?? 'postgres://127.0.0.1:5432/test';
  const pgClient = new pg.Client({ connectionString: postgresUrlWithDefaultUser(pgUrl) });
  let pgAvailable = false;
  try {
    await pgClient.connect();
    pgAvailable = true;
  } catch (error) {
    log(`  PostgreSQL not reachable at ${pgUrl}: ${(error as Error).message}; its row is skipped`);
  }
  if (pgAvailable) {
    stores.push([
      `PostgreSQL (${pgUrl.replace(/\/\/[^@]*@/, '//')}, schema ${schema})`,
      `${pgUrl}${pgUrl.includes('?') ? '&' : '?'}schema=${schema}`,
      async () => {
        await pgClient.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      },
    ]);
  }

  for (const [label, db, cleanup] of stores) {
    const server = await startChild(
      process.execPath,
      ['dist/cli/main.js', 'serve', '--db', db, '--catalog', catalogPath, '--port', String(port), '--log-level', 'silent'],
      {},
      'nextbest listening',
    );
    try {
      for (const c of customers) {
        const res = await fetch(`${base}/v1/customers/${c.id}`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(c.profile) });
        if (!res.ok) throw new Error(`seeding ${c.id}: ${res.status}`);
      }
      await load(`${base}/v1/decisions`, bodies.slice(0, 200)); // warm-up
      const outcomes: string[] = [];
      let met = false;
      for (const connections of CONNECTIONS) {
        const measured = await loadWithCpu(server.pid ?? -1, `${base}/v1/decisions`, bodies, connections);
        rows.push([label, connections, measured.rps, measured.p50, measured.p99, measured.cpuMain, measured.cpuAll, postgresColumn(label, measured), measured.cpuLoad, measured.busy, measured.errors + measured.non2xx, limit.rps, limit.rps / measured.rps]);
        const ok = measured.rps >= 5000 && measured.p99 <= 20;
        met ||= ok;
        outcomes.push(`${connections} connections ${fmt(measured.rps)}/s, p99 ${measured.p99} ms${ok ? ' (met)' : ''}`);
        log(`  HTTP ${label}, ${connections} connections: ${fmt(measured.rps)} decisions/s, p99 ${measured.p99} ms, service CPU ${measured.cpuMain} µs (event loop) / ${measured.cpuAll} µs (all threads), PostgreSQL ${postgresColumn(label, measured)} µs, load generator ${measured.cpuLoad} µs per decision; cores ${measured.busy} busy`);
      }
      verdicts.push(`${label.split(' ')[0]}: ${verdict(met, outcomes.join('; '))}`);
      const answered = await httpResponses(server.pid ?? -1, base, bodies);
      responseRows.push([label, RESPONSE_CONNECTIONS, answered.total, answered.learnt, answered.rps, answered.p50, answered.p99, answered.cpuMain, answered.cpuAll, postgresColumn(label, answered), answered.cpuLoad, answered.busy, answered.errors + answered.non2xx, limit.rps, limit.rps / answered.rps]);
      log(`  HTTP responses ${label}: ${fmt(answered.rps)} responses/s (${fmt(answered.learnt)} of ${fmt(answered.total)} learnt), p99 ${answered.p99} ms, service CPU ${answered.cpuMain} µs (event loop) / ${answered.cpuAll} µs (all threads) per response`);
    } finally {
      await stopChild(server);
      await cleanup();
    }
  }
  if (pgAvailable) await pgClient.end();
  rmSync(dir, { recursive: true, force: true });
  rows.push(['limit: bare node:http, fixed JSON', 64, limit.rps, limit.p50, limit.p99, limit.cpuMain, limit.cpuAll, '-', limit.cpuLoad, limit.busy, limit.errors + limit.non2xx, limit.rps, 1]);
  sections.push(
    [
      `## 4. HTTP decisions (\`POST /v1/decisions\`, 100 actions, 50-attribute profiles of 1,000 customers, limit 3; autocannon at ${CONNECTIONS.join(', ')} connections, ${quick ? 5 : 10} s each; service and load generator on the same 2 cores)`,
      '',
      table(['store', 'connections', 'decisions/s', 'p50 ms', 'p99 ms', 'service CPU µs/decision (event loop)', 'service CPU µs/decision (all threads)', 'PostgreSQL CPU µs/decision', 'load generator CPU µs/decision', 'cores busy', 'errors', 'limit req/s', 'limit / measured'], rows),
      '',
      `Target: >= 5,000 decisions/s with p99 <= 20 ms (met when one concurrency meets both): ${verdicts.join('; ')}. Each decision reads the profile, history and preferences and is durably recorded before the answer is sent. The service runs with \`--log-level silent\`: with the default request log (two info lines per request) its event loop spends ~50 µs more per decision (\`--request-log off\` removes them). With a fixed number of connections, latency is connections / throughput (Little's law): fewer connections shorten it for as long as throughput holds. The service's CPU per decision (from /proc, Linux only) is the steadier figure on a machine whose speed drifts: the event loop's share bounds throughput, the other threads are SQLite's writer and checkpointer. PostgreSQL's processes (its backends, WAL writer and checkpointer, on the same cores) and the load generator (autocannon, in the bench's own process) are counted in columns of their own; "cores busy" is the share of the machine's cores in use meanwhile (from /proc/stat), so a row whose CPU per decision, summed, is well under (cores x 1,000,000 µs) / (decisions/s) waited on round trips rather than on the cores.`,
    ].join('\n'),
  );
  sections.push(
    [
      `## 5. HTTP responses (\`POST /v1/responses\`, one to the top action of each of ${fmt(RESPONSES)} decisions made beforehand, 1 in 10 clicked, the rest rejected; autocannon at ${RESPONSE_CONNECTIONS} connections; service and load generator on the same 2 cores)`,
      '',
      table(['store', 'connections', 'responses', 'learnt', 'responses/s', 'p50 ms', 'p99 ms', 'service CPU µs/response (event loop)', 'service CPU µs/response (all threads)', 'PostgreSQL CPU µs/response', 'load generator CPU µs/response', 'cores busy', 'errors', 'limit req/s', 'limit / measured'], responseRows),
      '',
      'No target: the learning target is read in process (section 2). Each response reads its decision (with the predictor record it was decided on) and the responses already given to it, is recorded durably with its interaction-history increment before the answer is sent, and is learnt by the model of the action and channel. "learnt" counts the answers that say so (`learned` positive or negative); every response here should be.',
    ].join('\n'),
  );
}

async function main(): Promise<void> {
  const single = [...args].find((a) => a.startsWith('--decisions='))?.slice('--decisions='.length);
  if (single) {
    // a child of `inProcessDecisions`: one configuration, its result as JSON on stdout
    const [actions, predictors] = single.split('x').map(Number);
    log(JSON.stringify(measureDecisions(actions!, predictors!)));
    return;
  }
  const facts = machine();
  log(`nextbest benchmarks — ${facts.date}, ${facts.cpu} x ${facts.cores}, node ${facts.node}, commit ${facts.commit}${quick ? ' (quick)' : ''}`);
  if (runs('decisions')) inProcessDecisions();
  if (runs('updates')) modelUpdates();
  if (runs('evaluate')) await evaluateSpeed();
  if (runs('http')) await httpDecisions();
  const header = [
    '# Benchmark results',
    '',
    `Generated by \`npm run bench\`${quick ? ' (--quick)' : ''} on ${facts.date}.`,
    '',
    `Machine: ${facts.cpu}, ${facts.cores} cores, ${facts.memoryGiB} GiB; Node.js ${facts.node}; load average at start ${facts.load}; commit ${facts.commit}.`,
    '',
    'Every figure sits next to "the limit": the same amount of table work done by a bare loop (or, for HTTP, a bare server) in the same process, so each reads as a ratio to the best this machine can do.',
  ].join('\n');
  const analysisPath = join(process.cwd(), 'bench', 'ANALYSIS.md');
  const analysis = existsSync(analysisPath) ? `\n\n${readFileSync(analysisPath, 'utf8').trim()}\n` : '\n';
  const text = `${header}\n\n${sections.join('\n\n')}${analysis}`;
  if (!only) writeFileSync(join(process.cwd(), 'bench', 'RESULTS.md'), text);
  log('');
  log(text);
}

main().catch((error: unknown) => {
  process.stderr.write(`bench failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
