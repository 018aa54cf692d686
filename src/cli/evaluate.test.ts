import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Command } from 'commander';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { registerEvaluateCommand } from './evaluate.js';

const dir = mkdtempSync(join(tmpdir(), 'nextbest-cli-eval-'));
const csv = join(dir, 'rows.csv');
writeFileSync(csv, ['a;b;y', ...Array.from({ length: 300 }, (_, i) => `${i % 3 ? 'x' : 'z'};${i % 7};${i % 3 ? 'no' : 'yes'}`)].join('\n'));

async function run(args: string[]): Promise<{ out: string; err: string; code: number | undefined }> {
  let out = '';
  let err = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((s: string | Uint8Array) => ((out += String(s)), true));
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => ((err += String(s)), true));
  process.exitCode = undefined;
  try {
    const program = new Command().exitOverride();
    registerEvaluateCommand(program);
    await program.parseAsync(['node', 'nextbest', 'evaluate', ...args]);
    return { out, err, code: process.exitCode as number | undefined };
  } finally {
    o.mockRestore();
    e.mockRestore();
    process.exitCode = undefined;
  }
}

describe('nextbest evaluate', () => {
  afterEach(() => vi.restoreAllMocks());

  it('--json prints one object with the headline figures', async () => {
    const r = await run([csv, '--outcome', 'y', '--positive', 'yes', '--warmup', '100', '--json']);
    expect(r.code).toBeUndefined();
    const lines = r.out.trim().split('\n');
    expect(lines).toHaveLength(1);
    const j = JSON.parse(lines[0]!) as Record<string, number>;
    expect(j['rows']).toBe(300);
    for (const k of ['auc', 'logLoss', 'lift10', 'rowsPerSecond']) expect(typeof j[k]).toBe('number');
    expect(j['auc']).toBeGreaterThan(0.9);
  });

  it('prints tables', async () => {
    const r = await run([csv, '--outcome', 'y', '--positive', 'yes', '--exclude', 'b']);
    expect(r.out).toContain('AUC');
    expect(r.out).toContain('excluded    b');
  });

  it('bad input exits with code 2 and says what to fix', async () => {
    expect(await run([join(dir, 'none.csv'), '--outcome', 'y', '--positive', 'yes'])).toMatchObject({ code: 2 });
    const unknown = await run([csv, '--outcome', 'z', '--positive', 'yes']);
    expect(unknown.code).toBe(2);
    expect(unknown.err).toMatch(/no field "z" for --outcome; fields are: a, b, y/);
    const noPos = await run([csv, '--outcome', 'y', '--positive', 'maybe']);
    expect(noPos.code).toBe(2);
    expect(noPos.err).toMatch(/values seen: .*Pass the positive value/);
    const missingFlag = await run([csv, '--positive', 'yes']);
    expect(missingFlag.code).toBe(2);
    expect(missingFlag.err).toMatch(/--outcome <field> is required/);
  });
});

describe('progressBar', () => {
  it('draws on a TTY and stays silent otherwise', async () => {
    const { progressBar } = await import('./evaluate.js');
    let text = '';
    const tty = { isTTY: true, write: (s: string) => ((text += s), true) } as unknown as NodeJS.WriteStream;
    const bar = progressBar(tty);
    bar.update(0.5, 1234);
    bar.update(0.5, 1300); // same percent: not redrawn
    bar.done();
    expect(text).toContain('[###############---------------]  50%  1,234 rows');
    expect(text).not.toContain('1,300');
    let silent = '';
    const pipe = { isTTY: false, write: (s: string) => ((silent += s), true) } as unknown as NodeJS.WriteStream;
    const quiet = progressBar(pipe);
    quiet.update(0.5, 10);
    quiet.done();
    expect(silent).toBe('');
  });
});
