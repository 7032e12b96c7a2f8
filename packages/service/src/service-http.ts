// The service's HTTP front: /health, /health/live, /metrics and /memory, the Express app, and the node:http listener.
import type { RequestListener } from 'node:http';
import type { Database } from '@org/shared-database';
import { type ErrorReporter, report } from '@org/shared-lifecycle';
import type { Logger } from '@org/shared-logger';
import type { Metrics } from '@org/shared-metrics';
import {
  type MemoryGuard,
  memoryReport,
  type RequestLoggerMiddleware,
  sendJson,
} from '@org/shared-middleware';
import type { Express } from 'express';
import type { EmbeddedPostgres } from './embedded-postgres.js';
import { ServiceError } from './errors.js';
import { healthRoute, type RouteHandler } from './health.js';
import type { ServiceConfig } from './specs.js';

/** What the common routes read of the service. */
export interface CommonRouteParts {
  readonly database: Database | null;
  readonly logger: Logger;
  readonly metrics: Metrics;
  readonly metricsToken: string;
  readonly embedded: EmbeddedPostgres | null;
  readonly draining: () => boolean;
  readonly details: () => Record<string, unknown>;
}

/** What the request path goes through in front of the service's routes. */
export interface FrontParts {
  readonly requests: RequestLoggerMiddleware;
  readonly guard: MemoryGuard;
  readonly routes: () => Record<string, RouteHandler>;
  readonly onError: ErrorReporter;
}

/** /health, /health/live, /metrics and /memory, by path. */
export function commonRoutes(parts: CommonRouteParts): Record<string, RouteHandler> {
  const health = healthRoute({
    database: parts.database,
    logger: parts.logger,
    draining: parts.draining,
    details: parts.details,
  });
  const token = parts.metricsToken;
  const embedded = parts.embedded;
  return {
    '/health': health,
    '/health/live': health,
    '/metrics': parts.metrics.handler(token ? { bearerToken: token } : {}) as RouteHandler,
    '/memory': (req, res) =>
      sendJson(req, res, 200, {
        ...memoryReport(),
        ...(embedded ? { embeddedPostgres: embedded.stats() } : {}),
      }),
  };
}

/** The Express app: request logger, the common routes, memory guard, JSON body parser; the service's routes go after. */
export async function expressApp(
  parts: FrontParts,
  bodyLimit: ServiceConfig['BODY_LIMIT'],
): Promise<Express> {
  const { default: express } = await import('express');
  const app = express();
  app.disable('x-powered-by');
  app.use(parts.requests);
  // One route each: distinct route labels in logs and metrics.
  for (const [path, route] of Object.entries(parts.routes())) app.get(path, route);
  app.use(parts.guard);
  app.use(express.json({ limit: bodyLimit }));
  return app;
}

/** A node:http handler behind the same request logger, common routes and memory guard; what it throws answers 500. */
export function nodeListener(handler: RequestListener | undefined, parts: FrontParts): RequestListener {
  if (typeof handler !== 'function') {
    throw new ServiceError(
      'ORG_SERVICE_INVALID_OPTION',
      "listen(handler): a node:http handler is required with http: 'node'",
      {
        details: { option: 'handler' },
      },
    );
  }
  const routes = parts.routes();
  const requests = parts.requests;
  const guard = parts.guard;
  const onError = parts.onError;
  const fail =
    (req: Parameters<RequestListener>[0], res: Parameters<RequestListener>[1]) => (error: unknown) => {
      report(onError, error, { source: 'http', method: req.method, path: req.url });
      if (!res.headersSent)
        sendJson(req, res, 500, { error: { code: 'ORG_SERVICE_INTERNAL', message: 'internal error' } });
      else res.destroy();
    };
  return (req, res) => {
    requests(req, res, () => {
      const route = routes[(req.url ?? '/').split('?')[0] ?? '/'];
      if (route && (req.method === 'GET' || req.method === 'HEAD')) return route(req, res, fail(req, res));
      guard(req, res, () => {
        try {
          Promise.resolve(handler(req, res)).catch(fail(req, res));
        } catch (error) {
          fail(req, res)(error);
        }
      });
    });
  };
}
