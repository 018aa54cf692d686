import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { readLog, sortActions } from './read-log.js';

const dir = mkdtempSync(join(tmpdir(), 'nextbest-ope-read-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

let counter = 0;
function file(text: string, name = `log${++counter}.csv`): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}

const OBD_HEADER = ',timestamp,item_id,position,click,propensity_score,user_feature_0,user-item_affinity_0,user-item_affinity_1';

describe('readLog, Open Bandit format', () => {
  it('maps item_id/click/propensity_score/position and keeps the user columns as context', async () => {
    const path = file(
      [
        OBD_HEADER,
        '0,2019-11-24 00:03:13+00:00,1,3,0,0.5,cef3,0.0,1.0',
        '1,2019-11-24 00:03:14+00:00,0,1,1,0.25,9bde,0.0,0.0',
      ].join('\n'),
    );
    const log = await readLog(path, { format: 'obd' });
    expect(log.rows).toEqual([
      { action: '1', reward: 0, propensity: 0.5, position: 3, line: 2, context: { user_feature_0: 'cef3', 'user-item_affinity_0': 0, 'user-item_affinity_1': 1 } },
      { action: '0', reward: 1, propensity: 0.25, position: 1, line: 3, context: { user_feature_0: '9bde', 'user-item_affinity_0': 0, 'user-item_affinity_1': 0 } },
    ]);
    expect(log.actions).toEqual(['0', '1']);
    expect(log.positions).toEqual([1, 3]);
    expect(log.contextColumns).toEqual(['user_feature_0', 'user-item_affinity_0', 'user-item_affinity_1']);
    expect(log.rewardSum).toBe(1);
    expect(log.binaryReward).toBe(true);
  });

  it('takes the action set from item_context.csv when given', async () => {
    const path = file([OBD_HEADER, '0,t,1,1,0,0.5,a,0,0'].join('\n'));
    const items = file([',item_id,item_feature_0', '0,0,0.1', '1,1,0.2', '2,2,0.3', '3,10,0.4'].join('\n'));
    const log = await readLog(path, { format: 'obd', itemContext: items });
    expect(log.actions).toEqual(['0', '1', '2', '10']);
  });

  it('names a missing column and the fix', async () => {
    const path = file(['item_id,position,click', '1,1,0'].join('\n'));
    await expect(readLog(path, { format: 'obd' })).rejects.toThrow(/no propensity column "propensity_score".*--format generic/);
  });

  it('rejects a non-numeric propensity with the line and column', async () => {
    const path = file([OBD_HEADER, '0,t,1,1,0,0.5,a,0,0', '1,t,1,1,0,high,a,0,0'].join('\n'));
    await expect(readLog(path, { format: 'obd' })).rejects.toThrow(/:3: the propensity column "propensity_score" holds "high", not a number/);
  });

  it('rejects propensities <= 0 or > 1', async () => {
    const zero = file([OBD_HEADER, '0,t,1,1,0,0,a,0,0'].join('\n'));
    await expect(readLog(zero, { format: 'obd' })).rejects.toThrow(/holds 0; a logging propensity must be in \(0, 1\]/);
    const big = file([OBD_HEADER, '0,t,1,1,0,1.5,a,0,0'].join('\n'));
    await expect(readLog(big, { format: 'obd' })).rejects.toThrow(/holds 1.5; a logging propensity must be in \(0, 1\]/);
  });

  it('rejects an empty propensity, a non-numeric click, an empty log and a missing file', async () => {
    await expect(readLog(file([OBD_HEADER, '0,t,1,1,0,,a,0,0'].join('\n')), { format: 'obd' })).rejects.toThrow(/holds nothing \(empty\)/);
    await expect(readLog(file([OBD_HEADER, '0,t,1,1,yes,0.5,a,0,0'].join('\n')), { format: 'obd' })).rejects.toThrow(/reward column "click" holds "yes"/);
    await expect(readLog(file(OBD_HEADER + '\n'), { format: 'obd' })).rejects.toThrow(/no rows/);
    await expect(readLog(join(dir, 'absent.csv'), { format: 'obd' })).rejects.toThrow(/no such file/);
  });
});

describe('readLog, generic format', () => {
  const text = ['offer;clicked;p;slot;age;segment', 'gold;1;0.2;1;41;young', 'loan;0;0.8;2;35;old', 'gold;true;0.2;1;29;'].join('\n');

  it('reads the named columns (any delimiter, booleans as 0/1, empty context as null)', async () => {
    const log = await readLog(file(text), {
      format: 'generic',
      columns: { action: 'offer', reward: 'clicked', propensity: 'p', position: 'slot', context: ['age', 'segment'] },
    });
    expect(log.rows.map((r) => [r.action, r.reward, r.propensity, r.position, r.context])).toEqual([
      ['gold', 1, 0.2, 1, { age: 41, segment: 'young' }],
      ['loan', 0, 0.8, 2, { age: 35, segment: 'old' }],
      ['gold', 1, 0.2, 1, { age: 29, segment: null }],
    ]);
    expect(log.actions).toEqual(['gold', 'loan']);
  });

  it('without a position column rows have no position', async () => {
    const log = await readLog(file(text), { format: 'generic', columns: { action: 'offer', reward: 'clicked', propensity: 'p' } });
    expect(log.positions).toEqual([]);
    expect(log.rows[0]!.position).toBeUndefined();
    expect(log.rows[0]!.context).toEqual({});
  });

  it('needs the column options, and names a wrong one', async () => {
    await expect(readLog(file(text), { format: 'generic' })).rejects.toThrow(/needs --action-col, --reward-col, --propensity-col/);
    await expect(
      readLog(file(text), { format: 'generic', columns: { action: 'offer', reward: 'clicked', propensity: 'prob' } }),
    ).rejects.toThrow(/no propensity column "prob" \(the file has offer, clicked, p, slot, age, segment\); name the right column with --propensity-col/);
    await expect(
      readLog(file(text), { format: 'generic', columns: { action: 'offer', reward: 'clicked', propensity: 'p', context: ['income'] } }),
    ).rejects.toThrow(/no context column "income".*--context-cols/);
  });

  it('reads NDJSON too', async () => {
    const path = file(['{"a":"x","r":1,"p":0.5,"c":3}', '{"a":"y","r":0,"p":0.5,"c":4}'].join('\n'), 'log.ndjson');
    const log = await readLog(path, { format: 'generic', columns: { action: 'a', reward: 'r', propensity: 'p', context: ['c'] } });
    expect(log.rows.map((r) => r.context['c'])).toEqual([3, 4]);
  });
});

describe('sortActions', () => {
  it('puts numeric ids in numeric order first', () => {
    expect(sortActions(['10', 'b', '2', 'a', '1'])).toEqual(['1', '2', '10', 'a', 'b']);
  });
});
