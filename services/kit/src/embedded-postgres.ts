import { setImmediate as tick } from 'node:timers/promises';
import { PGlite } from '@electric-sql/pglite';
import { PGLiteSocketServer } from '@electric-sql/pglite-socket';
import { Resource } from '@org/shared-lifecycle';
import { ServiceError } from './errors.js';

export interface EmbeddedPostgresOptions {
  /** Directory for the data, or undefined for an in-memory database (gone at exit). */
  dataDir?: string | undefined;
  /** Port on 127.0.0.1; default 0 (picked by the kernel). */
  port?: number;
  /**
   * Wire connections the socket server accepts. PGlite is single-connection; pglite-socket
   * multiplexes statements of several connections and keeps a transaction's statements together
   * (others wait until it ends). Default 4: the pool of the service must not be larger.
   */
  maxConnections?: number;
}

/**
 * PostgreSQL in process: PGlite (Postgres compiled to WASM) served over the wire protocol on
 * 127.0.0.1 by @electric-sql/pglite-socket, so that the service's pg/knex code path is the same as
 * against a real server. For the zero-configuration main job and for demos; not for production.
 */
export class EmbeddedPostgres extends Resource {
  readonly url: string;
  readonly maxConnections: number;
  readonly #db: PGlite;
  readonly #server: PGLiteSocketServer;

  private constructor(db: PGlite, server: PGLiteSocketServer, maxConnections: number) {
    super('EmbeddedPostgres', { closeTimeoutMs: 5_000 });
    this.#db = db;
    this.#server = server;
    this.maxConnections = maxConnections;
    this.url = `postgres://postgres@${server.getServerConn()}/postgres?sslmode=disable`;
  }

  static async start(options: EmbeddedPostgresOptions = {}): Promise<EmbeddedPostgres> {
    const maxConnections = options.maxConnections ?? 4;
    let db: PGlite | undefined;
    try {
      db = await PGlite.create(options.dataDir ?? 'memory://');
      const server = new PGLiteSocketServer({
        db,
        host: '127.0.0.1',
        port: options.port ?? 0,
        maxConnections,
      });
      await server.start();
      return new EmbeddedPostgres(db, server, maxConnections);
    } catch (error) {
      await db?.close().catch(() => {});
      throw new ServiceError(
        'ORG_SERVICE_EMBEDDED_PG_FAILED',
        'embedded PostgreSQL (PGlite) failed to start',
        {
          cause: error,
          details: { dataDir: options.dataDir ?? 'memory://' },
        },
      );
    }
  }

  stats(): { activeConnections: number; queuedQueries: number; maxConnections: number } {
    const { activeConnections, queuedQueries, maxConnections } = this.#server.getStats();
    return { activeConnections, queuedQueries, maxConnections };
  }

  /** Close the clients (the service's pool) first: open connections are cut here. */
  protected override async onClose(): Promise<void> {
    await this.#server.stop();
    // pglite-socket detaches sockets without awaiting their teardown; let it run before closing PGlite.
    await tick();
    await this.#db.close();
  }
}
