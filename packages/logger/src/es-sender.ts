/**
 * One `_bulk` request through the official client, and what its answer means for each entry of the
 * batch, in the terms of the lifecycle package's BufferedSink: stored, retry (pushed back), rejected
 * (refused for good), unknown (in doubt), or a whole-request failure that may or may not have been
 * applied. The sink does the buffering, the window, the backoff and the accounting.
 */
import type { Client } from '@elastic/elasticsearch';
import { aborted, type SendContext, type SendResult, type SinkItem } from '@org/shared-lifecycle';
import { LoggerError } from './errors.js';
import {
  type BufferedDoc,
  type BulkOp,
  bulkOperations,
  isRetryableStatus,
  readBulkResponse,
} from './es-bulk.js';
import { errorName, neverSent, refusedUnprocessed, responseStatus, safeCause } from './es-client.js';
import type { TransportReporter } from './es-reporter.js';

const FILTER_PATH = 'errors,items.*.status,items.*.error.type,items.*.error.reason';

export interface BulkSenderOptions {
  client: Promise<Client>;
  target: string;
  op: BulkOp;
  withIds: boolean;
  reporter: TransportReporter;
}

export class BulkSender {
  readonly #options: BulkSenderOptions;
  /** False after a failure without an answer (refused, reset, timeout) until a request gets one. */
  reachable = true;
  /** Duration of the last request that settled, ms; null before the first. */
  lastRequestMs: number | null = null;
  /** Entries confirmed by a 409 on our own id: stored by an earlier try whose answer was lost. */
  alreadyStored = 0;

  constructor(options: BulkSenderOptions) {
    this.#options = options;
  }

  readonly send = async (batch: readonly SinkItem<BufferedDoc>[], ctx: SendContext): Promise<SendResult> => {
    const { target, op, withIds } = this.#options;
    const started = performance.now();
    let client: Client | undefined;
    try {
      // The first request loads the client module; an abort meanwhile (the close deadline) ends the wait.
      client = await Promise.race([this.#options.client, aborted(ctx.signal).then(() => undefined)]);
    } catch (error) {
      // The client could not be created: nothing was sent, and nothing will be.
      this.reachable = false;
      return this.#failed(error, batch.length, false, 'the Elasticsearch client could not be created');
    }
    if (client === undefined || ctx.signal.aborted) {
      // Aborted before a byte went out: certainly not stored.
      return this.#failed(ctx.signal.reason, batch.length, false, '_bulk request aborted before it was sent');
    }
    let body: unknown;
    try {
      body = await client.bulk(
        {
          index: target,
          operations: bulkOperations(
            batch.map((item) => item.value),
            op,
            withIds,
          ) as never,
          filter_path: FILTER_PATH,
        },
        { maxRetries: 0, signal: ctx.signal },
      );
    } catch (error) {
      return this.#failure(error, batch.length, ctx);
    } finally {
      this.lastRequestMs = performance.now() - started;
    }
    this.reachable = true;
    return this.#answer(body, batch.length);
  };

  #answer(body: unknown, count: number): SendResult {
    const { withIds, reporter } = this.#options;
    const outcome = readBulkResponse(body, count, withIds);
    this.alreadyStored += outcome.alreadyPresent;
    if (outcome.stored === count) return { kind: 'stored' };
    if (outcome.malformed) {
      reporter.report(
        'ORG_LOGGER_ES_BAD_RESPONSE',
        `a _bulk answer did not answer every entry (${outcome.unknown.length} of ${count} unanswered); they are sent again`,
        undefined,
        { expected: count, unanswered: outcome.unknown.length },
      );
    }
    if (outcome.unknown.length === count) {
      // Nothing was answered: as a whole-request failure (backoff), with every entry in doubt.
      return {
        kind: 'failed',
        inDoubt: true,
        error: new LoggerError('ORG_LOGGER_ES_BAD_RESPONSE', 'a _bulk answer without items'),
      };
    }
    const sample = outcome.sample;
    return {
      kind: 'items',
      retry: outcome.retry,
      rejected: outcome.rejected,
      unknown: outcome.unknown,
      ...(outcome.rejected.length > 0
        ? {
            error: new LoggerError(
              'ORG_LOGGER_ES_ITEMS_REJECTED',
              `Elasticsearch rejected log entries (first: ${sample?.status} ${sample?.type ?? ''} ${sample?.reason ?? ''})`,
              { details: { sample } },
            ),
          }
        : {}),
    };
  }

  #failure(error: unknown, count: number, ctx: SendContext): SendResult {
    const status = responseStatus(error);
    if (status === undefined) {
      if (errorName(error) === 'DeserializationError') {
        // An answer came, but not one the client could read: the request was processed.
        this.reachable = true;
        this.#options.reporter.report(
          'ORG_LOGGER_ES_BAD_RESPONSE',
          `a _bulk answer could not be read; its ${count} entries are sent again`,
          safeCause(error),
          { expected: count },
        );
        return { kind: 'failed', error, inDoubt: true };
      }
      this.reachable = false;
      const notSent = neverSent(error) && !ctx.signal.aborted;
      return this.#failed(
        error,
        count,
        !notSent,
        ctx.signal.aborted ? `_bulk request aborted (${describe(ctx.signal.reason)})` : undefined,
      );
    }
    this.reachable = true;
    if (status === 413) {
      // Too large for the cluster: the sink halves the batch until it fits (an entry alone that does
      // not fit is rejected).
      return {
        kind: 'refused',
        error: new LoggerError(
          'ORG_LOGGER_ES_BATCH_REJECTED',
          `Elasticsearch refused a _bulk request as too large (413)`,
          { cause: safeCause(error), details: { status } },
        ),
      };
    }
    if (isRetryableStatus(status)) return this.#failed(error, count, !refusedUnprocessed(status));
    return {
      kind: 'rejected',
      error: new LoggerError(
        'ORG_LOGGER_ES_BATCH_REJECTED',
        `Elasticsearch rejected a _bulk request with status ${status}`,
        { cause: safeCause(error), details: { status } },
      ),
    };
  }

  #failed(error: unknown, count: number, inDoubt: boolean, what?: string): SendResult {
    const status = responseStatus(error);
    this.#options.reporter.report(
      'ORG_LOGGER_ES_REQUEST_FAILED',
      `${what ?? `_bulk request failed (${status ?? errorName(error)})`}; ${count} entries put back${inDoubt ? ' (maybe stored: sent again under the same ids)' : ''}, backing off`,
      safeCause(error),
      { status, inDoubt },
    );
    return { kind: 'failed', error, inDoubt };
  }
}

function describe(reason: unknown): string {
  return reason instanceof Error ? reason.message : String(reason);
}
