import type { IncomingMessage, ServerResponse } from 'node:http';
import type { BodyLog } from './body-capture.js';

/** Anything with winston's `log(level, message, meta)`: a winston Logger, @org/shared-logger's logger. */
export interface LogSink {
  log(level: string, message: string, meta?: Record<string, unknown>): unknown;
}

/**
 * What the request logger asks of a metrics object: the part of @org/shared-metrics' `createMetrics()`
 * it uses (a prom-client wrapper fits too). Structural, so this package does not depend on the metrics
 * package; the bucket defaults live there (`buckets` is omitted unless the caller chose some).
 */
export interface MetricsLike {
  histogram(config: HistogramSpec): HistogramLike;
}

/** A histogram request, a subset of the metrics package's `HistogramConfig`. */
export interface HistogramSpec {
  name: string;
  help: string;
  labelNames: string[];
  buckets?: readonly number[];
  maxLabelSets?: number;
}

export interface HistogramLike {
  observe(labels: Record<string, string | number>, value: number): void;
}

/** A connect/Express middleware, also usable in front of a node:http handler. */
export type Middleware = (req: IncomingMessage, res: ServerResponse, next: (error?: unknown) => void) => void;

/** A node:http request handler, sync or async. */
export type NodeHandler = (req: IncomingMessage, res: ServerResponse) => unknown;

/** Handlers of /health and /memory: node:http handlers that also work as Express handlers. */
export type EndpointHandler = (
  req: IncomingMessage,
  res: ServerResponse,
  next?: (error?: unknown) => void,
) => void;

export type Headers = Record<string, string | string[] | number>;

/**
 * The meta object of each entry: Elastic Common Schema fields, nested. Non-ECS fields are marked;
 * `http.route` is OpenTelemetry's name (ECS has none).
 */
export interface RequestLogEntry {
  event: {
    /** The service name, when the request logger was given one. */
    dataset?: string;
    /** Nanoseconds from the request's arrival to the response's close. */
    duration: number;
    outcome: 'success' | 'failure';
  };
  http: {
    version: string;
    /** Not ECS (OpenTelemetry's): the route template, when a router or the `route` option knows it. */
    route?: string;
    request: {
      id: string;
      method: string;
      body: BodyLog;
      /** Not ECS: the (redacted) request headers. */
      headers?: Headers;
      /** Not ECS: present (true) when the client went away before the response finished. */
      aborted?: true;
    };
    response: {
      /** Absent when the client went away before the headers were sent. */
      status_code?: number;
      body: BodyLog;
      /** Not ECS: the (redacted) response headers. */
      headers?: Headers;
    };
  };
  url: { path: string; query?: string };
  user_agent?: { original: string };
  client?: { ip: string };
  trace: { id: string };
  span: { id: string };
  transaction: { id: string };
  /** The error an error handler recorded for this request; the logger writes it as `error.*`. */
  error?: unknown;
}
