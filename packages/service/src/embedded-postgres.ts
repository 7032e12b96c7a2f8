import { type ChildProcess, fork } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  aborted,
  type CloseContext,
  createCloseContext,
  type ErrorReporter,
  Resource,
  report,
  stderrReporter,
} from '@org/shared-lifecycle';
import { ServiceError } from './errors.js';

export interface EmbeddedPostgresOptions {
  /** Directory for the data, or undefined for an in-memory database (gone at exit). */
  dataDir?: string | undefined;
  /**
   * Wire connections the socket server accepts. PGlite has one connection: pglite-socket runs the
   * protocol messages of all its connections through it one at a time, and statements of two
   * connections interleave (`unnamed prepared statement does not exist`), so the service's pool
   * must have one connection. The extra ones are room for a connection being replaced. Default 4.
   */
  maxConnections?: number;
  /** How long PGlite may take to start (WASM compile, initdb of a new in-memory database). Default 60 s. */
  startTimeoutMs?: number;
  /** Where an unexpected exit of the child is reported. Default: one line on stderr. */
  onError?: ErrorReporter;
}

export interface EmbeddedPostgresStats {
  pid: number | null;
  running: boolean;
  /** Resident memory of the child process (Linux /proc), or null where it cannot be read. */
  rssBytes: number | null;
}

const PGLITE_PACKAGES = ['@electric-sql/pglite', '@electric-sql/pglite-socket'] as const;

/** The child's file next to this module, as .ts in the monorepo's tests (type stripping) and .js from dist. */
function childEntry(): string {
  const ext = import.meta.url.endsWith('.ts') ? '.ts' : '.js';
  return fileURLToPath(new URL(`./embedded-postgres-child${ext}`, import.meta.url));
}

function missingPackages(): string[] {
  return PGLITE_PACKAGES.filter((name) => {
    try {
      import.meta.resolve(name);
      return false;
    } catch {
      return true;
    }
  });
}

function residentBytes(pid: number): number | null {
  try {
    const match = /^VmRSS:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match?.[1] ? Number(match[1]) * 1024 : null;
  } catch {
    return null;
  }
}

/**
 * PostgreSQL for development: PGlite (Postgres compiled to WASM) in a child process of its own,
 * served over the wire protocol on 127.0.0.1, so the service's pg/knex code path is the same as
 * against a real server and PGlite's memory (a few hundred MB) is not the service's. The child
 * stops when close() is called or when this process goes away. Not for production.
 */
export class EmbeddedPostgres extends Resource {
  readonly url: string;
  readonly maxConnections: number;
  readonly #child: ChildProcess;
  readonly #onExit: (code: number | null, signal: NodeJS.Signals | null) => void;

  private constructor(child: ChildProcess, conn: string, maxConnections: number, onError: ErrorReporter) {
    super('EmbeddedPostgres', { closeTimeoutMs: 5_000, onError });
    this.#child = child;
    this.maxConnections = maxConnections;
    this.url = `postgres://postgres@${conn}/postgres?sslmode=disable`;
    this.#onExit = (code, signal) => {
      if (this.closed) return;
      const error = new ServiceError(
        'ORG_SERVICE_EMBEDDED_PG_FAILED',
        'embedded PostgreSQL exited unexpectedly',
        {
          details: { code, signal },
        },
      );
      report(onError, error, { source: 'embedded-postgres' });
    };
    child.once('exit', this.#onExit);
  }

  static async start(options: EmbeddedPostgresOptions = {}): Promise<EmbeddedPostgres> {
    const maxConnections = options.maxConnections ?? 4;
    const dataDir = options.dataDir || undefined;
    const missing = missingPackages();
    if (missing.length > 0) {
      throw new ServiceError(
        'ORG_SERVICE_EMBEDDED_PG_FAILED',
        `the embedded database needs ${missing.join(' and ')}: install them as devDependencies (npm install -D ${PGLITE_PACKAGES.join(' ')}), or set DATABASE_URL`,
        { details: { missing } },
      );
    }
    const child = fork(childEntry(), [JSON.stringify({ dataDir: dataDir ?? null, maxConnections })], {
      stdio: ['ignore', 'inherit', 'inherit', 'ipc'],
      serialization: 'json',
      // Not this process's command-line flags (--input-type, loaders, inspector); NODE_OPTIONS still applies.
      execArgv: [],
    });
    try {
      const ready = new Promise<string>((resolve, reject) => {
        child.on('message', (message: { type?: string; conn?: string; message?: string }) => {
          if (message?.type === 'ready' && message.conn) resolve(message.conn);
          else if (message?.type === 'failed') reject(new Error(message.message ?? 'failed'));
        });
        child.once('exit', (code, signal) =>
          reject(new Error(`exited (${signal ?? code}) before it was ready`)),
        );
        child.once('error', reject);
      });
      // Observed by the race below; a late rejection (the child exiting after the deadline) is not unhandled.
      ready.catch(() => {});
      const startTimeoutMs = options.startTimeoutMs ?? 60_000;
      using deadline = createCloseContext({ timeoutMs: startTimeoutMs });
      const conn = await Promise.race([
        ready,
        aborted(deadline.signal).then(() => {
          throw new Error(`not ready within ${startTimeoutMs} ms`);
        }),
      ]);
      child.removeAllListeners('message');
      child.removeAllListeners('error');
      child.removeAllListeners('exit');
      // The IPC channel must not keep this process alive by itself.
      child.channel?.unref();
      return new EmbeddedPostgres(child, conn, maxConnections, options.onError ?? stderrReporter);
    } catch (error) {
      child.removeAllListeners();
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
      throw new ServiceError(
        'ORG_SERVICE_EMBEDDED_PG_FAILED',
        'embedded PostgreSQL (PGlite) failed to start',
        {
          cause: error,
          details: { dataDir: dataDir ?? 'memory://' },
        },
      );
    }
  }

  get pid(): number | null {
    return this.#child.pid ?? null;
  }

  stats(): EmbeddedPostgresStats {
    const running = this.#child.exitCode === null && this.#child.signalCode === null;
    const pid = this.pid;
    return { pid, running, rssBytes: running && pid !== null ? residentBytes(pid) : null };
  }

  /** Close the clients (the service's pool) first: the child cuts open connections when it stops. */
  protected override async onClose(ctx: CloseContext): Promise<void> {
    const signal = ctx.signal;
    const child = this.#child;
    child.off('exit', this.#onExit);
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = once(child, 'exit');
    const kill = () => child.kill('SIGKILL');
    signal.addEventListener('abort', kill, { once: true });
    try {
      if (child.connected) child.send({ type: 'stop' });
      else child.kill('SIGTERM');
      await exited;
    } finally {
      signal.removeEventListener('abort', kill);
    }
  }
}
