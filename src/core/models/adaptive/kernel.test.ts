/**
 * The WebAssembly scoring kernel must give every score the JavaScript loop gives, bit for bit, on
 * every kind of scorer (numeric, dense and hashed symbol tables, predictors laid out without a
 * table, missing and unseen values, cells not yet computed, predictors newer than the record), and
 * its shipped bytes must be those of kernel.wat.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { AdaptiveModel, encodePredictors, type NaiveBayesModel } from './index.js';
import { compileKernel } from './kernel-source.js';
import { KERNEL_WASM_BASE64 } from './kernel-wasm.js';
import { kernelAvailable, ScorerPack } from './kernel.js';
import { SeededRandom } from '../../random.js';
import type { Predictors } from '../../types.js';

/** Rows mixing numeric, low- and high-cardinality symbolic, boolean and missing values. */
function row(r: SeededRandom, i: number): Predictors {
  const x = r.next();
  const out: Predictors = {
    x,
    wide: r.next() * 1000, // many bins: laid out without masks (OTHER) under `maxBins: 40`
    age: 18 + Math.floor(r.next() * 60), // integers: records fall on the bounds themselves
    y: r.next() < 0.1 ? null : Math.floor(r.next() * 5),
    s: `v${Math.floor(r.next() * 8)}`,
    many: `m${Math.floor(r.next() * 900)}`, // hundreds of grouped symbols: a hashed table
    flag: r.next() < 0.5,
    n: r.next() < 0.2 ? '' : String(Math.floor(x * 3)),
  };
  if (r.next() < 0.3) delete out['s'];
  if (i % 11 === 0) out['many'] = `unseen${i}`;
  return out;
}

const OPTIONS = { maxSymbols: 1000, minSymbolWeight: 0.5, refreshEvery: 200 };
/** Options under which a numeric predictor keeps more bins than the kernel's masks hold (OTHER). */
const WIDE = { ...OPTIONS, maxBins: 40, mergeChi2: 0, minBinWeight: 2 };

/** A model per key, learnt from seeded rows (each key its own response rate). */
function learnt(keys: number, responses: number, options: object = OPTIONS): { model: AdaptiveModel; slots: NaiveBayesModel[] } {
  const model = new AdaptiveModel(options);
  const r = new SeededRandom(5);
  for (let i = 0; i < responses; i++) {
    const k = i % keys;
    const p = row(r, i);
    // the response depends on x, on the wide value and on the many-valued symbol, so all take part
    const many = Number(String(p['many']).slice(1)) || 0;
    const rate = 0.03 + (0.25 * Number(p['x']) * ((k % 3) + 1)) / 3 + (many % 3 === 0 ? 0.15 : 0) + (Number(p['wide']) > 700 ? 0.1 : 0) + (Number(p['age']) % 10 < 3 ? 0.1 : 0);
    model.learn(`k${k}`, p, r.next() < rate);
  }
  const slots = Array.from({ length: keys }, (_, k) => model.slot(`k${k}`)!);
  return { model, slots };
}

/** A copy of every key's model, not packed: scored by the JavaScript loop. */
function unpacked(model: AdaptiveModel, options: object): AdaptiveModel {
  const copy = new AdaptiveModel(options);
  for (const { key, state } of model.takeDirty()) copy.load(key, state);
  return copy;
}

/** The model's propensity and evidence through `predictMeanInto` (the decision's path). */
function mean(m: NaiveBayesModel, encoded: ReturnType<typeof encodePredictors>): number {
  const out = new Float64Array(1);
  m.predictMeanInto(encoded, out, 0);
  return out[0]!;
}

describe('scoring kernel', () => {
  it('ships the bytes kernel.wat compiles to (run `npx tsx scripts/build-kernel.ts` after editing it)', async () => {
    const text = readFileSync(new URL('./kernel.wat', import.meta.url), 'utf8');
    const bytes = await compileKernel(text);
    expect(Buffer.from(bytes).toString('base64')).toBe(KERNEL_WASM_BASE64);
  });

  it('is available on this runtime', () => {
    expect(kernelAvailable()).toBe(true);
  });

  for (const [name, options] of [['default options', OPTIONS], ['predictors of more bins than the masks hold', WIDE]] as const) {
    it(`scores exactly as the JavaScript loop, over every kind of scorer and record (${name})`, () => {
      const { model, slots } = learnt(12, 12_000, options);
      const reference = unpacked(model, options);
      const before = ScorerPack.rowsScored;
      model.packScorers(slots);
      const r = new SeededRandom(77);
      for (let i = 0; i < 400; i++) {
        const record = row(r, i);
        if (i % 37 === 0) record['brandNew'] = i; // a predictor id the record knows and the models do not
        const encoded = encodePredictors(record);
        const expected = encodePredictors(record);
        for (let k = 0; k < slots.length; k++) {
          const got = mean(slots[k]!, encoded);
          expect(Object.is(got, mean(reference.slot(`k${k}`)!, expected))).toBe(true);
        }
      }
      const scored = ScorerPack.rowsScored - before;
      if (options === WIDE) {
        // a model with a predictor laid out without masks is scored by JavaScript
        expect(scored).toBe(0);
      } else {
        // the kernel answered most rows; cells seen for the first time were left to JavaScript
        expect(scored).toBeGreaterThan(400 * 12 * 0.8);
        expect(scored).toBeLessThan(400 * 12);
      }
    });
  }

  it('the layouts it must handle all occur: hashed symbol tables, predictors without masks', () => {
    const kinds = new Set<number>();
    for (const options of [OPTIONS, WIDE]) {
      for (const m of learnt(3, 6_000, options).slots) {
        const meta = (m as unknown as { sMeta: Int32Array }).sMeta;
        for (let i = 0; i < meta.length; i += 6) kinds.add(meta[i]! & 3);
      }
    }
    // NUMERIC 0, DENSE 1, HASHED 2, OTHER 3
    expect([...kinds].sort()).toEqual([0, 1, 2, 3]);
  });

  it('a model that learns after the pack leaves it, and is scored right (by JavaScript) until packed again', () => {
    const { model, slots } = learnt(4, 4_000);
    model.packScorers(slots);
    const r = new SeededRandom(8);
    const record = row(r, 1);
    const before = mean(slots[0]!, encodePredictors(record));
    for (let i = 0; i < 400; i++) model.learn('k0', row(r, i), r.next() < 0.5);
    const copy = unpacked(model, OPTIONS);
    const after = mean(slots[0]!, encodePredictors(record));
    expect(after).not.toBe(before);
    expect(after).toBe(mean(copy.slot('k0')!, encodePredictors(record)));
  });

  it('packs without the kernel score the same (where WebAssembly is unavailable)', () => {
    const { slots } = learnt(6, 5_000);
    const r = new SeededRandom(3);
    const records = Array.from({ length: 100 }, (_, i) => row(r, i));
    const withKernel = (() => {
      const pack = ScorerPack.create(slots.reduce((n, m) => n + m.scorerByteLength, 0), 256);
      let at = pack.scorersAt;
      for (const m of slots) at = m.moveScorer(pack, at);
      expect(pack.hasKernel).toBe(true);
      return records.map((p) => slots.map((m) => mean(m, encodePredictors(p))));
    })();
    const pack = ScorerPack.create(slots.reduce((n, m) => n + m.scorerByteLength, 0), 256, { kernel: false });
    expect(pack.hasKernel).toBe(false);
    let at = pack.scorersAt;
    for (const m of slots) at = m.moveScorer(pack, at);
    const before = ScorerPack.rowsScored;
    expect(records.map((p) => slots.map((m) => mean(m, encodePredictors(p))))).toEqual(withKernel);
    expect(ScorerPack.rowsScored).toBe(before);
  });
});
