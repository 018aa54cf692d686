/**
 * Invariants of the simulator: reproducible for a seed, different for another seed, the oracle
 * never beaten in expectation, contacts counted consistently, lost customers never contacted
 * again, contact policies honoured through the real pipeline, the hidden truth in range, and the
 * report, charts and CLI options.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { parseSimulateFlags, registerSimulateCommand, OptionError } from '../cli/simulate.js';
import { buildReport, cumulativeChartSvg, formatReport, reportJson, rollingChartSvg } from './report.js';
import { runSimulation, runStrategy, simulationCatalog, type ContactEvent, type SimulationConfig, type SimulationResult } from './run.js';
import { STRATEGY_IDS, type StrategyId } from './strategies.js';
import { uniform } from './streams.js';
import { ACTION_TRUTH, MAX_PROPENSITY, SIM_CHANNELS } from './truth.js';
import { InteractionHistory } from './contact.js';
import { ContactPolicyEvaluator } from '../core/policy/contact.js';
import { World } from './world.js';
import type { CustomerPreferences } from '../core/types.js';

const SMALL: SimulationConfig = { customers: 2000, days: 20, seed: 7, start: '2026-03-02' };

describe('simulation', () => {
  let result: SimulationResult;
  const contacts = new Map<StrategyId, ContactEvent[]>();
  const lostOnDay = new Map<StrategyId, Int16Array>();
  let preferences: CustomerPreferences[] = [];

  beforeAll(() => {
    const strategies = STRATEGY_IDS.map((id) => {
      const events: ContactEvent[] = [];
      contacts.set(id, events);
      const r = runStrategy(id, SMALL, {
        onContact: (event, world) => {
          events.push(event);
          if (!lostOnDay.has(id)) lostOnDay.set(id, world.lostOnDay);
          preferences = world.preferences;
        },
      });
      return r;
    });
    result = { config: SMALL, customers: SMALL.customers, strategies };
  }, 120_000);

  it('is reproducible: the same seed gives the identical JSON report', async () => {
    const again = await runSimulation(SMALL, { workers: 1 });
    expect(reportJson(buildReport(again))).toBe(reportJson(buildReport(result)));
  }, 120_000);

  it('differs for another seed', async () => {
    const other = await runSimulation({ ...SMALL, seed: 8 }, { workers: 1, strategies: ['segments', 'oracle'] });
    const mine = result.strategies.filter((s) => s.id === 'segments' || s.id === 'oracle');
    expect(other.strategies.map((s) => s.contacts)).not.toEqual(mine.map((s) => s.contacts));
    expect(other.strategies.map((s) => s.expectedPositives)).not.toEqual(mine.map((s) => s.expectedPositives));
  }, 120_000);

  it('never lets a strategy beat the oracle in expected positives or expected value', () => {
    const oracle = result.strategies.find((s) => s.id === 'oracle')!;
    for (const s of result.strategies) {
      expect(oracle.expectedPositives).toBeGreaterThanOrEqual(s.expectedPositives);
      expect(oracle.expectedValue).toBeGreaterThanOrEqual(s.expectedValue);
    }
  });

  it('counts contacts consistently', () => {
    for (const s of result.strategies) {
      const events = contacts.get(s.id)!;
      expect(s.contacts).toBe(events.length);
      expect(s.inboundContacts + s.outboundContacts).toBe(s.contacts);
      expect(s.daily.contacts.reduce((a, b) => a + b, 0)).toBe(s.contacts);
      expect(Object.values(s.byChannel).reduce((a, t) => a + t.contacts, 0)).toBe(s.contacts);
      expect(Object.values(s.byIssue).reduce((a, t) => a + t.contacts, 0)).toBe(s.contacts);
      expect(s.positives).toBe(events.filter((e) => e.positive).length);
      expect(s.positives).toBeLessThanOrEqual(s.contacts);
      expect(s.expectedPositives).toBeCloseTo(events.reduce((a, e) => a + e.propensity, 0), 6);
      expect(s.irrelevantContacts).toBe(events.filter((e) => e.propensity < 0.01).length);
      expect(s.decisions).toBeGreaterThanOrEqual(s.contacts);
      expect(s.contacts).toBeGreaterThan(0);
    }
  });

  it('never contacts a customer again after they left, and the lost count only grows', () => {
    for (const s of result.strategies) {
      const lost = lostOnDay.get(s.id)!;
      for (const e of contacts.get(s.id)!) {
        const left = lost[e.customer]!;
        if (left >= 0) expect(e.day).toBeLessThan(left);
      }
      for (let d = 1; d < s.daily.lost.length; d++) expect(s.daily.lost[d]!).toBeGreaterThanOrEqual(s.daily.lost[d - 1]!);
      expect(s.daily.lost.at(-1)).toBe(s.customersLost);
      expect([...lost].filter((d) => d >= 0).length).toBe(s.customersLost);
    }
  });

  it('honours the catalog\'s contact limits through the pipeline (the status quo has none)', () => {
    const catalog = simulationCatalog();
    const limits = catalog.contactPolicies.limits;
    expect(limits.length).toBeGreaterThan(0);
    for (const id of ['random', 'nba-frozen', 'nba-learning', 'oracle'] as const) {
      const outbound = new Map<number, ContactEvent[]>();
      for (const e of contacts.get(id)!) {
        const action = catalog.actionsById.get(e.action)!;
        if ((e.channel !== 'email' && e.channel !== 'push') || action.transactional || action.mandatory) continue;
        const list = outbound.get(e.customer) ?? [];
        list.push(e);
        outbound.set(e.customer, list);
      }
      for (const list of outbound.values()) {
        for (const limit of limits) {
          for (const e of list) {
            const inWindow = list.filter((o) => o.day <= e.day && o.day > e.day - limit.periodDays && (limit.channel === 'all' || o.channel === limit.channel));
            expect(inWindow.length).toBeLessThanOrEqual(limit.max);
          }
        }
      }
    }
  });

  it('honours every customer\'s consent and channel choices, in every strategy', () => {
    const catalog = simulationCatalog();
    expect(preferences.some((p) => p.marketingConsent === false)).toBe(true);
    expect(preferences.some((p) => p.optedOutChannels.length > 0)).toBe(true);
    for (const id of STRATEGY_IDS) {
      for (const e of contacts.get(id)!) {
        const p = preferences[e.customer]!;
        const action = catalog.actionsById.get(e.action)!;
        const outbound = e.channel === 'email' || e.channel === 'push';
        expect(p.optedOutChannels).not.toContain(e.channel);
        if (action.marketing) expect(p.marketingConsent === false || (outbound && p.marketingConsent === null)).toBe(false);
        if (outbound && p.preferredChannels.length > 0) expect(p.preferredChannels).toContain(e.channel);
      }
    }
  });

  it('feeds the pipeline\'s suppressions from the simulated interaction history', () => {
    const catalog = simulationCatalog();
    const start = new Date(`${SMALL.start}T00:00:00Z`);
    const history = new InteractionHistory(3, catalog, start, 30);
    const web = catalog.channels.get('web')!;
    const a = catalog.actions.findIndex((x) => x.id === 'savings-account');
    const action = catalog.actions[a]!;
    const repeat = catalog.contactPolicies.suppressions.find(
      (p) => p.scope === 'action' && p.channel === 'all' && ['impression', 'decided', 'ignored', 'negative'].includes(p.when.outcome) && p.when.count <= 3 && p.when.withinDays >= 3,
    );
    expect(repeat, 'the demo catalog suppresses an action shown repeatedly without response').toBeDefined();
    for (let day = 0; day < repeat!.when.count; day++) history.record(0, day, 'web', a, 'ignored');
    const today = repeat!.when.count;
    const dayName = new Date(start.getTime() + today * 86_400_000).toISOString().slice(0, 10);
    const found = new ContactPolicyEvaluator(catalog, web, history.rows(0, today), dayName, undefined).check(action);
    expect(found?.policy).toBe(repeat!.name);
    // A positive response in between: no suppression for "without a positive" rules.
    history.record(1, 0, 'web', a, 'ignored');
    history.record(1, 1, 'web', a, 'accepted');
    history.record(1, 2, 'web', a, 'ignored');
    const other = new ContactPolicyEvaluator(catalog, web, history.rows(1, today), dayName, undefined).check(action);
    if (repeat!.when.withoutPositive) expect(other?.policy).not.toBe(repeat!.name);
    expect(history.rows(1, today).filter((r) => r.outcome === 'decided')).toHaveLength(3);
    expect(history.contactCount(1)).toBe(3);
    expect(history.rows(2, today)).toEqual([]);
  });

  it('reports shares in range and the same population for every strategy', () => {
    const report = buildReport(result);
    for (const s of report.strategies) {
      expect(s.irrelevantShare).toBeGreaterThanOrEqual(0);
      expect(s.irrelevantShare).toBeLessThanOrEqual(1);
      expect(s.responseRate).toBeGreaterThanOrEqual(0);
      expect(s.responseRate).toBeLessThanOrEqual(1);
      expect(s.regretVsOracle!).toBeGreaterThanOrEqual(0);
      expect(s.regretVsOracle!).toBeLessThan(1);
    }
    expect(report.strategies.find((s) => s.id === 'segments')!.liftOverSegments).toBe(1);
    expect(report.strategies.find((s) => s.id === 'oracle')!.regretVsOracle).toBe(0);
    expect(report.goals).toHaveLength(3);
    // Life events are drawn from the world stream, so every strategy sees the same events
    // (apart from events of customers who already left under that strategy).
    const events = result.strategies.map((s) => s.lifeEvents.travel);
    expect(Math.max(...events) - Math.min(...events)).toBeLessThanOrEqual(Math.max(2, Math.max(...events) * 0.05));
  });

  it('writes a table, JSON and SVG charts', () => {
    const report = buildReport(result);
    const text = formatReport(report);
    for (const s of result.strategies) expect(text).toContain(s.name);
    const json = JSON.parse(reportJson(report)) as { strategies: unknown[]; cumulativeResponseRate: Record<string, number[]> };
    expect(json.strategies).toHaveLength(5);
    expect(json.cumulativeResponseRate['oracle']).toHaveLength(SMALL.days);
    for (const svg of [cumulativeChartSvg(report), rollingChartSvg(report)]) {
      expect(svg.startsWith('<svg')).toBe(true);
      expect(svg.trimEnd().endsWith('</svg>')).toBe(true);
      expect(svg.match(/<polyline/g)).toHaveLength(5);
      expect(svg).not.toContain('NaN');
    }
  });
});

describe('world and truth', () => {
  const catalog = simulationCatalog();

  it('has a hidden truth for every demo-catalog action, always within [0, 0.95]', () => {
    for (const a of catalog.actions) expect(ACTION_TRUTH[a.id]).toBeDefined();
    const world = new World({ customers: 300, days: 5, seed: 1, start: new Date('2026-03-02T00:00:00Z') }, catalog);
    for (let c = 0; c < world.n; c++) {
      for (let a = 0; a < world.A; a++) {
        for (const channel of SIM_CHANNELS) {
          const p = world.propensity(c, a, channel, { page: 'mortgages', reason: 'travel', intent: 'cancel', event: 'salary-in' }, 0);
          expect(p).toBeGreaterThanOrEqual(0);
          expect(p).toBeLessThanOrEqual(MAX_PROPENSITY);
        }
      }
    }
  });

  it('draws the same world for the same seed and a different one for another', () => {
    const config = { customers: 200, days: 30, seed: 3, start: new Date('2026-03-02T00:00:00Z') };
    const a = new World(config, catalog);
    const b = new World(config, catalog);
    const c = new World({ ...config, seed: 4 }, catalog);
    expect([...a.idiosyncrasy]).toEqual([...b.idiosyncrasy]);
    expect(a.eventsByDay).toEqual(b.eventsByDay);
    expect([...a.idiosyncrasy]).not.toEqual([...c.idiosyncrasy]);
  });

  it('uses counter-based streams: a draw depends only on its coordinates', () => {
    expect(uniform(1, 2, 3, 4, 5)).toBe(uniform(1, 2, 3, 4, 5));
    expect(uniform(1, 2, 3, 4, 5)).not.toBe(uniform(1, 2, 3, 4, 6));
    let sum = 0;
    for (let i = 0; i < 10_000; i++) sum += uniform(9, 1, i, 0);
    expect(sum / 10_000).toBeGreaterThan(0.48);
    expect(sum / 10_000).toBeLessThan(0.52);
  });

  it('makes fatigue lower the truth and a lost customer uncontactable', () => {
    const world = new World({ customers: 50, days: 5, seed: 2, start: new Date('2026-03-02T00:00:00Z') }, catalog);
    const ctx = { page: 'none', reason: 'none', intent: 'none', event: 'none' };
    const a = world.actionIndex.get('savings-account')!;
    const before = world.propensity(10, a, 'web', ctx, 0);
    world.fatigue[10] = 1;
    world.fatigueDay[10] = 0;
    expect(world.propensity(10, a, 'web', ctx, 0)).toBeCloseTo(before * Math.exp(-1), 9);
    world.lost[10] = 1;
    expect(() => world.respond(10, a, 'web', ctx, 0, 0)).toThrow(/cannot be contacted/);
  });
});

describe('worker threads', () => {
  it('give the same results as running in process', async () => {
    const config: SimulationConfig = { customers: 300, days: 6, seed: 11, start: '2026-03-02' };
    const strategies: StrategyId[] = ['segments', 'nba-learning'];
    const inProcess = await runSimulation(config, { workers: 1, strategies });
    const threaded = await runSimulation(config, { workers: 2, strategies });
    expect(reportJson(buildReport(threaded))).toBe(reportJson(buildReport(inProcess)));
  }, 120_000);
});

describe('nextbest simulate (CLI)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'nextbest-sim-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  const defaults = { customers: '100000', days: '90', seed: '42', start: '2026-03-02' };

  it('validates options with clear messages', () => {
    expect(() => parseSimulateFlags({ ...defaults, customers: '0' })).toThrow(OptionError);
    expect(() => parseSimulateFlags({ ...defaults, customers: '1e5' })).toThrow(/--customers must be an integer/);
    expect(() => parseSimulateFlags({ ...defaults, days: '-3' })).toThrow(/--days/);
    expect(() => parseSimulateFlags({ ...defaults, seed: 'x' })).toThrow(/--seed/);
    expect(() => parseSimulateFlags({ ...defaults, start: '2026-13-45' })).toThrow(/--start/);
    expect(() => parseSimulateFlags({ ...defaults, strategies: 'oracle,magic' })).toThrow(/unknown: magic/);
    const ok = parseSimulateFlags({ ...defaults, strategies: 'oracle,segments', workers: '1' });
    expect(ok.strategies).toEqual(['segments', 'oracle']);
    expect(ok.config).toEqual({ customers: 100000, days: 90, seed: 42, start: '2026-03-02' });
  });

  it('exits with code 2 on a bad option', async () => {
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const program = new Command().exitOverride();
    registerSimulateCommand(program);
    await program.parseAsync(['node', 'nextbest', 'simulate', '--days', 'ten']);
    expect(process.exitCode).toBe(2);
    expect(String(stderr.mock.calls[0]?.[0])).toContain('--days must be an integer');
    process.exitCode = 0;
    stderr.mockRestore();
  });

  it('prints JSON and writes the report and charts with --out', async () => {
    const stdout = vi.spyOn(process.stdout, 'write').mockImplementation(() => true);
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const program = new Command().exitOverride();
    registerSimulateCommand(program);
    await program.parseAsync(['node', 'nextbest', 'simulate', '--customers', '200', '--days', '4', '--seed', '5', '--workers', '1', '--json', '--out', dir]);
    const printed = stdout.mock.calls.map((c) => String(c[0])).join('');
    stdout.mockRestore();
    stderr.mockRestore();
    const json = JSON.parse(printed) as { customers: number; strategies: Array<{ id: string }> };
    expect(json.customers).toBe(200);
    expect(json.strategies.map((s) => s.id)).toEqual([...STRATEGY_IDS]);
    expect(readFileSync(join(dir, 'simulation.json'), 'utf8').trim()).toBe(printed.trim());
    expect(readFileSync(join(dir, 'response-rate-cumulative.svg'), 'utf8')).toContain('<polyline');
    expect(readFileSync(join(dir, 'summary.txt'), 'utf8')).toContain('Oracle');
  }, 60_000);
});
