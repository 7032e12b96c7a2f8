// The test server's public shapes: its options, scripted faults, stored documents and handle.
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
