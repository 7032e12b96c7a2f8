import { createHash, timingSafeEqual } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { type ErrorReporter, isOrgError, report } from '@org/shared-lifecycle';
import { MetricsError } from './errors.js';
import { type ExpositionContentType, negotiateContentType } from './exposition.js';

export interface HandlerOptions {
  /** When set, requests must carry `Authorization: Bearer <token>`; others get 401. */
  bearerToken?: string;
}

/** A node:http request handler; Express accepts it as a route handler too. */
export type MetricsHandler = (req: IncomingMessage, res: ServerResponse) => void;

const digest = (value: string) => createHash('sha256').update(value).digest();

/** @internal Metrics.handler() */
export function createHandler(
  text: (contentType: ExpositionContentType) => Promise<string>,
  onError: ErrorReporter,
  options: HandlerOptions = {},
): MetricsHandler {
  const { bearerToken } = options;
  if (
    bearerToken !== undefined &&
    (typeof bearerToken !== 'string' || bearerToken.length === 0 || /\s/.test(bearerToken))
  ) {
    throw new MetricsError(
      'ORG_METRICS_INVALID_OPTION',
      'bearerToken must be a non-empty string without spaces',
      {
        details: { option: 'bearerToken' },
      },
    );
  }
  // Compare digests so that the comparison takes the same time whatever the length of the guess.
  const expected = bearerToken === undefined ? null : digest(bearerToken);

  return (req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD', 'content-type': 'text/plain; charset=utf-8' });
      res.end('method not allowed\n');
      return;
    }
    if (expected !== null) {
      const header = req.headers.authorization ?? '';
      const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
      if (match?.[1] === undefined || !timingSafeEqual(digest(match[1]), expected)) {
        res.writeHead(401, {
          'www-authenticate': 'Bearer realm="metrics"',
          'content-type': 'text/plain; charset=utf-8',
        });
        res.end('unauthorized\n');
        return;
      }
    }
    const contentType = negotiateContentType(req.headers.accept);
    text(contentType).then(
      (body) => {
        res.writeHead(200, {
          'content-type': contentType,
          'content-length': Buffer.byteLength(body),
          'cache-control': 'no-store',
        });
        res.end(req.method === 'HEAD' ? undefined : body);
      },
      (error: unknown) => {
        const closed = isOrgError(error) && error.code === 'ORG_LIFECYCLE_CLOSED';
        if (!closed) report(onError, error, { source: 'metrics.handler' });
        if (res.headersSent) {
          res.destroy();
          return;
        }
        res.writeHead(closed ? 503 : 500, { 'content-type': 'text/plain; charset=utf-8' });
        res.end(closed ? 'metrics destroyed\n' : 'metrics collection failed\n');
      },
    );
  };
}
