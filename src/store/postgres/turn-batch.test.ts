/**
 * `TurnBatch`: requests of one turn of the event loop go out together, at most `max` at a time; a
 * failed batch is retried item by item when the owner says how, so only the item at fault fails.
 */
import { describe, expect, it } from 'vitest';
import { TurnBatch } from './turn-batch.js';

describe('TurnBatch', () => {
  it('sends the requests of one turn together, in order, and each caller gets its own result', async () => {
    const sent: number[][] = [];
    const batch = new TurnBatch<number, string>(100, async (items) => {
      sent.push(items);
      return items.map((n) => `r${n}`);
    });
    const first = await Promise.all([batch.add(1), batch.add(2), batch.add(3)]);
    const second = await Promise.all([batch.add(4)]);
    expect(first).toStrictEqual(['r1', 'r2', 'r3']);
    expect(second).toStrictEqual(['r4']);
    expect(sent).toStrictEqual([[1, 2, 3], [4]]);
  });

  it('sends a batch as soon as max requests wait', async () => {
    const sent: number[][] = [];
    const batch = new TurnBatch<number, number>(2, async (items) => {
      sent.push(items);
      return items;
    });
    expect(await Promise.all([1, 2, 3, 4, 5].map((n) => batch.add(n)))).toStrictEqual([1, 2, 3, 4, 5]);
    expect(sent).toStrictEqual([[1, 2], [3, 4], [5]]);
  });

  it('retries a failed batch item by item, in order, so that only the item at fault fails', async () => {
    const events: string[] = [];
    const batch = new TurnBatch<number, number>(
      100,
      async (items) => {
        if (items.includes(13)) throw new Error('one of them is bad');
        return items;
      },
      async (item) => {
        events.push(`start ${item}`);
        await new Promise((resolve) => setTimeout(resolve, 5));
        events.push(`end ${item}`);
        if (item === 13) throw new Error(`item ${item} is bad`);
        return item * 10;
      },
    );
    const outcomes = await Promise.allSettled([batch.add(1), batch.add(13), batch.add(3)]);
    expect(outcomes).toStrictEqual([
      { status: 'fulfilled', value: 10 },
      { status: 'rejected', reason: new Error('item 13 is bad') },
      { status: 'fulfilled', value: 30 },
    ]);
    expect(events).toStrictEqual(['start 1', 'end 1', 'start 13', 'end 13', 'start 3', 'end 3']);
  });

  it('without a way to retry alone, every caller of a failed batch gets its error', async () => {
    const failure = new Error('server gone');
    const batch = new TurnBatch<number, number>(100, async () => {
      throw failure;
    });
    const outcomes = await Promise.allSettled([batch.add(1), batch.add(2)]);
    expect(outcomes).toStrictEqual([
      { status: 'rejected', reason: failure },
      { status: 'rejected', reason: failure },
    ]);
  });
});
