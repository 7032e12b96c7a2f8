import { OrgError } from '@org/shared-lifecycle';

/** Codes of the orders-api service. Each is documented in README.md; HTTP errors carry the code in their body. */
export const ORDERS_ERROR_CODES = {
  ORG_ORDERS_INVALID_INPUT:
    'The request body or query failed validation (400); details.problems lists every problem.',
  ORG_ORDERS_NOT_FOUND: 'No order with that id (404).',
  ORG_ORDERS_INVALID_TRANSITION: 'The status change is not allowed from the current status (409).',
  ORG_ORDERS_BODY_TOO_LARGE: 'The request body is larger than BODY_LIMIT (413).',
  ORG_ORDERS_INTERNAL: 'An unexpected failure (500); the cause is logged, not returned.',
  ORG_ORDERS_UNAVAILABLE: 'The database is unreachable or saturated (503); retry later.',
} as const;

export type OrdersErrorCode = keyof typeof ORDERS_ERROR_CODES;

export const HTTP_STATUS: Record<OrdersErrorCode, number> = {
  ORG_ORDERS_INVALID_INPUT: 400,
  ORG_ORDERS_NOT_FOUND: 404,
  ORG_ORDERS_INVALID_TRANSITION: 409,
  ORG_ORDERS_BODY_TOO_LARGE: 413,
  ORG_ORDERS_INTERNAL: 500,
  ORG_ORDERS_UNAVAILABLE: 503,
};

export class OrdersError extends OrgError<OrdersErrorCode> {}
