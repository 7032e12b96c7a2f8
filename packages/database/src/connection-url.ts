import type { ConnectionOptions as TlsOptions } from 'node:tls';
import { parse } from 'pg-connection-string';
import { DatabaseError } from './errors.js';
import { redactedError, redactUrl } from './redact.js';

/** One PostgreSQL server, as an object. */
export interface ConnectionConfig {
  /** A host name, an IP address, or the directory of a unix socket (`/var/run/postgresql`). */
  host?: string;
  port?: number;
  user?: string;
  password?: string;
  database?: string;
  /** true, false, or node:tls options (URL: sslmode, sslrootcert, sslcert, sslkey, as pg reads them). */
  ssl?: boolean | TlsOptions;
  /** Shown in pg_stat_activity. URL: application_name. */
  applicationName?: string;
  /** Per-node pool size (URL: connection_limit). Overrides pool.max. */
  connectionLimit?: number;
  /** Per-node pool acquire timeout in ms (URL: pool_timeout, in seconds). */
  poolTimeoutMs?: number;
  /** Per-node connect timeout in ms (URL: connect_timeout, in seconds). */
  connectTimeoutMs?: number;
  /** Per-node statement_timeout in ms (URL: statement_timeout, ms or with a unit: `5s`, `1min`). */
  statementTimeoutMs?: number;
  /**
   * The server is a PgBouncer in transaction pooling mode (URL: pgbouncer=true): no named prepared
   * statements, which live in a server session the next transaction may not get.
   */
  pgbouncer?: boolean;
  /**
   * Further settings as pg reads them from a URL (`options`, `client_encoding`, `lock_timeout`,
   * `enableChannelBinding`, …), handed to pg as they are.
   */
  driver?: Record<string, unknown>;
}

/** Parameters this package reads itself; everything else in a URL is pg's. */
const OWN_PARAMETERS = [
  'connection_limit',
  'pool_timeout',
  'connect_timeout',
  'statement_timeout',
  'pgbouncer',
] as const;

/**
 * Keys of pg-connection-string's result that become ConnectionConfig fields (or are consumed by the
 * parser itself: the TLS file names are read into `ssl`).
 */
const MAPPED = new Set<string>([
  ...OWN_PARAMETERS,
  'host',
  'port',
  'user',
  'password',
  'database',
  'ssl',
  'sslmode',
  'sslcert',
  'sslkey',
  'sslrootcert',
  'uselibpqcompat',
  'application_name',
  'channel_binding',
]);

/**
 * Connection parameters that libpq and pg know. A parameter that is none of these and nearly one of
 * this package's own (`connection_limt`, `Pool-Timeout`) is a typo that must not silently fall back to
 * a default; anything else pg accepts (and ignores) is passed through, as pg does.
 */
const KNOWN = new Set<string>([
  ...MAPPED,
  'hostaddr',
  'dbname',
  'passfile',
  'require_auth',
  'client_encoding',
  'options',
  'fallback_application_name',
  'keepalives',
  'keepalives_idle',
  'keepalives_interval',
  'keepalives_count',
  'tcp_user_timeout',
  'replication',
  'gssencmode',
  'requiressl',
  'sslnegotiation',
  'sslcompression',
  'sslpassword',
  'sslcertmode',
  'sslcrl',
  'sslcrldir',
  'sslsni',
  'requirepeer',
  'ssl_min_protocol_version',
  'ssl_max_protocol_version',
  'krbsrvname',
  'gsslib',
  'gssdelegation',
  'service',
  'target_session_attrs',
  'load_balance_hosts',
  'lock_timeout',
  'idle_in_transaction_session_timeout',
  'query_timeout',
  'db',
  'encoding',
  'schema',
  'sslaccept',
  'socket_timeout',
  'statement_cache_size',
]);

/** Where a connection URL names its server, for messages: after the user info, up to the path. */
export function hostOf(url: string): string {
  const scheme = url.indexOf('://');
  let rest = scheme >= 0 ? url.slice(scheme + 3) : url;
  const at = rest.lastIndexOf('@');
  if (at >= 0) rest = rest.slice(at + 1);
  const host = /^[^/?#\s]*/.exec(rest)?.[0] ?? '';
  return host === '' ? 'the default host' : redactUrl(host);
}

export function invalidUrl(url: string, reason: string, cause?: unknown, parameter?: string): DatabaseError {
  const host = hostOf(url);
  return new DatabaseError('ORG_DATABASE_INVALID_URL', `invalid database URL for ${host}: ${reason}`, {
    ...(cause === undefined ? {} : { cause: redactedError(cause) }),
    details: { host, url: redactUrl(url), ...(parameter ? { parameter } : {}) },
  });
}

function normalised(key: string): string {
  return key.toLowerCase().replace(/-/g, '_');
}

/** Levenshtein distance, at most `limit + 1` (enough to tell a near miss). */
function distance(a: string, b: string, limit: number): number {
  if (Math.abs(a.length - b.length) > limit) return limit + 1;
  let previous = Array.from({ length: b.length + 1 }, (_, i) => i);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++) {
      const cost = a[i - 1] === b[j - 1] ? 0 : 1;
      current.push(Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + cost));
    }
    previous = current;
  }
  return previous[b.length]!;
}

/** The own parameter `key` is a misspelling of, if it is one. */
function nearMiss(key: string): string | undefined {
  if (KNOWN.has(key)) return undefined;
  const name = normalised(key);
  return OWN_PARAMETERS.find((own) => distance(name, own, 2) <= 2);
}

/** `5000`, `5000ms`, `5s`, `1min`, `1h`, `1d` (as PostgreSQL reads a time setting) → ms. */
function durationMs(value: string): number | undefined {
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|min|h|d)?\s*$/.exec(value);
  if (!match) return undefined;
  const unit = { ms: 1, s: 1_000, min: 60_000, h: 3_600_000, d: 86_400_000 }[match[2] ?? 'ms']!;
  return Number(match[1]) * unit;
}

/** Seconds > 0 (`pool_timeout`, `connect_timeout`) → ms. */
function positiveSeconds(url: string, key: string, value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n) || n <= 0) {
    throw invalidUrl(url, `${key} must be a number of seconds > 0, got "${value}"`, undefined, key);
  }
  return n * 1000;
}

function readOwn(
  url: string,
  key: (typeof OWN_PARAMETERS)[number],
  value: string,
  config: ConnectionConfig,
): void {
  switch (key) {
    case 'connection_limit': {
      const n = Number(value);
      if (!Number.isInteger(n) || n < 1) {
        throw invalidUrl(url, `connection_limit must be an integer >= 1, got "${value}"`, undefined, key);
      }
      config.connectionLimit = n;
      return;
    }
    case 'pool_timeout':
      config.poolTimeoutMs = positiveSeconds(url, key, value);
      return;
    case 'connect_timeout':
      config.connectTimeoutMs = positiveSeconds(url, key, value);
      return;
    case 'statement_timeout': {
      const ms = durationMs(value);
      if (ms === undefined) {
        throw invalidUrl(
          url,
          `statement_timeout must be ms or a time such as 5s, got "${value}"`,
          undefined,
          key,
        );
      }
      config.statementTimeoutMs = ms;
      return;
    }
    case 'pgbouncer':
      if (!['true', 'false', '1', '0'].includes(value)) {
        throw invalidUrl(url, `pgbouncer must be true or false, got "${value}"`, undefined, key);
      }
      config.pgbouncer = value === 'true' || value === '1';
      return;
  }
}

/**
 * Parses a connection URL the way pg does (pg-connection-string, pg's own parser: `postgres://…`,
 * `socket:/dir?db=…`, `?host=/var/run/postgresql`, `sslmode`, TLS files, `options`, …) and reads this
 * package's own parameters on top: `connection_limit`, `pool_timeout` and `connect_timeout` (seconds),
 * `statement_timeout`, `pgbouncer`. A malformed URL or a bad own parameter is ORG_DATABASE_INVALID_URL,
 * its password masked in every part of the error.
 */
export function parseConnectionUrl(url: string): ConnectionConfig {
  if (typeof url !== 'string' || url.trim() === '') {
    throw invalidUrl(String(url), 'empty');
  }
  let parsed: Record<string, unknown>;
  try {
    parsed = parse(url) as Record<string, unknown>;
  } catch (cause) {
    const reason =
      cause instanceof URIError
        ? 'bad percent-encoding (a % not followed by two hex digits of valid UTF-8)'
        : (cause as { code?: unknown }).code === 'ENOENT' || (cause as { code?: unknown }).code === 'EACCES'
          ? `a TLS file cannot be read (${(cause as { code: string }).code})`
          : `not a connection URL pg can read (${(cause as Error).message ?? String(cause)})`;
    throw invalidUrl(url, redactUrl(reason), cause);
  }
  const config: ConnectionConfig = {};
  const driver: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(parsed)) {
    if (value === undefined || value === null || value === '') continue;
    const own = OWN_PARAMETERS.find((name) => name === key);
    if (own) {
      readOwn(url, own, String(value), config);
      continue;
    }
    const meant = nearMiss(key);
    if (meant) throw invalidUrl(url, `unknown parameter "${key}" (did you mean ${meant}?)`, undefined, key);
    if (!MAPPED.has(key)) driver[key] = value;
  }
  if (typeof parsed.host === 'string' && parsed.host !== '') config.host = parsed.host;
  if (typeof parsed.port === 'string' && parsed.port !== '') {
    const port = Number(parsed.port);
    if (!Number.isInteger(port) || port < 1 || port > 65_535) {
      throw invalidUrl(url, `port must be an integer in [1, 65535], got "${parsed.port}"`, undefined, 'port');
    }
    config.port = port;
  }
  if (typeof parsed.user === 'string' && parsed.user !== '') config.user = parsed.user;
  if (typeof parsed.password === 'string' && parsed.password !== '') config.password = parsed.password;
  if (typeof parsed.database === 'string' && parsed.database !== '') config.database = parsed.database;
  if (parsed.ssl !== undefined) config.ssl = parsed.ssl as boolean | TlsOptions;
  if (typeof parsed.application_name === 'string' && parsed.application_name !== '') {
    config.applicationName = parsed.application_name;
  }
  // libpq's channel_binding; pg uses SCRAM-SHA-256-PLUS when the server offers it and this is set.
  if (parsed.channel_binding === 'require' || parsed.channel_binding === 'prefer') {
    driver.enableChannelBinding = true;
  }
  if (Object.keys(driver).length > 0) config.driver = driver;
  return config;
}
