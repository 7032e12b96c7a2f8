/**
 * Environment configuration on envalid: every variable has a description and a default (or is
 * required), loadConfig() reports every problem at once in one typed error, and helpText() prints
 * the same specs for `--help`.
 */

import { redactUrl as redact } from '@org/shared-database';
import { bool, cleanEnv, EnvError, makeValidator, num, port, str, url, type ValidatorSpec } from 'envalid';
import { ServiceError } from './errors.js';

export { bool, num, port, str, url };

export type ConfigSpecs = Record<string, ValidatorSpec<unknown>>;

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

/** A fraction in (0, 1]. */
export const ratio = makeValidator<number>((input) => {
  const value = Number(input);
  if (input.trim() === '' || !(value > 0 && value <= 1))
    throw new EnvError(`expected a number in (0, 1], got "${input}"`);
  return value;
});

/** An optional http(s):// or postgres(ql):// URL; '' counts as unset. */
export function optionalUrl(desc: string, protocols: readonly string[]): ValidatorSpec<string | undefined> {
  const validator = makeValidator<string | undefined>((input) => {
    if (input.trim() === '') return '';
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

/**
 * Validates `env` against `specs`. Throws ORG_SERVICE_CONFIG_INVALID whose message lists every
 * problem, one per line, and whose details.problems holds them as { name, problem }.
 */
export function loadConfig<S extends ConfigSpecs>(
  specs: S,
  env: Record<string, string | undefined> = process.env,
): LoadedConfig<S> {
  const cleaned = cleanEnv(env, specs, {
    reporter: ({ errors }) => {
      const problems = Object.entries(errors as Record<string, Error | undefined>)
        .filter((entry): entry is [string, Error] => entry[1] !== undefined)
        .map(([name, error]) => ({
          name,
          problem:
            error.name === 'EnvMissingError' ? `required: ${error.message || 'not set'}` : error.message,
        }));
      if (problems.length === 0) return;
      throw new ServiceError(
        'ORG_SERVICE_CONFIG_INVALID',
        `invalid configuration (${problems.length} problem${problems.length === 1 ? '' : 's'}):\n${problems
          .map((p) => `  ${p.name}: ${p.problem}`)
          .join('\n')}`,
        { details: { problems } },
      );
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

const PG_PROTOCOLS = ['postgres:', 'postgresql:'];

/**
 * The variables every service reads (HTTP, database, logs, guard, metrics, shutdown), with defaults.
 * A service spreads them into its own specs: `{ ...serviceSpecs({ port: 3000 }), PAGE_SIZE_MAX: … }`.
 */
export function serviceSpecs(defaults: { port: number; replicasDesc?: string }) {
  return {
    PORT: int({ desc: 'HTTP port (0 picks a free one).', default: defaults.port, min: 0, max: 65535 }),
    HOST: str({ desc: 'Interface to listen on (0.0.0.0 in containers).', default: '127.0.0.1' }),
    DATABASE_URL: optionalUrl(
      'Primary PostgreSQL. Unset: an embedded PGlite database is started.',
      PG_PROTOCOLS,
    ),
    DATABASE_REPLICA_URLS: urlList(
      defaults.replicasDesc ?? 'Comma-separated read replicas (reads go there while fresh).',
      PG_PROTOCOLS,
    ),
    EMBEDDED_PG_DATA_DIR: str({
      desc: 'Data directory of the embedded database; empty: in memory.',
      default: '',
    }),
    DB_POOL_MAX: int({
      desc: 'Most connections per PostgreSQL server (embedded: capped at 4).',
      default: 10,
      min: 1,
      max: 100,
    }),
    MIGRATE_ON_START: bool({
      desc: 'Run pending migrations at start-up (else run the "migrate" command).',
      default: true,
    }),
    ELASTICSEARCH_URL: optionalUrl('Elasticsearch for logs (as well as the console); unset: console only.', [
      'http:',
      'https:',
    ]),
    LOG_LEVEL: str({
      desc: 'Lowest level logged.',
      choices: ['error', 'warn', 'info', 'http', 'verbose', 'debug'],
      default: 'info',
    }),
    SERVICE_ENV: str({ desc: 'Environment name in logs and metrics.', default: 'development' }),
    BODY_LIMIT: byteSize({ desc: 'Largest request body (e.g. 1mb, 512kb).', default: 1024 * 1024 }),
    MEMORY_GUARD_MAX_HEAP_RATIO: ratio({
      desc: 'Answer 503 to new requests while V8 heap used / heap limit is above this (sampled every second).',
      default: 0.9,
    }),
    METRICS_TOKEN: str({ desc: 'Bearer token required on /metrics; empty: open.', default: '' }),
    SHUTDOWN_TIMEOUT_MS: int({
      desc: 'Deadline for the whole shutdown on SIGTERM/SIGINT.',
      default: 10_000,
      min: 100,
      max: 120_000,
    }),
  };
}

/** What the kit reads of a service's configuration (the variables of serviceSpecs()). */
export type ServiceConfig = LoadedConfig<ReturnType<typeof serviceSpecs>>;
