import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { InputError, detectDelimiter, parseValue, readRows, splitCsv, type NumberedRow } from './read-rows.js';

const dir = mkdtempSync(join(tmpdir(), 'nextbest-read-'));
function file(name: string, text: string): string {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
}
async function all(path: string): Promise<NumberedRow[]> {
  const out: NumberedRow[] = [];
  for await (const r of readRows(path)) out.push(r);
  return out;
}

describe('CSV parsing', () => {
  it('detects the delimiter from the header', () => {
    expect(detectDelimiter('"a";"b";"c"')).toBe(';');
    expect(detectDelimiter('a,b,c')).toBe(',');
    expect(detectDelimiter('a\tb\tc')).toBe('\t');
    expect(detectDelimiter('"x,y";b;c')).toBe(';');
  });

  it('splits quoted fields with delimiters and doubled quotes', () => {
    expect(splitCsv('1,"a,b","say ""hi""",', ',')).toEqual(['1', 'a,b', 'say "hi"', '']);
    expect(splitCsv('"open', ',')).toBeUndefined();
  });

  it('reads numbers as numbers and empty as missing', () => {
    expect(parseValue('')).toBeNull();
    expect(parseValue('-1.5e3')).toBe(-1500);
    expect(parseValue('042')).toBe(42);
    expect(parseValue('yes')).toBe('yes');
    expect(parseValue('1.2.3')).toBe('1.2.3');
  });

  it('streams rows with line numbers, including multi-line quoted fields', async () => {
    const path = file('a.csv', '\ufeff"age";"job";"note";"y"\n58;"management";"";"no"\n\n44;"tech";"two\nlines";"yes"\r\n30;"x;y";"ok";"no"\n');
    const rows = await all(path);
    expect(rows).toEqual([
      { line: 2, row: { age: 58, job: 'management', note: null, y: 'no' } },
      { line: 4, row: { age: 44, job: 'tech', note: 'two\nlines', y: 'yes' } },
      { line: 6, row: { age: 30, job: 'x;y', note: 'ok', y: 'no' } },
    ]);
  });

  it('a line with the wrong number of fields is an error naming the line', async () => {
    const path = file('bad.csv', 'a,b\n1,2\n3\n');
    await expect(all(path)).rejects.toThrow(InputError);
    await expect(all(path)).rejects.toThrow(/bad\.csv:3: expected 2 fields separated by "," but found 1/);
  });

  it('an unclosed quote is an error naming the line', async () => {
    await expect(all(file('q.csv', 'a,b\n1,"open\n'))).rejects.toThrow(/q\.csv:2: a quoted field is never closed/);
  });

  it('a missing file is an error saying so', async () => {
    await expect(all(join(dir, 'nope.csv'))).rejects.toThrow(/no such file/);
  });
});

describe('NDJSON', () => {
  it('reads one object per line; numeric strings become numbers', async () => {
    const path = file('a.ndjson', '{"age":"42","ok":true,"name":"x","n":null,"tags":["a"]}\n\n{"age":7}\n');
    expect(await all(path)).toEqual([
      { line: 1, row: { age: 42, ok: true, name: 'x', n: null, tags: '["a"]' } },
      { line: 3, row: { age: 7 } },
    ]);
  });

  it('is detected by content too, and bad JSON names the line', async () => {
    const path = file('b.txt', '{"a":1}\n{"a":\n');
    await expect(all(path)).rejects.toThrow(/b\.txt:2: not valid JSON/);
  });
});
