import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type ErrorReporter, report, stderrReporter } from '@org/shared-lifecycle';
import { BodyCapture, type BodyLog, captureDecision, defaultIsTextual } from './body-capture.js';
import { type CaptureBudget, globalCaptureBudget } from './capture-budget.js';
import { clientAddress, compileTrust, type TrustFn, type TrustProxy } from './client-address.js';
import { MiddlewareError } from './errors.js';
import { booleanOption, functionOption, MiB, numberOption } from './options.js';
import { DEFAULT_REDACT_BODY_KEYS, DEFAULT_REDACT_HEADERS, redactHeaders } from './redact.js';
import { requestIdFrom } from './request-id.js';
import { defaultRoute } from './route.js';

/** Anything with winston's `log(level, message, meta)`: a winston Logger, @org/shared-logger's logger. */
export interface LogSink {
  log(level: string, message: string, meta?: Record<string, unknown>): unknown;
}

export interface HistogramConfig {
  name: string;
  help: string;
  labelNames: string[];
  buckets: number[];
  maxLabelSets?: number;
}

export interface HistogramLike {
  observe(labels: Record<string, string | number>, value: number): void;
}

/** The part of @org/shared-metrics (`createMetrics()`) the logger uses; a prom-client wrapper fits too. */
export interface MetricsLike {
  histogram(config: HistogramConfig): HistogramLike;
}

export interface RequestLoggerOptions {
  /** Where entries go (required). */
  logger: LogSink;
  /** Records `http_request_duration_seconds` by route, method and status class when given. */
  metrics?: MetricsLike;
  /** Histogram buckets in seconds. Default 5 ms … 10 s. */
  histogramBuckets?: number[];
  /** Passed to the metrics package's cardinality guard. Default 500. */
  maxLabelSets?: number;
  /** Capture textual response bodies. Default false. */
  captureResponseBody?: boolean;
  /** Capture textual request bodies. Default false. */
  captureRequestBody?: boolean;
  /** Hard cap on the bytes held per body. Default 10 MiB. */
  maxCaptureBytes?: number;
  /** Cap on the body text in one entry (match your logger's per-entry cap). Default 64 KiB. */
  maxLoggedBodyBytes?: number;
  /** Shared by all in-flight captures. Default: the process-wide budget (32 MiB). */
  captureBudget?: CaptureBudget;
  /** Which content types count as textual. Default: text/*, JSON, XML, form-urlencoded, JavaScript, GraphQL. */
  isTextual?: (contentType: string) => boolean;
  /** Header names whose values are logged as [REDACTED]. Default: authorization, proxy-authorization, cookie, set-cookie, x-api-key. */
  redactHeaders?: readonly string[];
  /** Body field names redacted in captured bodies; null turns body redaction off. Default: secret-looking names. */
  redactBodyKeys?: RegExp | null;
  /** Log the (redacted) request headers. Default true. */
  logRequestHeaders?: boolean;
  /** Log the (redacted) response headers. Default false. */
  logResponseHeaders?: boolean;
  /** Header that carries the request id in and out. Default x-request-id. */
  requestIdHeader?: string;
  /** Makes a request id when the request has no valid one. Default crypto.randomUUID. */
  generateRequestId?: () => string;
  /** Proxies trusted for X-Forwarded-For. Default: Express's `req.ip` if present, else the socket address. */
  trustProxy?: TrustProxy;
  /** Route label for a request. Default: Express template, (unmatched) for 404s, else the normalized path. */
  route?: (req: IncomingMessage, status: number | null) => string;
  /** Level of an entry. Default: error for 5xx, warn for 4xx and aborted, info otherwise. */
  level?: (entry: RequestLogEntry) => string;
  /** Requests for which nothing is logged or measured (e.g. health probes). Default none. */
  skip?: (req: IncomingMessage) => boolean;
  /** Where sink and metrics failures go. Default: one line on stderr. */
  onError?: ErrorReporter;
}

/** The meta object of each entry. */
export interface RequestLogEntry {
  requestId: string;
  method: string;
  route: string;
  /** Null when the request was aborted before headers were sent. */
  status: number | null;
  /** '2xx'…'5xx', or 'aborted' when status is null. */
  statusClass: string;
  durationMs: number;
  bytesIn: number;
  bytesOut: number;
  userAgent: string | null;
  remoteAddress: string | null;
  /** True when the connection closed before the response finished. */
  aborted: boolean;
  requestHeaders?: Record<string, string | string[] | number>;
  responseHeaders?: Record<string, string | string[] | number>;
  requestBody?: BodyLog;
  responseBody?: BodyLog;
}

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

export type Middleware = (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void;

export interface RequestLoggerMiddleware extends Middleware {
  stats(): RequestLoggerStats;
  readonly captureBudget: CaptureBudget;
}

type AnyFn = (...args: unknown[]) => unknown;

interface Config {
  logger: LogSink;
  histogram: HistogramLike | null;
  captureResponse: boolean;
  captureRequest: boolean;
  holdLimit: number;
  budget: CaptureBudget;
  isTextual: (contentType: string) => boolean;
  redactHeaders: ReadonlySet<string>;
  redactBodyKeys: RegExp | null;
  logRequestHeaders: boolean;
  logResponseHeaders: boolean;
  requestIdHeader: string;
  generateRequestId: () => string;
  trust: TrustFn | null;
  route: (req: IncomingMessage, status: number | null) => string;
  level: (entry: RequestLogEntry) => string;
  skip: ((req: IncomingMessage) => boolean) | null;
  onError: ErrorReporter;
  stats: RequestLoggerStats;
}

/**
 * Per-request state, stored on the response under a symbol. The write/end/push wrappers are
 * module-level functions that find it through `this`: no per-request closure exists, and after the
 * response closes the state drops its request reference and its buffers.
 */
interface State {
  config: Config;
  start: bigint;
  req: IncomingMessage | null;
  requestId: string;
  method: string;
  userAgent: string | null;
  remoteAddress: string | null;
  write: AnyFn;
  end: AnyFn;
  push: AnyFn | null;
  response: BodyCapture | null;
  request: BodyCapture | null;
  bytesIn: number;
  done: boolean;
}

const kState = Symbol('org.middleware.requestLogger');
type Tagged<T> = T & { [kState]?: State };

const histograms = new WeakMap<MetricsLike, HistogramLike>();
const DEFAULT_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];

function defaultLevel(entry: RequestLogEntry): string {
  if (entry.status !== null && entry.status >= 500) return 'error';
  if (entry.aborted || (entry.status !== null && entry.status >= 400)) return 'warn';
  return 'info';
}

function resolveConfig(options: RequestLoggerOptions): Config {
  if (typeof options !== 'object' || options === null) {
    throw new MiddlewareError('ORG_MIDDLEWARE_INVALID_OPTION', 'requestLogger options must be an object');
  }
  const logger = options.logger;
  if (typeof logger !== 'object' || logger === null || typeof logger.log !== 'function') {
    throw new MiddlewareError(
      'ORG_MIDDLEWARE_INVALID_OPTION',
      'logger must have a log(level, message, meta) method',
      {
        details: { option: 'logger' },
      },
    );
  }
  const maxCaptureBytes = numberOption('maxCaptureBytes', options.maxCaptureBytes, 10 * MiB, {
    integer: true,
  });
  const maxLogged = numberOption('maxLoggedBodyBytes', options.maxLoggedBodyBytes, 64 * 1024, {
    integer: true,
  });
  const redactList = options.redactHeaders ?? DEFAULT_REDACT_HEADERS;
  if (!Array.isArray(redactList) || redactList.some((name) => typeof name !== 'string')) {
    throw new MiddlewareError(
      'ORG_MIDDLEWARE_INVALID_OPTION',
      'redactHeaders must be an array of header names',
      {
        details: { option: 'redactHeaders' },
      },
    );
  }
  const redactBodyKeys =
    options.redactBodyKeys === undefined ? DEFAULT_REDACT_BODY_KEYS : options.redactBodyKeys;
  if (redactBodyKeys !== null && !(redactBodyKeys instanceof RegExp)) {
    throw new MiddlewareError('ORG_MIDDLEWARE_INVALID_OPTION', 'redactBodyKeys must be a RegExp or null', {
      details: { option: 'redactBodyKeys' },
    });
  }
  const requestIdHeader = options.requestIdHeader ?? 'x-request-id';
  if (typeof requestIdHeader !== 'string' || !/^[!#$%&'*+.^_`|~0-9a-z-]+$/i.test(requestIdHeader)) {
    throw new MiddlewareError('ORG_MIDDLEWARE_INVALID_OPTION', 'requestIdHeader must be a header name', {
      details: { option: 'requestIdHeader' },
    });
  }
  const onError = functionOption<ErrorReporter>('onError', options.onError, stderrReporter);
  let histogram: HistogramLike | null = null;
  if (options.metrics !== undefined) {
    const metrics = options.metrics;
    if (typeof metrics !== 'object' || metrics === null || typeof metrics.histogram !== 'function') {
      throw new MiddlewareError(
        'ORG_MIDDLEWARE_INVALID_OPTION',
        'metrics must have a histogram(config) method',
        {
          details: { option: 'metrics' },
        },
      );
    }
    histogram = histograms.get(metrics) ?? null;
    if (histogram === null) {
      try {
        histogram = metrics.histogram({
          name: 'http_request_duration_seconds',
          help: 'Duration of HTTP requests in seconds, by route template, method and status class',
          labelNames: ['route', 'method', 'status_class'],
          buckets: options.histogramBuckets ?? DEFAULT_BUCKETS,
          maxLabelSets: numberOption('maxLabelSets', options.maxLabelSets, 500, { min: 1, integer: true }),
        });
      } catch (error) {
        throw new MiddlewareError(
          'ORG_MIDDLEWARE_METRICS_FAILED',
          'could not create http_request_duration_seconds',
          {
            cause: error,
          },
        );
      }
      histograms.set(metrics, histogram);
    }
  }
  return {
    logger,
    histogram,
    captureResponse: booleanOption('captureResponseBody', options.captureResponseBody, false),
    captureRequest: booleanOption('captureRequestBody', options.captureRequestBody, false),
    holdLimit: Math.min(maxCaptureBytes, maxLogged),
    budget: options.captureBudget ?? globalCaptureBudget(),
    isTextual: functionOption('isTextual', options.isTextual, defaultIsTextual),
    redactHeaders: new Set(redactList.map((name) => name.toLowerCase())),
    redactBodyKeys,
    logRequestHeaders: booleanOption('logRequestHeaders', options.logRequestHeaders, true),
    logResponseHeaders: booleanOption('logResponseHeaders', options.logResponseHeaders, false),
    requestIdHeader: requestIdHeader.toLowerCase(),
    generateRequestId: functionOption('generateRequestId', options.generateRequestId, randomUUID),
    trust: options.trustProxy === undefined ? null : compileTrust(options.trustProxy),
    route: functionOption('route', options.route, defaultRoute),
    level: functionOption('level', options.level, defaultLevel),
    skip: functionOption('skip', options.skip, null),
    onError,
    stats: {
      requests: 0,
      inFlight: 0,
      logged: 0,
      aborted: 0,
      truncatedBodies: 0,
      logErrors: 0,
      metricErrors: 0,
    },
  };
}

function encodingOf(value: unknown): BufferEncoding {
  return typeof value === 'string' ? (value as BufferEncoding) : 'utf8';
}

function isChunk(value: unknown): value is string | Uint8Array {
  return typeof value === 'string' || value instanceof Uint8Array;
}

/** Creates the response capture on the first write/end, before the chunk reaches the layers below. */
function prepareResponse(state: State, res: ServerResponse): BodyCapture {
  const status = res.statusCode;
  let capture: BodyCapture;
  if (state.method === 'HEAD' || status === 204 || status === 304 || (status >= 100 && status < 200)) {
    capture = new BodyCapture(0, state.config.budget, 'no-body');
  } else if (!state.config.captureResponse) {
    capture = new BodyCapture(0, state.config.budget, 'disabled');
  } else {
    const skip = captureDecision(
      res.getHeader('content-type'),
      res.getHeader('content-encoding'),
      state.config.isTextual,
    );
    capture = new BodyCapture(state.config.holdLimit, state.config.budget, skip);
  }
  state.response = capture;
  return capture;
}

function loggedWrite(this: Tagged<ServerResponse>, ...args: unknown[]): unknown {
  const state = this[kState];
  if (state === undefined) return Reflect.apply(Object.getPrototypeOf(this).write as AnyFn, this, args);
  if (state.done || this.writableEnded) return Reflect.apply(state.write, this, args);
  const capture = state.response ?? prepareResponse(state, this);
  const result = Reflect.apply(state.write, this, args);
  const chunk = args[0];
  if (isChunk(chunk)) capture.add(chunk, encodingOf(args[1]));
  return result;
}

function loggedEnd(this: Tagged<ServerResponse>, ...args: unknown[]): unknown {
  const state = this[kState];
  if (state === undefined) return Reflect.apply(Object.getPrototypeOf(this).end as AnyFn, this, args);
  if (state.done || this.writableEnded) return Reflect.apply(state.end, this, args);
  const capture = state.response ?? prepareResponse(state, this);
  const result = Reflect.apply(state.end, this, args);
  const chunk = args[0];
  if (isChunk(chunk)) capture.add(chunk, encodingOf(args[1]));
  return result;
}

/** Sees every request-body chunk the HTTP parser pushes, without changing the stream's flow. */
function loggedPush(this: Tagged<IncomingMessage>, ...args: unknown[]): unknown {
  const state = this[kState];
  const push = state?.push ?? (Object.getPrototypeOf(this).push as AnyFn);
  if (state !== undefined && !state.done) {
    const chunk = args[0];
    if (isChunk(chunk)) {
      if (state.request !== null) state.request.add(chunk, encodingOf(args[1]));
      else state.bytesIn += typeof chunk === 'string' ? Buffer.byteLength(chunk) : chunk.byteLength;
    }
  }
  return Reflect.apply(push, this, args);
}

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
    const durationMs = Number(process.hrtime.bigint() - state.start) / 1e6;
    const statusClass = status === null ? 'aborted' : `${Math.floor(status / 100)}xx`;
    const route = req === null ? '/' : config.route(req, status);
    const responseBody = state.response;
    const requestBody = state.request;
    const entry: RequestLogEntry = {
      requestId: state.requestId,
      method: state.method,
      route,
      status,
      statusClass,
      durationMs: Math.round(durationMs * 1000) / 1000,
      bytesIn: requestBody === null ? state.bytesIn : requestBody.bytes,
      bytesOut: responseBody === null ? 0 : responseBody.bytes,
      userAgent: state.userAgent,
      remoteAddress: state.remoteAddress,
      aborted,
    };
    if (config.logRequestHeaders && req !== null)
      entry.requestHeaders = redactHeaders(req.headers, config.redactHeaders);
    if (config.logResponseHeaders)
      entry.responseHeaders = redactHeaders(this.getHeaders(), config.redactHeaders);
    if (requestBody !== null && config.captureRequest) {
      entry.requestBody = requestBody.toLog(config.redactBodyKeys);
      if (entry.requestBody.truncated) config.stats.truncatedBodies++;
    }
    if (responseBody !== null && config.captureResponse) {
      entry.responseBody = responseBody.toLog(config.redactBodyKeys);
      if (entry.responseBody.truncated) config.stats.truncatedBodies++;
    }
    if (aborted) config.stats.aborted++;
    try {
      config.logger.log(
        config.level(entry),
        `${entry.method} ${route} ${status ?? 'aborted'} ${entry.durationMs.toFixed(1)} ms`,
        entry as unknown as Record<string, unknown>,
      );
      config.stats.logged++;
    } catch (error) {
      config.stats.logErrors++;
      report(
        config.onError,
        new MiddlewareError('ORG_MIDDLEWARE_LOG_FAILED', 'the logging sink threw', {
          cause: error,
          details: { requestId: state.requestId },
        }),
        { source: 'requestLogger' },
      );
    }
    if (config.histogram !== null) {
      try {
        config.histogram.observe(
          { route, method: state.method, status_class: statusClass },
          durationMs / 1000,
        );
      } catch (error) {
        config.stats.metricErrors++;
        report(
          config.onError,
          new MiddlewareError(
            'ORG_MIDDLEWARE_METRICS_FAILED',
            'observing http_request_duration_seconds failed',
            {
              cause: error,
            },
          ),
          { source: 'requestLogger' },
        );
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
  }
}

function hasBody(headers: IncomingMessage['headers']): boolean {
  const length = headers['content-length'];
  return headers['transfer-encoding'] !== undefined || (length !== undefined && length !== '0');
}

/** Installs logging on one request/response pair. Returns false when it was already installed or skipped. */
function install(config: Config, req: Tagged<IncomingMessage>, res: Tagged<ServerResponse>): boolean {
  if (res[kState] !== undefined) return false;
  if (config.skip?.(req)) return false;
  const headers = req.headers;
  const requestId = requestIdFrom(headers[config.requestIdHeader], config.generateRequestId);
  const state: State = {
    config,
    start: process.hrtime.bigint(),
    req,
    requestId,
    method: req.method ?? 'GET',
    userAgent: headers['user-agent'] ?? null,
    remoteAddress: clientAddress(req, config.trust),
    write: res.write as AnyFn,
    end: res.end as AnyFn,
    push: null,
    response: null,
    request: null,
    bytesIn: 0,
    done: false,
  };
  if (config.captureRequest) {
    const skip = captureDecision(headers['content-type'], headers['content-encoding'], config.isTextual);
    state.request = new BodyCapture(config.holdLimit, config.budget, skip);
  }
  if (req.complete) {
    // The body was read before we got here (a body parser ran first): only its declared size is known.
    const length = Number(headers['content-length']);
    if (Number.isFinite(length) && length > 0) state.bytesIn = length;
    state.request?.release();
    state.request = null;
  } else if (req[kState] === undefined && hasBody(headers)) {
    // A request without content-length or transfer-encoding has no body (RFC 9112 §6.3): bytesIn
    // stays 0 and the parser's push(null) needs no wrapper.
    state.push = req.push as AnyFn;
    req.push = loggedPush as typeof req.push;
  }
  req[kState] ??= state;
  res[kState] = state;
  res.write = loggedWrite as typeof res.write;
  res.end = loggedEnd as typeof res.end;
  if (!res.headersSent) res.setHeader(config.requestIdHeader, requestId);
  // on, not once: once() allocates a wrapper closure per request; the handler runs its body only once.
  res.on('close', onResponseClose);
  config.stats.requests++;
  config.stats.inFlight++;
  return true;
}

function safeInstall(config: Config, req: IncomingMessage, res: ServerResponse): void {
  try {
    install(config, req, res);
  } catch (error) {
    // Logging must never break the request it logs.
    report(config.onError, error, { source: 'requestLogger' });
  }
}

/**
 * Express (or connect) middleware that logs one entry per request when it finishes or is aborted,
 * with optional capped body capture, redaction and a duration histogram. Use as `app.use(requestLogger(...))`
 * before the routes and any body parser.
 */
export function requestLogger(options: RequestLoggerOptions): RequestLoggerMiddleware {
  const config = resolveConfig(options);
  const middleware = ((req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => {
    safeInstall(config, req, res);
    next();
  }) as RequestLoggerMiddleware;
  middleware.stats = () => ({ ...config.stats });
  Object.defineProperty(middleware, 'captureBudget', { value: config.budget, enumerable: true });
  return middleware;
}

export type NodeHandler = (req: IncomingMessage, res: ServerResponse) => unknown;

export interface LoggedHandler {
  (req: IncomingMessage, res: ServerResponse): void;
  stats(): RequestLoggerStats;
  readonly captureBudget: CaptureBudget;
}

function handlerFailed(config: Config, res: ServerResponse, error: unknown): void {
  report(
    config.onError,
    new MiddlewareError('ORG_MIDDLEWARE_HANDLER_FAILED', 'the request handler threw or rejected', {
      cause: error,
    }),
    { source: 'withRequestLogging' },
  );
  if (!res.headersSent && !res.writableEnded) {
    res.statusCode = 500;
    res.setHeader('content-type', 'application/json');
    res.end('{"error":"ORG_MIDDLEWARE_HANDLER_FAILED"}');
  } else if (!res.writableEnded) {
    res.destroy();
  }
}

/**
 * Wraps a node:http request handler (sync or async) with the same logging as requestLogger. A
 * handler that throws or rejects is reported as ORG_MIDDLEWARE_HANDLER_FAILED and answered with 500.
 */
export function withRequestLogging(handler: NodeHandler, options: RequestLoggerOptions): LoggedHandler {
  if (typeof handler !== 'function') {
    throw new MiddlewareError('ORG_MIDDLEWARE_INVALID_OPTION', 'handler must be a function', {
      details: { option: 'handler' },
    });
  }
  const config = resolveConfig(options);
  const wrapped = ((req: IncomingMessage, res: ServerResponse) => {
    safeInstall(config, req, res);
    try {
      const result = handler(req, res);
      if (
        result !== null &&
        typeof result === 'object' &&
        typeof (result as Promise<unknown>).then === 'function'
      ) {
        (result as Promise<unknown>).then(undefined, (error: unknown) => handlerFailed(config, res, error));
      }
    } catch (error) {
      handlerFailed(config, res, error);
    }
  }) as LoggedHandler;
  wrapped.stats = () => ({ ...config.stats });
  Object.defineProperty(wrapped, 'captureBudget', { value: config.budget, enumerable: true });
  return wrapped;
}

/** The request id assigned to a request by requestLogger/withRequestLogging, if any. */
export function getRequestId(reqOrRes: IncomingMessage | ServerResponse): string | undefined {
  return (reqOrRes as Tagged<IncomingMessage>)[kState]?.requestId;
}
