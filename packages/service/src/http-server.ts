import { once } from 'node:events';
import {
  createServer,
  type IncomingMessage,
  type RequestListener,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { Resource, sleep } from '@org/shared-lifecycle';
import { ServiceError } from './errors.js';

export interface HttpServerOptions {
  port: number;
  host: string;
  /** Deadline for draining in-flight requests on close(); past it open connections are cut. Default 10 s. */
  closeTimeoutMs?: number;
  /** Limits against slow clients (Node's defaults are generous). */
  requestTimeoutMs?: number;
  headersTimeoutMs?: number;
  keepAliveTimeoutMs?: number;
}

export interface HttpServerStats {
  inFlight: number;
  requests: number;
  /** True from drain() (or close()) on: readiness fails and every response carries Connection: close. */
  draining: boolean;
}

/**
 * An HTTP server that a load balancer can follow out: drain() keeps serving while readiness
 * fails (every response then carries `Connection: close`, so clients reconnect, through the
 * balancer, elsewhere); close() stops accepting, lets in-flight requests finish, closes keep-alive
 * connections as soon as they are idle, and cuts whatever is left when the close deadline passes.
 */
export class HttpServer extends Resource {
  readonly server: Server;
  // Kept by reference and removed on close.
  readonly #onRequest = (_req: IncomingMessage, res: ServerResponse): void => this.#track(res);
  readonly #onResponseClose = (res: ServerResponse): void => this.#untrack(res);
  #inFlight = 0;
  // Responses in flight (removed when each closes), so draining can mark them Connection: close.
  readonly #open = new Set<ServerResponse>();
  #requests = 0;
  #draining = false;
  #stopping = false;
  #idle: (() => void) | null = null;

  private constructor(handler: RequestListener, options: HttpServerOptions) {
    super('HttpServer', { closeTimeoutMs: options.closeTimeoutMs ?? 10_000 });
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
  }

  static async listen(handler: RequestListener, options: HttpServerOptions): Promise<HttpServer> {
    const http = new HttpServer(handler, options);
    try {
      http.server.listen(options.port, options.host);
      await once(http.server, 'listening');
    } catch (error) {
      http.server.off('request', http.#onRequest);
      throw new ServiceError(
        'ORG_SERVICE_LISTEN_FAILED',
        `cannot listen on ${options.host}:${options.port}`,
        { cause: error, details: { host: options.host, port: options.port } },
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
    return { inFlight: this.#inFlight, requests: this.#requests, draining: this.#draining };
  }

  /**
   * Marks the server draining (readiness fails; responses carry Connection: close) and keeps
   * serving for `ms`, so the load balancer notices and stops sending. Resolves early when `signal`
   * aborts. Idempotent in effect: a second call only waits again.
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

  #track(res: ServerResponse): void {
    this.#inFlight++;
    this.#requests++;
    this.#open.add(res);
    if (this.#draining) res.setHeader('connection', 'close');
    res.once('close', () => this.#onResponseClose(res));
  }

  #untrack(res: ServerResponse): void {
    this.#inFlight--;
    this.#open.delete(res);
    if (this.#stopping) {
      this.server.closeIdleConnections();
      if (this.#inFlight === 0) this.#idle?.();
    }
  }

  protected override async onClose(signal: AbortSignal): Promise<void> {
    this.#markDraining();
    this.#stopping = true;
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeIdleConnections();
    // At the deadline: cut what is left, and stop waiting for it.
    const cut = () => {
      this.server.closeAllConnections();
      this.#idle?.();
    };
    signal.addEventListener('abort', cut, { once: true });
    try {
      if (this.#inFlight > 0 && !signal.aborted) {
        await new Promise<void>((resolve) => {
          this.#idle = resolve;
        });
      }
      this.server.closeIdleConnections();
      await closed;
    } finally {
      this.#idle = null;
      signal.removeEventListener('abort', cut);
      this.server.off('request', this.#onRequest);
    }
  }
}
