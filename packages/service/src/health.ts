import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Database } from '@org/shared-database';
import type { Logger } from '@org/shared-logger';
import { type HealthCheckSpec, healthHandler } from '@org/shared-middleware';
import { ServiceError } from './errors.js';

export type RouteHandler = (
  req: IncomingMessage,
  res: ServerResponse,
  next: (error?: unknown) => void,
) => void;

export interface HealthRouteOptions {
  database: Database | null;
  logger: Logger;
  /** True from the first shutdown signal: readiness fails, liveness does not. */
  draining: () => boolean;
  /** Non-fatal facts added to every answer. */
  details: () => Record<string, unknown>;
}

/**
 * `/health` (readiness: not shutting down, and the database answers) and `/health/live`
 * (liveness: the process serves). Elasticsearch is a non-critical check: logs are buffered
 * (bounded) while it is down, so it makes the answer "degraded" (200), never unready.
 */
export function healthRoute(options: HealthRouteOptions): RouteHandler {
  const { database, logger } = options;
  const checks: Record<string, HealthCheckSpec> = {
    shutdown: {
      check: () => {
        if (options.draining())
          throw new ServiceError('ORG_SERVICE_SHUTTING_DOWN', 'shutting down: draining connections');
      },
    },
  };
  if (database) {
    checks.database = {
      check: async () => {
        const result = await database.health();
        if (!result.ok) throw new Error(result.primary.error ?? 'primary unreachable');
      },
    };
  }
  if (logger.elasticsearch) {
    checks.elasticsearch = {
      critical: false,
      check: () => {
        const es = logger.stats().elasticsearch;
        if (es && !es.reachable) throw new Error(es.lastError?.message ?? 'Elasticsearch unreachable');
      },
    };
  }
  const health = healthHandler({ checks, timeoutMs: 3000, details: options.details });
  return (req, res) => health(req, res);
}
