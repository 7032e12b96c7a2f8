/**
 * orders-api's GET /orders and POST /orders written the way a team would by hand: Express 5, a `pg`
 * Pool on the primary (writes) and one on the replica (reads), pino-http request logs to stdout; the
 * same SQL, the same validation (orders-api's own parse functions), the same JSON. `noop` mode is
 * the baseline: node:http answering a fixed body, no database, no logging.
 * Usage: node hand-rolled.ts <port> [noop]   (DATABASE_URL, DATABASE_REPLICA_URLS from the environment)
 */
import { createServer } from 'node:http';
import { encodeCursor, parseListQuery, parseNewOrder } from '@org/orders-api/validation';
import express from 'express';
import pg from 'pg';
import pino from 'pino';
import { pinoHttp } from 'pino-http';

const port = Number(process.argv[2]);
if (process.argv[3] === 'noop') {
  const body = JSON.stringify({ orders: [], nextCursor: null, pad: 'x'.repeat(2000) });
  const server = createServer((req, res) => {
    res.setHeader('content-type', 'application/json');
    res.end(req.url === '/health' ? '{"status":"ok"}' : body);
  }).listen(port, '127.0.0.1');
  process.on('SIGTERM', () => server.close());
} else {
  const primary = new pg.Pool({ connectionString: process.env.DATABASE_URL, max: 10 });
  const replica = new pg.Pool({
    connectionString: process.env.DATABASE_REPLICA_URLS?.split(',')[0],
    max: 10,
  });
  for (const pool of [primary, replica]) pool.on('error', () => {});
  const COLUMNS = '"id", "customer_id", "status", "total_cents", "currency", "created_at", "updated_at"';
  type Row = Record<string, unknown>;
  const toOrder = (row: Row, items: Row[]) => ({
    id: String(row.id),
    customerId: row.customer_id,
    status: row.status,
    totalCents: Number(row.total_cents),
    currency: row.currency,
    createdAt: new Date(row.created_at as string).toISOString(),
    updatedAt: new Date(row.updated_at as string).toISOString(),
    items: items.map((i) => ({
      sku: i.sku,
      quantity: i.quantity,
      unitPriceCents: Number(i.unit_price_cents),
    })),
  });
  const app = express();
  app.disable('x-powered-by');
  app.use(pinoHttp({ logger: pino() }));
  app.use(express.json({ limit: '1mb' }));
  app.set('query parser', 'simple');
  app.get('/health', (_req, res) => {
    res.json({ status: 'ok' });
  });
  app.get('/orders', async (req, res) => {
    const query = parseListQuery(req.query as Record<string, unknown>, 20, 100);
    const where: string[] = [];
    const values: unknown[] = [];
    if (query.afterId !== null) where.push(`"id" < $${values.push(query.afterId.toString())}`);
    if (query.status !== null) where.push(`"status" = $${values.push(query.status)}`);
    if (query.customerId !== null) where.push(`"customer_id" = $${values.push(query.customerId)}`);
    const sql = `select ${COLUMNS} from "orders"${where.length ? ` where ${where.join(' and ')}` : ''} order by "id" desc limit $${values.push(query.limit + 1)}`;
    const { rows } = await replica.query(sql, values);
    const page = rows.slice(0, query.limit);
    const byOrder = new Map<string, Row[]>();
    if (page.length > 0) {
      const ids = page.map((r) => String(r.id));
      const items = await replica.query(
        `select "order_id", "sku", "quantity", "unit_price_cents" from "order_items" where "order_id" in (${ids.map((_, i) => `$${i + 1}`).join(', ')}) order by "id" asc`,
        ids,
      );
      for (const item of items.rows) {
        const list = byOrder.get(String(item.order_id)) ?? [];
        list.push(item);
        byOrder.set(String(item.order_id), list);
      }
    }
    const last = page.at(-1);
    res.setHeader('x-served-by', 'replica').json({
      orders: page.map((r) => toOrder(r, byOrder.get(String(r.id)) ?? [])),
      nextCursor: rows.length > query.limit && last ? encodeCursor(String(last.id)) : null,
    });
  });
  app.post('/orders', async (req, res) => {
    const input = parseNewOrder(req.body);
    const total = input.items.reduce((sum, i) => sum + i.quantity * i.unitPriceCents, 0);
    const client = await primary.connect();
    try {
      await client.query('begin');
      const { rows } = await client.query(
        `insert into "orders" ("currency", "customer_id", "total_cents") values ($1, $2, $3) returning ${COLUMNS}`,
        [input.currency, input.customerId, total],
      );
      const row = rows[0] as Row;
      const values: unknown[] = [];
      const tuples = input.items.map(
        (i) =>
          `($${values.push(row.id)}, $${values.push(i.quantity)}, $${values.push(i.sku)}, $${values.push(i.unitPriceCents)})`,
      );
      await client.query(
        `insert into "order_items" ("order_id", "quantity", "sku", "unit_price_cents") values ${tuples.join(', ')}`,
        values,
      );
      await client.query('commit');
      const items = input.items.map((i) => ({
        order_id: row.id,
        sku: i.sku,
        quantity: i.quantity,
        unit_price_cents: i.unitPriceCents,
      }));
      res.status(201).location(`/orders/${row.id}`).json(toOrder(row, items));
    } catch (error) {
      await client.query('rollback').catch(() => {});
      throw error;
    } finally {
      client.release();
    }
  });
  app.use(((error, _req, res, _next) => {
    const status = (error as { code?: string }).code === 'ORG_ORDERS_INVALID_INPUT' ? 400 : 500;
    res
      .status(status)
      .json({ error: { code: status === 400 ? 'ORG_ORDERS_INVALID_INPUT' : 'ORG_ORDERS_INTERNAL' } });
  }) as express.ErrorRequestHandler);
  const server = app.listen(port, '127.0.0.1');
  process.on('SIGTERM', () => {
    server.close();
    void Promise.all([primary.end(), replica.end()]);
  });
}
