/**
 * Requests to the PostgreSQL store made in the same turn of the event loop, sent together as one
 * statement when the turn ends (or as soon as `max` are waiting): one round trip, one statement on
 * the server and one commit for all of them instead of one each. Every request is sent after it
 * was made, so it sees everything committed before.
 */
export class TurnBatch<Item, Result> {
  private items: Item[] = [];
  private callers: Array<{ resolve: (result: Result) => void; reject: (error: unknown) => void }> = [];
  private scheduled = false;

  /**
   * `send(items)` gives each item's result, in order. `alone(item)`, when given, is what a failed
   * batch falls back to: each item on its own, one after another in the order they were asked for,
   * so that only the one at fault fails (without it, every caller of a failed batch gets its error).
   */
  constructor(
    private readonly max: number,
    private readonly send: (items: Item[]) => Promise<Result[]>,
    private readonly alone?: (item: Item) => Promise<Result>,
  ) {}

  add(item: Item): Promise<Result> {
    return new Promise<Result>((resolve, reject) => {
      this.items.push(item);
      this.callers.push({ resolve, reject });
      if (this.items.length >= this.max) this.flush();
      else if (!this.scheduled) {
        this.scheduled = true;
        setImmediate(() => {
          this.scheduled = false;
          this.flush();
        });
      }
    });
  }

  private flush(): void {
    const items = this.items;
    const callers = this.callers;
    if (items.length === 0) return;
    this.items = [];
    this.callers = [];
    this.send(items).then(
      (results) => callers.forEach((caller, i) => caller.resolve(results[i]!)),
      (error: unknown) => {
        const alone = this.alone;
        if (!alone || items.length === 1) {
          for (const caller of callers) caller.reject(error);
          return;
        }
        // one after another, in the order they were asked for (a store keeps that order)
        void items.reduce(
          (previous: Promise<void>, item, i) => previous.then(() => alone(item).then(callers[i]!.resolve, callers[i]!.reject)),
          Promise.resolve(),
        );
      },
    );
  }
}
