import type { BatchWriter } from '@org/shared-database';
import type { Knex } from 'knex';
import { IngestError } from './errors.js';

export interface EventRow {
  event_id: string;
  session_id: string;
  type: string;
  occurred_at: Date;
  payload: unknown;
}

export const EVENT_COLUMNS = [
  'event_id',
  'session_id',
  'type',
  'occurred_at',
  'payload',
] as const satisfies readonly (keyof EventRow)[];

const TOKEN = /^[A-Za-z0-9._:-]{1,128}$/;
const MAX_PAYLOAD_CHARS = 16 * 1024;

type Problems = { field: string; problem: string }[];

/** Validates a batch; throws ORG_INGEST_INVALID_INPUT listing the problems (at most 20). Nothing is accepted then. */
export function parseBatch(body: unknown, maxEvents: number, now = new Date()): EventRow[] {
  const problems: Problems = [];
  const events = (body as { events?: unknown } | null)?.events;
  if (!Array.isArray(events) || events.length === 0 || events.length > maxEvents) {
    throw new IngestError('ORG_INGEST_INVALID_INPUT', `events: an array of 1-${maxEvents} events`, {
      details: { problems: [{ field: 'events', problem: `an array of 1-${maxEvents} events` }] },
    });
  }
  const rows: EventRow[] = [];
  for (let i = 0; i < events.length && problems.length < 20; i++) {
    const e = events[i] as Record<string, unknown> | null;
    if (typeof e !== 'object' || e === null) {
      problems.push({ field: `events[${i}]`, problem: 'an object' });
      continue;
    }
    const start = problems.length;
    if (typeof e.id !== 'string' || !TOKEN.test(e.id))
      problems.push({ field: `events[${i}].id`, problem: 'a string of 1-128 [A-Za-z0-9._:-]' });
    if (typeof e.sessionId !== 'string' || !TOKEN.test(e.sessionId)) {
      problems.push({ field: `events[${i}].sessionId`, problem: 'a string of 1-128 [A-Za-z0-9._:-]' });
    }
    if (typeof e.type !== 'string' || !TOKEN.test(e.type))
      problems.push({ field: `events[${i}].type`, problem: 'a string of 1-128 [A-Za-z0-9._:-]' });
    let at = now;
    if (e.at !== undefined) {
      at = new Date(typeof e.at === 'string' ? e.at : Number.NaN);
      if (Number.isNaN(at.getTime()))
        problems.push({ field: `events[${i}].at`, problem: 'an ISO 8601 timestamp' });
    }
    if (
      e.payload !== undefined &&
      (typeof e.payload !== 'object' ||
        e.payload === null ||
        JSON.stringify(e.payload).length > MAX_PAYLOAD_CHARS)
    ) {
      problems.push({
        field: `events[${i}].payload`,
        problem: `an object of at most ${MAX_PAYLOAD_CHARS} characters as JSON`,
      });
    }
    if (problems.length === start) {
      rows.push({
        event_id: e.id as string,
        session_id: e.sessionId as string,
        type: e.type as string,
        occurred_at: at,
        payload: e.payload ?? null,
      });
    }
  }
  if (problems.length > 0) {
    throw new IngestError(
      'ORG_INGEST_INVALID_INPUT',
      problems.map((p) => `${p.field}: ${p.problem}`).join('; '),
      {
        details: { problems },
      },
    );
  }
  return rows;
}

export interface IngestStats {
  acceptedEvents: number;
  acceptedBatches: number;
  refusedBusy: number;
  reserved: number;
}

/**
 * Accepts whole batches or nothing: a batch is taken only when the writer's queue has room for all
 * of it (room is reserved across the await of the session upsert), so the writer never has to drop
 * an accepted event for overflow. Refused batches get ORG_INGEST_BUSY (503) and can be retried.
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
    const queued = this.#writer.stats().queue.size;
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
      const sessions = [...seen].map(([id, at]) => ({ id, last_seen_at: at }));
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
