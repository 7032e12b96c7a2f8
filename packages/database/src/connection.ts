import type { ConnectionOptions as TlsOptions } from 'node:tls';
import { DatabaseError } from './errors.js';

/** One PostgreSQL server, as an object. */
export interface ConnectionConfig {
  host?: string;
  port?: number;
  user?: string;
  password?: string;
  database?: string;
  /** true, false, or node:tls options. Default false (loopback harness). */
  ssl?: boolean | TlsOptions;
  /** Shown in pg_stat_activity. */
  applicationName?: string;
  /** Per-node pool size (URL: connection_limit). Overrides pool.max. */
  connectionLimit?: number;
  /** Per-node pool acquire timeout in ms (URL: pool_timeout, in seconds). */
  poolTimeoutMs?: number;
  /** Per-node connect timeout in ms (URL: connect_timeout, in seconds). */
  connectTimeoutMs?: number;
  /** Per-node statement_timeout in ms (URL: statement_timeout, in ms). */
  statementTimeoutMs?: number;
}

/** A connection config with defaults applied and a display name with the password redacted. */
export interface ResolvedConnection extends ConnectionConfig {
  host: string;
  port: number;
  database: string;
  /** `user@host:port/database`, never the password. */
  label: string;
}

const URL_PARAMS = new Set([
  'connection_limit',
  'pool_timeout',
  'connect_timeout',
  'statement_timeout',
  'application_name',
  'sslmode',
  'ssl',
]);

/** Replaces the password of a connection URL (or any string holding one) with `***`. */
export function redactUrl(text: string): string {
  return text.replace(/(\/\/[^:/@\s]*:)[^@\s]*@/g, '$1***@').replace(/(password=)[^&\s]*/gi, '$1***');
}

function hostOf(text: string): string {
  const match = /@([^/?\s]+)/.exec(text) ?? /\/\/([^/?@\s]+)/.exec(text);
  return match?.[1] ?? 'unknown host';
}

function invalidUrl(url: string, reason: string): DatabaseError {
  const host = hostOf(url);
  return new DatabaseError('ORG_DATABASE_INVALID_URL', `invalid database URL for ${host}: ${reason}`, {
    details: { host, url: redactUrl(url) },
  });
}

function seconds(url: string, name: string, value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n < 0) {
    throw invalidUrl(url, `${name} must be a non-negative number of seconds, got "${value}"`);
  }
  return n * 1000;
}

/**
 * Parses `postgres://user:password@host:port/database?connection_limit=10&pool_timeout=20&connect_timeout=10`.
 * Unknown query parameters are an error (a typo must not silently fall back to a default).
 */
export function parseConnectionUrl(url: string): ConnectionConfig {
  if (typeof url !== 'string' || url.trim() === '') throw invalidUrl(String(url), 'empty');
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch (cause) {
    const error = invalidUrl(url, 'not a URL');
    (error as { cause?: unknown }).cause = cause;
    throw error;
  }
  if (parsed.protocol !== 'postgres:' && parsed.protocol !== 'postgresql:') {
    throw invalidUrl(url, `protocol must be postgres: or postgresql:, got ${parsed.protocol}`);
  }
  if (parsed.hostname === '') throw invalidUrl(url, 'no host');
  const config: ConnectionConfig = { host: decodeURIComponent(parsed.hostname).replace(/^\[|\]$/g, '') };
  if (parsed.port !== '') config.port = Number(parsed.port);
  if (parsed.username !== '') config.user = decodeURIComponent(parsed.username);
  if (parsed.password !== '') config.password = decodeURIComponent(parsed.password);
  const database = decodeURIComponent(parsed.pathname.replace(/^\//, ''));
  if (database !== '') config.database = database;
  for (const [key, value] of parsed.searchParams) {
    if (!URL_PARAMS.has(key)) throw invalidUrl(url, `unknown parameter "${key}"`);
    switch (key) {
      case 'connection_limit': {
        const n = Number(value);
        if (!Number.isInteger(n) || n < 1) {
          throw invalidUrl(url, `connection_limit must be an integer >= 1, got "${value}"`);
        }
        config.connectionLimit = n;
        break;
      }
      case 'pool_timeout':
        config.poolTimeoutMs = seconds(url, key, value);
        break;
      case 'connect_timeout':
        config.connectTimeoutMs = seconds(url, key, value);
        break;
      case 'statement_timeout': {
        const n = Number(value);
        if (!Number.isFinite(n) || n < 0)
          throw invalidUrl(url, `statement_timeout must be ms >= 0, got "${value}"`);
        config.statementTimeoutMs = n;
        break;
      }
      case 'application_name':
        config.applicationName = value;
        break;
      case 'sslmode':
      case 'ssl':
        if (value === 'disable' || value === 'false' || value === '0') config.ssl = false;
        else if (value === 'no-verify') config.ssl = { rejectUnauthorized: false };
        else if (['require', 'prefer', 'verify-ca', 'verify-full', 'true', '1'].includes(value))
          config.ssl = true;
        else throw invalidUrl(url, `unsupported ${key} "${value}"`);
        break;
    }
  }
  return config;
}

function invalidConfig(label: string, reason: string, option: string): DatabaseError {
  return new DatabaseError(
    'ORG_DATABASE_INVALID_OPTION',
    `invalid database configuration for ${label}: ${reason}`,
    {
      details: { node: label, option },
    },
  );
}

function positive(label: string, name: string, value: unknown, integer = false): void {
  if (value === undefined) return;
  if (
    typeof value !== 'number' ||
    !Number.isFinite(value) ||
    value < 0 ||
    (integer && !Number.isInteger(value))
  ) {
    throw invalidConfig(label, `${name} must be a non-negative ${integer ? 'integer' : 'number'}`, name);
  }
}

/** Validates a URL or an object and fills in host/port/database defaults. */
export function resolveConnection(input: string | ConnectionConfig, role: string): ResolvedConnection {
  let config: ConnectionConfig;
  if (typeof input === 'string') config = parseConnectionUrl(input);
  else if (input !== null && typeof input === 'object' && !Array.isArray(input)) config = { ...input };
  else {
    throw new DatabaseError(
      'ORG_DATABASE_INVALID_OPTION',
      `${role} must be a connection URL or a ConnectionConfig object, got ${input === null ? 'null' : typeof input}`,
      { details: { node: role, option: role } },
    );
  }
  const host = config.host ?? '127.0.0.1';
  const port = config.port ?? 5432;
  const database = config.database ?? config.user ?? 'postgres';
  const label = `${config.user ? `${config.user}@` : ''}${host}:${port}/${database}`;
  if (typeof host !== 'string' || host === '')
    throw invalidConfig(label, 'host must be a non-empty string', 'host');
  if (!Number.isInteger(port) || port < 1 || port > 65_535) {
    throw invalidConfig(label, `port must be an integer in [1, 65535], got ${String(config.port)}`, 'port');
  }
  if (config.password !== undefined && typeof config.password !== 'string') {
    throw invalidConfig(label, 'password must be a string', 'password');
  }
  positive(label, 'connectionLimit', config.connectionLimit, true);
  if (config.connectionLimit === 0)
    throw invalidConfig(label, 'connectionLimit must be >= 1', 'connectionLimit');
  positive(label, 'poolTimeoutMs', config.poolTimeoutMs);
  positive(label, 'connectTimeoutMs', config.connectTimeoutMs);
  positive(label, 'statementTimeoutMs', config.statementTimeoutMs);
  return { ...config, host, port, database, label };
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
