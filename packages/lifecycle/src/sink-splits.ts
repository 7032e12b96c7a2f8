// BufferedSink's splits: the parts a refused batch is split into, waiting to go before the buffer.
import { Deque } from './deque.js';
import type { Entry } from './sink-entry.js';

/** Batches at the front of the line, with their item and byte counts. */
export class SplitQueue<T> {
  readonly #batches = new Deque<Entry<T>[]>();
  #items = 0;
  #bytes = 0;

  get items(): number {
    return this.#items;
  }

  get bytes(): number {
    return this.#bytes;
  }

  pushFront(batch: Entry<T>[]): void {
    this.#batches.pushFront(batch);
    this.#items += batch.length;
    for (const entry of batch) this.#bytes += entry.bytes;
  }

  popFront(): Entry<T>[] | undefined {
    const entries = this.#batches.popFront();
    if (entries) {
      this.#items -= entries.length;
      for (const entry of entries) this.#bytes -= entry.bytes;
    }
    return entries;
  }

  /** Every entry left, in order; the queue is empty after. */
  drain(): Entry<T>[] {
    const left: Entry<T>[] = [];
    for (let batch = this.#batches.popFront(); batch; batch = this.#batches.popFront()) left.push(...batch);
    this.#items = 0;
    this.#bytes = 0;
    return left;
  }
}

export interface RefusedSplit<T> {
  /** Dropped as rejected: the item the sender named, or the batch's only item. */
  readonly rejected: Entry<T>[];
  /** To send again, in order. */
  readonly again: Entry<T>[][];
  /** The batch was split to find the refused item (counted in stats().splits). */
  readonly split: boolean;
}

/**
 * A batch refused for its data: drop the item the sender names, or split the batch to find it (item
 * by item at `isolateBelow` items or fewer, otherwise in halves).
 */
export function splitRefused<T>(
  entries: Entry<T>[],
  index: number | undefined,
  isolateBelow: number,
): RefusedSplit<T> {
  if (index !== undefined && Number.isInteger(index) && index >= 0 && index < entries.length) {
    // What came before the refused item went through unrefused: it goes again on its own, so a later
    // refusal among the items after it does not send it a third time.
    const again = [entries.slice(0, index), entries.slice(index + 1)].filter((part) => part.length > 0);
    return { rejected: [entries[index]!], again, split: false };
  }
  if (entries.length === 1) return { rejected: entries, again: [], split: false };
  if (entries.length <= isolateBelow)
    return { rejected: [], again: entries.map((entry) => [entry]), split: true };
  const half = Math.ceil(entries.length / 2);
  return { rejected: [], again: [entries.slice(0, half), entries.slice(half)], split: true };
}
