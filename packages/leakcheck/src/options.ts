import { LeakcheckError, type LeakcheckErrorCode } from './errors.js';

/**
 * The package's option checks: each throws a LeakcheckError with the given code naming the option
 * (never its value when the value could be a secret: only numbers are echoed).
 */
export function checkCount(
  code: LeakcheckErrorCode,
  name: string,
  value: unknown,
  { min = 0, max = Number.MAX_SAFE_INTEGER }: { min?: number; max?: number } = {},
): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new LeakcheckError(code, `${name} must be an integer in [${min}, ${max}], got ${describe(value)}`, {
      details: { option: name },
    });
  }
  return value;
}

export function checkMs(code: LeakcheckErrorCode, name: string, value: unknown, min = 1): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
    throw new LeakcheckError(
      code,
      `${name} must be a number of milliseconds ≥ ${min}, got ${describe(value)}`,
      {
        details: { option: name },
      },
    );
  }
  return value;
}

function describe(value: unknown): string {
  return typeof value === 'number' ? String(value) : typeof value;
}
