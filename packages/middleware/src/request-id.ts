import { randomUUID } from 'node:crypto';

const VALID_ID = /^[\w.:@/+=-]{1,128}$/;

/**
 * The incoming request id when it is a plausible one (1–128 characters of [A-Za-z0-9_.:@/+=-]),
 * otherwise a generated one: a client cannot inject log lines or huge values through the header.
 */
export function requestIdFrom(
  header: string | string[] | undefined,
  generate: () => string = randomUUID,
): string {
  const value = Array.isArray(header) ? header[0] : header;
  if (value !== undefined && VALID_ID.test(value)) return value;
  return generate();
}
