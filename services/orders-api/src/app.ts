import { DatabaseError } from '@org/shared-database';
import type { ErrorRequestHandler, Express } from 'express';
import type { Knex } from 'knex';
import { HTTP_STATUS, OrdersError } from './errors.js';
import { changeStatus, createOrder, getOrder, listOrders, type OrdersDb } from './orders.js';
import { parseId, parseListQuery, parseNewOrder, parseStatusChange } from './validation.js';

/** What the app needs of @org/shared-database's Database. */
export interface DatabaseLike {
  readonly primary: Knex;
  read(context?: object): Knex;
  transaction<T>(fn: (trx: Knex.Transaction) => Promise<T>, context?: object): Promise<T>;
}

export interface AppOptions {
  database: DatabaseLike;
  pageSizeDefault: number;
  pageSizeMax: number;
  onError: (error: unknown, fields: Record<string, unknown>) => void;
}

/** The database seen by one request: writes on the primary, reads routed with the request as context. */
function ordersDb(database: DatabaseLike, context: object): OrdersDb {
  return {
    // transaction() rejects with what work throws itself (our OrdersErrors) as it is, and with a
    // classified DatabaseError for the database's failures (a deadlock is retried there first).
    write(work) {
      return database.transaction(work, context);
    },
    async read(work) {
      const knex = database.read(context);
      return { result: await work(knex), node: knex === database.primary ? 'primary' : 'replica' };
    },
  };
}

/**
 * Adds the orders routes, the 404 and the error handler to `app` (service.app of @org/shared-service: request logger,
 * /health, /metrics, /memory, memory guard and JSON body parser already mounted).
 */
export function addOrderRoutes(app: Express, options: AppOptions): Express {
  app.set('query parser', 'simple');

  app.post('/orders', async (req, res) => {
    const input = parseNewOrder(req.body);
    const order = await createOrder(ordersDb(options.database, req), input);
    res.status(201).location(`/orders/${order.id}`).json(order);
  });
  app.get('/orders', async (req, res) => {
    const query = parseListQuery(
      req.query as Record<string, unknown>,
      options.pageSizeDefault,
      options.pageSizeMax,
    );
    const { page, node } = await listOrders(ordersDb(options.database, req), query);
    res.setHeader('x-served-by', node).json(page);
  });
  app.get('/orders/:id', async (req, res) => {
    const { order, node } = await getOrder(ordersDb(options.database, req), parseId(req.params.id));
    res.setHeader('x-served-by', node).json(order);
  });
  app.patch('/orders/:id/status', async (req, res) => {
    const id = parseId(req.params.id);
    res.json(await changeStatus(ordersDb(options.database, req), id, parseStatusChange(req.body)));
  });
  app.use((_req, res) => {
    res.status(404).json({ error: { code: 'ORG_ORDERS_NOT_FOUND', message: 'no such route' } });
  });
  const onError: ErrorRequestHandler = (error: unknown, req, res, _next) => {
    const body = toHttpError(error);
    if (body.status >= 500 && body.status !== 503)
      options.onError(error, { method: req.method, path: req.path });
    if (res.headersSent) {
      res.destroy();
      return;
    }
    if (body.retryAfter !== undefined) res.setHeader('retry-after', String(body.retryAfter));
    res.status(body.status).json({ error: body.error });
  };
  app.use(onError);
  return app;
}

function toHttpError(error: unknown): {
  status: number;
  error: { code: string; message: string; details?: unknown };
  retryAfter?: number;
} {
  if (error instanceof OrdersError) {
    return {
      status: HTTP_STATUS[error.code],
      error: {
        code: error.code,
        message: error.message,
        ...(error.details ? { details: error.details } : {}),
      },
    };
  }
  if (error instanceof DatabaseError && error.isRetryable) {
    // Away (connection, connect timeout) or busy (full pool, statement timeout, a conflict after the
    // database package's retries): the request can succeed later.
    const away = error.code === 'ORG_DATABASE_CONNECTION' || error.code === 'ORG_DATABASE_CONNECT_TIMEOUT';
    return {
      status: 503,
      retryAfter: away ? 5 : 1,
      error: {
        code: 'ORG_ORDERS_UNAVAILABLE',
        message: away ? 'database unavailable: try again later' : 'database busy: try again later',
        details: { reason: error.code },
      },
    };
  }
  const e = error as { type?: string; status?: number };
  if (e.type === 'entity.too.large') {
    return { status: 413, error: { code: 'ORG_ORDERS_BODY_TOO_LARGE', message: 'request body too large' } };
  }
  if (
    e.type === 'entity.parse.failed' ||
    e.type === 'encoding.unsupported' ||
    e.status === 400 ||
    e.status === 415
  ) {
    return { status: 400, error: { code: 'ORG_ORDERS_INVALID_INPUT', message: 'body is not valid JSON' } };
  }
  return { status: 500, error: { code: 'ORG_ORDERS_INTERNAL', message: 'internal error' } };
}
