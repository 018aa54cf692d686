/**
 * Decision snapshots stored by shape (SQLite store, schema version 4). A decision keeps the
 * predictor record it was decided on, so that a late response teaches what was known then; records
 * of one bank mostly share their names, which were most of each snapshot's bytes (`customer.n12`
 * for a value of 0.2). A record is stored as the JSON array of its values, in the record's order,
 * and its names once per distinct list as a *shape* (`predictor_shapes`, referenced by
 * `decisions.predictor_shape`); rows written before version 4 keep the whole object (shape NULL).
 *
 * - `ShapeWriter` (the writing connection) finds or registers a record's shape inside the
 *   decision's own transaction, so that a decision and its shape commit together. It remembers the
 *   ids it found, which a rollback may undo: whoever rolls back calls `forget()`.
 * - `ShapeReader` (reading connections) decodes rows back into the same record: the same names,
 *   values and order (undefined values, which JSON drops, are skipped on both sides). Shapes are
 *   never changed and their ids never reused (AUTOINCREMENT), so what it remembers stays true.
 */
import { recordTemplate } from '../../core/predictors.js';
import type { Predictors, PredictorValue } from '../../core/types.js';
import { parseJsonColumn } from '../support.js';

/** Most shapes either side remembers; past it, it starts again (a bank with that many is unusual). */
const MAX_REMEMBERED = 4096;

/** The writing side: a record's values, and its shape id (found or registered through `lookup`). */
export class ShapeWriter {
  private readonly ids = new Map<string, number>();
  private readonly names: string[] = [];
  private readonly values: PredictorValue[] = [];
  /** The names of the last record and their JSON text: records of one bank mostly repeat them. */
  private lastNames: string[] = [];
  private lastText = '[]';

  /** `lookup(namesText)`: the id of that shape, registered first when new. */
  constructor(private readonly lookup: (names: string) => number) {}

  /** The shape id and the values' JSON text of `record`. */
  encode(record: Predictors): { shape: number; values: string } {
    const names = this.names;
    const values = this.values;
    let n = 0;
    for (const name in record) {
      const value = record[name];
      if (value === undefined) continue;
      names[n] = name;
      values[n] = value;
      n++;
    }
    names.length = n;
    values.length = n;
    const last = this.lastNames;
    let same = last.length === n;
    for (let i = 0; same && i < n; i++) same = last[i] === names[i];
    if (!same) {
      this.lastNames = names.slice();
      this.lastText = JSON.stringify(this.lastNames);
    }
    let shape = this.ids.get(this.lastText);
    if (shape === undefined) {
      shape = this.lookup(this.lastText);
      if (this.ids.size >= MAX_REMEMBERED) this.ids.clear();
      this.ids.set(this.lastText, shape);
    }
    return { shape, values: JSON.stringify(values) };
  }

  /** Forgets every shape id found so far: after a rollback (it may have undone a registration) or an erasure. */
  forget(): void {
    this.ids.clear();
  }
}

interface Shape {
  names: string[];
  /** The shape's names in an object of V8's compact layout (`recordTemplate`), copied per record. */
  template: Predictors;
}

/** The reading side: rows back into records. */
export class ShapeReader {
  private readonly shapes = new Map<number, Shape>();

  /**
   * The record of a stored row: `shape` and `names` (the shape's names as JSON text, read with the
   * row) are null for rows written before version 4, whose `values` hold the whole object.
   */
  decode(shape: number | null, names: string | null, values: string, where: string): Predictors {
    if (shape === null) return parseJsonColumn<Predictors>(values, where);
    const known = this.shapes.get(shape) ?? this.remember(shape, names, where);
    const list = parseJsonColumn<unknown>(values, where);
    if (!Array.isArray(list) || list.length !== known.names.length) {
      throw new Error(`stored JSON is corrupt (${where}: ${known.names.length} predictor values expected for shape ${shape})`);
    }
    const record: Predictors = { ...known.template };
    for (let i = 0; i < list.length; i++) record[known.names[i]!] = list[i] as PredictorValue;
    return record;
  }

  /** Forgets the shapes read so far (an erasure may have removed some). */
  forget(): void {
    this.shapes.clear();
  }

  private remember(shape: number, names: string | null, where: string): Shape {
    if (names === null) throw new Error(`stored JSON is corrupt (${where}: predictor shape ${shape} is missing)`);
    const list = parseJsonColumn<unknown>(names, `predictor shape ${shape}`);
    if (!Array.isArray(list) || list.some((name) => typeof name !== 'string')) {
      throw new Error(`stored JSON is corrupt (predictor shape ${shape} is not a list of names)`);
    }
    const known: Shape = {
      names: list as string[],
      template: recordTemplate(list as string[]),
    };
    if (this.shapes.size >= MAX_REMEMBERED) this.shapes.clear();
    this.shapes.set(shape, known);
    return known;
  }
}
