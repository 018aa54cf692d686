/**
 * What the SQLite store and its threads (`writer-worker.ts`) say to each other.
 */
import type { Worker } from 'node:worker_threads';
import type { CheckpointerOptions } from './checkpointer.js';
import type { WriteOp } from './writes.js';

/** A request to a thread; `close` is its last. The checkpointer takes `stats` and `close` only. */
export interface WorkerRequest {
  id: number;
  op: WriteOp | 'close' | 'stats';
  args: unknown[];
}

/** The writer thread's answer to one request (answers come in arrays, one per commit). */
export type WorkerReply =
  | { id: number; ok: true; result: unknown }
  | { id: number; ok: false; error: { name: string; message: string; code?: string } };

/** What a thread is started with. */
export interface WorkerSetup {
  role: 'writer' | 'checkpointer';
  path: string;
  /** `Int32Array` slots shared by the writer and the checkpointer (see `checkpointer.ts`). */
  shared: SharedArrayBuffer;
  checkpointer: CheckpointerOptions;
}

/**
 * Posts a request to the writer thread (structured clone). A value structured clone cannot copy (a
 * function, say) is sent as its JSON round trip instead: the thread stores `JSON.stringify` of what
 * it receives, and `JSON.stringify(JSON.parse(JSON.stringify(x)))` is `JSON.stringify(x)`, so the
 * stored text is what serialising the original would have given. (Measured: cloning the records
 * costs the event loop less than serialising them to JSON first; V8-serialising to a transferred
 * buffer costs more than either.)
 */
export function postRequest(worker: Worker, request: WorkerRequest): void {
  try {
    worker.postMessage(request);
  } catch (error) {
    if ((error as { name?: unknown } | null)?.name !== 'DataCloneError') throw error;
    worker.postMessage({ ...request, args: JSON.parse(JSON.stringify(request.args)) as unknown[] });
  }
}
