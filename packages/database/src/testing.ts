/**
 * Test helpers for services that use @org/shared-database (import from '@org/shared-database/testing'):
 * a TCP proxy in front of a real PostgreSQL server that a test cuts and restores, to see a service
 * through an outage of its database without stopping the server, and a port nothing listens on.
 */
import { connect, createServer, type Server, type Socket } from 'node:net';

/** How the proxy stops forwarding. */
export type CutMode =
  /** New connections are refused (nothing listens on the port), open ones reset. */
  | 'refuse'
  /** Connections are accepted and never answered; open ones go silent (a network partition). */
  | 'blackhole';

export interface TcpProxyOptions {
  /** The server to forward to. */
  host: string;
  port: number;
  /** The port to listen on (127.0.0.1). Default: a free one. */
  listenPort?: number;
}

/** A loopback TCP proxy to a server, with cut() and restore(). Dispose it (`await using`) to close everything. */
export class TcpProxy implements AsyncDisposable {
  readonly target: { host: string; port: number };
  #server: Server;
  #port = 0;
  #mode: CutMode | null = null;
  readonly #sockets = new Set<Socket>();
  #connections = 0;

  private constructor(target: { host: string; port: number }) {
    this.target = target;
    this.#server = this.#makeServer();
  }

  /** Starts a proxy to `target` (a host and port, or a postgres URL whose host and port it takes). */
  static async start(target: TcpProxyOptions | string): Promise<TcpProxy> {
    const options = typeof target === 'string' ? fromUrl(target) : target;
    const proxy = new TcpProxy({ host: options.host, port: options.port });
    await proxy.#listen(options.listenPort ?? 0);
    return proxy;
  }

  /** The port it listens on. */
  get port(): number {
    return this.#port;
  }

  /** Connections accepted so far. */
  get connections(): number {
    return this.#connections;
  }

  /** `url` with its host and port replaced by the proxy's. */
  url(url: string): string {
    const parsed = new URL(url);
    parsed.hostname = '127.0.0.1';
    parsed.port = String(this.#port);
    return parsed.toString();
  }

  /** Stops forwarding (see CutMode). Resolves when the cut is in place. */
  async cut(mode: CutMode = 'refuse'): Promise<void> {
    this.#mode = mode;
    if (mode === 'refuse') {
      for (const socket of this.#sockets) socket.resetAndDestroy();
      await new Promise<void>((resolve) => this.#server.close(() => resolve()));
    } else {
      for (const socket of this.#sockets) socket.pause();
    }
  }

  /** Forwards again (on the same port); open connections of a blackhole stay dead, as after a real partition. */
  async restore(): Promise<void> {
    const mode = this.#mode;
    this.#mode = null;
    if (mode === 'refuse') {
      this.#server = this.#makeServer();
      await this.#listen(this.#port);
    } else if (mode === 'blackhole') {
      for (const socket of this.#sockets) socket.destroy();
    }
  }

  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    if (this.#server.listening) await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #makeServer(): Server {
    return createServer((client) => {
      this.#connections++;
      this.#track(client);
      if (this.#mode === 'blackhole') {
        client.pause();
        return;
      }
      const upstream = connect(this.target.port, this.target.host);
      this.#track(upstream);
      client.pipe(upstream);
      upstream.pipe(client);
      const end = () => {
        client.destroy();
        upstream.destroy();
      };
      client.once('close', end);
      upstream.once('close', end);
    });
  }

  #track(socket: Socket): void {
    this.#sockets.add(socket);
    socket.on('error', () => {});
    socket.once('close', () => this.#sockets.delete(socket));
  }

  #listen(port: number): Promise<void> {
    return new Promise((resolve, reject) => {
      this.#server.once('error', reject);
      this.#server.listen(port, '127.0.0.1', () => {
        this.#server.off('error', reject);
        this.#port = (this.#server.address() as { port: number }).port;
        resolve();
      });
    });
  }
}

/** A loopback port nothing listens on (bound, then released): a connect to it is refused. */
export async function closedPort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

function fromUrl(url: string): TcpProxyOptions {
  const parsed = new URL(url);
  return { host: parsed.hostname, port: Number(parsed.port || 5432) };
}
