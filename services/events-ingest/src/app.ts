import { DatabaseError } from '@org/shared-database';
import type { ErrorRequestHandler, Express } from 'express';
import { IngestError, type IngestErrorCode } from './errors.js';
import { type Ingestor, parseBatch } from './ingest.js';

export interface AppOptions {
  ingestor: Ingestor;
  maxEventsPerBatch: number;
  onError: (error: unknown, fields: Record<string, unknown>) => void;
}

const STATUS: Partial<Record<IngestErrorCode, number>> = {
  ORG_INGEST_INVALID_INPUT: 400,
  ORG_INGEST_UNSTORABLE: 422,
  ORG_INGEST_BODY_TOO_LARGE: 413,
  ORG_INGEST_BUSY: 503,
  ORG_INGEST_SHUTTING_DOWN: 503,
  ORG_INGEST_NOT_FOUND: 404,
  ORG_INGEST_UNAVAILABLE: 503,
};

/** Seconds a client should wait: a lost server takes longer to come back than a busy one. */
function retryAfterSeconds(error: DatabaseError): number {
  return error.code === 'ORG_DATABASE_CONNECTION' || error.code === 'ORG_DATABASE_CONNECT_TIMEOUT' ? 5 : 1;
}

/**
 * Adds POST /events, the 404 and the error handler to `app` (service.app of @org/shared-service: request logger,
 * /health, /metrics, /memory, memory guard and JSON body parser already mounted).
 */
export function addEventRoutes(app: Express, options: AppOptions): Express {
  app.post('/events', async (req, res) => {
    const rows = parseBatch(req.body, options.maxEventsPerBatch);
    const accepted = await options.ingestor.accept(rows);
    res.status(202).json({ accepted });
  });
  app.use((_req, res) => {
    res.status(404).json({ error: { code: 'ORG_INGEST_NOT_FOUND', message: 'no such route' } });
  });
  const onError: ErrorRequestHandler = (error: unknown, req, res, _next) => {
    let status = 500;
    let body: { code: string; message: string; details?: unknown } = {
      code: 'ORG_INGEST_INTERNAL',
      message: 'internal error',
    };
    const e = error as { type?: string; status?: number };
    let retryAfter = 1;
    if (error instanceof DatabaseError && error.isRetryable) {
      // The database is away or busy (connection, timeout, full pool, a conflict after its retries):
      // nothing of the batch was accepted, and the same request can succeed later.
      status = 503;
      retryAfter = retryAfterSeconds(error);
      body = {
        code: 'ORG_INGEST_UNAVAILABLE',
        message: 'database unavailable: nothing accepted, retry later',
        details: { reason: error.code },
      };
    } else if (error instanceof IngestError) {
      status = STATUS[error.code] ?? 500;
      body = {
        code: error.code,
        message: error.message,
        ...(error.details ? { details: error.details } : {}),
      };
    } else if (e.type === 'entity.too.large') {
      status = 413;
      body = { code: 'ORG_INGEST_BODY_TOO_LARGE', message: 'request body too large' };
    } else if (e.type === 'entity.parse.failed' || e.status === 400 || e.status === 415) {
      status = 400;
      body = { code: 'ORG_INGEST_INVALID_INPUT', message: 'body is not valid JSON' };
    }
    if (status >= 500 && status !== 503) options.onError(error, { method: req.method, path: req.path });
    if (status === 503) res.setHeader('retry-after', String(retryAfter));
    if (res.headersSent) {
      res.destroy();
      return;
    }
    res.status(status).json({ error: body });
  };
  app.use(onError);
  return app;
}
