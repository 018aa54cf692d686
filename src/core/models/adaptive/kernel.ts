/**
 * Scorer packs with a WebAssembly scoring kernel (performance only; results are bit for bit those
 * of the JavaScript loop).
 *
 * A decision scores one record with the models of all its candidate actions. `AdaptiveModel.
 * packScorers` lays those models' scorers side by side in one pack; here the pack is the memory of
 * an instance of the kernel (kernel.wat), so that the kernel reads the scorers where they lie and
 * scores a model without the bounds check of every typed-array read (about 1.7x faster than the
 * JavaScript loop over 1,000 models of 50 predictors). Layout of a pack's memory:
 * [out: the score, f64][record: `capacity` f64 numbers, then `capacity` i32 symbol
 * numbers][scorers from `scorersAt`].
 *
 * The kernel answers only what it can answer exactly; the model's JavaScript loop does the rest
 * (cells not computed at this version of the model, predictors laid out without a table, records
 * encoded before a predictor existed, symbols interned since the record was encoded). Where
 * WebAssembly is unavailable (`node --jitless`) or a memory cannot be had, packs are plain
 * ArrayBuffers and every model is scored in JavaScript.
 */
import type { EncodedPredictors } from './predictor.js';
import { KERNEL_WASM_BASE64 } from './kernel-wasm.js';

type ScoreFn = (
  num: number,
  meta: number,
  hash: number,
  groups: number,
  count: number,
  numbers: number,
  symbols: number,
  size: number,
  out: number,
) => number;

/** The part of the WebAssembly API used here (Node's own types for Node 20 do not declare it). */
interface WasmApi {
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (module: WasmModule, imports: object) => { exports: Record<string, unknown> };
  Memory: new (descriptor: { initial: number }) => { buffer: ArrayBuffer };
}
type WasmModule = object;
const wasm = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;

const PAGE = 65_536;
/** Bytes before the record: the kernel's score. */
const OUT_BYTES = 8;

let compiled: WasmModule | null | undefined;

/** The compiled kernel, or null where WebAssembly is unavailable. */
function kernelModule(): WasmModule | null {
  if (compiled === undefined) {
    try {
      compiled = wasm ? new wasm.Module(Buffer.from(KERNEL_WASM_BASE64, 'base64')) : null;
    } catch {
      compiled = null;
    }
  }
  return compiled;
}

/** Whether packs score with the WebAssembly kernel on this runtime. */
export function kernelAvailable(): boolean {
  return kernelModule() !== null;
}

export class ScorerPack {
  /** The pack's memory: scorers are placed from `scorersAt`. */
  readonly buffer: ArrayBuffer;
  readonly scorersAt: number;
  /** The kernel's last score. */
  readonly out: Float64Array;
  private readonly score: ScoreFn | undefined;
  private readonly numbers: Float64Array;
  private readonly symbols: Int32Array;
  /** Byte offsets of the record's numbers and symbol numbers. */
  private readonly numbersAt: number;
  private readonly symbolsAt: number;
  /** Predictor ids the record area holds. */
  private readonly capacity: number;
  /** The record now in the pack's memory (a decision's, copied at its first model). */
  private loaded: EncodedPredictors | undefined;

  private constructor(buffer: ArrayBuffer, capacity: number, score: ScoreFn | undefined) {
    this.buffer = buffer;
    this.capacity = capacity;
    this.score = score;
    this.out = new Float64Array(buffer, 0, 1);
    this.numbersAt = OUT_BYTES;
    this.numbers = new Float64Array(buffer, this.numbersAt, capacity);
    this.symbolsAt = this.numbersAt + 8 * capacity;
    this.symbols = new Int32Array(buffer, this.symbolsAt, capacity);
    this.scorersAt = align8(this.symbolsAt + 4 * capacity);
  }

  /**
   * A pack for `scorerBytes` bytes of scorers and records of up to `capacity` predictor ids: in a
   * kernel instance's memory where WebAssembly serves (unless `kernel: false`), else in a plain
   * ArrayBuffer.
   */
  static create(scorerBytes: number, capacity: number, options: { kernel?: boolean } = {}): ScorerPack {
    const bytes = align8(OUT_BYTES + 12 * capacity) + scorerBytes;
    const module = options.kernel === false ? null : kernelModule();
    if (module && wasm) {
      try {
        const memory = new wasm.Memory({ initial: Math.max(1, Math.ceil(bytes / PAGE)) });
        const instance = new wasm.Instance(module, { env: { memory } });
        return new ScorerPack(memory.buffer, capacity, instance.exports['score'] as ScoreFn);
      } catch {
        // no memory to be had (address space): a plain pack, scored in JavaScript
      }
    }
    return new ScorerPack(new ArrayBuffer(bytes), capacity, undefined);
  }

  /** True when the pack scores with the kernel. */
  get hasKernel(): boolean {
    return this.score !== undefined;
  }

  /**
   * Scores the scorer laid out at byte offsets `num`, `meta`, `hash`, `groups` of this pack
   * (`count` active predictors) for `encoded`: the score goes to `out[0]` and the predictors that
   * took part are returned; -1 when the JavaScript loop must score it. The caller has checked that
   * the record's symbol numbers and the scorer's symbol tables are current.
   */
  run(num: number, meta: number, hash: number, groups: number, count: number, encoded: EncodedPredictors): number {
    const score = this.score;
    if (score === undefined) return -1;
    if (this.loaded !== encoded) {
      if (encoded.size > this.capacity) return -1;
      this.numbers.set(encoded.numbers);
      this.symbols.set(encoded.symbols);
      this.loaded = encoded;
    }
    const n = score(num, meta, hash, groups, count, this.numbersAt, this.symbolsAt, encoded.size, 0);
    if (n >= 0) rowsScored++;
    return n;
  }

  /** Rows the kernels have scored in this process (for tests and profiling). */
  static get rowsScored(): number {
    return rowsScored;
  }
}

let rowsScored = 0;

function align8(n: number): number {
  return Math.ceil(n / 8) * 8;
}
