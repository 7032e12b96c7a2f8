import { once } from 'node:events';
import {
  createServer,
  type IncomingMessage,
  type RequestListener,
  type Server,
  type ServerResponse,
} from 'node:http';
import { type AddressInfo, Server as NetServer, type Socket } from 'node:net';
import { type CloseContext, type ErrorReporter, Resource, sleep } from '@org/shared-lifecycle';
import { ServiceError } from './errors.js';

export interface HttpServerOptions {
  port: number;
  host: string;
  /** Deadline for close() (finishing in-flight requests); past it open connections are cut. Default 10 s. */
  closeTimeoutMs?: number;
  /** Limits against slow clients (Node's defaults are generous). */
  requestTimeoutMs?: number;
  headersTimeoutMs?: number;
  keepAliveTimeoutMs?: number;
  /**
   * After it stops accepting, how long a connection accepted just before may take to send its
   * first request before it is closed. Default 1000 ms.
   */
  firstRequestGraceMs?: number;
  /** Where a close past its deadline is reported. Default: one line on stderr. */
  onError?: ErrorReporter;
}

export interface HttpServerStats {
  inFlight: number;
  requests: number;
  connections: number;
  /** True from drain() (or close()) on: readiness fails and every response carries Connection: close. */
  draining: boolean;
}

interface Connection {
  /** Responses in flight on it. */
  active: number;
  /** Responses finished on it. */
  served: number;
}

/**
 * An HTTP server that a load balancer can follow out. drain() keeps serving while readiness fails;
 * every response then carries `Connection: close`, so clients reconnect (through the balancer,
 * elsewhere). close() stops accepting, closes keep-alive connections once idle, gives a connection
 * accepted just before the stop a moment to send its request (Node's own close() would reset it),
 * lets in-flight requests finish, and cuts whatever is left when the close deadline passes.
 */
export class HttpServer extends Resource {
  readonly server: Server;
  // Kept by reference and removed on close.
  readonly #onRequest = (req: IncomingMessage, res: ServerResponse): void => this.#track(req, res);
  readonly #onConnection = (socket: Socket): void => this.#connected(socket);
  readonly #connections = new Map<Socket, Connection>();
  readonly #open = new Set<ServerResponse>();
  readonly #graceMs: number;
  #requests = 0;
  #draining = false;
  #stopping = false;
  #settled: (() => void) | null = null;

  private constructor(handler: RequestListener, options: HttpServerOptions) {
    super('HttpServer', {
      closeTimeoutMs: options.closeTimeoutMs ?? 10_000,
      ...(options.onError ? { onError: options.onError } : {}),
    });
    this.#graceMs = options.firstRequestGraceMs ?? 1000;
    this.server = createServer(
      {
        requestTimeout: options.requestTimeoutMs ?? 60_000,
        headersTimeout: options.headersTimeoutMs ?? 20_000,
        keepAliveTimeout: options.keepAliveTimeoutMs ?? 5_000,
      },
      handler,
    );
    // Before the handler's listener: the header is set before any response is written.
    this.server.prependListener('request', this.#onRequest);
    this.server.on('connection', this.#onConnection);
  }

  static async listen(handler: RequestListener, options: HttpServerOptions): Promise<HttpServer> {
    const http = new HttpServer(handler, options);
    try {
      http.server.listen(options.port, options.host);
      await once(http.server, 'listening');
    } catch (error) {
      http.#unlisten();
      throw new ServiceError(
        'ORG_SERVICE_LISTEN_FAILED',
        `cannot listen on ${options.host}:${options.port}`,
        {
          cause: error,
          details: { host: options.host, port: options.port },
        },
      );
    }
    return http;
  }

  get address(): AddressInfo {
    return this.server.address() as AddressInfo;
  }

  /** http://host:port as clients reach it (0.0.0.0 and :: are shown as 127.0.0.1). */
  get url(): string {
    this.#url ??= this.#computeUrl();
    return this.#url;
  }

  #url: string | undefined;

  #computeUrl(): string {
    const { address, port, family } = this.address;
    const host =
      address === '0.0.0.0' || address === '::' ? '127.0.0.1' : family === 'IPv6' ? `[${address}]` : address;
    return `http://${host}:${port}`;
  }

  get draining(): boolean {
    return this.#draining;
  }

  stats(): HttpServerStats {
    return {
      inFlight: this.#open.size,
      requests: this.#requests,
      connections: this.#connections.size,
      draining: this.#draining,
    };
  }

  /**
   * Marks the server draining (readiness fails; responses carry Connection: close) and keeps
   * serving for `ms`, so the load balancer notices and stops sending. Resolves early when `signal`
   * aborts.
   */
  async drain(ms: number, signal?: AbortSignal): Promise<void> {
    this.#markDraining();
    if (ms <= 0) return;
    await sleep(ms, signal).catch(() => {});
  }

  #markDraining(): void {
    if (this.#draining) return;
    this.#draining = true;
    for (const res of this.#open) if (!res.headersSent) res.setHeader('connection', 'close');
  }

  #connected(socket: Socket): void {
    const connection: Connection = { active: 0, served: 0 };
    this.#connections.set(socket, connection);
    socket.once('close', () => {
      this.#connections.delete(socket);
      this.#check();
    });
  }

  #track(req: IncomingMessage, res: ServerResponse): void {
    this.#requests++;
    this.#open.add(res);
    const connection = this.#connections.get(req.socket);
    if (connection) connection.active++;
    if (this.#draining) res.setHeader('connection', 'close');
    res.once('close', () => {
      this.#open.delete(res);
      if (connection) {
        connection.active--;
        connection.served++;
        // A keep-alive connection must not take another request now: one that arrives after this is
        // never read (the client sees a reset and may retry it), rather than run with its answer lost.
        if (this.#stopping && connection.active === 0) req.socket.destroy();
      }
      this.#check();
    });
  }

  /** Closes a connection that sends no request within the grace period (it is ended after its response otherwise). */
  #closeUnused(socket: Socket, connection: Connection, signal: AbortSignal): void {
    sleep(this.#graceMs, signal).then(
      () => {
        if (connection.served === 0 && connection.active === 0) socket.destroy();
      },
      () => {},
    );
  }

  #check(): void {
    if (this.#stopping && this.#connections.size === 0) this.#settled?.();
  }

  #unlisten(): void {
    this.server.off('request', this.#onRequest);
    this.server.off('connection', this.#onConnection);
  }

  protected override async onClose(ctx: CloseContext): Promise<void> {
    const signal = ctx.signal;
    this.#markDraining();
    this.#stopping = true;
    // Stop accepting, without http.Server#close(), which resets connections whose first request is still on its way.
    NetServer.prototype.close.call(this.server);
    // Ends the grace waits of unused connections once close() is done.
    const grace = new AbortController();
    for (const [socket, connection] of this.#connections) {
      if (connection.active > 0) continue;
      // Idle keep-alive connections go now (destroyed: a request racing in is never run); an unused one
      // (accepted just before the stop) gets a moment for its first request.
      if (connection.served > 0) socket.destroy();
      else this.#closeUnused(socket, connection, grace.signal);
    }
    const cut = () => {
      for (const socket of this.#connections.keys()) socket.destroy();
      this.#settled?.();
    };
    signal.addEventListener('abort', cut, { once: true });
    try {
      if (this.#connections.size > 0 && !signal.aborted) {
        await new Promise<void>((resolve) => {
          this.#settled = resolve;
        });
      }
    } finally {
      this.#settled = null;
      grace.abort();
      signal.removeEventListener('abort', cut);
      this.#unlisten();
      // Now only clears http.Server's own connection-checking timer: no connection is left.
      this.server.close();
    }
  }
}
