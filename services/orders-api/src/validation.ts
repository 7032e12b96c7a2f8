import { OrdersError } from './errors.js';

export const ORDER_STATUSES = ['pending', 'paid', 'shipped', 'cancelled'] as const;
export type OrderStatus = (typeof ORDER_STATUSES)[number];
export const CURRENCIES = ['EUR', 'USD', 'GBP'] as const;

/** Allowed status changes: from → to. */
export const TRANSITIONS: Record<OrderStatus, readonly OrderStatus[]> = {
  pending: ['paid', 'cancelled'],
  paid: ['shipped', 'cancelled'],
  shipped: [],
  cancelled: [],
};

export const LIMITS = {
  itemsPerOrder: 100,
  quantity: 1000,
  unitPriceCents: 10_000_000,
  textLength: 64,
} as const;

export interface NewOrderItem {
  sku: string;
  quantity: number;
  unitPriceCents: number;
}

export interface NewOrder {
  customerId: string;
  currency: (typeof CURRENCIES)[number];
  items: NewOrderItem[];
}

export interface ListQuery {
  limit: number;
  afterId: bigint | null;
  status: OrderStatus | null;
  customerId: string | null;
}

type Problems = { field: string; problem: string }[];

function invalid(problems: Problems): OrdersError {
  return new OrdersError(
    'ORG_ORDERS_INVALID_INPUT',
    problems.map((p) => `${p.field}: ${p.problem}`).join('; '),
    { details: { problems } },
  );
}

const TOKEN = /^[A-Za-z0-9._:-]+$/;

function checkToken(value: unknown, field: string, problems: Problems): value is string {
  if (
    typeof value !== 'string' ||
    value.length === 0 ||
    value.length > LIMITS.textLength ||
    !TOKEN.test(value)
  ) {
    problems.push({ field, problem: `a string of 1-${LIMITS.textLength} characters [A-Za-z0-9._:-]` });
    return false;
  }
  return true;
}

function checkInt(
  value: unknown,
  field: string,
  min: number,
  max: number,
  problems: Problems,
): value is number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    problems.push({ field, problem: `an integer in [${min}, ${max}]` });
    return false;
  }
  return true;
}

/** Validates a create-order body; throws ORG_ORDERS_INVALID_INPUT listing every problem. */
export function parseNewOrder(body: unknown): NewOrder {
  const problems: Problems = [];
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    throw invalid([{ field: 'body', problem: 'a JSON object' }]);
  const input = body as Record<string, unknown>;
  for (const key of Object.keys(input)) {
    if (!['customerId', 'currency', 'items'].includes(key))
      problems.push({ field: key, problem: 'unknown field' });
  }
  checkToken(input.customerId, 'customerId', problems);
  const currency = input.currency ?? 'EUR';
  if (!CURRENCIES.includes(currency as 'EUR'))
    problems.push({ field: 'currency', problem: `one of ${CURRENCIES.join(', ')}` });
  const items: NewOrderItem[] = [];
  if (!Array.isArray(input.items) || input.items.length === 0 || input.items.length > LIMITS.itemsPerOrder) {
    problems.push({ field: 'items', problem: `an array of 1-${LIMITS.itemsPerOrder} items` });
  } else {
    input.items.forEach((raw: unknown, i) => {
      const item = (typeof raw === 'object' && raw !== null ? raw : {}) as Record<string, unknown>;
      const ok = [
        checkToken(item.sku, `items[${i}].sku`, problems),
        checkInt(item.quantity, `items[${i}].quantity`, 1, LIMITS.quantity, problems),
        checkInt(item.unitPriceCents, `items[${i}].unitPriceCents`, 0, LIMITS.unitPriceCents, problems),
      ].every(Boolean);
      if (ok)
        items.push({
          sku: item.sku as string,
          quantity: item.quantity as number,
          unitPriceCents: item.unitPriceCents as number,
        });
    });
  }
  if (problems.length > 0) throw invalid(problems);
  return { customerId: input.customerId as string, currency: currency as NewOrder['currency'], items };
}

export function parseStatusChange(body: unknown): OrderStatus {
  const status = (body as { status?: unknown } | null)?.status;
  if (!ORDER_STATUSES.includes(status as OrderStatus)) {
    throw invalid([{ field: 'status', problem: `one of ${ORDER_STATUSES.join(', ')}` }]);
  }
  return status as OrderStatus;
}

export function parseId(raw: unknown): bigint {
  if (typeof raw !== 'string' || !/^[1-9]\d{0,18}$/.test(raw) || BigInt(raw) > 9_223_372_036_854_775_807n) {
    throw invalid([{ field: 'id', problem: 'a positive integer' }]);
  }
  return BigInt(raw);
}

/** Cursors are opaque to clients: base64url of the last id of the page. */
export function encodeCursor(id: bigint | string): string {
  return Buffer.from(`o:${id}`).toString('base64url');
}

function decodeCursor(raw: string): bigint | null {
  const text = Buffer.from(raw, 'base64url').toString('utf8');
  const match = /^o:([1-9]\d{0,18})$/.exec(text);
  return match?.[1] ? BigInt(match[1]) : null;
}

/**
 * Validates list query parameters. limit defaults to defaultLimit and may not exceed maxLimit
 * (the hard cap: a larger limit is a 400, not silently shortened).
 */
export function parseListQuery(
  query: Record<string, unknown>,
  defaultLimit: number,
  maxLimit: number,
): ListQuery {
  const problems: Problems = [];
  for (const key of Object.keys(query)) {
    if (!['limit', 'cursor', 'status', 'customerId'].includes(key))
      problems.push({ field: key, problem: 'unknown parameter' });
  }
  let limit = defaultLimit;
  if (query.limit !== undefined) {
    const n =
      typeof query.limit === 'string' && /^\d{1,6}$/.test(query.limit) ? Number(query.limit) : Number.NaN;
    if (!(n >= 1 && n <= maxLimit))
      problems.push({ field: 'limit', problem: `an integer in [1, ${maxLimit}]` });
    else limit = n;
  }
  let afterId: bigint | null = null;
  if (query.cursor !== undefined) {
    afterId = typeof query.cursor === 'string' ? decodeCursor(query.cursor) : null;
    if (afterId === null) problems.push({ field: 'cursor', problem: 'a cursor returned as nextCursor' });
  }
  let status: OrderStatus | null = null;
  if (query.status !== undefined) {
    if (!ORDER_STATUSES.includes(query.status as OrderStatus)) {
      problems.push({ field: 'status', problem: `one of ${ORDER_STATUSES.join(', ')}` });
    } else status = query.status as OrderStatus;
  }
  let customerId: string | null = null;
  if (query.customerId !== undefined && checkToken(query.customerId, 'customerId', problems))
    customerId = query.customerId;
  if (problems.length > 0) throw invalid(problems);
  return { limit, afterId, status, customerId };
}
