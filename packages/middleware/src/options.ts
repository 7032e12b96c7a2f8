import { MiddlewareError } from './errors.js';

/** Validates a numeric option; throws ORG_MIDDLEWARE_INVALID_OPTION naming it. */
export function numberOption(
  name: string,
  value: unknown,
  fallback: number,
  {
    min = 0,
    max = Number.POSITIVE_INFINITY,
    integer = false,
  }: { min?: number; max?: number; integer?: boolean } = {},
): number {
  if (value === undefined) return fallback;
  if (
    typeof value !== 'number' ||
    Number.isNaN(value) ||
    value < min ||
    value > max ||
    (integer && Number.isFinite(value) && !Number.isInteger(value))
  ) {
    throw new MiddlewareError(
      'ORG_MIDDLEWARE_INVALID_OPTION',
      `${name} must be ${integer ? 'an integer' : 'a number'} in [${min}, ${max}], got ${String(value)}`,
      { details: { option: name, value } },
    );
  }
  return value;
}

export function booleanOption(name: string, value: unknown, fallback: boolean): boolean {
  if (value === undefined) return fallback;
  if (typeof value !== 'boolean') {
    throw new MiddlewareError(
      'ORG_MIDDLEWARE_INVALID_OPTION',
      `${name} must be a boolean, got ${typeof value}`,
      {
        details: { option: name },
      },
    );
  }
  return value;
}

export function functionOption<F>(name: string, value: unknown, fallback: F): F {
  if (value === undefined) return fallback;
  if (typeof value !== 'function') {
    throw new MiddlewareError(
      'ORG_MIDDLEWARE_INVALID_OPTION',
      `${name} must be a function, got ${typeof value}`,
      {
        details: { option: name },
      },
    );
  }
  return value as F;
}

export function objectOption(name: string, value: unknown): void {
  if (value !== undefined && (typeof value !== 'object' || value === null || Array.isArray(value))) {
    throw new MiddlewareError('ORG_MIDDLEWARE_INVALID_OPTION', `${name} must be an object`, {
      details: { option: name },
    });
  }
}

export const MiB = 1024 * 1024;
