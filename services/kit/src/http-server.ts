import { once } from 'node:events';
import {
  createServer,
  type IncomingMessage,
  type RequestListener,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import { type CloseContext, Resource } from '@org/shared-lifecycle';
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
  draining: boolean;
}

/**
 * An HTTP server whose close() stops accepting, lets in-flight requests finish (their responses
 * carry `Connection: close`), closes keep-alive connections as soon as they are idle, and cuts
 * whatever is left when the close deadline passes.
 */
export class HttpServer extends Resource {
  readonly server: Server;
  // Kept by reference and removed on close (ListenerGroup's ListenerTarget type does not accept http.Server).
  readonly #onRequest = (_req: IncomingMessage, res: ServerResponse): void => this.#track(res);
  #inFlight = 0;
  // Responses in flight (removed when each closes), so draining can mark them Connection: close.
  readonly #open = new Set<ServerResponse>();
  #requests = 0;
  #draining = false;
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
    this.server.on('request', this.#onRequest);
  }

  static async listen(handler: RequestListener, options: HttpServerOptions): Promise<HttpServer> {
    const http = new HttpServer(handler, options);
    try {
      http.server.listen(options.port, options.host);
      await once(http.server, 'listening');
      void http.url;
    } catch (error) {
      http.server.off('request', http.#onRequest);
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

  /** http://host:port/ as clients reach it (0.0.0.0 and :: are shown as 127.0.0.1). */
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

  stats(): HttpServerStats {
    return { inFlight: this.#inFlight, requests: this.#requests, draining: this.#draining };
  }

  #track(res: ServerResponse): void {
    this.#inFlight++;
    this.#requests++;
    this.#open.add(res);
    if (this.#draining) res.setHeader('connection', 'close');
    res.once('close', () => {
      this.#inFlight--;
      this.#open.delete(res);
      if (this.#draining) {
        this.server.closeIdleConnections();
        if (this.#inFlight === 0) this.#idle?.();
      }
    });
  }

  protected override async onClose(ctx: CloseContext): Promise<void> {
    const signal = ctx.signal;
    this.#draining = true;
    for (const res of this.#open) if (!res.headersSent) res.setHeader('connection', 'close');
    const closed = new Promise<void>((resolve) => this.server.close(() => resolve()));
    this.server.closeIdleConnections();
    const cut = () => this.server.closeAllConnections();
    signal.addEventListener('abort', cut, { once: true });
    try {
      if (this.#inFlight > 0) {
        await new Promise<void>((resolve) => {
          this.#idle = resolve;
          signal.addEventListener('abort', () => resolve(), { once: true });
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
