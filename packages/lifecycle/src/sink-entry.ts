// BufferedSink's internal state of one item and of one request in flight.
import type { QueueEntry } from './bounded-queue.js';
import type { SinkItem } from './sink-types.js';

/** An item's state inside the sink; the sender sees it as a read-only SinkItem. */
export interface Slot<T> extends SinkItem<T> {
  readonly value: T;
  inDoubt: boolean;
  attempts: number;
}

export type Entry<T> = QueueEntry<Slot<T>>;

export interface Request<T> {
  readonly entries: Entry<T>[];
  readonly controller: AbortController;
  readonly timer: NodeJS.Timeout;
  /** The batch was part of a split: if it fails it goes back to the splits, not into the buffer. */
  readonly split: boolean;
  /** Requests dispatched before this one (orders answers against the last window decrease). */
  readonly seq: number;
  settled: boolean;
}
