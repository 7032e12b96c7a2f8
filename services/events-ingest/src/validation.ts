import { columnChecks } from '@org/shared-database';
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

/**
 * What PostgreSQL refuses (or would store changed) for the columns of ingest_events, as its migration
 * declares them: checked before a batch is accepted, so a 202 means every event of it can be stored.
 */
const STORABLE = columnChecks<EventRow>({
  event_id: { type: 'text', notNull: true },
  session_id: { type: 'text', notNull: true },
  type: { type: 'text', notNull: true },
  occurred_at: { type: 'timestamptz', notNull: true },
  payload: 'jsonb',
});

const TOKEN = /^[A-Za-z0-9._:-]{1,128}$/;
const MAX_PROBLEMS = 20;
export const MAX_PAYLOAD_CHARS = 16 * 1024;

export interface Problem {
  field: string;
  problem: string;
}

/** Shape problems (400) and values of the right shape that cannot be stored (422), in order. */
class Problems {
  readonly list: Problem[] = [];
  shape = false;

  get full(): boolean {
    return this.list.length >= MAX_PROBLEMS;
  }

  add(field: string, problem: string, shape: boolean): void {
    if (this.full) return;
    this.list.push({ field, problem });
    if (shape) this.shape = true;
  }
}

/**
 * Validates a batch. Throws ORG_INGEST_INVALID_INPUT (400) when an event is not of the right shape, or
 * ORG_INGEST_UNSTORABLE (422) when one holds a value the database could not store as sent (a NUL or a
 * lone surrogate in the payload, a timestamp out of range, a day the month does not have, a payload
 * too large or too deep); `details.problems` names each field (at most 20). Nothing is accepted then.
 */
export function parseBatch(body: unknown, maxEvents: number, now = new Date()): EventRow[] {
  const events = (body as { events?: unknown } | null)?.events;
  if (!Array.isArray(events) || events.length === 0 || events.length > maxEvents) {
    throw new IngestError('ORG_INGEST_INVALID_INPUT', `events: an array of 1-${maxEvents} events`, {
      details: { problems: [{ field: 'events', problem: `an array of 1-${maxEvents} events` }] },
    });
  }
  const problems = new Problems();
  const rows: EventRow[] = [];
  for (let i = 0; i < events.length && !problems.full; i++) {
    const e = events[i] as Record<string, unknown> | null;
    if (typeof e !== 'object' || e === null || Array.isArray(e)) {
      problems.add(`events[${i}]`, 'an object', true);
      continue;
    }
    const start = problems.list.length;
    for (const field of ['id', 'sessionId', 'type'] as const) {
      if (typeof e[field] !== 'string' || !TOKEN.test(e[field] as string)) {
        problems.add(`events[${i}].${field}`, 'a string of 1-128 [A-Za-z0-9._:-]', true);
      }
    }
    let at = now;
    if (e.at !== undefined) {
      if (typeof e.at !== 'string') {
        problems.add(`events[${i}].at`, 'an ISO 8601 timestamp', true);
      } else {
        const problem = STORABLE.check('occurred_at', e.at);
        if (problem)
          problems.add(`events[${i}].at`, `an ISO 8601 timestamp PostgreSQL can store: ${problem}`, false);
        else at = new Date(e.at);
      }
    }
    if (e.payload !== undefined) {
      if (typeof e.payload !== 'object' || e.payload === null || Array.isArray(e.payload)) {
        problems.add(`events[${i}].payload`, 'an object', true);
      } else {
        // The column checks first: they walk the payload without recursion, so a deeply nested one
        // is refused before JSON.stringify could overflow the stack on it.
        const problem = STORABLE.check('payload', e.payload);
        if (problem) problems.add(`events[${i}].payload`, problem, false);
        else if (JSON.stringify(e.payload).length > MAX_PAYLOAD_CHARS) {
          problems.add(`events[${i}].payload`, `at most ${MAX_PAYLOAD_CHARS} characters as JSON`, false);
        }
      }
    }
    // The ids are tokens (no NUL, no surrogate can pass the pattern); the other columns are checked above.
    if (problems.list.length === start) {
      rows.push({
        event_id: e.id as string,
        session_id: e.sessionId as string,
        type: e.type as string,
        occurred_at: at,
        payload: e.payload ?? null,
      });
    }
  }
  if (problems.list.length > 0) {
    const code = problems.shape ? 'ORG_INGEST_INVALID_INPUT' : 'ORG_INGEST_UNSTORABLE';
    throw new IngestError(code, problems.list.map((p) => `${p.field}: ${p.problem}`).join('; '), {
      details: { problems: problems.list },
    });
  }
  return rows;
}
