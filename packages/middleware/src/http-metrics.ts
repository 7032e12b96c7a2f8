import { MiddlewareError } from './errors.js';
import type { HistogramLike, MetricsLike } from './types.js';

/** Which naming the request-duration histogram follows. */
export type MetricsConvention = 'classic' | 'opentelemetry';

/**
 * OpenTelemetry's HTTP semantic conventions (`http.server.request.duration`, in seconds) as its
 * Prometheus exporter names them, with the bucket boundaries the conventions recommend.
 */
export const OTEL_DURATION_BUCKETS: readonly number[] = Object.freeze([
  0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10,
]);

/** OpenTelemetry's known methods; anything else is recorded as `_OTHER` (it bounds the label). */
const KNOWN_METHODS = new Set([
  'CONNECT',
  'DELETE',
  'GET',
  'HEAD',
  'OPTIONS',
  'PATCH',
  'POST',
  'PUT',
  'TRACE',
  'QUERY',
]);

/** Records one request's duration in the histogram of its convention. */
export interface RequestRecorder {
  record(route: string, method: string, status: number | null, seconds: number): void;
}

class ClassicRecorder implements RequestRecorder {
  readonly #histogram: HistogramLike;
  constructor(histogram: HistogramLike) {
    this.#histogram = histogram;
  }
  record(route: string, method: string, status: number | null, seconds: number): void {
    const statusClass = status === null ? 'aborted' : `${Math.floor(status / 100)}xx`;
    this.#histogram.observe({ route, method, status_class: statusClass }, seconds);
  }
}

class OpenTelemetryRecorder implements RequestRecorder {
  readonly #histogram: HistogramLike;
  constructor(histogram: HistogramLike) {
    this.#histogram = histogram;
  }
  record(route: string, method: string, status: number | null, seconds: number): void {
    this.#histogram.observe(
      {
        http_route: route,
        http_request_method: KNOWN_METHODS.has(method) ? method : '_OTHER',
        // No status was sent (the client went away first): an empty label is an absent one.
        http_response_status_code: status === null ? '' : status,
      },
      seconds,
    );
  }
}

const recorders = new WeakMap<MetricsLike, Map<MetricsConvention, RequestRecorder>>();

/**
 * The recorder of a metrics object for a convention, created once per metrics object and
 * convention (a second request logger on the same metrics object shares the histogram):
 * - classic: `http_request_duration_seconds{route, method, status_class}`;
 * - opentelemetry: `http_server_request_duration_seconds{http_route, http_request_method,
 *   http_response_status_code}`.
 * `buckets` defaults to the metrics package's own defaults (classic) or OpenTelemetry's.
 */
export function requestRecorder(
  metrics: MetricsLike,
  convention: MetricsConvention,
  buckets: readonly number[] | undefined,
  maxLabelSets: number,
): RequestRecorder {
  let byConvention = recorders.get(metrics);
  if (byConvention === undefined) {
    byConvention = new Map();
    recorders.set(metrics, byConvention);
  }
  const existing = byConvention.get(convention);
  if (existing !== undefined) return existing;
  const otel = convention === 'opentelemetry';
  const name = otel ? 'http_server_request_duration_seconds' : 'http_request_duration_seconds';
  let histogram: HistogramLike;
  try {
    histogram = metrics.histogram({
      name,
      help: otel
        ? 'Duration of HTTP server requests (OpenTelemetry http.server.request.duration).'
        : 'Duration of HTTP requests in seconds, by route template, method and status class.',
      labelNames: otel
        ? ['http_route', 'http_request_method', 'http_response_status_code']
        : ['route', 'method', 'status_class'],
      maxLabelSets,
      ...(buckets !== undefined ? { buckets } : otel ? { buckets: OTEL_DURATION_BUCKETS } : {}),
    });
  } catch (error) {
    throw new MiddlewareError('ORG_MIDDLEWARE_METRICS_FAILED', `could not create ${name}`, { cause: error });
  }
  const recorder = otel ? new OpenTelemetryRecorder(histogram) : new ClassicRecorder(histogram);
  byConvention.set(convention, recorder);
  return recorder;
}
