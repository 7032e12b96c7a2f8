// BufferedSink's items that will not be sent: dropped by reason or unconfirmed, counted, and told to the observers.
import type { DropReason } from './bounded-queue.js';
import { type ErrorReporter, report } from './report.js';
import type { Entry } from './sink-entry.js';
import type { BufferedSinkOptions, SinkDropReason } from './sink-types.js';

export class SinkLosses<T> {
  readonly dropped: Record<SinkDropReason, number> = {
    overflow: 0,
    expired: 0,
    oversize: 0,
    rejected: 0,
    closed: 0,
  };
  readonly #name: string;
  readonly #options: BufferedSinkOptions<T>;
  readonly #onError: ErrorReporter;
  /** Told how many buffered in-doubt items left the buffer (as unconfirmed). */
  readonly #inDoubtGone: (count: number) => void;
  #unconfirmed = 0;

  constructor(
    name: string,
    options: BufferedSinkOptions<T>,
    onError: ErrorReporter,
    inDoubtGone: (count: number) => void,
  ) {
    this.#name = name;
    this.#options = options;
    this.#onError = onError;
    this.#inDoubtGone = inDoubtGone;
  }

  get unconfirmed(): number {
    return this.#unconfirmed;
  }

  /** An item offered after close() started. */
  closed(value: T): void {
    this.dropped.closed++;
    this.observe(() => this.#options.onDrop?.('closed', [value]));
  }

  reject(entries: readonly Entry<T>[], error: unknown): void {
    this.dropped.rejected += entries.length;
    const values = entries.map((entry) => entry.value.value);
    this.observe(() => this.#options.onRejected?.(values, error));
  }

  queueDrop(reason: DropReason, entries: readonly Entry<T>[]): void {
    if (reason === 'oversize') {
      this.dropped.oversize += entries.length;
      const values = entries.map((entry) => entry.value.value);
      this.observe(() => this.#options.onDrop?.('oversize', values));
      return;
    }
    this.lose(reason, entries);
  }

  /** Items that will not be sent: in doubt ones are unconfirmed, the others dropped by `reason`. */
  lose(reason: 'overflow' | 'expired' | 'closed', entries: readonly Entry<T>[]): void {
    const dropped: T[] = [];
    const unconfirmed: T[] = [];
    for (const entry of entries) (entry.value.inDoubt ? unconfirmed : dropped).push(entry.value.value);
    this.#inDoubtGone(unconfirmed.length);
    if (dropped.length > 0) {
      this.dropped[reason] += dropped.length;
      this.observe(() => this.#options.onDrop?.(reason, dropped));
    }
    if (unconfirmed.length > 0) {
      this.#unconfirmed += unconfirmed.length;
      this.observe(() => this.#options.onDrop?.('unconfirmed', unconfirmed));
    }
  }

  /** In-doubt items of a settled request that are not sent again (resendInDoubt false). */
  unconfirm(entries: readonly Entry<T>[]): void {
    if (entries.length === 0) return;
    this.#unconfirmed += entries.length;
    const values = entries.map((entry) => entry.value.value);
    this.observe(() => this.#options.onDrop?.('unconfirmed', values));
  }

  /** Calls an observer; what it throws is reported, never raised. */
  observe(call: () => void): void {
    try {
      call();
    } catch (error) {
      report(this.#onError, error, { source: this.#name, stage: 'observer' });
    }
  }
}
