/**
 * The settings every connection of the SQLite store uses: the store's own and its writer thread's.
 */
import type Database from 'better-sqlite3';

export function configureConnection(db: Database.Database): void {
  // Durability: WAL with synchronous=FULL fsyncs the WAL at every commit, so a write whose
  // promise resolved survives a process crash AND an OS crash or power loss. (WAL with
  // synchronous=NORMAL would survive a process crash only: on power loss the last commits can
  // roll back.) The store's rule is "acknowledged is durable", so FULL, at one fsync per commit.
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = FULL');
  // Another connection (the writer thread, or a CLI next to the server) may hold the write lock
  // briefly: wait, don't fail.
  db.pragma('busy_timeout = 5000');
}
