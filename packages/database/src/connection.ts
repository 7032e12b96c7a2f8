import { createRequire } from 'node:module';
import { type ConnectionConfig, parseConnectionUrl } from './connection-url.js';
import { DatabaseError } from './errors.js';
import { check, invalidOption } from './options.js';

/** A checked connection config (as given: pg fills in what it leaves out), and what pg will use. */
export interface ResolvedConnection extends ConnectionConfig {
  /** The server pg connects to, after its defaults and PGHOST/PGPORT/PGUSER/PGDATABASE. */
  server: { host: string; port: number; user: string | undefined; database: string };
  /** `user@host:port/database`, never the password. */
  label: string;
}

interface PgConnectionParameters {
  host: string;
  port: number;
  user: string | undefined;
  database: string | undefined;
}

// pg's own reading of a config (its defaults, then PGHOST/PGPORT/PGUSER/PGDATABASE, then the config),
// so the label names the server pg really connects to.
const ConnectionParameters = createRequire(import.meta.url)('pg/lib/connection-parameters') as new (
  config: Record<string, unknown>,
) => PgConnectionParameters;

function objectConfig(input: unknown, role: string): ConnectionConfig {
  if (input === null || typeof input !== 'object' || Array.isArray(input)) {
    throw invalidOption(
      `${role} must be a connection URL or a ConnectionConfig object, got ${input === null ? 'null' : Array.isArray(input) ? 'an array' : typeof input}`,
      role,
      { node: role },
    );
  }
  return { ...(input as ConnectionConfig) };
}

/** Validates a URL or an object and fills in what pg will use for host, port and database. */
export function resolveConnection(input: string | ConnectionConfig, role: string): ResolvedConnection {
  const config = typeof input === 'string' ? parseConnectionUrl(input) : objectConfig(input, role);
  const pg = new ConnectionParameters({
    ...(config.host === undefined ? {} : { host: config.host }),
    ...(config.port === undefined ? {} : { port: config.port }),
    ...(config.user === undefined ? {} : { user: config.user }),
    ...(config.database === undefined ? {} : { database: config.database }),
  });
  const host = config.host ?? pg.host;
  const port = config.port ?? pg.port;
  const database = config.database ?? pg.database ?? config.user ?? pg.user ?? 'postgres';
  const user = config.user ?? pg.user;
  const label = `${user ? `${user}@` : ''}${host}:${port}/${database}`;
  const option = (name: string) => `${role}.${name}`;
  if (typeof host !== 'string' || host === '') {
    throw invalidOption(`${label}: host must be a non-empty string`, option('host'), { node: label });
  }
  if (!Number.isInteger(port) || port < 1 || port > 65_535) {
    throw invalidOption(
      `${label}: port must be an integer in [1, 65535], got ${String(config.port)}`,
      option('port'),
      {
        node: label,
      },
    );
  }
  if (config.password !== undefined && typeof config.password !== 'string') {
    throw invalidOption(`${label}: password must be a string`, option('password'), { node: label });
  }
  const rule = { min: 1 };
  if (config.connectionLimit !== undefined)
    check.number(option('connectionLimit'), config.connectionLimit, { min: 1, integer: true });
  if (config.poolTimeoutMs !== undefined) check.number(option('poolTimeoutMs'), config.poolTimeoutMs, rule);
  if (config.connectTimeoutMs !== undefined)
    check.number(option('connectTimeoutMs'), config.connectTimeoutMs, rule);
  if (config.statementTimeoutMs !== undefined)
    check.number(option('statementTimeoutMs'), config.statementTimeoutMs, { min: 0 });
  if (config.pgbouncer !== undefined) check.boolean(option('pgbouncer'), config.pgbouncer);
  if (config.driver !== undefined && (config.driver === null || typeof config.driver !== 'object')) {
    throw invalidOption(`${label}: driver must be an object`, option('driver'), { node: label });
  }
  return { ...config, server: { host, port, user, database }, label };
}

/** `{ primary, replicas }` from env-style `DATABASE_URL` and comma-separated `DATABASE_REPLICA_URLS`. */
export function connectionsFromEnv(env: Record<string, string | undefined> = process.env): {
  primary: string;
  replicas: string[];
} {
  const primary = env.DATABASE_URL?.trim();
  if (!primary) {
    throw new DatabaseError('ORG_DATABASE_INVALID_OPTION', 'DATABASE_URL is not set', {
      details: { option: 'DATABASE_URL' },
    });
  }
  const replicas = (env.DATABASE_REPLICA_URLS ?? '')
    .split(',')
    .map((url) => url.trim())
    .filter((url) => url !== '');
  return { primary, replicas };
}
