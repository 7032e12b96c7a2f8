import type { Knex } from 'knex';
import { OrdersError } from './errors.js';
import {
  encodeCursor,
  type ListQuery,
  type NewOrder,
  ORDER_STATUSES,
  type OrderStatus,
  TRANSITIONS,
} from './validation.js';

export interface Order {
  id: string;
  customerId: string;
  status: OrderStatus;
  totalCents: number;
  currency: string;
  createdAt: string;
  updatedAt: string;
  items: { sku: string; quantity: number; unitPriceCents: number }[];
}

export interface OrderPage {
  orders: Order[];
  nextCursor: string | null;
}

/** Where reads and writes go. Writes run in a transaction on the primary; reads say which node served them. */
export interface OrdersDb {
  write<T>(work: (trx: Knex.Transaction) => Promise<T>): Promise<T>;
  read<T>(work: (knex: Knex) => Promise<T>): Promise<{ result: T; node: string }>;
}

interface OrderRow {
  id: string;
  customer_id: string;
  status: OrderStatus;
  total_cents: string | number;
  currency: string;
  created_at: Date;
  updated_at: Date;
}

interface ItemRow {
  order_id: string;
  sku: string;
  quantity: number;
  unit_price_cents: string | number;
}

const ORDER_COLUMNS = ['id', 'customer_id', 'status', 'total_cents', 'currency', 'created_at', 'updated_at'];

function toOrder(row: OrderRow, items: ItemRow[]): Order {
  return {
    id: String(row.id),
    customerId: row.customer_id,
    status: row.status,
    totalCents: Number(row.total_cents),
    currency: row.currency,
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
    items: items.map((i) => ({
      sku: i.sku,
      quantity: i.quantity,
      unitPriceCents: Number(i.unit_price_cents),
    })),
  };
}

async function itemsFor(knex: Knex, ids: string[]): Promise<Map<string, ItemRow[]>> {
  const byOrder = new Map<string, ItemRow[]>();
  if (ids.length === 0) return byOrder;
  const rows: ItemRow[] = await knex('order_items')
    .select('order_id', 'sku', 'quantity', 'unit_price_cents')
    .whereIn('order_id', ids)
    .orderBy('id');
  for (const row of rows) {
    const key = String(row.order_id);
    const list = byOrder.get(key) ?? [];
    list.push(row);
    byOrder.set(key, list);
  }
  return byOrder;
}

export async function createOrder(db: OrdersDb, input: NewOrder): Promise<Order> {
  const total = input.items.reduce((sum, i) => sum + i.quantity * i.unitPriceCents, 0);
  return db.write(async (trx) => {
    const [row] = (await trx('orders')
      .insert({ customer_id: input.customerId, currency: input.currency, total_cents: total })
      .returning(ORDER_COLUMNS)) as OrderRow[];
    if (!row) throw new OrdersError('ORG_ORDERS_INTERNAL', 'insert returned no row');
    const items = input.items.map((i) => ({
      order_id: row.id,
      sku: i.sku,
      quantity: i.quantity,
      unit_price_cents: i.unitPriceCents,
    }));
    await trx('order_items').insert(items);
    return toOrder(row, items);
  });
}

export async function getOrder(db: OrdersDb, id: bigint): Promise<{ order: Order; node: string }> {
  const { result, node } = await db.read(async (knex) => {
    const row: OrderRow | undefined = await knex('orders')
      .select(ORDER_COLUMNS)
      .where('id', id.toString())
      .first();
    if (!row) return null;
    const items = await itemsFor(knex, [String(row.id)]);
    return toOrder(row, items.get(String(row.id)) ?? []);
  });
  if (!result)
    throw new OrdersError('ORG_ORDERS_NOT_FOUND', `order ${id} not found`, { details: { id: String(id) } });
  return { order: result, node };
}

/** Keyset pagination on id (newest first); at most query.limit rows, never an unbounded query. */
export async function listOrders(db: OrdersDb, query: ListQuery): Promise<{ page: OrderPage; node: string }> {
  const { result, node } = await db.read(async (knex) => {
    const q = knex('orders')
      .select(ORDER_COLUMNS)
      .orderBy('id', 'desc')
      .limit(query.limit + 1);
    if (query.afterId !== null) q.where('id', '<', query.afterId.toString());
    if (query.status !== null) q.where('status', query.status);
    if (query.customerId !== null) q.where('customer_id', query.customerId);
    const rows: OrderRow[] = await q;
    const pageRows = rows.slice(0, query.limit);
    const items = await itemsFor(
      knex,
      pageRows.map((r) => String(r.id)),
    );
    const last = pageRows.at(-1);
    return {
      orders: pageRows.map((r) => toOrder(r, items.get(String(r.id)) ?? [])),
      nextCursor: rows.length > query.limit && last ? encodeCursor(String(last.id)) : null,
    };
  });
  return { page: result, node };
}

/** Changes the status if TRANSITIONS allows it; the check and the update are one statement. */
export async function changeStatus(db: OrdersDb, id: bigint, to: OrderStatus): Promise<Order> {
  const from = ORDER_STATUSES.filter((s) => TRANSITIONS[s].includes(to));
  return db.write(async (trx) => {
    const [row] = (await trx('orders')
      .update({ status: to, updated_at: trx.fn.now() })
      .where('id', id.toString())
      .whereIn('status', from)
      .returning(ORDER_COLUMNS)) as OrderRow[];
    if (!row) {
      const current: { status: OrderStatus } | undefined = await trx('orders')
        .select('status')
        .where('id', id.toString())
        .first();
      if (!current)
        throw new OrdersError('ORG_ORDERS_NOT_FOUND', `order ${id} not found`, {
          details: { id: String(id) },
        });
      throw new OrdersError(
        'ORG_ORDERS_INVALID_TRANSITION',
        `cannot change status from ${current.status} to ${to}`,
        {
          details: { id: String(id), from: current.status, to, allowed: TRANSITIONS[current.status] },
        },
      );
    }
    const items = await itemsFor(trx, [String(row.id)]);
    return toOrder(row, items.get(String(row.id)) ?? []);
  });
}

const SEED: NewOrder[] = [
  { customerId: 'alice', currency: 'EUR', items: [{ sku: 'KB-101', quantity: 1, unitPriceCents: 4999 }] },
  {
    customerId: 'bob',
    currency: 'EUR',
    items: [
      { sku: 'MUG-RED', quantity: 2, unitPriceCents: 1250 },
      { sku: 'TEA-EARLGREY', quantity: 3, unitPriceCents: 699 },
    ],
  },
  { customerId: 'carol', currency: 'USD', items: [{ sku: 'LAMP-01', quantity: 1, unitPriceCents: 3900 }] },
  { customerId: 'alice', currency: 'EUR', items: [{ sku: 'CABLE-USB-C', quantity: 4, unitPriceCents: 899 }] },
  { customerId: 'dave', currency: 'GBP', items: [{ sku: 'BOOK-TS', quantity: 1, unitPriceCents: 3499 }] },
];

/** Adds a few demo orders when the table is empty; returns how many it added. */
export async function seedOrders(db: OrdersDb): Promise<number> {
  const existing = await db.write(async (trx) => trx('orders').select('id').limit(1));
  if (existing.length > 0) return 0;
  for (const order of SEED) await createOrder(db, order);
  await db.write(async (trx) => {
    await trx('orders').update({ status: 'paid' }).where('customer_id', 'bob');
    await trx('orders').update({ status: 'shipped' }).where('customer_id', 'carol');
  });
  return SEED.length;
}
