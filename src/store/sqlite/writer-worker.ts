/**
 * The SQLite store's threads (see `writer.ts`), each with its own connection to the database file
 * and the same durability settings as the store's:
 *
 * - the writer applies write requests in the order they arrive; those that arrived while the
 *   previous commit was running are committed together (one transaction, one disk sync, each request
 *   in its own savepoint), and each is answered only after that commit. `close` closes the
 *   connection (after every earlier request) and ends the thread.
 * - the checkpointer copies committed WAL pages into the database file meanwhile (see
 *   `checkpointer.ts`). `close` stops it.
 */
import { parentPort, receiveMessageOnPort, workerData, type MessagePort } from 'node:worker_threads';
import Database from 'better-sqlite3';
import { Checkpointer, noteCommit, pauseIfAsked, SLOT_ALIVE, writerAutocheckpoint } from './checkpointer.js';
import { configureConnection } from './connection.js';
import type { WorkerReply, WorkerRequest, WorkerSetup } from './wire.js';
import { SqliteWrites, type WriteRequest } from './writes.js';

const port = ((): MessagePort => {
  if (!parentPort) throw new Error('writer-worker.ts runs as a worker thread of the SQLite store');
  return parentPort;
})();
const setup = workerData as WorkerSetup;
const shared = new Int32Array(setup.shared);

if (setup.role === 'checkpointer') runCheckpointer();
else runWriter();

function runCheckpointer(): void {
  const options = setup.checkpointer;
  let db: Database.Database | undefined;
  let checkpointer: Checkpointer | undefined;
  try {
    db = new Database(setup.path, { fileMustExist: true });
    configureConnection(db);
    // A RESTART checkpoint waits for the writer's lock and for readers: never for long.
    db.pragma(`busy_timeout = ${options.pauseWaitMs}`);
    checkpointer = new Checkpointer(db, shared, options);
    Atomics.store(shared, SLOT_ALIVE, 1);
  } catch {
    db?.close();
    port.close(); // the writer's own automatic checkpoint does the work
    return;
  }
  const timer = setInterval(() => {
    try {
      checkpointer.tick();
    } catch {
      // A failed checkpoint loses nothing (the pages stay in the WAL); the next tick tries again.
    }
  }, options.intervalMs);
  port.on('message', (request: WorkerRequest) => {
    if (request.op === 'stats') {
      port.postMessage({ ...checkpointer.stats });
      return;
    }
    clearInterval(timer);
    Atomics.store(shared, SLOT_ALIVE, 0);
    checkpointer.release();
    try {
      db.close();
    } finally {
      port.postMessage({ closed: true });
      port.close();
    }
  });
}

function runWriter(): void {
  let db: Database.Database | undefined;
  let writes: SqliteWrites | undefined;
  let openFailure: unknown;
  try {
    db = new Database(setup.path, { fileMustExist: true });
    configureConnection(db);
    writes = new SqliteWrites(db);
  } catch (error) {
    openFailure = error;
    db?.close();
    db = undefined;
  }

  /** At most this many requests are committed together (the rest form the next group). */
  const MAX_GROUP = 256;
  let autocheckpoint = -1;

  /** SQLite's automatic checkpoint: the default alone, a larger safety net next to a checkpointer thread. */
  function followCheckpointer(connection: Database.Database): void {
    const pages = writerAutocheckpoint(shared);
    if (pages === autocheckpoint) return;
    connection.pragma(`wal_autocheckpoint = ${pages}`);
    autocheckpoint = pages;
  }

  function failure(id: number, error: unknown): WorkerReply {
    const code = (error as { code?: unknown } | null)?.code;
    return {
      id,
      ok: false,
      error: {
        name: error instanceof Error ? error.name : 'Error',
        message: error instanceof Error ? error.message : String(error),
        ...(typeof code === 'string' ? { code } : {}),
      },
    };
  }

  function close(request: WorkerRequest): void {
    try {
      db?.close();
      port.postMessage([{ id: request.id, ok: true, result: undefined }] satisfies WorkerReply[]);
    } catch (error) {
      port.postMessage([failure(request.id, error)]);
    }
    port.close();
  }

  /** Commits `group` (one transaction, see `SqliteWrites.applyGroup`), then answers each request. */
  function commit(group: WorkerRequest[]): void {
    if (group.length === 0) return;
    if (!writes) {
      port.postMessage(group.map((request) => failure(request.id, openFailure)));
      return;
    }
    pauseIfAsked(shared, setup.checkpointer.pauseWaitMs);
    if (db) followCheckpointer(db);
    const outcomes = writes.applyGroup(group as unknown as WriteRequest[]);
    noteCommit(shared);
    const replies = group.map((request, i): WorkerReply => {
      const outcome = outcomes[i];
      return outcome?.ok ? { id: request.id, ok: true, result: outcome.result } : failure(request.id, outcome?.error);
    });
    port.postMessage(replies);
  }

  // Group commit: what arrived while the previous group was committing is committed together.
  port.on('message', (first: WorkerRequest) => {
    let group: WorkerRequest[] = [];
    for (let request: WorkerRequest | undefined = first; request; ) {
      if (request.op === 'close') {
        commit(group);
        close(request);
        return;
      }
      group.push(request);
      if (group.length >= MAX_GROUP) {
        commit(group);
        group = [];
      }
      request = receiveMessageOnPort(port)?.message as WorkerRequest | undefined;
    }
    commit(group);
  });
}
