/**
 * Regenerates the README's walk-through from a real run: starts the service with its embedded
 * defaults (demo bank, fresh SQLite file, seeded random source) on a free port, sends the curl
 * requests shown in the README, and writes each command with the service's actual answer between
 * the README's walkthrough markers. `npx tsx scripts/walkthrough.ts` (add --print to only print).
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { resolveServeSettings } from '../src/config/settings.js';
import { startServer } from '../src/server.js';

interface Step {
  title: string;
  method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  path: string;
  body?: unknown;
  /** Shapes the answer for display (the full answer is what the service sent). */
  show?: (answer: any) => unknown;
  note?: (answer: any) => string;
}

const dir = mkdtempSync(join(tmpdir(), 'nextbest-walkthrough-'));
const server = await startServer(resolveServeSettings({ db: join(dir, 'nextbest.db'), seed: '2026' }, {}), { modelFlushMs: 0 });
const address = await server.app.listen({ port: 0, host: '127.0.0.1' });
const port = Number(new URL(address).port);
const out: string[] = [];
const context: Record<string, any> = {};

async function run(step: Step): Promise<any> {
  const body = step.body === undefined ? undefined : JSON.stringify(step.body);
  const res = await fetch(`http://127.0.0.1:${port}${step.path}`, {
    method: step.method,
    ...(body ? { headers: { 'content-type': 'application/json' }, body } : {}),
  });
  const text = await res.text();
  const answer = res.headers.get('content-type')?.includes('json') ? JSON.parse(text) : text;
  const curl = [
    `curl -s${step.method === 'GET' ? '' : ` -X ${step.method}`} localhost:8080${step.path}`,
    ...(body ? [`-H 'content-type: application/json' -d '${body}'`] : []),
  ].join(' \\\n     ');
  out.push(`### ${step.title}`, '', '```sh', curl, '```', '', `HTTP ${res.status}`, '', '```json', JSON.stringify(step.show ? step.show(answer) : answer, null, 2), '```', '');
  if (step.note) out.push(step.note(answer), '');
  return answer;
}

const explanationTable = (answer: any): string =>
  [
    'Every candidate of that decision, from its explanation (`stage` is `selected` or the stage that removed it):',
    '',
    '| action | stage | reason |',
    '|---|---|---|',
    ...answer.explanation.map((e: any) => `| ${e.actionId} | ${e.stage} | ${String(e.reason).replace(/\|/g, '\\|')} |`),
  ].join('\n');

try {
  await run({ title: 'Is it up?', method: 'GET', path: '/health' });
  await run({
    title: 'A demo customer: C000001, a 34-year-old parent of two in Lisbon',
    method: 'GET',
    path: '/v1/customers/C000001',
  });
  const decision = await run({
    title: 'The next best action for C000001 on the web, with its explanation',
    method: 'POST',
    path: '/v1/decisions',
    body: { customerId: 'C000001', channel: 'web', limit: 2, explain: true },
    show: (a) => ({ ...a, explanation: [...a.explanation.slice(0, 3), `... ${a.explanation.length - 3} more candidates (table below)`] }),
    note: explanationTable,
  });
  context['decision'] = decision;
  const first = decision.actions[0];
  await run({
    title: 'The customer clicked: report the response (it teaches the model)',
    method: 'POST',
    path: '/v1/responses',
    body: { decisionId: decision.decisionId, actionId: first.actionId, outcome: 'clicked' },
  });
  await run({
    title: 'The same response again is counted once',
    method: 'POST',
    path: '/v1/responses',
    body: { decisionId: decision.decisionId, actionId: first.actionId, outcome: 'clicked' },
  });
  await run({ title: 'What the model has learnt so far', method: 'GET', path: '/v1/models' });
  await run({
    title: 'An anonymous visitor on the web site: decided on the context alone',
    method: 'POST',
    path: '/v1/decisions',
    body: { customerId: 'visitor-7f3a', channel: 'web', context: { page: 'home' } },
  });
  await run({
    title: 'C000004 calls to cancel: the context weight puts retention first',
    method: 'POST',
    path: '/v1/decisions',
    body: { customerId: 'C000004', channel: 'call-centre', context: { intent: 'cancel' }, limit: 2 },
  });
  const why = await run({
    title: '"Why am I seeing this?" in plain words',
    method: 'GET',
    path: `/v1/decisions/${decision.decisionId}/explanation`,
  });
  void why;
  await run({
    title: 'The customer\'s own choices: no push, email only for offers',
    method: 'PUT',
    path: '/v1/customers/C000001/preferences',
    body: { optedOutChannels: ['push'], marketingConsent: true, preferredChannels: ['email'] },
  });
  await run({
    title: 'Bad input names the field and the fix',
    method: 'POST',
    path: '/v1/decisions',
    body: { customerId: 'C000001', channel: 'fax', limit: 99 },
  });
  await run({
    title: 'A catalog with mistakes is refused with every problem listed (the active version stays)',
    method: 'PUT',
    path: '/v1/catalog',
    body: {
      channels: [{ id: 'web', direction: 'inbound' }],
      issues: [
        {
          id: 'grow',
          eligibility: 'customer.age >= ',
          groups: [{ id: 'cards', actions: [{ id: 'gold-card', value: -120, treatments: [{ id: 'gold-card-web', channel: 'email' }] }] }],
        },
      ],
    },
  });
  await run({ title: 'Erasure: the customer and all their decisions and responses', method: 'DELETE', path: '/v1/customers/C000001' });
} finally {
  await server.close();
  rmSync(dir, { recursive: true, force: true });
}

const generated = [
  `With the service started by \`npm start\` (these answers were produced by \`npx tsx scripts/walkthrough.ts\` against the demo bank on ${new Date().toISOString().slice(0, 10)}, seed 2026; ids and exploration draws differ from run to run without a seed):`,
  '',
  ...out,
].join('\n');

if (process.argv.includes('--print')) {
  process.stdout.write(`${generated}\n`);
} else {
  const readmePath = join(process.cwd(), 'README.md');
  const readme = readFileSync(readmePath, 'utf8');
  const start = '<!-- walkthrough:start -->';
  const end = '<!-- walkthrough:end -->';
  const a = readme.indexOf(start);
  const b = readme.indexOf(end);
  if (a < 0 || b < a) throw new Error('README.md has no walkthrough markers');
  writeFileSync(readmePath, `${readme.slice(0, a + start.length)}\n${generated}\n${readme.slice(b)}`);
  process.stdout.write('README.md walk-through regenerated\n');
}
