/**
 * WAL checkpoints off the commit path. In WAL mode every commit appends the pages it changed to the
 * `-wal` file; a checkpoint copies them back into the database file so that the WAL can start
 * again from its beginning. By default SQLite runs it inside the commit that finds the WAL over
 * 1,000 pages, and that commit (and every write queued behind it) waits for thousands of page
 * writes and a sync of the database file. Here a checkpointer thread with its own connection runs
 * PASSIVE checkpoints (they neither block nor wait for the writer) shortly after commits, while the
 * writer thread keeps committing. When the writer starts a transaction with everything copied, SQLite
 * restarts the WAL by itself. Should the WAL grow regardless (the writer never leaves it fully
 * copied), the checkpointer asks the writer thread to pause between two groups for the short final
 * RESTART checkpoint (`SharedArrayBuffer` flag, bounded waits on both sides).
 *
 * The thread starts once the store has written a while (`startAfterWrites`); until then, and
 * whenever it is not running, the writer's own automatic checkpoint works as SQLite's default does.
 * While it runs, that automatic checkpoint stays on at a larger threshold, as a safety net.
 *
 * Checkpoints never decide durability: a commit is durable when its WAL frames are synced
 * (synchronous=FULL), whatever the checkpointer does or fails to do.
 */
import type Database from 'better-sqlite3';

/** Slots of the shared `Int32Array`. */
export const SLOT_PAUSE = 0;
/** Incremented by the writer after each commit: something new to checkpoint. */
export const SLOT_COMMITS = 1;
/** 1 while a checkpointer thread runs (set by it, cleared by it or by the store when it stops). */
export const SLOT_ALIVE = 2;
export const SHARED_SLOTS = 3;

/** `SLOT_PAUSE` states. */
const RUN = 0;
const PAUSE_REQUESTED = 1;
const PAUSED = 2;

/** The writer's automatic checkpoint (pages of the WAL): SQLite's default, and with a checkpointer thread. */
export const WRITER_AUTOCHECKPOINT_PAGES = 1000;
export const WRITER_AUTOCHECKPOINT_PAGES_WITH_CHECKPOINTER = 4000;

export interface CheckpointerOptions {
  /** The thread starts after this many writes (a store that writes little never needs one). */
  startAfterWrites: number;
  /** How often to look for new commits, ms. */
  intervalMs: number;
  /** WAL size (frames) above which the checkpointer pauses the writer for a RESTART checkpoint. */
  restartFrames: number;
  /** Longest wait for the writer to pause, and its longest pause, ms. */
  pauseWaitMs: number;
}

export const DEFAULT_CHECKPOINTER: CheckpointerOptions = { startAfterWrites: 256, intervalMs: 25, restartFrames: 2000, pauseWaitMs: 25 };

/** What a checkpointer did, for tests. */
export interface CheckpointerStats {
  /** Checkpoints run (PASSIVE and RESTART). */
  passes: number;
  /** RESTART checkpoints, each with the writer paused. */
  restarts: number;
  /** Time the writer was asked to stay paused, in total and at most, ms. */
  pausedMs: number;
  longestPauseMs: number;
}

/**
 * Called by the writer thread before each group: if the checkpointer asked for a pause, give it
 * the database (no transaction is open here) until it is done or `waitMs` passed.
 */
export function pauseIfAsked(shared: Int32Array, waitMs: number): void {
  if (Atomics.load(shared, SLOT_PAUSE) !== PAUSE_REQUESTED) return;
  Atomics.store(shared, SLOT_PAUSE, PAUSED);
  Atomics.notify(shared, SLOT_PAUSE);
  if (Atomics.wait(shared, SLOT_PAUSE, PAUSED, waitMs) === 'timed-out') Atomics.compareExchange(shared, SLOT_PAUSE, PAUSED, RUN);
}

/** Called by the writer thread after each commit. */
export function noteCommit(shared: Int32Array): void {
  Atomics.add(shared, SLOT_COMMITS, 1);
}

/** The automatic checkpoint the writer's connection should have now. */
export function writerAutocheckpoint(shared: Int32Array): number {
  return Atomics.load(shared, SLOT_ALIVE) === 1 ? WRITER_AUTOCHECKPOINT_PAGES_WITH_CHECKPOINTER : WRITER_AUTOCHECKPOINT_PAGES;
}

/** The checkpointer's work on its own connection; `tick` is called every `intervalMs`. */
export class Checkpointer {
  private seenCommits = -1;
  readonly stats: CheckpointerStats = { passes: 0, restarts: 0, pausedMs: 0, longestPauseMs: 0 };

  constructor(
    private readonly db: Database.Database,
    private readonly shared: Int32Array,
    private readonly options: CheckpointerOptions = DEFAULT_CHECKPOINTER,
  ) {}

  tick(): void {
    const commits = Atomics.load(this.shared, SLOT_COMMITS);
    if (commits === this.seenCommits) return;
    this.seenCommits = commits;
    let result = this.checkpoint('PASSIVE');
    if (result.log <= this.options.restartFrames) return;
    // The WAL is not restarting by itself: catch up with what was committed meanwhile (each pass
    // is shorter than the previous), then have the writer pause for the final, short, RESTART.
    for (let pass = 0; pass < 4; pass++) {
      const started = performance.now();
      result = this.checkpoint('PASSIVE');
      if (performance.now() - started < 2) break;
    }
    const asked = performance.now();
    Atomics.store(this.shared, SLOT_PAUSE, PAUSE_REQUESTED);
    try {
      Atomics.wait(this.shared, SLOT_PAUSE, PAUSE_REQUESTED, this.options.pauseWaitMs);
      this.checkpoint('RESTART');
      this.stats.restarts += 1;
    } finally {
      Atomics.store(this.shared, SLOT_PAUSE, RUN);
      Atomics.notify(this.shared, SLOT_PAUSE);
      const paused = performance.now() - asked;
      this.stats.pausedMs += paused;
      this.stats.longestPauseMs = Math.max(this.stats.longestPauseMs, paused);
    }
  }

  /** Lets go of the writer, if it waits. */
  release(): void {
    Atomics.store(this.shared, SLOT_PAUSE, RUN);
    Atomics.notify(this.shared, SLOT_PAUSE);
  }

  private checkpoint(mode: 'PASSIVE' | 'RESTART'): { busy: number; log: number; checkpointed: number } {
    this.stats.passes += 1;
    const rows = this.db.pragma(`wal_checkpoint(${mode})`) as Array<{ busy: number; log: number; checkpointed: number }>;
    return rows[0] ?? { busy: 0, log: 0, checkpointed: 0 };
  }
}
