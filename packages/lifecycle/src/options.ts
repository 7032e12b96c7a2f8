import { LifecycleError } from './errors.js';

/** Makes a package's own invalid-option error (e.g. ORG_LOGGER_INVALID_OPTION) from a message. */
export type OptionErrorFactory = (message: string, details: { option: string; value: unknown }) => Error;

export interface NumberRule {
  /** Used when the value is undefined; without it undefined is an error. */
  default?: number;
  min?: number;
  max?: number;
  integer?: boolean;
}

/** Checks options and throws the package's own typed error naming the option. One set per package. */
export interface OptionChecks {
  number(name: string, value: unknown, rule?: NumberRule): number;
  boolean(name: string, value: unknown, fallback?: boolean): boolean;
  /** A non-empty string. */
  string(name: string, value: unknown, fallback?: string): string;
  oneOf<V extends string>(name: string, value: unknown, choices: readonly V[], fallback?: V): V;
  // biome-ignore lint/complexity/noBannedTypes: any callable is accepted; the caller names its type.
  fn<F extends Function>(name: string, value: unknown, fallback?: F): F;
}

function shown(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value);
  if (typeof value === 'function') return 'a function';
  if (value === null) return 'null';
  if (typeof value === 'object') return Array.isArray(value) ? 'an array' : 'an object';
  return String(value);
}

export function optionChecks(makeError: OptionErrorFactory): OptionChecks {
  const fail = (name: string, value: unknown, expected: string): never => {
    throw makeError(`${name} must be ${expected}, got ${shown(value)}`, { option: name, value });
  };
  return {
    number(
      name,
      value,
      { default: fallback, min = 0, max = Number.POSITIVE_INFINITY, integer = false } = {},
    ) {
      const v = value === undefined ? fallback : value;
      if (
        typeof v !== 'number' ||
        Number.isNaN(v) ||
        v < min ||
        v > max ||
        (integer && Number.isFinite(v) && !Number.isInteger(v))
      ) {
        return fail(name, value, `${integer ? 'an integer' : 'a number'} in [${min}, ${max}]`);
      }
      return v;
    },
    boolean(name, value, fallback) {
      const v = value === undefined ? fallback : value;
      return typeof v === 'boolean' ? v : fail(name, value, 'true or false');
    },
    string(name, value, fallback) {
      const v = value === undefined ? fallback : value;
      return typeof v === 'string' && v !== '' ? v : fail(name, value, 'a non-empty string');
    },
    oneOf(name, value, choices, fallback) {
      const v = value === undefined ? fallback : value;
      return typeof v === 'string' && (choices as readonly string[]).includes(v)
        ? (v as (typeof choices)[number])
        : fail(name, value, `one of ${choices.map((c) => `'${c}'`).join(', ')}`);
    },
    fn(name, value, fallback) {
      const v = value === undefined ? fallback : value;
      return typeof v === 'function' ? (v as typeof fallback & object) : fail(name, value, 'a function');
    },
  } as OptionChecks;
}

const lifecycleChecks = optionChecks(
  (message, details) => new LifecycleError('ORG_LIFECYCLE_INVALID_OPTION', message, { details }),
);

/** The lifecycle package's own number check (ORG_LIFECYCLE_INVALID_OPTION). */
export function checkNumber(
  name: string,
  value: unknown,
  rule: { min?: number; max?: number; integer?: boolean } = {},
): number {
  return lifecycleChecks.number(name, value, rule);
}
