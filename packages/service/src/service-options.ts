// createService's options, and their checks.
import type { DatabaseOptions } from '@org/shared-database';
import { optionChecks } from '@org/shared-lifecycle';
import type { Knex } from 'knex';
import type { ConfigSpecs, Env, LoadedConfig } from './config.js';
import { ServiceError } from './errors.js';
import type { ServiceConfig } from './specs.js';

/** What createService needs of a service's migrations (codeMigrations() returns one). */
export interface Migrations {
  migrate(knex: Knex): Promise<string[]>;
}

/** The database of a service: createDatabase's options that are not read from the environment, and the migrations. */
export interface ServiceDatabaseOptions
  extends Omit<DatabaseOptions, 'primary' | 'replicas' | 'pool' | 'applicationName' | 'onError'> {
  /** Run on the primary at start when MIGRATE_ON_START (default true); `migrate` runs them on its own. */
  migrations?: Migrations;
}

export interface ServiceOptions<S extends ConfigSpecs = Record<never, never>> {
  name: string;
  version: string;
  /** Default of PORT. Default 3000. */
  port?: number;
  /** The service's own environment variables, validated with the common ones (every problem at once). */
  specs?: S;
  /** A configuration already loaded (by runService, or a test); default: read from `env`. */
  config?: ServiceConfig & LoadedConfig<S>;
  /** Default process.env. */
  env?: Env;
  /** A PostgreSQL primary (DATABASE_URL), replicas, pool and migrations. Default: no database. */
  database?: boolean | ServiceDatabaseOptions;
  /** 'express' (default): service.app is an Express 5 app; 'node': listen(handler) takes a node:http handler. */
  http?: 'express' | 'node';
  /** Install SIGTERM/SIGINT handlers at listen(). Default true; in-process tests pass false. */
  signals?: boolean;
  /** What a signal-started shutdown calls at its end (and at the deadline). Default process.exit. */
  exit?: (code: number) => void;
  /** Console log lines go here instead of stdout (tests). */
  logStream?: NodeJS.WritableStream;
}

const check = optionChecks(
  (message, details) => new ServiceError('ORG_SERVICE_INVALID_OPTION', message, { details }),
);

export function checkOptions(options: ServiceOptions<ConfigSpecs>): void {
  if (options === null || typeof options !== 'object')
    throw new ServiceError('ORG_SERVICE_INVALID_OPTION', 'options must be an object', {
      details: { option: 'options' },
    });
  const name = check.string('name', options.name);
  if (!/^[a-z0-9][a-z0-9._-]*$/i.test(name))
    throw new ServiceError(
      'ORG_SERVICE_INVALID_OPTION',
      `name must be a service name ([A-Za-z0-9._-]), got "${name}"`,
      {
        details: { option: 'name', value: name },
      },
    );
  check.string('version', options.version);
  check.oneOf('http', options.http, ['express', 'node'] as const, 'express');
  if (options.port !== undefined) check.number('port', options.port, { min: 0, max: 65535, integer: true });
  check.boolean('signals', options.signals, true);
  if (options.exit !== undefined) check.fn('exit', options.exit);
}
