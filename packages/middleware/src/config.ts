import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { defaultRedactor, type ErrorReporter, type Redactor, stderrReporter } from '@org/shared-lifecycle';
import { defaultIsTextual } from './body-capture.js';
import { type CaptureBudget, globalCaptureBudget } from './capture-budget.js';
import { compileTrust, type TrustProxy } from './client-address.js';
import { type MetricsConvention, type RequestRecorder, requestRecorder } from './http-metrics.js';
import { check, MiB } from './options.js';
import { defaultRoute } from './route.js';
import type { Config } from './state.js';
import type { LogSink, MetricsLike, RequestLogEntry } from './types.js';

/** Paths of health probes: neither logged nor measured unless `probes` says otherwise. */
export const DEFAULT_PROBE_PATHS: readonly string[] = Object.freeze([
  '/health',
  '/health/live',
  '/health/ready',
  '/healthz',
  '/livez',
  '/readyz',
]);

export interface RequestLoggerOptions {
  /** Where entries go (required). */
  logger: LogSink;
  /** `event.dataset` of every entry: the service name, as the ECS logging spec says. Default none. */
  dataset?: string;
  /** Records the request duration by route, method and status when given. */
  metrics?: MetricsLike;
  /** `classic` (`http_request_duration_seconds{route,method,status_class}`, the default) or `opentelemetry`. */
  metricsConvention?: MetricsConvention;
  /** Histogram buckets in seconds. Default: the metrics object's (classic) or OpenTelemetry's. */
  histogramBuckets?: readonly number[];
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
  /**
   * What hides secrets in logged headers, captured bodies and the query string: lifecycle's one
   * redaction. Default `defaultRedactor` (authorization, cookies, API keys, tokens, passwords…);
   * `createRedactor({ keys: ['x-tenant'] })` adds names, `createRedactor(false)` turns it off.
   */
  redact?: Redactor;
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
  /** Paths (query ignored) of health probes, neither logged nor measured. Default DEFAULT_PROBE_PATHS; [] logs them. */
  probes?: readonly string[];
  /** Other requests for which nothing is logged or measured. Default none. */
  skip?: (req: IncomingMessage) => boolean;
  /** Where sink and metrics failures go. Default: one line on stderr. */
  onError?: ErrorReporter;
}

function defaultLevel(entry: RequestLogEntry): string {
  const status = entry.http.response.status_code;
  if (status !== undefined && status >= 500) return 'error';
  if (entry.http.request.aborted === true || (status !== undefined && status >= 400)) return 'warn';
  return 'info';
}

const HEADER_NAME = /^[!#$%&'*+.^_`|~0-9a-z-]+$/i;

function headerName(name: string): string {
  if (!HEADER_NAME.test(name)) check.fail('requestIdHeader', 'requestIdHeader must be a header name');
  return name.toLowerCase();
}

export function resolveConfig(options: RequestLoggerOptions): Config {
  if (typeof options !== 'object' || options === null)
    check.fail('options', 'requestLogger options must be an object');
  check.hasMethod('logger', options.logger, 'log', 'log(level, message, meta)');
  const maxCaptureBytes = check.number('maxCaptureBytes', options.maxCaptureBytes, {
    default: 10 * MiB,
    integer: true,
  });
  const maxLogged = check.number('maxLoggedBodyBytes', options.maxLoggedBodyBytes, {
    default: 64 * 1024,
    integer: true,
  });
  const redact = options.redact ?? defaultRedactor;
  for (const method of ['headers', 'text', 'url'] as const)
    check.hasMethod('redact', redact, method, `${method}()`);
  const convention = check.oneOf<MetricsConvention>(
    'metricsConvention',
    options.metricsConvention,
    ['classic', 'opentelemetry'],
    'classic',
  );
  let recorder: RequestRecorder | null = null;
  if (options.metrics !== undefined) {
    check.hasMethod('metrics', options.metrics, 'histogram', 'histogram(config)');
    recorder = requestRecorder(
      options.metrics,
      convention,
      check.numbers('histogramBuckets', options.histogramBuckets),
      check.number('maxLabelSets', options.maxLabelSets, { default: 500, min: 1, integer: true }),
    );
  }
  const route = check.fn('route', options.route, defaultRoute);
  return {
    logger: options.logger,
    dataset: options.dataset === undefined ? undefined : check.string('dataset', options.dataset),
    recorder,
    captureResponse: check.boolean('captureResponseBody', options.captureResponseBody, false),
    captureRequest: check.boolean('captureRequestBody', options.captureRequestBody, false),
    holdLimit: Math.min(maxCaptureBytes, maxLogged),
    budget: options.captureBudget ?? globalCaptureBudget(),
    isTextual: check.fn('isTextual', options.isTextual, defaultIsTextual),
    redact,
    logRequestHeaders: check.boolean('logRequestHeaders', options.logRequestHeaders, true),
    logResponseHeaders: check.boolean('logResponseHeaders', options.logResponseHeaders, false),
    requestIdHeader: headerName(check.string('requestIdHeader', options.requestIdHeader, 'x-request-id')),
    generateRequestId: check.fn('generateRequestId', options.generateRequestId, randomUUID),
    trust: options.trustProxy === undefined ? null : compileTrust(options.trustProxy),
    route,
    customRoute: route !== defaultRoute,
    level: check.fn('level', options.level, defaultLevel),
    probes: new Set(check.strings('probes', options.probes, DEFAULT_PROBE_PATHS)),
    skip: check.optionalFn<(req: IncomingMessage) => boolean>('skip', options.skip),
    onError: check.fn<ErrorReporter>('onError', options.onError, stderrReporter),
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
