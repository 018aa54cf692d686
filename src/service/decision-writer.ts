/**
 * Group commit for decision records. Decisions made in the same turn of the event loop are queued
 * and written by one `Store.saveDecisions` call (one transaction, one disk sync), and each caller's
 * promise resolves only after that commit: an answered decision is a durable decision, at a
 * fraction of the cost of one transaction each. At most `maxInFlight` batches are being written at
 * a time (one by default; the store says how many it takes, see `Store.decisionBatchesInFlight`);
 * what arrives meanwhile forms the next batch. If a batch fails, its decisions are retried one by
 * one so that only the one at fault is refused.
 */
import type { DecisionRecord } from '../core/types.js';
import type { SaveDecisionOptions, Store } from '../store/store.js';

interface Pending {
  decision: DecisionRecord;
  options: SaveDecisionOptions;
  resolve: () => void;
  reject: (error: unknown) => void;
}

export class DecisionWriter {
  private queue: Pending[] = [];
  private scheduled = false;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly maxInFlight: number;

  constructor(
    private readonly store: Store,
    private readonly maxBatch = 512,
    maxInFlight = store.decisionBatchesInFlight ?? 1,
  ) {
    this.maxInFlight = Math.max(1, Math.floor(maxInFlight));
  }

  /** Resolves when the decision is committed. */
  write(decision: DecisionRecord, options: SaveDecisionOptions = {}): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ decision, options, resolve, reject });
      this.schedule();
    });
  }

  /** Resolves when everything queued so far is committed (or refused). */
  async drain(): Promise<void> {
    while (this.queue.length > 0 || this.inFlight.size > 0 || this.scheduled) {
      if (this.inFlight.size > 0) await Promise.all(this.inFlight);
      else await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }

  private schedule(): void {
    if (this.scheduled || this.inFlight.size >= this.maxInFlight) return;
    this.scheduled = true;
    setImmediate(() => {
      this.scheduled = false;
      while (this.queue.length > 0 && this.inFlight.size < this.maxInFlight) {
        const flushing: Promise<void> = this.flush().finally(() => {
          this.inFlight.delete(flushing);
          if (this.queue.length > 0) this.schedule();
        });
        this.inFlight.add(flushing);
      }
    });
  }

  /** Writes the next batch; never rejects (each caller gets its own outcome). */
  private async flush(): Promise<void> {
    const batch = this.queue.splice(0, this.maxBatch);
    if (batch.length === 0) return;
    try {
      await this.store.saveDecisions(batch.map(({ decision, options }) => ({ decision, options })));
      for (const item of batch) item.resolve();
    } catch (error) {
      if (batch.length === 1) {
        batch[0]!.reject(error);
        return;
      }
      for (const item of batch) {
        try {
          await this.store.saveDecision(item.decision, item.options);
          item.resolve();
        } catch (single) {
          item.reject(single);
        }
      }
    }
  }
}
