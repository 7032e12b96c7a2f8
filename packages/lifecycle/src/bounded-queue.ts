import { Deque } from './deque.js';
import { checkNumber } from './options.js';

export type DropReason = 'overflow' | 'expired' | 'oversize';

export interface QueueEntry<T> {
  readonly value: T;
  /** Size counted against maxBytes. */
  readonly bytes: number;
  /** When the entry was first enqueued (ms, from the queue's clock); kept when it is put back. */
  readonly enqueuedAt: number;
}

export interface BoundedQueueOptions<T> {
  /** Cap in entries. Required: there is no unbounded queue. */
  maxItems: number;
  /** Cap in bytes, as measured by sizeOf. Default: unlimited. */
  maxBytes?: number;
  /** Entries older than this are dropped by dropExpired() (and by take()). Default: never. */
  maxAgeMs?: number;
  /** An entry larger than this is refused (counted as oversize). Default: maxBytes. */
  maxEntryBytes?: number;
  /** When a cap is hit, drop this fraction of the oldest entries at once. Default 0.2. */
  dropFraction?: number;
  /** Size of an entry in bytes; used only when maxBytes or maxEntryBytes is finite. Default: 0. */
  sizeOf?: (value: T) => number;
  /** Clock, for tests. Default Date.now. */
  now?: () => number;
  /** Called after entries are dropped; must not throw (errors are swallowed). */
  onDrop?: (reason: DropReason, count: number, dropped: readonly QueueEntry<T>[]) => void;
}

export interface BoundedQueueStats {
  size: number;
  bytes: number;
  maxItems: number;
  maxBytes: number;
  /** Entries accepted by push(). enqueued = size + dequeued + dropped.overflow + dropped.expired. */
  enqueued: number;
  /** Entries handed out by shift()/take()/drain() and not put back. */
  dequeued: number;
  dropped: Record<DropReason, number>;
  /** Age of the oldest entry in ms, 0 when empty. */
  oldestAgeMs: number;
}

/**
 * A FIFO capped in items, bytes and age. When full it drops the oldest fraction of its entries in
 * one step, and counts every drop by reason, so that received + dropped always equals what was offered.
 */
export class BoundedQueue<T> {
  readonly maxItems: number;
  readonly maxBytes: number;
  readonly maxAgeMs: number;
  readonly maxEntryBytes: number;
  readonly dropFraction: number;
  readonly #sizeOf: ((value: T) => number) | undefined;
  readonly #now: () => number;
  readonly #onDrop: BoundedQueueOptions<T>['onDrop'];
  readonly #entries = new Deque<QueueEntry<T>>();
  #bytes = 0;
  #enqueued = 0;
  #dequeued = 0;
  readonly #dropped: Record<DropReason, number> = { overflow: 0, expired: 0, oversize: 0 };

  constructor(options: BoundedQueueOptions<T>) {
    this.maxItems = checkNumber('maxItems', options.maxItems, { min: 1, integer: true });
    this.maxBytes = checkNumber('maxBytes', options.maxBytes ?? Number.POSITIVE_INFINITY, { min: 1 });
    this.maxAgeMs = checkNumber('maxAgeMs', options.maxAgeMs ?? Number.POSITIVE_INFINITY, { min: 0 });
    this.maxEntryBytes = checkNumber('maxEntryBytes', options.maxEntryBytes ?? this.maxBytes, {
      min: 1,
      max: this.maxBytes,
    });
    this.dropFraction = checkNumber('dropFraction', options.dropFraction ?? 0.2, { min: 0, max: 1 });
    const measured = Number.isFinite(this.maxBytes) || Number.isFinite(this.maxEntryBytes);
    this.#sizeOf = measured ? options.sizeOf : undefined;
    this.#now = options.now ?? Date.now;
    this.#onDrop = options.onDrop;
  }

  get size(): number {
    return this.#entries.size;
  }

  get bytes(): number {
    return this.#bytes;
  }

  /**
   * Appends a value. Returns false when the value alone is larger than maxEntryBytes (it is counted
   * as an oversize drop); otherwise makes room by dropping the oldest entries and returns true.
   */
  push(value: T, bytes = this.#sizeOf?.(value) ?? 0): boolean {
    if (bytes > this.maxEntryBytes) {
      this.#count('oversize', [{ value, bytes, enqueuedAt: this.#now() }]);
      return false;
    }
    this.#makeRoom(bytes);
    this.#entries.pushBack({ value, bytes, enqueuedAt: this.#now() });
    this.#bytes += bytes;
    this.#enqueued++;
    return true;
  }

  /**
   * Puts entries taken earlier back at the front, in their original order and with their original
   * enqueue time (a batch whose send failed). The caps still hold: if there is no room, the oldest
   * entries, which are these, are dropped as overflow. Returns how many were put back.
   */
  requeue(entries: readonly QueueEntry<T>[]): number {
    let kept = 0;
    const room = this.maxItems - this.#entries.size;
    const byteRoom = this.maxBytes - this.#bytes;
    // Put back the newest first (pushFront reverses), stopping when the caps are reached.
    let bytes = 0;
    let start = entries.length;
    while (start > 0 && kept < room) {
      const entry = entries[start - 1]!;
      if (bytes + entry.bytes > byteRoom) break;
      bytes += entry.bytes;
      kept++;
      start--;
    }
    if (start > 0) this.#count('overflow', entries.slice(0, start));
    for (let i = entries.length - 1; i >= start; i--) this.#entries.pushFront(entries[i]!);
    this.#bytes += bytes;
    // Put back or dropped, none of them counts as handed out any more.
    this.#dequeued -= entries.length;
    return kept;
  }

  /** Removes and returns the oldest entry. */
  shift(): QueueEntry<T> | undefined {
    const entry = this.#entries.popFront();
    if (entry) {
      this.#bytes -= entry.bytes;
      this.#dequeued++;
    }
    return entry;
  }

  /**
   * Drops expired entries, then removes and returns up to maxCount of the oldest entries whose
   * sizes add up to at most maxBytes (always at least one entry when the queue is not empty).
   */
  take(maxCount: number, maxBytes = Number.POSITIVE_INFINITY): QueueEntry<T>[] {
    this.dropExpired();
    const batch: QueueEntry<T>[] = [];
    let bytes = 0;
    while (batch.length < maxCount) {
      const next = this.#entries.peekFront();
      if (!next || (batch.length > 0 && bytes + next.bytes > maxBytes)) break;
      bytes += next.bytes;
      batch.push(this.shift()!);
    }
    return batch;
  }

  /** Drops every entry older than maxAgeMs; returns how many. */
  dropExpired(now = this.#now()): number {
    if (!Number.isFinite(this.maxAgeMs)) return 0;
    const dropped: QueueEntry<T>[] = [];
    for (let head = this.#entries.peekFront(); head && now - head.enqueuedAt > this.maxAgeMs; ) {
      dropped.push(this.#removeHead());
      head = this.#entries.peekFront();
    }
    if (dropped.length > 0) this.#count('expired', dropped);
    return dropped.length;
  }

  /** Removes everything without counting it as dropped; returns the entries. */
  drain(): QueueEntry<T>[] {
    const all = [...this.#entries];
    this.#entries.clear();
    this.#dequeued += all.length;
    this.#bytes = 0;
    return all;
  }

  /** The buffered entries, oldest first (a view for reading; do not keep it past a change). */
  entries(): IterableIterator<QueueEntry<T>> {
    return this.#entries[Symbol.iterator]();
  }

  stats(): BoundedQueueStats {
    const oldest = this.#entries.peekFront();
    return {
      size: this.#entries.size,
      bytes: this.#bytes,
      maxItems: this.maxItems,
      maxBytes: this.maxBytes,
      enqueued: this.#enqueued,
      dequeued: this.#dequeued,
      dropped: { ...this.#dropped },
      oldestAgeMs: oldest ? Math.max(0, this.#now() - oldest.enqueuedAt) : 0,
    };
  }

  #makeRoom(incoming: number): void {
    const overItems = this.#entries.size + 1 > this.maxItems;
    const overBytes = this.#bytes + incoming > this.maxBytes;
    if (!overItems && !overBytes) return;
    const dropped: QueueEntry<T>[] = [];
    const batch = Math.max(1, Math.ceil(this.maxItems * this.dropFraction));
    // Drop the oldest fraction in one step; for the byte cap keep going until the newcomer fits.
    for (let i = 0; i < batch && this.#entries.size > 0; i++) dropped.push(this.#removeHead());
    while (this.#bytes + incoming > this.maxBytes && this.#entries.size > 0) dropped.push(this.#removeHead());
    this.#count('overflow', dropped);
  }

  #removeHead(): QueueEntry<T> {
    const entry = this.#entries.popFront()!;
    this.#bytes -= entry.bytes;
    return entry;
  }

  #count(reason: DropReason, dropped: readonly QueueEntry<T>[]): void {
    if (dropped.length === 0) return;
    this.#dropped[reason] += dropped.length;
    try {
      this.#onDrop?.(reason, dropped.length, dropped);
    } catch {
      // onDrop is an observer; it cannot be allowed to break the queue.
    }
  }
}
