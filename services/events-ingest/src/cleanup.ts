import { type ErrorReporter, OwnedInterval } from '@org/shared-lifecycle';
import type { Knex } from 'knex';
import { IngestError } from './errors.js';

export interface StaleSessionCleanupOptions {
  staleAfterMs: number;
  intervalMs: number;
  /** Sessions closed per statement. */
  chunkSize: number;
  /** Most statements per run. */
  maxChunks: number;
  onError: ErrorReporter;
}

export interface CleanupStats {
  runs: number;
  errors: number;
  closedSessions: number;
  lastRunClosed: number;
  /** True when the last run stopped at maxChunks with more stale sessions left. */
  lastRunCapped: boolean;
}

/**
 * Closes sessions with no event for staleAfterMs, on an owned timer (unref'd, never overlapping),
 * in chunks of at most chunkSize rows (`LIMIT … FOR UPDATE SKIP LOCKED`, never "load them all"),
 * at most maxChunks per run; stop() waits for the run in flight and aborts between chunks.
 */
export class StaleSessionCleanup {
  readonly #knex: Knex;
  readonly #options: StaleSessionCleanupOptions;
  readonly #timer: OwnedInterval;
  #closedSessions = 0;
  #lastRunClosed = 0;
  #lastRunCapped = false;

  constructor(knex: Knex, options: StaleSessionCleanupOptions) {
    this.#knex = knex;
    this.#options = options;
    this.#timer = new OwnedInterval((signal) => this.#run(signal), {
      name: 'events-ingest.stale-session-cleanup',
      intervalMs: options.intervalMs,
      onError: options.onError,
    });
  }

  start(): this {
    this.#timer.start();
    return this;
  }

  /** Runs now (or right after the run in flight); resolves when done. */
  runNow(): Promise<void> {
    return this.#timer.trigger();
  }

  stats(): CleanupStats {
    const { runs, errors } = this.#timer.stats();
    return {
      runs,
      errors,
      closedSessions: this.#closedSessions,
      lastRunClosed: this.#lastRunClosed,
      lastRunCapped: this.#lastRunCapped,
    };
  }

  async close(): Promise<void> {
    await this.#timer.stop({ abort: true });
  }

  async #run(signal: AbortSignal): Promise<void> {
    const { chunkSize, maxChunks, staleAfterMs } = this.#options;
    let closed = 0;
    let capped = true;
    try {
      for (let chunk = 0; chunk < maxChunks; chunk++) {
        if (signal.aborted) return;
        const result = await this.#knex.raw(
          `update ingest_sessions set closed_at = now(), close_reason = 'stale'
            where id in (
              select id from ingest_sessions
               where closed_at is null and last_seen_at < now() - make_interval(secs => ?)
               order by last_seen_at
               limit ?
               for update skip locked)`,
          [staleAfterMs / 1000, chunkSize],
        );
        const count = (result as { rowCount?: number }).rowCount ?? 0;
        closed += count;
        if (count < chunkSize) {
          capped = false;
          break;
        }
      }
    } catch (error) {
      throw new IngestError('ORG_INGEST_CLEANUP_FAILED', 'stale-session cleanup failed', { cause: error });
    } finally {
      this.#closedSessions += closed;
      this.#lastRunClosed = closed;
      this.#lastRunCapped = capped && closed > 0;
    }
  }
}
