import type { IncomingMessage, ServerResponse } from 'node:http';
import type { ErrorReporter, Redactor } from '@org/shared-lifecycle';
import type { BodyCapture } from './body-capture.js';
import type { CaptureBudget } from './capture-budget.js';
import type { TrustFn } from './client-address.js';
import type { RequestContext } from './context.js';
import type { RequestRecorder } from './http-metrics.js';
import type { LogSink, RequestLogEntry } from './types.js';

export interface RequestLoggerStats {
  /** Requests seen (logged or in flight). */
  requests: number;
  inFlight: number;
  logged: number;
  aborted: number;
  /** Bodies whose captured text is not the whole body. */
  truncatedBodies: number;
  logErrors: number;
  metricErrors: number;
}

/** A request logger's resolved options and its counters. */
export interface Config {
  logger: LogSink;
  dataset: string | undefined;
  recorder: RequestRecorder | null;
  captureResponse: boolean;
  captureRequest: boolean;
  holdLimit: number;
  budget: CaptureBudget;
  isTextual: (contentType: string) => boolean;
  redact: Redactor;
  logRequestHeaders: boolean;
  logResponseHeaders: boolean;
  requestIdHeader: string;
  generateRequestId: () => string;
  trust: TrustFn | null;
  route: (req: IncomingMessage, status: number | null) => string;
  /** True when `route` is the caller's: its label is then also the entry's `http.route`. */
  customRoute: boolean;
  level: (entry: RequestLogEntry) => string;
  probes: ReadonlySet<string>;
  skip: ((req: IncomingMessage) => boolean) | null;
  onError: ErrorReporter;
  stats: RequestLoggerStats;
}

export type AnyFn = (...args: unknown[]) => unknown;

/**
 * Per-request state, stored on the response (and the request) under a symbol. The stream wrappers
 * and the close handler are module-level functions that find it through `this`: no per-request
 * closure exists, and once the response closes the state drops its request and its buffers.
 */
export interface State {
  config: Config;
  /** process.hrtime.bigint() when the request arrived. */
  start: bigint;
  req: IncomingMessage | null;
  /** The URL as it arrived (routers rewrite req.url for mounted apps). */
  url: string;
  method: string;
  context: RequestContext;
  userAgent: string | undefined;
  clientIp: string | null;
  /** The response's own write and end, called by the wrappers. */
  write: AnyFn;
  end: AnyFn;
  /** The request's own push, when a body is expected. */
  push: AnyFn | null;
  /** Captures exist only when capture is on for that side. */
  response: BodyCapture | null;
  request: BodyCapture | null;
  bytesIn: number;
  bytesOut: number;
  /** An error recorded by the error handler: logged on this request's entry. */
  error: unknown;
  done: boolean;
}

export const kState = Symbol('org.middleware.requestLogger');
export type Tagged<T> = T & { [kState]?: State };

/** The state of a request or response the request logger is tracking, if any. */
export function stateOf(reqOrRes: IncomingMessage | ServerResponse): State | undefined {
  return (reqOrRes as Tagged<IncomingMessage>)[kState];
}
