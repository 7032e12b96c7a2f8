import type { ServerResponse } from 'node:http';
import type { Redactor } from '@org/shared-lifecycle';
import type { BodyLog } from './body-capture.js';
import type { State } from './state.js';
import type { RequestLogEntry } from './types.js';

/** What the close handler knows when it builds the entry. */
export interface Outcome {
  status: number | null;
  aborted: boolean;
  durationNs: number;
  /** The label: metrics and the message. */
  route: string;
  /** The route template for `http.route`, when known. */
  template: string | undefined;
}

function bodyLog(capture: State['response'], bytes: number, redact: Redactor): BodyLog {
  return capture === null ? { bytes } : capture.toLog(redact);
}

type Headers = Record<string, string | string[] | number>;

/** Builds the entry of a finished (or aborted) request. Releases the captured bodies. */
export function buildEntry(state: State, res: ServerResponse, outcome: Outcome): RequestLogEntry {
  const { config, context, req } = state;
  const url = state.url;
  const q = url.indexOf('?');
  const request: RequestLogEntry['http']['request'] = {
    id: context.requestId,
    method: state.method,
    body: bodyLog(state.request, state.bytesIn, config.redact),
  };
  const response: RequestLogEntry['http']['response'] = {
    body: bodyLog(state.response, state.bytesOut, config.redact),
  };
  if (outcome.status !== null) response.status_code = outcome.status;
  if (outcome.aborted) request.aborted = true;
  if (config.logRequestHeaders && req !== null)
    request.headers = config.redact.headers(req.headers as Headers);
  if (config.logResponseHeaders) response.headers = config.redact.headers(res.getHeaders() as Headers);
  const http: RequestLogEntry['http'] = { version: req?.httpVersion ?? '1.1', request, response };
  if (outcome.template !== undefined) http.route = outcome.template;
  const failed = outcome.aborted || (outcome.status !== null && outcome.status >= 500);
  const event: RequestLogEntry['event'] = {
    duration: outcome.durationNs,
    outcome: failed ? 'failure' : 'success',
  };
  if (config.dataset !== undefined) event.dataset = config.dataset;
  const entry: RequestLogEntry = {
    event,
    http,
    url: q === -1 ? { path: url } : { path: url.slice(0, q), query: config.redact.url(url.slice(q + 1)) },
    trace: { id: context.traceId },
    span: { id: context.spanId },
    transaction: { id: context.spanId },
  };
  if (state.userAgent !== undefined) entry.user_agent = { original: state.userAgent };
  if (state.clientIp !== null) entry.client = { ip: state.clientIp };
  if (state.error !== undefined) entry.error = state.error;
  return entry;
}

/** `GET /users/:id 200 1.2 ms`. */
export function entryMessage(method: string, outcome: Outcome): string {
  return `${method} ${outcome.route} ${outcome.status ?? 'aborted'} ${(outcome.durationNs / 1e6).toFixed(1)} ms`;
}
