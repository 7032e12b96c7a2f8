import { type IncomingMessage, type ServerResponse, STATUS_CODES } from 'node:http';
import { type ErrorReporter, report, stderrReporter } from '@org/shared-lifecycle';
import { MiddlewareError } from './errors.js';
import { check } from './options.js';
import { stateOf } from './state.js';

export interface ErrorHandlerOptions {
  /** Where an error goes when no request entry can carry it (the request logger skipped the request). Default: stderr. */
  onError?: ErrorReporter;
}

/** An Express error middleware: (error, req, res, next). */
export type ErrorMiddleware = (
  error: unknown,
  req: IncomingMessage,
  res: ServerResponse,
  next: (error?: unknown) => void,
) => void;

/** The status an error asks for (`status`/`statusCode` in 400–599, as http-errors and Express set it), else 500. */
function statusOf(error: unknown): number {
  const candidate =
    (error as { status?: unknown; statusCode?: unknown } | null)?.status ??
    (error as { statusCode?: unknown } | null)?.statusCode;
  return typeof candidate === 'number' && Number.isInteger(candidate) && candidate >= 400 && candidate <= 599
    ? candidate
    : 500;
}

/** A client error's own message, when it says it may be shown (http-errors' `expose`). */
function exposedMessage(error: unknown, status: number): string | undefined {
  if (status >= 500) return undefined;
  const e = error as { expose?: unknown; message?: unknown } | null;
  return e?.expose === true && typeof e.message === 'string' ? e.message : undefined;
}

/**
 * Records an error on the request's entry: the request logger writes it there (`error.*`, once, with
 * the request id). Returns false when no entry will carry it (the request is not being logged, or
 * its entry was already written).
 */
export function recordError(reqOrRes: IncomingMessage | ServerResponse, error: unknown): boolean {
  const state = stateOf(reqOrRes);
  if (state === undefined || state.done) return false;
  state.error = error;
  return true;
}

/**
 * The node:http form of errorHandler(): records the error on the request's entry and answers
 * `{ "error": "Internal Server Error", "requestId": "…" }` with the error's status (500 unless it
 * carries a 4xx/5xx `status`). No stack or internal message reaches the client. When the headers are
 * already sent the connection is closed instead, so the client sees a broken response, not a hang.
 */
export function handleError(
  error: unknown,
  req: IncomingMessage,
  res: ServerResponse,
  onError: ErrorReporter = stderrReporter,
): void {
  const state = stateOf(res);
  if (!recordError(res, error)) {
    report(
      onError,
      new MiddlewareError('ORG_MIDDLEWARE_HANDLER_FAILED', 'a request handler threw or rejected', {
        cause: error,
      }),
      { source: 'errorHandler' },
    );
  }
  if (res.headersSent || res.writableEnded) {
    if (!res.writableEnded) res.destroy();
    return;
  }
  const status = statusOf(error);
  const requestId = state?.context.requestId;
  const body = JSON.stringify({
    error: exposedMessage(error, status) ?? STATUS_CODES[status] ?? 'Error',
    ...(requestId === undefined ? {} : { requestId }),
  });
  res.statusCode = status;
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.setHeader('content-length', Buffer.byteLength(body));
  res.setHeader('cache-control', 'no-store');
  res.end(req.method === 'HEAD' ? undefined : body);
}

/**
 * Express error middleware (`app.use(errorHandler())` after the routes): see handleError(). The
 * error is logged once, on the request's own entry, never as a second line.
 */
export function errorHandler(options: ErrorHandlerOptions = {}): ErrorMiddleware {
  check.object('errorHandler options', options);
  const onError = check.fn<ErrorReporter>('onError', options.onError, stderrReporter);
  // Four parameters: Express recognises error middleware by its arity.
  return (error: unknown, req: IncomingMessage, res: ServerResponse, _next: (error?: unknown) => void) => {
    handleError(error, req, res, onError);
  };
}
