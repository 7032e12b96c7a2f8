/**
 * Environment configuration on envalid: every variable has a description and a default (or is
 * required), loadConfig() reports every problem at once in one typed error, and helpText() prints
 * the same specs for `--help`.
 */

import { defaultRedactor } from '@org/shared-lifecycle';
import { bool, cleanEnv, EnvError, makeValidator, num, port, str, url, type ValidatorSpec } from 'envalid';
import { ServiceError } from './errors.js';

export { bool, num, port, str, url };

/** A value as it may appear in a problem: credentials inside it replaced. */
const redact = (value: string) => defaultRedactor.string(value);

export type ConfigSpecs = Record<string, ValidatorSpec<unknown>>;
export type Env = Record<string, string | undefined>;

/** An integer in [min, max]. */
export function int(spec: {
  desc: string;
  default?: number;
  min?: number;
  max?: number;
}): ValidatorSpec<number> {
  const { min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER } = spec;
  const validator = makeValidator<number>((input) => {
    const value = Number(input.trim());
    if (input.trim() === '' || !Number.isInteger(value))
      throw new EnvError(`expected an integer, got "${input}"`);
    if (value < min || value > max)
      throw new EnvError(`expected an integer in [${min}, ${max}], got ${value}`);
    return value;
  });
  return spec.default === undefined
    ? validator({ desc: spec.desc })
    : validator({ desc: spec.desc, default: spec.default });
}

/** An optional integer in [min, max]; '' or unset is undefined (the caller picks the default). */
export function optionalInt(spec: {
  desc: string;
  min?: number;
  max?: number;
}): ValidatorSpec<number | undefined> {
  const { min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER } = spec;
  const validator = makeValidator<number | undefined>((input) => {
    if (input.trim() === '') return undefined;
    const value = Number(input.trim());
    if (!Number.isInteger(value)) throw new EnvError(`expected an integer, got "${input}"`);
    if (value < min || value > max)
      throw new EnvError(`expected an integer in [${min}, ${max}], got ${value}`);
    return value;
  });
  return validator({ desc: spec.desc, default: undefined });
}

/** A fraction in (0, 1]. */
export const ratio = makeValidator<number>((input) => {
  const value = Number(input);
  if (input.trim() === '' || !(value > 0 && value <= 1))
    throw new EnvError(`expected a number in (0, 1], got "${input}"`);
  return value;
});

/** An optional http(s):// or postgres(ql):// URL; '' counts as unset. Secrets never appear in a problem. */
export function optionalUrl(desc: string, protocols: readonly string[]): ValidatorSpec<string | undefined> {
  const validator = makeValidator<string | undefined>((input) => {
    if (input.trim() === '') return undefined;
    let parsed: URL;
    try {
      parsed = new URL(input);
    } catch {
      throw new EnvError(`expected a URL (${protocols.join(', ')}), got "${redact(input)}"`);
    }
    if (!protocols.includes(parsed.protocol)) {
      throw new EnvError(`expected protocol ${protocols.join(' or ')}, got "${parsed.protocol}"`);
    }
    return input;
  });
  return validator({ desc, default: undefined });
}

/** A comma-separated list of URLs (may be empty). */
export function urlList(desc: string, protocols: readonly string[]): ValidatorSpec<readonly string[]> {
  const validator = makeValidator<readonly string[]>((input) => {
    const items = input
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
    for (const item of items) {
      let parsed: URL;
      try {
        parsed = new URL(item);
      } catch {
        throw new EnvError(`expected comma-separated URLs, "${redact(item)}" is not one`);
      }
      if (!protocols.includes(parsed.protocol)) {
        throw new EnvError(`expected protocol ${protocols.join(' or ')}, got "${parsed.protocol}"`);
      }
    }
    return items;
  });
  return validator({ desc, default: [] });
}

/** A byte size: "1mb", "512kb", "1048576". */
export const byteSize = makeValidator<number>((input) => {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(b|kb|mb|gb)?\s*$/i.exec(input);
  if (!match) throw new EnvError(`expected a size like 1mb, 512kb or 1048576, got "${input}"`);
  const factor = { b: 1, kb: 1024, mb: 1024 ** 2, gb: 1024 ** 3 }[(match[2] ?? 'b').toLowerCase() as 'b'];
  const bytes = Math.floor(Number(match[1]) * factor);
  if (bytes < 1) throw new EnvError(`expected a positive size, got "${input}"`);
  return bytes;
});

export type LoadedConfig<S extends ConfigSpecs> = {
  readonly [K in keyof S]: S[K] extends ValidatorSpec<infer U> ? U : never;
};

export interface ConfigProblem {
  name: string;
  problem: string;
}

/** The one error for a bad environment: every problem, one per line, and as details.problems. */
export function configError(problems: readonly ConfigProblem[]): ServiceError {
  return new ServiceError(
    'ORG_SERVICE_CONFIG_INVALID',
    `invalid configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n${problems
      .map((p) => `  ${p.name}: ${p.problem}`)
      .join('\n')}`,
    { details: { problems } },
  );
}

/**
 * Validates `env` against `specs` (an empty variable counts as unset). Throws
 * ORG_SERVICE_CONFIG_INVALID whose message lists every problem, one per line, and whose
 * details.problems holds them as { name, problem }.
 */
export function loadConfig<S extends ConfigSpecs>(specs: S, env: Env = process.env): LoadedConfig<S> {
  // An empty variable (VAR= in a compose file or a .env) is an unset one: its default applies.
  const input: Env = {};
  for (const key of Object.keys(specs)) if (env[key] !== undefined && env[key] !== '') input[key] = env[key];
  if (env.NODE_ENV !== undefined) input.NODE_ENV = env.NODE_ENV;
  const cleaned = cleanEnv(input, specs, {
    reporter: ({ errors }) => {
      const problems = Object.entries(errors as Record<string, Error | undefined>)
        .filter((entry): entry is [string, Error] => entry[1] !== undefined)
        .map(([name, error]) => ({
          name,
          problem:
            error.name === 'EnvMissingError' ? `required: ${error.message || 'not set'}` : error.message,
        }));
      if (problems.length > 0) throw configError(problems);
    },
  });
  const result: Record<string, unknown> = {};
  for (const key of Object.keys(specs)) result[key] = (cleaned as Record<string, unknown>)[key];
  return Object.freeze(result) as LoadedConfig<S>;
}

/** Help text: one block per variable with its description and default. */
export function helpText(specs: ConfigSpecs): string {
  const lines: string[] = [];
  for (const [name, spec] of Object.entries(specs)) {
    const hasDefault = Object.hasOwn(spec, 'default');
    const value = spec.default;
    const shown = !hasDefault
      ? '(required)'
      : value === undefined || value === ''
        ? '(unset)'
        : Array.isArray(value)
          ? value.length === 0
            ? '(empty)'
            : value.join(',')
          : String(value);
    lines.push(`  ${name.padEnd(30)} default: ${shown}`);
    if (spec.desc) lines.push(`      ${spec.desc}`);
  }
  return lines.join('\n');
}
