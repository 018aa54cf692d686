/**
 * Streams rows from a CSV or NDJSON file, line by line (big files never load at once).
 * CSV: the delimiter (`,` `;` tab `|`) is detected from the header, quoted fields may hold
 * delimiters, doubled quotes and line breaks. NDJSON: one JSON object per line.
 * Values: empty -> null (missing); text that reads as a number -> number; JSON scalars kept,
 * nested values -> JSON text. Errors are `InputError`s naming the line and the fix.
 */
import { createReadStream, statSync } from 'node:fs';
import type { PredictorValue } from '../core/types.js';

export class InputError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'InputError';
  }
}

export type Row = Record<string, PredictorValue>;

export interface RowSourceInfo {
  format: 'csv' | 'ndjson';
  /** CSV header (NDJSON: undefined). */
  fields?: string[];
  delimiter?: string;
  bytes: number;
}

export interface ReadRowsOptions {
  /** Called with bytes read so far (roughly every 64 KiB). */
  onBytes?: (bytes: number) => void;
  /** Called once the format (and CSV header) is known, before the first row. */
  onStart?: (info: RowSourceInfo) => void;
}

export interface NumberedRow {
  /** 1-based line number in the file (the first line of a multi-line CSV record). */
  line: number;
  row: Row;
}

const NUMBER = /^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/;

/** Reads a field's text as a predictor value: empty -> null, numeric text -> number. */
export function parseValue(text: string): PredictorValue {
  if (text === '') return null;
  const c = text.charCodeAt(0);
  // only text starting with a digit, sign or point can be a number: skip the regex otherwise
  if ((c >= 48 && c <= 57) || c === 45 || c === 43 || c === 46) {
    if (NUMBER.test(text)) return Number(text);
  }
  return text;
}

/** The delimiter that occurs most often outside quotes in the header line. */
export function detectDelimiter(header: string): string {
  const candidates = [',', ';', '\t', '|'];
  let best = ',';
  let bestCount = 0;
  for (const d of candidates) {
    let count = 0;
    let quoted = false;
    for (let i = 0; i < header.length; i++) {
      const ch = header[i];
      if (ch === '"') quoted = !quoted;
      else if (!quoted && ch === d) count++;
    }
    if (count > bestCount) {
      best = d;
      bestCount = count;
    }
  }
  return best;
}

/**
 * Splits one CSV record into fields. Returns undefined when the record ends inside a quoted
 * field (the caller appends the next line and tries again).
 */
export function splitCsv(record: string, delimiter: string): string[] | undefined {
  const fields: string[] = [];
  let i = 0;
  const n = record.length;
  for (;;) {
    if (i < n && record[i] === '"') {
      let value = '';
      i++;
      for (;;) {
        const q = record.indexOf('"', i);
        if (q < 0) return undefined; // unterminated: continues on the next line
        value += record.slice(i, q);
        if (record[q + 1] === '"') {
          value += '"';
          i = q + 2;
        } else {
          i = q + 1;
          break;
        }
      }
      // tolerate spaces after the closing quote; anything else is glued on as text
      const next = record.indexOf(delimiter, i);
      const rest = next < 0 ? record.slice(i) : record.slice(i, next);
      if (rest.trim() !== '') value += rest;
      fields.push(value);
      if (next < 0) return fields;
      i = next + delimiter.length;
    } else {
      const next = record.indexOf(delimiter, i);
      if (next < 0) {
        fields.push(record.slice(i).trim());
        return fields;
      }
      fields.push(record.slice(i, next).trim());
      i = next + delimiter.length;
    }
  }
}

function isNdjsonPath(file: string): boolean {
  return /\.(ndjson|jsonl|json)$/i.test(file);
}

/**
 * Turns lines into rows, synchronously: detects the format and the CSV delimiter, joins CSV
 * records that continue over several lines, checks field counts.
 */
class RowParser {
  private lineNo = 0;
  private format: 'csv' | 'ndjson' | undefined;
  private fields: string[] | undefined;
  private delimiter = ',';
  private pending = '';
  private pendingLine = 0;
  private started = false;

  constructor(
    private readonly file: string,
    private readonly bytes: number,
    private readonly onStart: ((info: RowSourceInfo) => void) | undefined,
  ) {
    this.format = isNdjsonPath(file) ? 'ndjson' : undefined;
  }

  /** Parses one line; appends a row to `out` when a record is complete. */
  line(raw: string, out: NumberedRow[]): void {
    const file = this.file;
    const lineNo = ++this.lineNo;
    const line = lineNo === 1 && raw.charCodeAt(0) === 0xfeff ? raw.slice(1) : raw;
    if (this.format === undefined) {
      if (line.trim() === '') return;
      this.format = line.trimStart().startsWith('{') ? 'ndjson' : 'csv';
    }
    if (this.format === 'ndjson') {
      if (line.trim() === '') return;
      if (!this.started) {
        this.started = true;
        this.onStart?.({ format: 'ndjson', bytes: this.bytes });
      }
      out.push({ line: lineNo, row: parseJsonLine(line, lineNo, file) });
      return;
    }
    const fields = this.fields;
    if (fields === undefined) {
      if (line.trim() === '') return;
      const delimiter = detectDelimiter(line);
      const header = splitCsv(line, delimiter);
      if (!header) throw new InputError(`${file}:${lineNo}: the header line has an unterminated quote; close the quote`);
      const seen = new Set<string>();
      for (const f of header) {
        if (seen.has(f)) throw new InputError(`${file}:${lineNo}: column "${f}" appears twice in the header; rename one`);
        seen.add(f);
      }
      this.delimiter = delimiter;
      this.fields = header;
      this.onStart?.({ format: 'csv', fields: header, delimiter, bytes: this.bytes });
      return;
    }
    let record: string;
    if (this.pending !== '') {
      record = this.pending + '\n' + line;
    } else {
      if (line.trim() === '') return;
      record = line;
      this.pendingLine = lineNo;
    }
    const values = splitCsv(record, this.delimiter);
    if (!values) {
      this.pending = record;
      if (lineNo - this.pendingLine > 1000) {
        throw new InputError(`${file}:${this.pendingLine}: a quoted field is never closed; close the quote or escape it as ""`);
      }
      return;
    }
    this.pending = '';
    if (values.length !== fields.length) {
      throw new InputError(
        `${file}:${this.pendingLine}: expected ${fields.length} fields separated by "${printable(this.delimiter)}" but found ${values.length}; ` +
          'fix the line (quote fields that contain the delimiter)',
      );
    }
    const row: Row = {};
    for (let k = 0; k < fields.length; k++) row[fields[k]!] = parseValue(values[k]!);
    out.push({ line: this.pendingLine, row });
  }

  finish(): void {
    const file = this.file;
    if (this.pending !== '') {
      throw new InputError(`${file}:${this.pendingLine}: a quoted field is never closed before the end of the file; close the quote`);
    }
    if (this.format === undefined) throw new InputError(`${file} is empty: it needs a header line and rows (CSV) or JSON objects (NDJSON)`);
    if (this.format === 'csv' && this.fields === undefined) throw new InputError(`${file} has no header line`);
  }
}

/** Streams the rows of a CSV or NDJSON file in batches (one batch per chunk read). */
export async function* readRowBatches(file: string, options: ReadRowsOptions = {}): AsyncGenerator<NumberedRow[]> {
  let bytes: number;
  try {
    const st = statSync(file);
    if (!st.isFile()) throw new InputError(`${file} is not a file: pass the path of a CSV or NDJSON file`);
    bytes = st.size;
  } catch (e) {
    if (e instanceof InputError) throw e;
    throw new InputError(`cannot read ${file}: no such file (check the path; it is resolved from ${process.cwd()})`);
  }
  const parser = new RowParser(file, bytes, options.onStart);
  const stream = createReadStream(file, { encoding: 'utf8', highWaterMark: 1 << 16 });
  let read = 0;
  let rest = '';
  try {
    for await (const chunk of stream) {
      const piece = chunk as string;
      read += Buffer.byteLength(piece);
      const text = rest + piece;
      const batch: NumberedRow[] = [];
      let start = 0;
      let nl = text.indexOf('\n', start);
      while (nl >= 0) {
        const end = nl > start && text.charCodeAt(nl - 1) === 13 ? nl - 1 : nl;
        parser.line(text.slice(start, end), batch);
        start = nl + 1;
        nl = text.indexOf('\n', start);
      }
      rest = text.slice(start);
      options.onBytes?.(read);
      if (batch.length > 0) yield batch;
    }
    if (rest !== '') {
      const batch: NumberedRow[] = [];
      parser.line(rest.endsWith('\r') ? rest.slice(0, -1) : rest, batch);
      if (batch.length > 0) yield batch;
    }
    parser.finish();
  } finally {
    stream.destroy();
  }
}

/** Streams the rows of a CSV or NDJSON file, one at a time. */
export async function* readRows(file: string, options: ReadRowsOptions = {}): AsyncGenerator<NumberedRow> {
  for await (const batch of readRowBatches(file, options)) yield* batch;
}

function printable(d: string): string {
  return d === '\t' ? '\\t' : d;
}

function parseJsonLine(line: string, lineNo: number, file: string): Row {
  let value: unknown;
  try {
    value = JSON.parse(line);
  } catch (e) {
    throw new InputError(`${file}:${lineNo}: not valid JSON (${(e as Error).message}); each line must be one JSON object`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InputError(`${file}:${lineNo}: expected a JSON object per line`);
  }
  const row: Row = {};
  for (const [k, v] of Object.entries(value as Record<string, unknown>)) {
    if (v === null || v === undefined) row[k] = null;
    else if (typeof v === 'number') row[k] = Number.isFinite(v) ? v : null;
    else if (typeof v === 'boolean') row[k] = v;
    else if (typeof v === 'string') row[k] = parseValue(v);
    else row[k] = JSON.stringify(v);
  }
  return row;
}
