import { checkNumber } from '@org/shared-lifecycle';
import { MiddlewareError } from './errors.js';

/**
 * Validates a numeric option with the lifecycle package's checkNumber; throws
 * ORG_MIDDLEWARE_INVALID_OPTION naming it (the lifecycle error is the cause).
 */
export function numberOption(
  name: string,
  value: unknown,
  fallback: number,
  range: { min?: number; max?: number; integer?: boolean } = {},
): number {
  if (value === undefined) return fallback;
  try {
    return checkNumber(name, value, range);
  } catch (error) {
    throw new MiddlewareError('ORG_MIDDLEWARE_INVALID_OPTION', (error as Error).message, {
      cause: error,
      details: { option: name, value },
    });
  }
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
