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
    async write(work) {
      // The database classifies what a transaction throws; keep our own typed errors as they are.
      let domainError: OrdersError | undefined;
      try {
        return await database.transaction(async (trx) => {
          try {
            return await work(trx);
          } catch (error) {
            if (error instanceof OrdersError) domainError = error;
            throw error;
          }
        }, context);
      } catch (error) {
        throw domainError ?? error;
      }
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
    if (body.status >= 500) options.onError(error, { method: req.method, path: req.path });
    if (res.headersSent) {
      res.destroy();
      return;
    }
    res.status(body.status).json({ error: body.error });
  };
  app.use(onError);
  return app;
}

function toHttpError(error: unknown): {
  status: number;
  error: { code: string; message: string; details?: unknown };
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
  const e = error as { type?: string; status?: number; code?: string };
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
  if (
    typeof e.code === 'string' &&
    /^(ECONNREFUSED|ECONNRESET|57P0[1-3]|53300|ORG_DATABASE_(POOL|UNAVAILABLE|CONNECT).*)$/.test(e.code)
  ) {
    return {
      status: 503,
      error: { code: 'ORG_ORDERS_UNAVAILABLE', message: 'database unavailable: try again later' },
    };
  }
  if (/Knex: Timeout acquiring a connection/.test(String((error as Error)?.message))) {
    return {
      status: 503,
      error: { code: 'ORG_ORDERS_UNAVAILABLE', message: 'database saturated: try again later' },
    };
  }
  return { status: 500, error: { code: 'ORG_ORDERS_INTERNAL', message: 'internal error' } };
}
