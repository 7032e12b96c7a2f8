/** The official client: loaded on first use, and what its errors say about a request. */
import type { Client } from '@elastic/elasticsearch';
import { defaultRedactor } from '@org/shared-lifecycle';

export type ClientOptions = ConstructorParameters<typeof Client>[0];

/**
 * The official client, imported when the first transport needs it: the module and its transport
 * stack cost about 40 MB of RSS at import, which a service without ELASTICSEARCH_URL never pays.
 * Retries are ours (the sink's backoff) and sniffing is off.
 */
export async function loadClient(options: ClientOptions): Promise<Client> {
  const { Client } = await import('@elastic/elasticsearch');
  return new Client({
    ...options,
    maxRetries: 0,
    sniffOnStart: false,
    sniffOnConnectionFault: false,
    sniffInterval: false,
  });
}

/** The HTTP status of the client's ResponseError (read by shape: a client passed in may come from another copy of the module). */
export function responseStatus(error: unknown): number | undefined {
  if (!(error instanceof Error) || error.name !== 'ResponseError') return undefined;
  const status = (error as { statusCode?: unknown }).statusCode;
  return typeof status === 'number' ? status : undefined;
}

/** Connection errors raised before a byte of the request could reach a server. */
const NOT_SENT = /\b(ECONNREFUSED|ENOTFOUND|EAI_AGAIN|EHOSTUNREACH|ENETUNREACH|EADDRNOTAVAIL)\b/;

/**
 * True when the request certainly did not reach Elasticsearch (the connection was never made). Every
 * other failure without an answer — a timeout, a reset, an answer the client could not read — may
 * have come after Elasticsearch stored the documents.
 */
export function neverSent(error: unknown): boolean {
  if (!(error instanceof Error) || error.name !== 'ConnectionError') return false;
  const cause = (error as { cause?: { code?: unknown } }).cause;
  return NOT_SENT.test(error.message) || (typeof cause?.code === 'string' && NOT_SENT.test(cause.code));
}

/**
 * A whole-request status that means the request was refused before it was processed (429 too many
 * requests, 503 unavailable, 408). A 500, or a gateway's 502/504, may come after the documents were stored.
 */
export function refusedUnprocessed(status: number): boolean {
  return status === 429 || status === 503 || status === 408;
}

export function errorName(error: unknown): string {
  return error instanceof Error ? error.name : typeof error;
}

/**
 * What of a client error may go into a report: its name, its message with credentials in URLs masked,
 * and its status. The client's error object also holds the request (headers with the Authorization
 * value, the body with the log lines), which must not reach a log line.
 */
export function safeCause(error: unknown): Error {
  const name = errorName(error);
  const message = error instanceof Error ? error.message : String(error);
  const safe = new Error(defaultRedactor.string(message));
  safe.name = name;
  const status = responseStatus(error);
  if (status !== undefined) Object.assign(safe, { statusCode: status });
  return safe;
}
