import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Command } from 'commander';
import { afterAll, afterEach, describe, expect, it, vi } from 'vitest';
import { registerOpeCommand } from '../cli/ope.js';
import { formatOpeReport, parsePolicySpecs, runOpe } from './run.js';

const dir = mkdtempSync(join(tmpdir(), 'nextbest-ope-run-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * A generic log of 40 rows: actions a/b logged uniformly (propensity 0.5), a clicks on every
 * 4th of its rows, b on every 2nd: click rates a 0.25, b 0.5, overall 0.375.
 */
function genericLog(): string {
  const lines = ['offer,clicked,p,segment'];
  for (let i = 0; i < 40; i++) {
    const offer = i % 2 === 0 ? 'a' : 'b';
    const k = Math.floor(i / 2);
    const clicked = offer === 'a' ? (k % 4 === 0 ? 1 : 0) : k % 2 === 0 ? 1 : 0;
    lines.push(`${offer},${clicked},0.5,${k % 3 === 0 ? 'x' : 'y'}`);
  }
  const path = join(dir, 'generic.csv');
  writeFileSync(path, lines.join('\n'));
  return path;
}

const columns = { action: 'offer', reward: 'clicked', propensity: 'p', context: ['segment'] };

describe('parsePolicySpecs', () => {
  it('accepts repeated values and lists, and keeps commas inside paths', () => {
    expect(parsePolicySpecs(['uniform,from-log:x.csv', 'file:a,b.csv', 'nextbest'])).toEqual([
      { kind: 'uniform' },
      { kind: 'from-log', path: 'x.csv' },
      { kind: 'file', path: 'a,b.csv' },
      { kind: 'nextbest' },
    ]);
    expect(parsePolicySpecs(['nextbest:beta-bernoulli'])).toEqual([{ kind: 'nextbest', model: 'beta-bernoulli' }]);
    expect(() => parsePolicySpecs(['greedy'])).toThrow(/unknown policy "greedy": use uniform, nextbest/);
  });
});

describe('runOpe on a small generic log', () => {
  it('uniform: IPS = SNIPS = the logged rate; a policy file always choosing b: IPS = 2 * mean(click * [b])', async () => {
    const log = genericLog();
    const policy = join(dir, 'always-b.csv');
    writeFileSync(policy, 'action,probability\nb,1\n');
    const report = await runOpe({ log, format: 'generic', columns, policies: parsePolicySpecs(['uniform', `file:${policy}`]), bootstrap: 50, seed: 3 });
    expect(report.log.rate).toBeCloseTo(0.375, 12);
    const [uniform, alwaysB] = report.policies;
    expect(uniform!.estimates.ips.estimate).toBeCloseTo(0.375, 12);
    expect(uniform!.estimates.snips.estimate).toBeCloseTo(0.375, 12);
    // b rows: 20 rows with w = 1/0.5 = 2, 10 clicks; a rows w = 0 -> IPS = 10 * 2 / 40 = 0.5, SNIPS = 20 / 40 = 0.5
    expect(alwaysB!.estimates.ips.estimate).toBeCloseTo(0.5, 12);
    expect(alwaysB!.estimates.snips.estimate).toBeCloseTo(0.5, 12);
    expect(alwaysB!.diagnostics.zeroWeightRows).toBe(20);
    for (const p of report.policies) {
      for (const e of Object.values(p.estimates)) expect(e.low).toBeLessThanOrEqual(e.high);
    }
    const text = formatOpeReport(report);
    expect(text).toContain('policy uniform');
    expect(text).toMatch(/IPS\s+0\.375000/);
  });

  it('nextbest: trains on the first share and evaluates on the rest', async () => {
    const report = await runOpe({ log: genericLog(), format: 'generic', columns, policies: [{ kind: 'nextbest' }], bootstrap: 20, draws: 50, trainShare: 0.25 });
    const p = report.policies[0]!;
    expect(p.trainRows).toBe(10);
    expect(p.evaluatedRows).toBe(30);
    expect(p.diagnostics.meanWeight).toBeGreaterThan(0);
    expect(Number.isFinite(p.estimates.dr.estimate)).toBe(true);
  });

  it('rejects bad settings clearly', async () => {
    const log = genericLog();
    await expect(runOpe({ log, format: 'generic', columns, policies: [{ kind: 'uniform' }], trainShare: 1 })).rejects.toThrow(/--train-share must be between 0 and 1/);
    await expect(runOpe({ log, format: 'generic', columns, policies: [{ kind: 'uniform' }], bootstrap: 0 })).rejects.toThrow(/--bootstrap must be a whole number/);
    await expect(runOpe({ log, format: 'generic', columns, policies: [] })).rejects.toThrow(/no policy to evaluate/);
  });
});

describe('nextbest ope (command line)', () => {
  afterEach(() => {
    vi.restoreAllMocks();
    process.exitCode = undefined;
  });

  async function run(args: string[]): Promise<{ out: string; err: string }> {
    let out = '';
    let err = '';
    vi.spyOn(process.stdout, 'write').mockImplementation((chunk) => ((out += String(chunk)), true));
    vi.spyOn(process.stderr, 'write').mockImplementation((chunk) => ((err += String(chunk)), true));
    const program = new Command();
    registerOpeCommand(program);
    await program.parseAsync(['node', 'nextbest', 'ope', ...args]);
    vi.restoreAllMocks();
    return { out, err };
  }

  it('prints JSON', async () => {
    const { out } = await run([genericLog(), '--format', 'generic', '--action-col', 'offer', '--reward-col', 'clicked', '--propensity-col', 'p', '--bootstrap', '10', '--json']);
    const report = JSON.parse(out) as { policies: Array<{ spec: string; estimates: { ips: { estimate: number } } }> };
    expect(report.policies[0]!.spec).toBe('uniform');
    expect(report.policies[0]!.estimates.ips.estimate).toBeCloseTo(0.375, 12);
    expect(process.exitCode).toBeUndefined();
  });

  it('bad input: a clear error and exit code 2', async () => {
    const log = genericLog();
    let r = await run([log, '--format', 'generic', '--action-col', 'offer']);
    expect(r.err).toMatch(/^error: --format generic needs --reward-col, --propensity-col/);
    expect(process.exitCode).toBe(2);
    process.exitCode = undefined;
    r = await run([log, '--format', 'generic', '--action-col', 'offer', '--reward-col', 'clicked', '--propensity-col', 'segment']);
    expect(r.err).toMatch(/the propensity column "segment" holds "x", not a number/);
    expect(process.exitCode).toBe(2);
    process.exitCode = undefined;
    r = await run([log, '--seed', 'abc']);
    expect(r.err).toMatch(/--seed must be a number, got "abc"/);
    expect(process.exitCode).toBe(2);
    process.exitCode = undefined;
    r = await run([join(dir, 'absent.csv')]);
    expect(r.err).toMatch(/no such file/);
    expect(process.exitCode).toBe(2);
  });
});

// ---------------------------------------------------------------------------------------------
// The real data: the Open Bandit Dataset sample in ../shared/data (see its README).

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const obd = resolve(repoRoot, '../shared/data/open-bandit');
const randomLog = join(obd, 'random/men.csv');
const btsLog = join(obd, 'bts/men.csv');
const haveData = existsSync(randomLog) && existsSync(btsLog);
if (!haveData) console.warn(`skipping the Open Bandit tests: ${obd} is absent (CI always has ../shared/data)`);

describe.skipIf(!haveData)(`Open Bandit Dataset (${haveData ? 'random and bts men.csv' : `SKIPPED: ${obd} absent`})`, () => {
  it('uniform on the random log: IPS is exactly the logged click rate 46/10,000; BTS estimated from the random log', async () => {
    const report = await runOpe({
      log: randomLog,
      format: 'obd',
      policies: [{ kind: 'uniform' }, { kind: 'from-log', path: btsLog }],
      compare: btsLog,
      bootstrap: 100,
      seed: 1,
    });
    expect(report.log.rows).toBe(10_000);
    expect(report.log.rewardSum).toBe(46);
    expect(report.log.actions).toBe(34);
    expect(report.compare!.rewardSum).toBe(69);
    const [uniform, bts] = report.policies;
    // Logged propensity 1/34 and pi = 1/34: every weight is 1, so IPS = SNIPS = 46 / 10,000.
    expect(uniform!.estimates.ips.estimate).toBeCloseTo(0.0046, 12);
    expect(uniform!.estimates.snips.estimate).toBeCloseTo(0.0046, 12);
    expect(uniform!.diagnostics.maxWeight).toBeCloseTo(1, 12);
    expect(uniform!.estimates.ips.low).toBeLessThan(0.0046);
    expect(uniform!.estimates.ips.high).toBeGreaterThan(0.0046);

    // BTS from the random log: the bts log's own 69/10,000 lies inside the 95% interval of IPS,
    // SNIPS and DR. The point estimate (0.0057) sits between the two logged rates: the random log's
    // 46 clicks (10 of them at position 1) put it below 0.0069 (see the report).
    const c = 0.0069;
    for (const k of ['ips', 'snips', 'dr'] as const) {
      const e = bts!.estimates[k];
      expect(e.low).toBeLessThanOrEqual(c);
      expect(e.high).toBeGreaterThanOrEqual(c);
    }
    expect(bts!.estimates.ips.estimate).toBeGreaterThan(0.0046);
    expect(bts!.estimates.ips.estimate).toBeLessThan(c);
    expect(bts!.diagnostics.meanWeight).toBeGreaterThan(0.95);
    expect(bts!.diagnostics.meanWeight).toBeLessThan(1.05);
  }, 120_000);
});
