/**
 * An Elasticsearch-compatible test server on node:http only: enough of the API for the official
 * client (product header, compatible-with content types, GET /, _bulk with real NDJSON parsing and
 * per-item answers in request order, index templates, cluster health), scripted faults, and counters
 * that let a test prove nothing was lost or duplicated.
 */
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { gunzipSync } from 'node:zlib';

export type EsFault =
  /** Item-level failures: every `every`-th document (counting across requests) or those `match` picks get `status`. */
  | {
      kind: 'items';
      status: number;
      type?: string;
      every?: number;
      match?: (doc: Record<string, unknown>) => boolean;
      times?: number;
    }
  /** The whole _bulk request answers `status` (429 es_rejected_execution_exception, 503…). */
  | { kind: 'status'; status: number; times?: number }
  /** Wait `ms` before answering _bulk (beyond the client's timeout: "slower than the timeout"). */
  | { kind: 'latency'; ms: number; times?: number }
  /** Process (store) the request, start the response, then destroy the socket mid-body. */
  | { kind: 'reset'; times?: number }
  /**
   * Process (store) the request, then answer 200 with a complete HTTP response whose body is not the
   * answer: `truncated` is the JSON cut in half (unparseable), `short` is valid JSON with only the first
   * half of the items, `empty` is `{}`.
   */
  | { kind: 'malformed'; mode: 'truncated' | 'short' | 'empty'; times?: number };

export interface EsTestServerOptions {
  /** Port to listen on; default 0 (a free port, kept across down()/up()). */
  port?: number;
  /** Version reported by GET /. Default '9.1.0'. */
  version?: string;
  /** Keep stored documents in memory (docs). Default true; benchmarks turn it off. */
  storeDocs?: boolean;
  /** The key a document is counted under, to find duplicates. Default: its `message`. */
  idOf?: (doc: Record<string, unknown>) => string | undefined;
}

export interface StoredDoc {
  index: string;
  id: string;
  source: Record<string, unknown>;
}

export interface EsTestServer extends AsyncDisposable {
  readonly url: string;
  readonly port: number;
  /** Documents stored (created or indexed). */
  readonly received: number;
  /** _bulk requests answered (any status), and all HTTP requests seen. */
  readonly bulkRequests: number;
  readonly requests: number;
  /** Item-level failures answered (by status). */
  readonly itemFailures: Readonly<Record<number, number>>;
  /** Create operations refused with 409 because the _id already existed (a re-send caught). */
  readonly conflicts: number;
  /** Stored documents (when storeDocs). */
  readonly docs: readonly StoredDoc[];
  /** Index templates put, by name. */
  readonly templates: ReadonlyMap<string, unknown>;
  /** Stored count per idOf() key. */
  countOf(key: string): number;
  /** Keys stored more than once. */
  duplicates(): string[];
  /** Replace the current fault (null: none). */
  setFault(fault: EsFault | null): void;
  /** Stop listening (connections refused) and cut open connections. */
  down(): Promise<void>;
  /** Listen again on the same port. */
  up(): Promise<void>;
  readonly isUp: boolean;
  /** Forget documents and counters. */
  reset(): void;
  close(): Promise<void>;
}

const PRODUCT = { 'x-elastic-product': 'Elasticsearch' };

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
  readonly #storeDocs: boolean;
  readonly #idOf: (doc: Record<string, unknown>) => string | undefined;
  #fault: EsFault | null = null;
  #faultUses = 0;
  #itemCounter = 0;
  #received = 0;
  #bulkRequests = 0;
  #requests = 0;
  #conflicts = 0;
  #itemFailures: Record<number, number> = {};
  #docs: StoredDoc[] = [];
  #ids = new Set<string>();
  #counts = new Map<string, number>();
  #autoId = 0;
  readonly #templates = new Map<string, unknown>();
  readonly #timers = new Set<NodeJS.Timeout>();
  #closed = false;

  constructor(options: EsTestServerOptions) {
    this.#port = options.port ?? 0;
    this.#version = options.version ?? '9.1.0';
    this.#storeDocs = options.storeDocs ?? true;
    this.#idOf = options.idOf ?? ((doc) => (typeof doc.message === 'string' ? doc.message : undefined));
  }

  get url(): string {
    return `http://127.0.0.1:${this.#port}`;
  }
  get port(): number {
    return this.#port;
  }
  get received(): number {
    return this.#received;
  }
  get bulkRequests(): number {
    return this.#bulkRequests;
  }
  get requests(): number {
    return this.#requests;
  }
  get itemFailures(): Readonly<Record<number, number>> {
    return { ...this.#itemFailures };
  }
  get conflicts(): number {
    return this.#conflicts;
  }
  get docs(): readonly StoredDoc[] {
    return this.#docs;
  }
  get templates(): ReadonlyMap<string, unknown> {
    return this.#templates;
  }
  get isUp(): boolean {
    return this.#server !== null;
  }

  countOf(key: string): number {
    return this.#counts.get(key) ?? 0;
  }

  duplicates(): string[] {
    return [...this.#counts].filter(([, n]) => n > 1).map(([key]) => key);
  }

  setFault(fault: EsFault | null): void {
    this.#fault = fault;
    this.#faultUses = 0;
  }

  reset(): void {
    this.#received = 0;
    this.#bulkRequests = 0;
    this.#requests = 0;
    this.#conflicts = 0;
    this.#itemFailures = {};
    this.#docs = [];
    this.#ids = new Set();
    this.#counts = new Map();
    this.#itemCounter = 0;
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
        this.#send(req, res, 500, errorBody('exception', (error as Error).message, 500));
      }
    });
  }

  #route(req: IncomingMessage, res: ServerResponse, body: string) {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
    const method = req.method ?? 'GET';
    if (parts.length === 0) {
      if (method === 'HEAD') return this.#send(req, res, 200, undefined);
      return this.#send(req, res, 200, {
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
      return this.#send(req, res, 200, { _shards: { total: 1, successful: 1, failed: 0 } });
    }
    if (last === '_count' && parts.length === 2) {
      const count = this.#storeDocs
        ? this.#docs.filter((doc) => doc.index === parts[0]).length
        : this.#received;
      return this.#send(req, res, 200, {
        count,
        _shards: { total: 1, successful: 1, skipped: 0, failed: 0 },
      });
    }
    if (parts[0] === '_data_stream' && parts[1] !== undefined && method === 'DELETE') {
      this.#docs = this.#docs.filter((doc) => doc.index !== parts[1]);
      return this.#send(req, res, 200, { acknowledged: true });
    }
    if (parts[0] === '_cluster' && parts[1] === 'health') {
      return this.#send(req, res, 200, { cluster_name: 'org-test', status: 'green', number_of_nodes: 1 });
    }
    if (parts[0] === '_index_template' && parts[1] !== undefined) {
      if (method === 'PUT' || method === 'POST') {
        this.#templates.set(parts[1], body === '' ? {} : JSON.parse(body));
        return this.#send(req, res, 200, { acknowledged: true });
      }
      const exists = this.#templates.has(parts[1]);
      if (method === 'HEAD') return this.#send(req, res, exists ? 200 : 404, undefined);
      if (method === 'GET') {
        return exists
          ? this.#send(req, res, 200, {
              index_templates: [{ name: parts[1], index_template: this.#templates.get(parts[1]) }],
            })
          : this.#send(
              req,
              res,
              404,
              errorBody('resource_not_found_exception', `index template [${parts[1]}] missing`, 404),
            );
      }
    }
    if (parts.length === 1 && method === 'PUT') {
      return this.#send(req, res, 200, { acknowledged: true, shards_acknowledged: true, index: parts[0] });
    }
    return this.#send(req, res, 404, errorBody('not_found', `no handler for ${method} ${url.pathname}`, 404));
  }

  #useFault<K extends EsFault['kind']>(kind: K): Extract<EsFault, { kind: K }> | undefined {
    const fault = this.#fault;
    if (fault === null || fault.kind !== kind) return undefined;
    if (fault.times !== undefined && this.#faultUses >= fault.times) return undefined;
    this.#faultUses++;
    return fault as Extract<EsFault, { kind: K }>;
  }

  #bulk(req: IncomingMessage, res: ServerResponse, urlIndex: string | undefined, body: string): void {
    this.#bulkRequests++;
    // Like a real cluster, a slow answer is still processed: the documents are stored, the reply is late.
    const latency = this.#useFault('latency');
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
    const whole = this.#useFault('status');
    if (whole) {
      const type = whole.status === 429 ? 'es_rejected_execution_exception' : 'unavailable_shards_exception';
      return this.#send(req, res, whole.status, errorBody(type, `scripted ${whole.status}`, whole.status));
    }
    const reset = this.#fault?.kind === 'reset' ? this.#useFault('reset') : undefined;
    const malformed = this.#fault?.kind === 'malformed' ? this.#useFault('malformed') : undefined;
    const started = Date.now();
    const lines = body.split('\n');
    const items: Record<string, unknown>[] = [];
    let errors = false;
    for (let i = 0; i < lines.length; i++) {
      const actionLine = lines[i]!;
      if (actionLine.trim() === '') continue;
      let action: Record<string, Record<string, unknown>>;
      try {
        action = JSON.parse(actionLine) as Record<string, Record<string, unknown>>;
      } catch {
        return this.#send(
          req,
          res,
          400,
          errorBody('x_content_parse_exception', `malformed action line ${i + 1}`, 400),
        );
      }
      const op = Object.keys(action)[0];
      const meta = op === undefined ? undefined : action[op];
      if (op === undefined || meta === undefined || !['create', 'index', 'delete', 'update'].includes(op)) {
        return this.#send(
          req,
          res,
          400,
          errorBody('illegal_argument_exception', `unknown action [${op}]`, 400),
        );
      }
      const index = typeof meta._index === 'string' ? meta._index : urlIndex;
      if (op === 'delete') {
        items.push({ delete: { _index: index, _id: meta._id, status: 404, result: 'not_found' } });
        continue;
      }
      const docLine = lines[++i];
      if (index === undefined) {
        errors = true;
        items.push({
          [op]: {
            status: 400,
            error: { type: 'action_request_validation_exception', reason: 'index is missing' },
          },
        });
        continue;
      }
      let source: Record<string, unknown>;
      try {
        source = JSON.parse(docLine ?? '') as Record<string, unknown>;
        if (source === null || typeof source !== 'object' || Array.isArray(source))
          throw new Error('not an object');
      } catch (error) {
        errors = true;
        this.#countFailure(400);
        items.push({
          [op]: {
            _index: index,
            status: 400,
            error: {
              type: 'document_parsing_exception',
              reason: `failed to parse: ${(error as Error).message}`,
            },
          },
        });
        continue;
      }
      const itemFault = this.#itemFault(source);
      if (itemFault) {
        errors = true;
        this.#countFailure(itemFault.status);
        items.push({
          [op]: {
            _index: index,
            status: itemFault.status,
            error: {
              type: itemFault.type,
              reason:
                itemFault.status === 429
                  ? 'rejected execution of coordinating operation [scripted]'
                  : `scripted failure ${itemFault.status}`,
            },
          },
        });
        continue;
      }
      const givenId = typeof meta._id === 'string' ? meta._id : undefined;
      const key = `${index}\u0000${givenId ?? ''}`;
      if (op === 'create' && givenId !== undefined && this.#ids.has(key)) {
        errors = true;
        this.#conflicts++;
        items.push({
          create: {
            _index: index,
            _id: givenId,
            status: 409,
            error: {
              type: 'version_conflict_engine_exception',
              reason: `[${givenId}]: version conflict, document already exists (current version [1])`,
            },
          },
        });
        continue;
      }
      const id = givenId ?? `auto-${++this.#autoId}`;
      if (givenId !== undefined) this.#ids.add(key);
      this.#received++;
      const countKey = this.#idOf(source);
      if (countKey !== undefined) this.#counts.set(countKey, (this.#counts.get(countKey) ?? 0) + 1);
      if (this.#storeDocs) this.#docs.push({ index, id, source });
      items.push({
        [op]: {
          _index: index,
          _id: id,
          _version: 1,
          result: 'created',
          _shards: { total: 1, successful: 1, failed: 0 },
          _seq_no: this.#received,
          _primary_term: 1,
          status: 201,
        },
      });
    }
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
      this.#later(delayMs, () => this.#sendMalformed(req, res, response, malformed.mode));
      return;
    }
    this.#later(delayMs, () => this.#send(req, res, 200, response));
  }

  #sendMalformed(
    req: IncomingMessage,
    res: ServerResponse,
    response: { took: number; errors: boolean; items: Record<string, unknown>[] },
    mode: 'truncated' | 'short' | 'empty',
  ): void {
    if (res.destroyed) return;
    let text: string;
    if (mode === 'empty') text = '{}';
    else if (mode === 'short') {
      text = JSON.stringify({
        ...response,
        items: response.items.slice(0, Math.floor(response.items.length / 2)),
      });
    } else {
      const whole = JSON.stringify(response);
      text = whole.slice(0, Math.max(1, Math.floor(whole.length / 2)));
    }
    res.writeHead(200, {
      ...PRODUCT,
      'content-type': contentType(req),
      'content-length': String(Buffer.byteLength(text)),
    });
    res.end(text);
  }

  #itemFault(source: Record<string, unknown>): { status: number; type: string } | undefined {
    const fault = this.#fault;
    if (fault === null || fault.kind !== 'items') return undefined;
    if (fault.times !== undefined && this.#faultUses >= fault.times) return undefined;
    this.#itemCounter++;
    const hit =
      (fault.every !== undefined && this.#itemCounter % fault.every === 0) ||
      (fault.match !== undefined && safeMatch(fault.match, source));
    if (!hit) return undefined;
    if (fault.times !== undefined) this.#faultUses++;
    const type =
      fault.type ??
      (fault.status === 429
        ? 'es_rejected_execution_exception'
        : fault.status === 400
          ? 'document_parsing_exception'
          : 'exception');
    return { status: fault.status, type };
  }

  #countFailure(status: number): void {
    this.#itemFailures[status] = (this.#itemFailures[status] ?? 0) + 1;
  }

  #send(req: IncomingMessage, res: ServerResponse, status: number, body: unknown): void {
    if (res.destroyed) return;
    const filter = new URL(req.url ?? '/', 'http://localhost').searchParams.get('filter_path');
    const filtered =
      filter && status < 300 && body !== undefined ? filterPath(body, filter.split(',')) : body;
    const text = filtered === undefined ? '' : JSON.stringify(filtered);
    res.writeHead(status, {
      ...PRODUCT,
      'content-type': contentType(req),
      'content-length': String(Buffer.byteLength(text)),
    });
    res.end(req.method === 'HEAD' ? undefined : text);
  }
}

function contentType(req: IncomingMessage): string {
  const accept = req.headers.accept ?? '';
  const match = /compatible-with=(\d+)/.exec(accept);
  return accept.includes('application/vnd.elasticsearch+json') && match
    ? `application/vnd.elasticsearch+json; compatible-with=${match[1]}`
    : 'application/json; charset=UTF-8';
}

/** Elasticsearch's filter_path: keep only the dotted paths given (`*` matches any one key). */
export function filterPath(value: unknown, patterns: string[]): unknown {
  const paths = patterns.map((pattern) => pattern.trim().split('.')).filter((path) => path.length > 0);
  return pick(value, paths) ?? {};
}

function pick(value: unknown, paths: string[][]): unknown {
  if (paths.some((path) => path.length === 0)) return value;
  if (Array.isArray(value)) {
    const out = value.map((item) => pick(item, paths)).filter((item) => item !== undefined);
    return out.length > 0 ? out : undefined;
  }
  if (value === null || typeof value !== 'object') return undefined;
  const out: Record<string, unknown> = {};
  for (const [key, member] of Object.entries(value)) {
    const rest = paths.filter((path) => path[0] === key || path[0] === '*').map((path) => path.slice(1));
    if (rest.length === 0) continue;
    const picked = pick(member, rest);
    if (picked !== undefined) out[key] = picked;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

function errorBody(type: string, reason: string, status: number): unknown {
  return { error: { root_cause: [{ type, reason }], type, reason }, status };
}

function safeMatch(match: (doc: Record<string, unknown>) => boolean, doc: Record<string, unknown>): boolean {
  try {
    return match(doc);
  } catch {
    return false;
  }
}
