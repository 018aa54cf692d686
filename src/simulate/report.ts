/**
 * Reporting of a simulation: the per-strategy figures (response rate, lift over the segment
 * campaigns, regret against the oracle, contacts per customer, irrelevant share, customers lost,
 * value), the goals of issue 5 checked against them, a plain-text table, the JSON document and
 * line charts written as SVG by hand (no chart library).
 */
import type { SimulationResult, StrategyResult } from './run.js';
import type { StrategyId } from './strategies.js';

export interface StrategySummary {
  id: StrategyId;
  name: string;
  /** Decision opportunities: visits and outbound batch entries. */
  decisions: number;
  contacts: number;
  contactsPerCustomer: number;
  inboundContactsPerCustomer: number;
  outboundContactsPerCustomer: number;
  positives: number;
  /** Positives / contacts. */
  responseRate: number;
  /** Sum of the contacts' true propensities: positives in expectation. */
  expectedPositives: number;
  expectedResponseRate: number;
  /** Response rate over the final window (see `finalWindowDays`). */
  finalResponseRate: number;
  /** responseRate / the segment campaigns' responseRate (undefined without segments). */
  liftOverSegments: number | undefined;
  /** 1 - expectedPositives / the oracle's expectedPositives (undefined without the oracle). */
  regretVsOracle: number | undefined;
  /** Share of contacts whose true propensity was below 1%. */
  irrelevantShare: number;
  customersLost: number;
  /** EUR: catalog value V of every positive response. */
  valueCaptured: number;
  expectedValue: number;
}

export interface GoalCheck {
  goal: string;
  met: boolean;
  detail: string;
}

export interface SimulationReport {
  config: SimulationResult['config'];
  customers: number;
  finalWindowDays: number;
  strategies: StrategySummary[];
  goals: GoalCheck[];
  lifeEvents: StrategyResult['lifeEvents'];
  /** Catalog actions without a specific hidden truth (flat 1% need). */
  genericTruthActions: string[];
  byChannel: Record<string, StrategyResult['byChannel']>;
  byIssue: Record<string, StrategyResult['byIssue']>;
  /** Per strategy, per day: cumulative response rate (positives / contacts so far). */
  cumulativeResponseRate: Record<string, number[]>;
  /** Per strategy, per day: the day's contacts and positives. */
  daily: Record<string, StrategyResult['daily']>;
}

const ratio = (a: number, b: number): number => (b > 0 ? a / b : 0);

/** The final window: the last quarter of the period, at most 14 days. */
export function finalWindow(days: number): number {
  return Math.max(1, Math.min(14, Math.floor(days / 4)));
}

export function buildReport(result: SimulationResult): SimulationReport {
  const n = result.customers;
  const days = result.config.days;
  const window = finalWindow(days);
  const byId = new Map(result.strategies.map((s) => [s.id, s]));
  const segments = byId.get('segments');
  const oracle = byId.get('oracle');
  const finalRate = (s: StrategyResult): number => {
    let contacts = 0;
    let positives = 0;
    for (let d = days - window; d < days; d++) {
      contacts += s.daily.contacts[d] ?? 0;
      positives += s.daily.positives[d] ?? 0;
    }
    return ratio(positives, contacts);
  };
  const strategies: StrategySummary[] = result.strategies.map((s) => ({
    id: s.id,
    name: s.name,
    decisions: s.decisions,
    contacts: s.contacts,
    contactsPerCustomer: s.contacts / n,
    inboundContactsPerCustomer: s.inboundContacts / n,
    outboundContactsPerCustomer: s.outboundContacts / n,
    positives: s.positives,
    responseRate: ratio(s.positives, s.contacts),
    expectedPositives: s.expectedPositives,
    expectedResponseRate: ratio(s.expectedPositives, s.contacts),
    finalResponseRate: finalRate(s),
    liftOverSegments: segments && segments.positives > 0 ? ratio(s.positives, s.contacts) / ratio(segments.positives, segments.contacts) : undefined,
    regretVsOracle: oracle && oracle.expectedPositives > 0 ? 1 - s.expectedPositives / oracle.expectedPositives : undefined,
    irrelevantShare: ratio(s.irrelevantContacts, s.contacts),
    customersLost: s.customersLost,
    valueCaptured: s.value,
    expectedValue: s.expectedValue,
  }));

  const goals: GoalCheck[] = [];
  const get = (id: StrategyId): StrategySummary | undefined => strategies.find((s) => s.id === id);
  const learning = get('nba-learning');
  const seg = get('segments');
  const orc = get('oracle');
  if (learning && seg) {
    const lift = ratio(learning.responseRate, seg.responseRate);
    const finalLift = ratio(learning.finalResponseRate, seg.finalResponseRate);
    goals.push({
      goal: 'NBA with learning reaches >= 3x the segment campaigns\' response rate',
      met: finalLift >= 3,
      detail: `final ${window} days: ${pct(learning.finalResponseRate)} vs ${pct(seg.finalResponseRate)} = ${finalLift.toFixed(2)}x; whole period ${lift.toFixed(2)}x`,
    });
    goals.push({
      goal: 'NBA with learning uses fewer contacts per customer than the segment campaigns',
      met: learning.contactsPerCustomer < seg.contactsPerCustomer,
      detail: `${learning.contactsPerCustomer.toFixed(2)} vs ${seg.contactsPerCustomer.toFixed(2)} (outbound ${learning.outboundContactsPerCustomer.toFixed(2)} vs ${seg.outboundContactsPerCustomer.toFixed(2)})`,
    });
  }
  if (learning && orc) {
    const share = ratio(learning.finalResponseRate, orc.finalResponseRate);
    goals.push({
      goal: 'NBA with learning is within 20% of the oracle by the end of the period',
      met: share >= 0.8,
      detail: `final ${window} days: ${pct(learning.finalResponseRate)} vs ${pct(orc.finalResponseRate)} = ${(share * 100).toFixed(0)}% of the oracle's response rate; whole period ${(ratio(learning.expectedPositives, orc.expectedPositives) * 100).toFixed(0)}% of its expected positives`,
    });
  }

  const cumulativeResponseRate: Record<string, number[]> = {};
  for (const s of result.strategies) {
    let c = 0;
    let p = 0;
    cumulativeResponseRate[s.id] = s.daily.contacts.map((contacts, d) => {
      c += contacts;
      p += s.daily.positives[d] ?? 0;
      return ratio(p, c);
    });
  }
  const first = result.strategies[0];
  return {
    config: result.config,
    customers: n,
    finalWindowDays: window,
    strategies,
    goals,
    lifeEvents: first ? first.lifeEvents : ({} as StrategyResult['lifeEvents']),
    genericTruthActions: first ? first.genericTruthActions : [],
    byChannel: Object.fromEntries(result.strategies.map((s) => [s.id, s.byChannel])),
    byIssue: Object.fromEntries(result.strategies.map((s) => [s.id, s.byIssue])),
    cumulativeResponseRate,
    daily: Object.fromEntries(result.strategies.map((s) => [s.id, s.daily])),
  };
}

// ------------------------------------------------------------------------------------ text

function pct(x: number, digits = 2): string {
  return `${(x * 100).toFixed(digits)}%`;
}
const int = new Intl.NumberFormat('en-US', { maximumFractionDigits: 0 });

/** Aligns rows of cells into columns (first column left, the others right). */
function table(rows: string[][]): string {
  const widths: number[] = [];
  for (const r of rows) r.forEach((c, i) => (widths[i] = Math.max(widths[i] ?? 0, c.length)));
  return rows.map((r) => r.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join('  ').trimEnd()).join('\n');
}

export function formatReport(report: SimulationReport): string {
  const { config } = report;
  const lines: string[] = [];
  lines.push(
    `Simulated bank: ${int.format(report.customers)} customers, ${config.days} days from ${config.start}, seed ${config.seed}; ` +
      `demo catalog through the real decision pipeline`,
  );
  const events = Object.entries(report.lifeEvents)
    .map(([k, v]) => `${k} ${int.format(v)}`)
    .join(', ');
  lines.push(`Life events: ${events}`);
  if (report.genericTruthActions.length > 0) {
    lines.push(`Warning: no specific hidden truth for ${report.genericTruthActions.join(', ')} (a flat 1% need; see src/simulate/truth.ts)`);
  }
  lines.push('');
  lines.push(
    table([
      ['strategy', 'contacts/cust', 'in/out', 'response rate', `last ${report.finalWindowDays}d`, 'lift vs seg', 'regret vs oracle', 'irrelevant', 'lost', 'value (EUR)'],
      ...report.strategies.map((s) => [
        s.name,
        s.contactsPerCustomer.toFixed(2),
        `${s.inboundContactsPerCustomer.toFixed(2)}/${s.outboundContactsPerCustomer.toFixed(2)}`,
        pct(s.responseRate),
        pct(s.finalResponseRate),
        s.liftOverSegments === undefined ? '-' : `${s.liftOverSegments.toFixed(2)}x`,
        s.regretVsOracle === undefined ? '-' : pct(s.regretVsOracle, 1),
        pct(s.irrelevantShare, 1),
        int.format(s.customersLost),
        int.format(s.valueCaptured),
      ]),
    ]),
  );
  lines.push('');
  lines.push('response rate = positive responses / contacts; regret = share of the oracle\'s expected positives not reached');
  lines.push('(expected positives = sum of the true propensities of the contacts made); irrelevant = true propensity < 1%.');
  if (report.goals.length > 0) {
    lines.push('');
    lines.push('Goals (issue 5)');
    for (const g of report.goals) lines.push(`  [${g.met ? 'met' : 'NOT met'}] ${g.goal}: ${g.detail}`);
  }
  return lines.join('\n') + '\n';
}

/** The JSON document of `--json` and `<out>/simulation.json`. */
export function reportJson(report: SimulationReport): string {
  return JSON.stringify(report, (_key, value: unknown) => (typeof value === 'number' && !Number.isInteger(value) ? Math.round(value * 1e6) / 1e6 : value), 2);
}

// ------------------------------------------------------------------------------------- SVG

const COLORS: Readonly<Record<string, string>> = {
  segments: '#7f7f7f',
  random: '#bcbd22',
  'nba-frozen': '#1f77b4',
  'nba-learning': '#d62728',
  oracle: '#2ca02c',
};

export interface ChartSeries {
  id: string;
  label: string;
  values: number[];
}

function escapeXml(text: string): string {
  return text.replace(/[<>&"']/g, (ch) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;', "'": '&apos;' })[ch] ?? ch);
}

/** A step for axis ticks: 1, 2 or 5 x 10^k, giving about `target` ticks over `span`. */
function niceStep(span: number, target: number): number {
  if (!(span > 0)) return 1;
  const raw = span / target;
  const power = 10 ** Math.floor(Math.log10(raw));
  const m = raw / power;
  return (m <= 1 ? 1 : m <= 2 ? 2 : m <= 5 ? 5 : 10) * power;
}

/** A line chart of per-day values (x = day 1..n), y as percentages. */
export function lineChartSvg(title: string, subtitle: string, yLabel: string, series: ChartSeries[]): string {
  const width = 860;
  const height = 480;
  const left = 64;
  const right = 250;
  const top = 64;
  const bottom = 52;
  const plotW = width - left - right;
  const plotH = height - top - bottom;
  const days = Math.max(1, ...series.map((s) => s.values.length));
  const maxY = Math.max(1e-9, ...series.flatMap((s) => s.values.filter((v) => Number.isFinite(v))));
  const yStep = niceStep(maxY * 100, 6) / 100;
  const yMax = Math.ceil((maxY * 1.05) / yStep) * yStep;
  const x = (d: number): number => left + (days <= 1 ? plotW / 2 : (d / (days - 1)) * plotW);
  const y = (v: number): number => top + plotH - (v / yMax) * plotH;
  const out: string[] = [];
  out.push(`<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="Helvetica, Arial, sans-serif" font-size="12">`);
  out.push(`<rect width="${width}" height="${height}" fill="#ffffff"/>`);
  out.push(`<text x="${left}" y="26" font-size="16" font-weight="bold">${escapeXml(title)}</text>`);
  out.push(`<text x="${left}" y="46" fill="#555555">${escapeXml(subtitle)}</text>`);
  // Y grid and labels.
  for (let v = 0; v <= yMax + yStep / 2; v += yStep) {
    const yy = y(v).toFixed(1);
    out.push(`<line x1="${left}" y1="${yy}" x2="${left + plotW}" y2="${yy}" stroke="#e5e5e5"/>`);
    out.push(`<text x="${left - 8}" y="${yy}" text-anchor="end" dominant-baseline="middle" fill="#333333">${(v * 100).toFixed(yStep * 100 < 1 ? 1 : 0)}%</text>`);
  }
  // X ticks (days).
  const xStep = niceStep(days, 8);
  for (let d = 0; d <= days; d += xStep) {
    const dd = Math.min(days - 1, Math.max(0, d - 1));
    const xx = x(dd).toFixed(1);
    out.push(`<line x1="${xx}" y1="${top + plotH}" x2="${xx}" y2="${top + plotH + 5}" stroke="#333333"/>`);
    out.push(`<text x="${xx}" y="${top + plotH + 18}" text-anchor="middle" fill="#333333">${d === 0 ? 1 : d}</text>`);
  }
  out.push(`<line x1="${left}" y1="${top + plotH}" x2="${left + plotW}" y2="${top + plotH}" stroke="#333333"/>`);
  out.push(`<line x1="${left}" y1="${top}" x2="${left}" y2="${top + plotH}" stroke="#333333"/>`);
  out.push(`<text x="${left + plotW / 2}" y="${height - 12}" text-anchor="middle" fill="#333333">day</text>`);
  out.push(`<text transform="translate(16 ${top + plotH / 2}) rotate(-90)" text-anchor="middle" fill="#333333">${escapeXml(yLabel)}</text>`);
  // Lines and legend.
  series.forEach((s, i) => {
    const color = COLORS[s.id] ?? '#000000';
    const points = s.values.map((v, d) => `${x(d).toFixed(1)},${y(Number.isFinite(v) ? v : 0).toFixed(1)}`).join(' ');
    out.push(`<polyline fill="none" stroke="${color}" stroke-width="2" points="${points}"/>`);
    const ly = top + 10 + i * 22;
    const last = s.values[s.values.length - 1] ?? 0;
    out.push(`<line x1="${left + plotW + 16}" y1="${ly}" x2="${left + plotW + 40}" y2="${ly}" stroke="${color}" stroke-width="3"/>`);
    out.push(`<text x="${left + plotW + 46}" y="${ly}" dominant-baseline="middle">${escapeXml(s.label)} ${(last * 100).toFixed(2)}%</text>`);
  });
  out.push('</svg>');
  return out.join('\n') + '\n';
}

/** Chart of the cumulative response rate per strategy over the period. */
export function cumulativeChartSvg(report: SimulationReport): string {
  const series = report.strategies.map((s) => ({ id: s.id, label: shortName(s.id), values: report.cumulativeResponseRate[s.id] ?? [] }));
  return lineChartSvg(
    'Cumulative positive-response rate per strategy',
    `${int.format(report.customers)} customers, ${report.config.days} days from ${report.config.start}, seed ${report.config.seed}`,
    'positive responses / contacts, cumulative',
    series,
  );
}

/** Chart of the 7-day rolling response rate (shows learning over time). */
export function rollingChartSvg(report: SimulationReport, span = 7): string {
  const series = report.strategies.map((s) => {
    const daily = report.daily[s.id]!;
    const values = daily.contacts.map((_, d) => {
      let c = 0;
      let p = 0;
      for (let k = Math.max(0, d - span + 1); k <= d; k++) {
        c += daily.contacts[k] ?? 0;
        p += daily.positives[k] ?? 0;
      }
      return ratio(p, c);
    });
    return { id: s.id, label: shortName(s.id), values };
  });
  return lineChartSvg(
    `Positive-response rate per strategy, ${span}-day rolling`,
    `${int.format(report.customers)} customers, ${report.config.days} days from ${report.config.start}, seed ${report.config.seed}`,
    `positive responses / contacts, last ${span} days`,
    series,
  );
}

function shortName(id: StrategyId): string {
  return { segments: 'Segment campaigns', random: 'Random eligible', 'nba-frozen': 'NBA frozen priors', 'nba-learning': 'NBA learning', oracle: 'Oracle' }[id];
}
