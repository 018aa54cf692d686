/**
 * Where the SQLite store's writes run. On a database file they run in a writer thread
 * (`writer-worker.ts`) with its own connection: the commit and its fsync (`synchronous=FULL`) then
 * block that thread only, while the event loop keeps reading through the store's own connection
 * (WAL lets readers and one writer work at the same time) and answering requests. One connection
 * writes, so the store's writes never wait for each other's locks; they are applied one at a time,
 * in the order they were asked for, and those asked for while the thread was committing are
 * committed together (group commit). A write's promise resolves once the thread reports its commit.
 * A `:memory:` database cannot be shared between connections: there, writes run inline on the
 * store's connection, through the same `SqliteWrites` code.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { DEFAULT_CHECKPOINTER, SHARED_SLOTS, SLOT_ALIVE, SLOT_PAUSE, type CheckpointerOptions, type CheckpointerStats } from './checkpointer.js';
import { postRequest, type WorkerReply, type WorkerRequest, type WorkerSetup } from './wire.js';
import { SqliteWrites, type WriteOp, type WriteOps } from './writes.js';

export interface SqliteWriter {
  /** `thread`: a writer thread with its own connection; `inline`: the store's own connection. */
  readonly mode: 'thread' | 'inline';
  /** Resolves with the write's result once it is committed; rejects with the driver's error. */
  write<K extends WriteOp>(op: K, args: WriteOps[K]['args']): Promise<WriteOps[K]['result']>;
  /** Lets every write already asked for finish, then stops writing. */
  close(): Promise<void>;
}

/** Writes on the store's own connection (`:memory:`), synchronously. */
export class InlineWriter implements SqliteWriter {
  readonly mode = 'inline';
  private readonly writes: SqliteWrites;

  constructor(db: Database.Database) {
    this.writes = new SqliteWrites(db);
  }

  write<K extends WriteOp>(op: K, args: WriteOps[K]['args']): Promise<WriteOps[K]['result']> {
    try {
      return Promise.resolve(this.writes.apply({ op, args }));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

export interface ThreadWriterOptions {
  /** Run WAL checkpoints in a checkpointer thread (default), or leave them to SQLite in the writer. */
  checkpointerThread?: boolean;
  checkpointer?: Partial<CheckpointerOptions>;
}

interface Pending {
  resolve: (value: never) => void;
  reject: (error: unknown) => void;
}

/**
 * Writes in a writer thread, with WAL checkpoints in a checkpointer thread next to it once the
 * store has written a while (see `checkpointer.ts`). The writer thread is kept referenced only
 * while a write is waiting for its answer: a pending write keeps the process alive until it is
 * committed, an idle store does not; the checkpointer never keeps it alive. If the writer thread
 * stops unexpectedly, the writes waiting for it are refused and the next write starts new threads.
 */
export class ThreadWriter implements SqliteWriter {
  readonly mode = 'thread';
  private worker: Worker | undefined;
  private checkpointer: Worker | undefined;
  /** The current writer thread's shared slots, writes asked of it, and whether its checkpointer started. */
  private shared: Int32Array | undefined;
  private writes = 0;
  private checkpointerStarted = false;
  private readonly pending = new Map<number, Pending>();
  private nextId = 1;
  private readonly checkpointerThread: boolean;
  private readonly checkpointerOptions: CheckpointerOptions;

  constructor(
    private readonly path: string,
    options: ThreadWriterOptions = {},
  ) {
    this.checkpointerThread = options.checkpointerThread ?? true;
    this.checkpointerOptions = { ...DEFAULT_CHECKPOINTER, ...options.checkpointer };
  }

  write<K extends WriteOp>(op: K, args: WriteOps[K]['args']): Promise<WriteOps[K]['result']> {
    return this.send(op, args) as Promise<WriteOps[K]['result']>;
  }

  /** What the checkpointer thread did so far (undefined when none runs). */
  async checkpointerStats(): Promise<CheckpointerStats | undefined> {
    const checkpointer = this.checkpointer;
    if (!checkpointer) return undefined;
    return new Promise<CheckpointerStats | undefined>((resolve) => {
      const done = (stats: CheckpointerStats | undefined) => {
        checkpointer.off('message', done);
        checkpointer.off('exit', gone);
        checkpointer.unref();
        resolve(stats);
      };
      const gone = () => done(undefined);
      checkpointer.on('message', done);
      checkpointer.once('exit', gone);
      checkpointer.ref();
      checkpointer.postMessage({ id: 0, op: 'stats', args: [] } satisfies WorkerRequest);
    });
  }

  /**
   * Requests are answered in order: when `close` is answered, every earlier write was answered and
   * the thread's connection is closed (the thread then ends by itself).
   */
  async close(): Promise<void> {
    await this.stopCheckpointer();
    if (!this.worker) return;
    await this.send('close', []);
  }

  /** Resolves once the checkpointer's connection is closed (or the thread is gone). */
  private async stopCheckpointer(): Promise<void> {
    const checkpointer = this.checkpointer;
    if (!checkpointer) return;
    this.checkpointer = undefined;
    await new Promise<void>((resolve) => {
      const done = () => {
        checkpointer.off('message', done);
        checkpointer.off('exit', done);
        checkpointer.unref();
        resolve();
      };
      checkpointer.on('message', done);
      checkpointer.once('exit', done);
      checkpointer.ref(); // keep the process alive until it answers
      checkpointer.postMessage({ id: 0, op: 'close', args: [] } satisfies WorkerRequest);
    });
    const shared = this.shared;
    if (shared) {
      Atomics.store(shared, SLOT_ALIVE, 0);
      Atomics.store(shared, SLOT_PAUSE, 0);
      Atomics.notify(shared, SLOT_PAUSE);
    }
  }

  private send(op: WorkerRequest['op'], args: unknown[]): Promise<unknown> {
    const worker = this.worker ?? this.start();
    if (op !== 'close' && ++this.writes > this.checkpointerOptions.startAfterWrites && this.checkpointerThread && !this.checkpointerStarted) {
      this.startCheckpointer();
    }
    const id = this.nextId++;
    return new Promise<unknown>((resolve, reject) => {
      if (this.pending.size === 0) worker.ref();
      this.pending.set(id, { resolve: resolve as (value: never) => void, reject });
      try {
        postRequest(worker, { id, op, args });
      } catch (error) {
        this.pending.delete(id);
        if (this.pending.size === 0) worker.unref();
        reject(error);
      }
    });
  }

  private start(): Worker {
    const script = writerScript();
    const buffer = new SharedArrayBuffer(SHARED_SLOTS * Int32Array.BYTES_PER_ELEMENT);
    const setup: WorkerSetup = {
      role: 'writer',
      path: this.path,
      shared: buffer,
      checkpointer: this.checkpointerOptions,
    };
    const worker = startThread(script.source, setup);
    worker.unref();
    worker.on('message', (replies: WorkerReply[]) => {
      for (const reply of replies) this.answer(reply);
    });
    worker.on('error', (error: Error) => this.stopped(worker, new Error(`the SQLite writer thread failed: ${error.message}`, { cause: error })));
    worker.on('exit', (code: number) => this.stopped(worker, new Error(`the SQLite writer thread stopped (exit code ${code})`)));
    this.worker = worker;
    this.shared = new Int32Array(buffer);
    this.writes = 0;
    this.checkpointerStarted = false;
    return worker;
  }

  /** Starts the checkpointer thread of the current writer thread (once per writer thread). */
  private startCheckpointer(): void {
    const shared = this.shared;
    if (!shared) return;
    this.checkpointerStarted = true;
    const script = writerScript();
    const setup: WorkerSetup = { role: 'checkpointer', path: this.path, shared: shared.buffer as SharedArrayBuffer, checkpointer: this.checkpointerOptions };
    const checkpointer = startThread(script.source, setup);
    checkpointer.unref();
    const gone = () => {
      if (this.checkpointer !== checkpointer) return;
      this.checkpointer = undefined;
      // The writer goes back to SQLite's own checkpoints, and never waits for a checkpointer that is gone.
      Atomics.store(shared, SLOT_ALIVE, 0);
      Atomics.store(shared, SLOT_PAUSE, 0);
      Atomics.notify(shared, SLOT_PAUSE);
    };
    checkpointer.on('error', gone);
    checkpointer.on('exit', gone);
    this.checkpointer = checkpointer;
  }

  private answer(reply: WorkerReply): void {
    const pending = this.pending.get(reply.id);
    if (!pending) return;
    this.pending.delete(reply.id);
    if (this.pending.size === 0) this.worker?.unref();
    if (reply.ok) pending.resolve(reply.result as never);
    else pending.reject(toDriverError(reply.error));
  }

  /** Refuses every write still waiting for `worker`; the next write starts a new thread. */
  private stopped(worker: Worker, error: Error): void {
    if (this.worker !== worker) return;
    this.worker = undefined;
    this.shared = undefined;
    // The next write starts a new writer (and, in time, a new checkpointer).
    const checkpointer = this.checkpointer;
    this.checkpointer = undefined;
    void checkpointer?.terminate();
    const waiting = [...this.pending.values()];
    this.pending.clear();
    for (const pending of waiting) pending.reject(error);
  }
}

/** The error as the thread reported it: a `SqliteError` (with its code) again, or an `Error` of the same name. */
function toDriverError(error: { name: string; message: string; code?: string }): Error {
  if (error.name === 'SqliteError' && error.code !== undefined) return new Database.SqliteError(error.message, error.code);
  const rebuilt = error.name === 'TypeError' ? new TypeError(error.message) : error.name === 'RangeError' ? new RangeError(error.message) : new Error(error.message);
  if (rebuilt.name !== error.name) rebuilt.name = error.name;
  return rebuilt;
}

/**
 * The threads' script. Built (`dist/`), it is the compiled `writer-worker.js` next to this module.
 * Run from the TypeScript sources (Vitest, tsx), Node cannot load `writer-worker.ts` in a thread by
 * itself: the sources of the thread's modules are transpiled once (TypeScript's `transpileModule`,
 * the same emit as the build, without type checking) into a cache keyed by their content under
 * `node_modules/.cache/`, and the thread starts from there.
 */
function writerScript(): { source: URL } {
  const here = import.meta.url;
  if (!here.endsWith('.ts')) return { source: new URL('./writer-worker.js', here) };
  transpiled ??= transpileWorker(fileURLToPath(new URL('./writer-worker.ts', here)));
  return { source: transpiled };
}

/**
 * A thread inherits the process's Node options, but `--input-type` (as in `node --input-type=module
 * -e ...`) would stop it from loading a file: without it, given explicitly, or (should Node refuse
 * some other inherited option given explicitly) with none.
 */
function startThread(source: URL, workerData: WorkerSetup): Worker {
  if (!process.execArgv.some((option) => option.startsWith('--input-type'))) return new Worker(source, { workerData });
  try {
    return new Worker(source, { workerData, execArgv: process.execArgv.filter((option) => !option.startsWith('--input-type')) });
  } catch (error) {
    if ((error as { code?: unknown } | null)?.code !== 'ERR_WORKER_INVALID_EXEC_ARGV') throw error;
    return new Worker(source, { workerData, execArgv: [] });
  }
}

let transpiled: URL | undefined;

/** Transpiles `entry` and the relative modules it imports (at run time) into the cache; the entry's URL there. */
function transpileWorker(entry: string): URL {
  const require = createRequire(import.meta.url);
  const srcRoot = resolve(dirname(entry), '../..');
  const files = new Map<string, string>();
  const queue = [entry];
  while (queue.length > 0) {
    const file = queue.pop() as string;
    if (files.has(file)) continue;
    const text = readFileSync(file, 'utf8');
    files.set(file, text);
    // Value imports only: `import type` and `export type` are erased and need no module.
    for (const match of text.matchAll(/^(?:import|export)(?!\s+type\b)[^'"]*?from\s+'(\.{1,2}\/[^']+)\.js'/gm)) {
      queue.push(resolve(dirname(file), `${match[1]}.ts`));
    }
  }
  const hash = createHash('sha256');
  for (const [file, text] of [...files].sort(([a], [b]) => (a < b ? -1 : 1))) hash.update(relative(srcRoot, file)).update('\0').update(text).update('\0');
  const nodeModules = dirname(dirname(require.resolve('better-sqlite3/package.json')));
  const dir = join(nodeModules, '.cache', 'nextbest-sqlite-worker', hash.digest('hex').slice(0, 16));
  const target = join(dir, relative(srcRoot, entry).replace(/\.ts$/, '.js'));
  if (!existsSync(target)) {
    const ts = require('typescript') as typeof import('typescript');
    const staging = `${dir}.${process.pid}.${Date.now()}`;
    for (const [file, text] of files) {
      const output = ts.transpileModule(text, {
        fileName: file,
        compilerOptions: { module: ts.ModuleKind.ESNext, target: ts.ScriptTarget.ES2022, sourceMap: false },
      }).outputText;
      const out = join(staging, relative(srcRoot, file).replace(/\.ts$/, '.js'));
      mkdirSync(dirname(out), { recursive: true });
      writeFileSync(out, output);
    }
    writeFileSync(join(staging, 'package.json'), '{"type":"module"}\n');
    try {
      renameSync(staging, dir);
    } catch {
      rmSync(staging, { recursive: true, force: true }); // another process got there first
    }
  }
  return pathToFileURL(target);
}
