import type { IncomingMessage, ServerResponse } from 'node:http';
import { type ErrorReporter, report } from '@org/shared-lifecycle';
import { BodyCapture, captureDecision } from './body-capture.js';
import type { CaptureBudget } from './capture-budget.js';
import { clientAddress } from './client-address.js';
import { type RequestLoggerOptions, resolveConfig } from './config.js';
import { newContext, type RequestContext, storage } from './context.js';
import { buildEntry, entryMessage, type Outcome } from './entry.js';
import { handleError } from './error-handler.js';
import { MiddlewareError } from './errors.js';
import { requestIdFrom } from './request-id.js';
import { expressRoute, fallbackRoute } from './route.js';
import {
  type AnyFn,
  type Config,
  kState,
  type RequestLoggerStats,
  type State,
  type Tagged,
} from './state.js';
import { loggedEnd, loggedPush, loggedWrite } from './stream-patch.js';
import { newSpanId, newTraceId, parseTraceparent, parseTracestate } from './trace-context.js';
import type { NodeHandler } from './types.js';

export interface RequestLoggerMiddleware {
  (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void): void;
  stats(): RequestLoggerStats;
  readonly captureBudget: CaptureBudget;
}

export interface LoggedHandler {
  (req: IncomingMessage, res: ServerResponse): void;
  stats(): RequestLoggerStats;
  readonly captureBudget: CaptureBudget;
}

function reportFailure(
  config: Config,
  code: 'ORG_MIDDLEWARE_LOG_FAILED' | 'ORG_MIDDLEWARE_METRICS_FAILED',
  error: unknown,
  requestId: string,
): void {
  report(
    config.onError,
    new MiddlewareError(
      code,
      code === 'ORG_MIDDLEWARE_LOG_FAILED'
        ? 'the logging sink threw'
        : 'recording the request duration failed',
      { cause: error, details: { requestId } },
    ),
    { source: 'requestLogger' },
  );
}

/** The one entry of a request, on its response's `close` (finished, aborted or errored). */
function onResponseClose(this: Tagged<ServerResponse>): void {
  const state = this[kState];
  if (state === undefined || state.done) return;
  state.done = true;
  const { config } = state;
  config.stats.inFlight--;
  try {
    const req = state.req;
    const aborted = !this.writableFinished;
    const status = aborted && !this.headersSent ? null : this.statusCode;
    const durationNs = Number(process.hrtime.bigint() - state.start);
    let route: string;
    let template: string | undefined;
    if (config.customRoute) {
      route = req === null ? '/' : config.route(req, status);
      template = route;
    } else {
      template = req === null ? undefined : expressRoute(req);
      route = template ?? fallbackRoute(state.url, status);
    }
    const outcome: Outcome = { status, aborted, durationNs, route, template };
    const entry = buildEntry(state, this, outcome);
    if (entry.http.request.body.truncated === true) config.stats.truncatedBodies++;
    if (entry.http.response.body.truncated === true) config.stats.truncatedBodies++;
    if (aborted) config.stats.aborted++;
    try {
      config.logger.log(
        config.level(entry),
        entryMessage(state.method, outcome),
        entry as unknown as Record<string, unknown>,
      );
      config.stats.logged++;
    } catch (error) {
      config.stats.logErrors++;
      reportFailure(config, 'ORG_MIDDLEWARE_LOG_FAILED', error, state.context.requestId);
    }
    if (config.recorder !== null) {
      try {
        config.recorder.record(route, state.method, status, durationNs / 1e9);
      } catch (error) {
        config.stats.metricErrors++;
        reportFailure(config, 'ORG_MIDDLEWARE_METRICS_FAILED', error, state.context.requestId);
      }
    }
  } catch (error) {
    report(config.onError, error, { source: 'requestLogger' });
  } finally {
    state.response?.release();
    state.request?.release();
    state.response = null;
    state.request = null;
    state.req = null;
    state.error = undefined;
  }
}

function hasBody(headers: IncomingMessage['headers']): boolean {
  const length = headers['content-length'];
  return headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

function isProbe(config: Config, url: string): boolean {
  if (config.probes.size === 0) return false;
  const q = url.indexOf('?');
  return config.probes.has(q === -1 ? url : url.slice(0, q));
}

/** Installs logging on one request/response pair; returns its context, or undefined when skipped or already installed. */
function install(
  config: Config,
  req: Tagged<IncomingMessage>,
  res: Tagged<ServerResponse>,
): RequestContext | undefined {
  if (res[kState] !== undefined) return undefined;
  const url = req.url ?? '/';
  if (isProbe(config, url) || config.skip?.(req)) return undefined;
  const headers = req.headers;
  const parent = headers.traceparent === undefined ? undefined : parseTraceparent(headers.traceparent);
  const context = newContext(
    requestIdFrom(headers[config.requestIdHeader], config.generateRequestId),
    parent?.traceId ?? newTraceId(),
    newSpanId(),
    parent?.parentId,
    parent?.flags ?? '01',
    parent === undefined || headers.tracestate === undefined
      ? undefined
      : parseTracestate(headers.tracestate),
  );
  const state: State = {
    config,
    start: process.hrtime.bigint(),
    req,
    url,
    method: req.method ?? 'GET',
    context,
    userAgent: headers['user-agent'],
    clientIp: clientAddress(req, config.trust),
    write: res.write as AnyFn,
    end: res.end as AnyFn,
    push: null,
    response: null,
    request: null,
    bytesIn: 0,
    bytesOut: 0,
    error: undefined,
    done: false,
  };
  if (req.complete) {
    // The body was read before we got here (a body parser ran first): only its declared size is known.
    const length = Number(headers['content-length']);
    if (Number.isFinite(length) && length > 0) state.bytesIn = length;
  } else if (req[kState] === undefined && hasBody(headers)) {
    // A request without content-length or transfer-encoding has no body (RFC 9112 §6.3): bytesIn
    // stays 0 and the parser's push(null) needs no wrapper.
    if (config.captureRequest) {
      state.request = new BodyCapture(
        config.holdLimit,
        config.budget,
        captureDecision(headers['content-type'], headers['content-encoding'], config.isTextual),
      );
    }
    state.push = req.push as AnyFn;
    req.push = loggedPush as typeof req.push;
  }
  req[kState] ??= state;
  res[kState] = state;
  res.write = loggedWrite as typeof res.write;
  res.end = loggedEnd as typeof res.end;
  if (!res.headersSent) {
    res.setHeader(config.requestIdHeader, context.requestId);
    res.setHeader('traceparent', context.traceparent);
  }
  // on, not once: once() allocates a wrapper closure per request; the handler runs its body only once.
  res.on('close', onResponseClose);
  config.stats.requests++;
  config.stats.inFlight++;
  return context;
}

function safeInstall(config: Config, req: IncomingMessage, res: ServerResponse): RequestContext | undefined {
  try {
    return install(config, req, res);
  } catch (error) {
    // Logging must never break the request it logs.
    report(config.onError, error, { source: 'requestLogger' });
    return undefined;
  }
}

function withStats<T extends object>(
  target: T,
  config: Config,
): T & { stats(): RequestLoggerStats; readonly captureBudget: CaptureBudget } {
  Object.defineProperty(target, 'stats', { value: () => ({ ...config.stats }), enumerable: true });
  Object.defineProperty(target, 'captureBudget', { value: config.budget, enumerable: true });
  return target as T & { stats(): RequestLoggerStats; readonly captureBudget: CaptureBudget };
}

/**
 * Express (or connect) middleware that logs one ECS entry per request when it finishes or is
 * aborted, echoes `x-request-id` and `traceparent`, runs the rest of the request inside its
 * request context (see requestContext()), and records the duration histogram. Use as
 * `app.use(requestLogger(...))` before the routes and any body parser.
 */
export function requestLogger(options: RequestLoggerOptions): RequestLoggerMiddleware {
  const config = resolveConfig(options);
  return withStats((req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => {
    const context = safeInstall(config, req, res);
    if (context === undefined) next();
    else storage.run(context, next);
  }, config);
}

function callHandler(
  handler: NodeHandler,
  req: IncomingMessage,
  res: ServerResponse,
  onError: ErrorReporter,
): void {
  try {
    const result = handler(req, res);
    if (
      result !== null &&
      typeof result === 'object' &&
      typeof (result as Promise<unknown>).then === 'function'
    ) {
      (result as Promise<unknown>).then(undefined, (error: unknown) => handleError(error, req, res, onError));
    }
  } catch (error) {
    handleError(error, req, res, onError);
  }
}

/**
 * Wraps a node:http request handler (sync or async) with the same logging and context as
 * requestLogger. A handler that throws or rejects is handled as errorHandler() does: the error is
 * logged on the request's entry and answered with a 500 JSON body that carries the request id.
 */
export function withRequestLogging(handler: NodeHandler, options: RequestLoggerOptions): LoggedHandler {
  if (typeof handler !== 'function') {
    throw new MiddlewareError('ORG_MIDDLEWARE_INVALID_OPTION', 'handler must be a function', {
      details: { option: 'handler' },
    });
  }
  const config = resolveConfig(options);
  return withStats((req: IncomingMessage, res: ServerResponse) => {
    const context = safeInstall(config, req, res);
    if (context === undefined) callHandler(handler, req, res, config.onError);
    else storage.run(context, callHandler, handler, req, res, config.onError);
  }, config);
}

/** The request id assigned to a request by requestLogger/withRequestLogging, if any. */
export function getRequestId(reqOrRes: IncomingMessage | ServerResponse): string | undefined {
  return (reqOrRes as Tagged<IncomingMessage>)[kState]?.context.requestId;
}

/** How @org/shared-metrics' collectStats() should read stats(): which fields are counters, and their help. */
export const REQUEST_LOGGER_STATS_METRICS = Object.freeze({
  counters: ['requests', 'logged', 'aborted', 'truncatedBodies', 'logErrors', 'metricErrors'] as const,
  help: Object.freeze({
    requests: 'Requests the request logger saw (logged or in flight).',
    inFlight: 'Requests being served now.',
    logged: 'Entries written.',
    aborted: 'Requests whose client went away before the response finished.',
    truncatedBodies: 'Captured bodies whose logged text is not the whole body.',
    logErrors: 'Entries lost because the logging sink threw.',
    metricErrors: 'Durations not recorded because the histogram threw.',
  }),
});
