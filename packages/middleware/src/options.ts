import { optionChecks } from '@org/shared-lifecycle';
import { MiddlewareError } from './errors.js';

function invalid(option: string, message: string): MiddlewareError {
  return new MiddlewareError('ORG_MIDDLEWARE_INVALID_OPTION', message, { details: { option } });
}

/**
 * The package's one option check: lifecycle's optionChecks with this package's
 * ORG_MIDDLEWARE_INVALID_OPTION (naming the option, never its value), plus the shapes only this
 * package needs. `undefined` means "use the default".
 */
export const check = {
  ...optionChecks((message, details) => invalid(details.option, message)),

  /** An optional callback: null when not given. */
  // biome-ignore lint/complexity/noBannedTypes: any callable is accepted; the caller names its type.
  optionalFn<F extends Function>(name: string, value: unknown): F | null {
    if (value === undefined) return null;
    if (typeof value !== 'function') throw invalid(name, `${name} must be a function`);
    return value as F;
  },

  /** A plain object, or undefined. */
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

  /** An array of strings (paths), or the fallback. */
  strings(name: string, value: unknown, fallback: readonly string[]): readonly string[] {
    if (value === undefined) return fallback;
    if (!Array.isArray(value) || value.some((item) => typeof item !== 'string')) {
      throw invalid(name, `${name} must be an array of strings`);
    }
    return value as string[];
  },

  /** Throws the invalid-option error for a check the ones above do not cover. */
  fail(name: string, message: string): never {
    throw invalid(name, message);
  },
};

export const MiB = 1024 * 1024;
