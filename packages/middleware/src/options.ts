import { checkNumber } from '@org/shared-lifecycle';
import { MiddlewareError } from './errors.js';

/**
 * The package's one option check: every function throws ORG_MIDDLEWARE_INVALID_OPTION naming the
 * option (with the lifecycle error as the cause where there is one). `undefined` means "use the
 * fallback".
 */
export const check = {
  number(
    name: string,
    value: unknown,
    fallback: number,
    range: { min?: number; max?: number; integer?: boolean } = {},
  ): number {
    if (value === undefined) return fallback;
    try {
      return checkNumber(name, value, range);
    } catch (error) {
      throw invalid(name, (error as Error).message, error);
    }
  },

  boolean(name: string, value: unknown, fallback: boolean): boolean {
    if (value === undefined) return fallback;
    if (typeof value !== 'boolean') throw invalid(name, `${name} must be a boolean, got ${typeof value}`);
    return value;
  },

  string(name: string, value: unknown, fallback: string, pattern?: RegExp): string {
    if (value === undefined) return fallback;
    if (typeof value !== 'string' || (pattern !== undefined && !pattern.test(value))) {
      throw invalid(name, `${name} must be a string${pattern ? ` matching ${pattern}` : ''}`);
    }
    return value;
  },

  oneOf<T extends string>(name: string, value: unknown, allowed: readonly T[], fallback: T): T {
    if (value === undefined) return fallback;
    if (!allowed.includes(value as T)) throw invalid(name, `${name} must be one of ${allowed.join(', ')}`);
    return value as T;
  },

  fn<F>(name: string, value: unknown, fallback: F): F {
    if (value === undefined) return fallback;
    if (typeof value !== 'function') throw invalid(name, `${name} must be a function, got ${typeof value}`);
    return value as F;
  },

  object(name: string, value: unknown): void {
    if (value !== undefined && (typeof value !== 'object' || value === null || Array.isArray(value))) {
      throw invalid(name, `${name} must be an object`);
    }
  },

  /** An object (or a function, such as a middleware with methods) with a method of this name. */
  hasMethod(name: string, value: unknown, method: string, what: string): void {
    const holder = typeof value === 'function' || (typeof value === 'object' && value !== null);
    if (!holder || typeof (value as Record<string, unknown>)[method] !== 'function') {
      throw invalid(name, `${name} must have a ${what} method`);
    }
  },

  /** An array of finite numbers (histogram buckets), or undefined. */
  numbers(name: string, value: unknown): readonly number[] | undefined {
    if (value === undefined) return undefined;
    if (!Array.isArray(value) || value.some((item) => typeof item !== 'number' || !Number.isFinite(item))) {
      throw invalid(name, `${name} must be an array of finite numbers`);
    }
    return value as number[];
  },

  /** Throws the invalid-option error for a check that needs more than the ones above. */
  fail(name: string, message: string): never {
    throw invalid(name, message);
  },

  /** An array of strings (header names, paths). */
  strings(name: string, value: unknown, fallback: readonly string[]): readonly string[] {
    if (value === undefined) return fallback;
    if (!Array.isArray(value) || value.some((item) => typeof item !== 'string')) {
      throw invalid(name, `${name} must be an array of strings`);
    }
    return value as string[];
  },
};

function invalid(option: string, message: string, cause?: unknown): MiddlewareError {
  return new MiddlewareError('ORG_MIDDLEWARE_INVALID_OPTION', message, {
    details: { option },
    ...(cause === undefined ? {} : { cause }),
  });
}

export const MiB = 1024 * 1024;
