/** ElasticsearchTransport's options, their defaults and their checks. */
import type { Client } from '@elastic/elasticsearch';
import { type BackoffOptions, checkNumber, type ErrorReporter } from '@org/shared-lifecycle';
import type { ServiceInfo } from './ecs-options.js';
import { LoggerError } from './errors.js';
import { type BulkOp, dataStreamName } from './es-bulk.js';
import type { ClientOptions } from './es-client.js';
import type { IndexTemplateOption } from './es-template.js';

export interface ElasticsearchTransportOptions {
  /** Elasticsearch URL(s). Required unless `client` is given. */
  node?: string | string[];
  /** A client you own (it is not closed by close()). Default: one is created from node + clientOptions. */
  client?: Client;
  /** Extra options for the created client (auth, tls, headers…). maxRetries is always 0 and sniffing off. */
  clientOptions?: Omit<ClientOptions, 'node' | 'nodes' | 'maxRetries'>;
  /** Data stream `logs-<dataset>-<namespace>` written with `create`. Default dataset 'generic', namespace 'default'. */
  dataStream?: { dataset?: string; namespace?: string };
  /** Write to this named index (with `index` ops) instead of a data stream. */
  index?: string;
  /** Put an index template for the target at start (PUT _index_template). Default false. */
  indexTemplate?: IndexTemplateOption;
  /**
   * Send a stable `_id` per entry, so an entry sent again after a lost answer is answered 409 (or
   * overwritten, with `index`) instead of stored twice. Default true. With false, entries whose answer
   * was lost are not sent again: they are counted `unconfirmed` at once.
   */
  documentIds?: boolean;
  /** Buffer cap in entries. Default 1000. */
  maxBufferedEntries?: number;
  /** Buffer cap in UTF-8 bytes of the JSON lines. Default 4 MiB. */
  maxBufferedBytes?: number;
  /** An entry larger than this is refused (dropped.oversize). Default 256 KiB (createLogger truncates before this). */
  maxEntryBytes?: number;
  /** Entries older than this are dropped when next taken for a request (dropped.expired). Default 1 h. */
  maxEntryAgeMs?: number;
  /** Fraction of the oldest entries dropped at once when the buffer is full. Default 0.2. */
  dropFraction?: number;
  /** Entries per _bulk request; a full batch is sent at once. Default 100. */
  batchSize?: number;
  /** Bytes per _bulk request. Default 5 MiB. */
  maxBatchBytes?: number;
  /** Most _bulk requests in flight at once (the top of the AIMD window). Default 4. */
  maxConcurrentRequests?: number;
  /** Period of the (unref'd) flush timer: a partial batch waits at most this long. Default 1000 ms. */
  flushIntervalMs?: number;
  /** @deprecated No effect: requests are bounded by requestTimeoutMs and close() by its deadline. */
  maxFlushMs?: number;
  /** Timeout of one _bulk request. Default 5000 ms. */
  requestTimeoutMs?: number;
  /** Default deadline of close(). Default 5000 ms. */
  closeTimeoutMs?: number;
  /** Backoff after a request that failed as a whole. Default initial 500 ms, max 30 s, factor 2, jitter 0.5. */
  backoff?: BackoffOptions;
  /** Minimum level for this transport. Default: the logger's. */
  level?: string;
  /** The error channel. Default: one line on stderr. */
  onError?: ErrorReporter;
  /** Rate limit of repeated reports of the same code. Default 60 000 ms. */
  reportIntervalMs?: number;
  /** Service fields for entries that did not come through createLogger's format. */
  service?: ServiceInfo;
  /** Clock (tests). Default Date.now. */
  now?: () => number;
}

const MiB = 1024 * 1024;

export interface ResolvedTransportOptions {
  target: string;
  op: BulkOp;
  withIds: boolean;
  maxBufferedEntries: number;
  maxBufferedBytes: number;
  maxEntryBytes: number;
  maxEntryAgeMs: number;
  dropFraction: number;
  batchSize: number;
  maxBatchBytes: number;
  maxConcurrentRequests: number;
  flushIntervalMs: number;
  requestTimeoutMs: number;
  closeTimeoutMs: number;
  reportIntervalMs: number;
}

/** Checks the options and fills in the defaults; throws ORG_LOGGER_INVALID_OPTION. */
export function resolveTransportOptions(options: ElasticsearchTransportOptions): ResolvedTransportOptions {
  if (options === null || typeof options !== 'object') {
    throw new LoggerError('ORG_LOGGER_INVALID_OPTION', 'ElasticsearchTransport needs an options object');
  }
  if (options.client === undefined && (options.node === undefined || options.node.length === 0)) {
    throw new LoggerError(
      'ORG_LOGGER_INVALID_OPTION',
      'ElasticsearchTransport needs `node` (URL) or `client`',
      {
        details: { option: 'node' },
      },
    );
  }
  if (options.documentIds !== undefined && typeof options.documentIds !== 'boolean') {
    throw new LoggerError('ORG_LOGGER_INVALID_OPTION', 'documentIds must be a boolean', {
      details: { option: 'documentIds' },
    });
  }
  let target: string;
  let op: BulkOp;
  if (options.index !== undefined) {
    if (typeof options.index !== 'string' || options.index === '') {
      throw new LoggerError('ORG_LOGGER_INVALID_OPTION', 'index must be a non-empty string', {
        details: { option: 'index' },
      });
    }
    target = options.index;
    op = 'index';
  } else {
    const dataset = options.dataStream?.dataset ?? 'generic';
    const namespace = options.dataStream?.namespace ?? 'default';
    if (typeof dataset !== 'string' || typeof namespace !== 'string') {
      throw new LoggerError(
        'ORG_LOGGER_INVALID_OPTION',
        'dataStream.dataset and .namespace must be strings',
        {
          details: { option: 'dataStream' },
        },
      );
    }
    target = dataStreamName(dataset, namespace);
    op = 'create';
  }
  const maxBufferedBytes = num('maxBufferedBytes', options.maxBufferedBytes ?? 4 * MiB, 1);
  if (options.maxFlushMs !== undefined) num('maxFlushMs', options.maxFlushMs, 1);
  return {
    target,
    op,
    withIds: options.documentIds ?? true,
    maxBufferedEntries: num('maxBufferedEntries', options.maxBufferedEntries ?? 1000, 1, 2 ** 31 - 1, true),
    maxBufferedBytes,
    maxEntryBytes: Math.min(num('maxEntryBytes', options.maxEntryBytes ?? 256 * 1024, 1), maxBufferedBytes),
    maxEntryAgeMs: num('maxEntryAgeMs', options.maxEntryAgeMs ?? 60 * 60 * 1000, 0),
    dropFraction: num('dropFraction', options.dropFraction ?? 0.2, 0, 1),
    batchSize: num('batchSize', options.batchSize ?? 100, 1, 10_000, true),
    maxBatchBytes: num('maxBatchBytes', options.maxBatchBytes ?? 5 * MiB, 1),
    maxConcurrentRequests: num('maxConcurrentRequests', options.maxConcurrentRequests ?? 4, 1, 64, true),
    flushIntervalMs: num('flushIntervalMs', options.flushIntervalMs ?? 1000, 1, 2 ** 31 - 1),
    requestTimeoutMs: num('requestTimeoutMs', options.requestTimeoutMs ?? 5000, 1, 2 ** 31 - 1),
    closeTimeoutMs: num('closeTimeoutMs', options.closeTimeoutMs ?? 5000, 0),
    reportIntervalMs: num('reportIntervalMs', options.reportIntervalMs ?? 60_000, 0),
  };
}

function num(
  name: string,
  value: unknown,
  min: number,
  max = Number.POSITIVE_INFINITY,
  integer = false,
): number {
  return wrapOption(() => checkNumber(name, value, { min, max, integer }));
}

/** Re-throws the lifecycle package's option errors as this package's ORG_LOGGER_INVALID_OPTION. */
export function wrapOption<T>(make: () => T): T {
  try {
    return make();
  } catch (error) {
    const details = (error as { details?: Record<string, unknown> }).details;
    throw new LoggerError(
      'ORG_LOGGER_INVALID_OPTION',
      error instanceof Error ? error.message : String(error),
      {
        cause: error,
        ...(details === undefined ? {} : { details }),
      },
    );
  }
}
