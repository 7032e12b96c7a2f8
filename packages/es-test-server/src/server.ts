/**
 * An Elasticsearch-compatible test server on node:http only: enough of the API for the official
 * client (product header, compatible-with content types, GET /, _bulk with real NDJSON parsing and
 * per-item answers in request order, index templates, cluster health), scripted faults, and counters
 * that let a test prove nothing was lost or duplicated.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { gunzipSync } from 'node:zlib';
import { bulkItems } from './bulk.js';
import { FaultScript } from './faults.js';
import { contentType, errorBody, PRODUCT, send, sendMalformed } from './respond.js';
import { DocStore } from './store.js';
import type { EsFault, EsTestServer, EsTestServerOptions, StoredDoc } from './types.js';

export async function startEsTestServer(options: EsTestServerOptions = {}): Promise<EsTestServer> {
  const server = new EsServer(options);
  await server.up();
  return server;
}

class EsServer implements EsTestServer {
  #server: Server | null = null;
  readonly #sockets = new Set<Socket>();
  #port: number;
  readonly #version: string;
  readonly #faults = new FaultScript();
  readonly #store: DocStore;
  #bulkRequests = 0;
  #requests = 0;
  readonly #templates = new Map<string, unknown>();
  readonly #timers = new Set<NodeJS.Timeout>();
  #closed = false;

  constructor(options: EsTestServerOptions) {
    this.#port = options.port ?? 0;
    this.#version = options.version ?? '9.1.0';
    this.#store = new DocStore(options);
  }

  get url(): string {
    return `http://127.0.0.1:${this.#port}`;
  }
  get port(): number {
    return this.#port;
  }
  get received(): number {
    return this.#store.received;
  }
  get bulkRequests(): number {
    return this.#bulkRequests;
  }
  get requests(): number {
    return this.#requests;
  }
  get itemFailures(): Readonly<Record<number, number>> {
    return this.#store.itemFailures;
  }
  get conflicts(): number {
    return this.#store.conflicts;
  }
  get docs(): readonly StoredDoc[] {
    return this.#store.docs;
  }
  get templates(): ReadonlyMap<string, unknown> {
    return this.#templates;
  }
  get isUp(): boolean {
    return this.#server !== null;
  }

  countOf(key: string): number {
    return this.#store.countOf(key);
  }

  duplicates(): string[] {
    return this.#store.duplicates();
  }

  setFault(fault: EsFault | null): void {
    this.#faults.set(fault);
  }

  reset(): void {
    this.#store.reset();
    this.#bulkRequests = 0;
    this.#requests = 0;
    this.#faults.resetItems();
  }

  async up(): Promise<void> {
    if (this.#closed) throw new Error('EsTestServer: up() after close()');
    if (this.#server) return;
    const server = createServer({ keepAliveTimeout: 5000 }, (req, res) => this.#handle(req, res));
    server.on('connection', (socket) => {
      this.#sockets.add(socket);
      socket.once('close', () => this.#sockets.delete(socket));
    });
    server.on('clientError', (_error, socket) => socket.destroy());
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.#port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.#port = (server.address() as AddressInfo).port;
    this.#server = server;
  }

  async down(): Promise<void> {
    const server = this.#server;
    if (!server) return;
    this.#server = null;
    const closed = new Promise<void>((resolve) => server.close(() => resolve()));
    for (const socket of this.#sockets) socket.destroy();
    this.#sockets.clear();
    server.closeAllConnections();
    await closed;
  }

  async close(): Promise<void> {
    this.#closed = true;
    for (const timer of this.#timers) clearTimeout(timer);
    this.#timers.clear();
    await this.down();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }

  #handle(req: IncomingMessage, res: ServerResponse): void {
    this.#requests++;
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('error', () => res.destroy());
    req.on('end', () => {
      let body = Buffer.concat(chunks);
      if (req.headers['content-encoding'] === 'gzip' && body.length > 0) body = gunzipSync(body);
      try {
        this.#route(req, res, body.toString('utf8'));
      } catch (error) {
        send(req, res, 500, errorBody('exception', (error as Error).message, 500));
      }
    });
  }

  #route(req: IncomingMessage, res: ServerResponse, body: string) {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    const method = req.method ?? 'GET';
    if (parts.length === 0) {
      if (method === 'HEAD') return send(req, res, 200, undefined);
      return send(req, res, 200, {
        name: 'es-test-server',
        cluster_name: 'org-test',
        cluster_uuid: 'org-test-cluster',
        version: {
          number: this.#version,
          build_flavor: 'default',
          lucene_version: '10.0.0',
          minimum_wire_compatibility_version: '8.18.0',
          minimum_index_compatibility_version: '8.0.0',
        },
        tagline: 'You Know, for Search',
      });
    }
    const last = parts[parts.length - 1];
    if (last === '_bulk' && (method === 'POST' || method === 'PUT')) {
      return this.#bulk(req, res, parts.length === 2 ? parts[0] : undefined, body);
    }
    if (last === '_refresh') {
      return send(req, res, 200, { _shards: { total: 1, successful: 1, failed: 0 } });
    }
    if (last === '_count' && parts.length === 2) {
      const count = this.#store.count(parts[0]);
      return send(req, res, 200, {
        count,
        _shards: { total: 1, successful: 1, skipped: 0, failed: 0 },
      });
    }
    if (parts[0] === '_data_stream' && parts[1] !== undefined && method === 'DELETE') {
      this.#store.deleteIndex(parts[1]);
      return send(req, res, 200, { acknowledged: true });
    }
    if (parts[0] === '_cluster' && parts[1] === 'health') {
      return send(req, res, 200, { cluster_name: 'org-test', status: 'green', number_of_nodes: 1 });
    }
    if (parts[0] === '_index_template' && parts[1] !== undefined) {
      if (method === 'PUT' || method === 'POST') {
        this.#templates.set(parts[1], body === '' ? {} : JSON.parse(body));
        return send(req, res, 200, { acknowledged: true });
      }
      const exists = this.#templates.has(parts[1]);
      if (method === 'HEAD') return send(req, res, exists ? 200 : 404, undefined);
      if (method === 'GET') {
        return exists
          ? send(req, res, 200, {
              index_templates: [{ name: parts[1], index_template: this.#templates.get(parts[1]) }],
            })
          : send(
              req,
              res,
              404,
              errorBody('resource_not_found_exception', `index template [${parts[1]}] missing`, 404),
            );
      }
    }
    if (parts.length === 1 && method === 'PUT') {
      return send(req, res, 200, { acknowledged: true, shards_acknowledged: true, index: parts[0] });
    }
    return send(req, res, 404, errorBody('not_found', `no handler for ${method} ${url.pathname}`, 404));
  }

  #bulk(req: IncomingMessage, res: ServerResponse, urlIndex: string | undefined, body: string): void {
    this.#bulkRequests++;
    // Like a real cluster, a slow answer is still processed: the documents are stored, the reply is late.
    const latency = this.#faults.use('latency');
    this.#bulkNow(req, res, urlIndex, body, latency?.ms ?? 0);
  }

  #later(ms: number, fn: () => void): void {
    if (ms <= 0) {
      fn();
      return;
    }
    const timer = setTimeout(() => {
      this.#timers.delete(timer);
      fn();
    }, ms);
    this.#timers.add(timer);
  }

  #bulkNow(
    req: IncomingMessage,
    res: ServerResponse,
    urlIndex: string | undefined,
    body: string,
    delayMs: number,
  ) {
    const whole = this.#faults.use('status');
    if (whole) {
      const type = whole.status === 429 ? 'es_rejected_execution_exception' : 'unavailable_shards_exception';
      return send(req, res, whole.status, errorBody(type, `scripted ${whole.status}`, whole.status));
    }
    const reset = this.#faults.kind === 'reset' ? this.#faults.use('reset') : undefined;
    const malformed = this.#faults.kind === 'malformed' ? this.#faults.use('malformed') : undefined;
    const started = Date.now();
    const parsed = bulkItems(body, urlIndex, this.#store, this.#faults);
    if ('status' in parsed) return send(req, res, parsed.status, parsed.body);
    const { errors, items } = parsed;
    const response = { took: Date.now() - started, errors, items };
    if (reset) {
      const text = JSON.stringify(response);
      res.writeHead(200, {
        ...PRODUCT,
        'content-type': contentType(req),
        'content-length': String(text.length * 2),
      });
      res.write(text.slice(0, Math.max(1, Math.floor(text.length / 2))));
      setImmediate(() => res.socket?.destroy());
      return;
    }
    if (malformed) {
      this.#later(delayMs, () => sendMalformed(req, res, response, malformed.mode));
      return;
    }
    this.#later(delayMs, () => send(req, res, 200, response));
  }
}
