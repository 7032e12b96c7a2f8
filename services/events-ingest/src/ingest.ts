import type { BatchWriter } from '@org/shared-database';
import type { Knex } from 'knex';
import { IngestError } from './errors.js';
import type { EventRow } from './validation.js';

export { EVENT_COLUMNS, type EventRow, parseBatch } from './validation.js';

export interface IngestStats {
  acceptedEvents: number;
  acceptedBatches: number;
  refusedBusy: number;
  reserved: number;
}

/**
 * Accepts whole batches or nothing: a batch is taken only when the writer has room for all of it —
 * counting what it still owes the table (buffered and in flight: a failed request comes back to its
 * buffer) and the room reserved across the await of the session upsert — so the writer never has to
 * drop an accepted event for overflow. Refused batches get ORG_INGEST_BUSY (503) and can be retried.
 * The upsert takes its session rows in key order, so concurrent batches over the same sessions lock
 * them in the same order and cannot deadlock.
 */
export class Ingestor {
  readonly #writer: BatchWriter<EventRow>;
  readonly #primary: Knex;
  readonly #maxQueue: number;
  #reserved = 0;
  #stats = { acceptedEvents: 0, acceptedBatches: 0, refusedBusy: 0 };
  #closing = false;

  constructor(writer: BatchWriter<EventRow>, primary: Knex, maxQueue: number) {
    this.#writer = writer;
    this.#primary = primary;
    this.#maxQueue = maxQueue;
  }

  /** After this, accept() refuses with ORG_INGEST_SHUTTING_DOWN (the writer is about to close). */
  stopAccepting(): void {
    this.#closing = true;
  }

  async accept(rows: EventRow[]): Promise<number> {
    if (this.#closing) throw new IngestError('ORG_INGEST_SHUTTING_DOWN', 'shutting down: batch not accepted');
    const queued = this.#writer.stats().pending;
    if (queued + this.#reserved + rows.length > this.#maxQueue) {
      this.#stats.refusedBusy++;
      throw new IngestError('ORG_INGEST_BUSY', 'write queue full: batch not accepted, retry later', {
        details: { queued, reserved: this.#reserved, batch: rows.length, maxQueue: this.#maxQueue },
      });
    }
    this.#reserved += rows.length;
    try {
      const seen = new Map<string, Date>();
      for (const row of rows) {
        const prev = seen.get(row.session_id);
        if (!prev || prev < row.occurred_at) seen.set(row.session_id, row.occurred_at);
      }
      const sessions = [...seen]
        .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
        .map(([id, at]) => ({ id, last_seen_at: at }));
      await this.#primary('ingest_sessions')
        .insert(sessions)
        .onConflict('id')
        .merge({
          last_seen_at: this.#primary.raw('greatest(ingest_sessions.last_seen_at, excluded.last_seen_at)'),
          closed_at: null,
          close_reason: null,
        });
      for (const row of rows) this.#writer.write(row);
    } finally {
      this.#reserved -= rows.length;
    }
    this.#stats.acceptedEvents += rows.length;
    this.#stats.acceptedBatches++;
    return rows.length;
  }

  stats(): IngestStats {
    return { ...this.#stats, reserved: this.#reserved };
  }
}
