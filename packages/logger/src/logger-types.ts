// The public types of createLogger: its options, its stats, and the Logger it returns.
import type { CloseOptions, ErrorReporter } from '@org/shared-lifecycle';
import type winston from 'winston';
import type { ServiceInfo } from './ecs-options.js';
import type {
  ElasticsearchTransport,
  ElasticsearchTransportOptions,
  ElasticsearchTransportStats,
} from './es-transport.js';
import type { LogFormat } from './level.js';

export interface FileOptions {
  filename: string;
  /** Rotate at this size. Default 10 MiB. */
  maxSizeBytes?: number;
  /** Keep this many files. Default 5. */
  maxFiles?: number;
  level?: string;
}

export interface LoggerOptions {
  service: ServiceInfo;
  /** Default: LOG_LEVEL, else 'info' in production and 'debug' elsewhere. */
  level?: string;
  /** Ship to Elasticsearch; when absent, console only. */
  elasticsearch?: ElasticsearchTransportOptions;
  /** Keys (case-insensitive) whose values are replaced by '[REDACTED]'. Replaces the defaults; false: none. */
  redact?: readonly string[] | false;
  /** Per-entry cap in UTF-8 bytes; larger entries are truncated with a marker. Default 16 KiB. */
  maxEntryBytes?: number;
  /** The error channel for transport failures, drops and format errors. Default: one line on stderr. */
  onError?: ErrorReporter;
  /**
   * Lines on stdout (true, default), on another file descriptor (`fd`, e.g. 2 for stderr), on a given
   * stream, or not at all (false).
   */
  console?: boolean | { stream?: NodeJS.WritableStream; fd?: number; level?: string };
  /**
   * The console's format: 'json' (ECS JSON lines) or 'pretty' (one readable line per entry, coloured
   * on a TTY unless NO_COLOR is set). Default: LOG_FORMAT, else 'json'. Files and Elasticsearch
   * always get ECS JSON.
   */
  format?: LogFormat;
  /** A size- and count-limited file transport; never added unless configured. */
  file?: FileOptions;
  /** Fields added to every entry. */
  defaultMeta?: Record<string, unknown>;
  /**
   * Called on every log call for fields to add to its entry, such as the current request's trace and
   * request ids from an AsyncLocalStorage (`contextLogFields` of `@org/shared-middleware`). Return
   * undefined for none. Precedence, lowest first: defaultMeta, context, child() metadata, the call's.
   * It must be cheap; if it throws, the entry is written with a placeholder in `extra.args`.
   */
  context?: () => object | undefined;
  /** Environment for LOG_LEVEL and NODE_ENV. Default process.env. */
  env?: Record<string, string | undefined>;
  /** Default deadline of shutdown(). Default 5000 ms. */
  shutdownTimeoutMs?: number;
  /** Clock (tests). Default Date.now. */
  now?: () => number;
}

export interface LoggerStats {
  level: string;
  /** Entries accepted by the log methods. */
  logged: number;
  /** Entries whose formatting failed unexpectedly (a minimal entry was written instead). */
  formatErrors: number;
  /** Entries logged after shutdown() started (not written anywhere). */
  droppedAfterShutdown: number;
  /** Lines the console or file output refused because 64 MiB were already waiting to be written. */
  outputDropped: number;
  closed: boolean;
  /** The Elasticsearch transport's stats, undefined when there is none. */
  elasticsearch: ElasticsearchTransportStats | undefined;
}

export type Logger = winston.Logger & {
  stats(): LoggerStats;
  /** Flushes and closes the Elasticsearch transport within the deadline, then closes winston. Idempotent; never rejects. */
  shutdown(options?: CloseOptions): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
  /** The Elasticsearch transport, when configured. */
  readonly elasticsearch: ElasticsearchTransport | undefined;
};
