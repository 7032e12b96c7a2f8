/** The transport's reports: typed errors on the error channel, rate-limited per code, and the last one kept. */
import { type ErrorReporter, report } from '@org/shared-lifecycle';
import { LoggerError, type LoggerErrorCode } from './errors.js';

export interface LastError {
  code: string;
  message: string;
  at: number;
}

export interface TransportReporterOptions {
  onError: ErrorReporter;
  /** The same code is passed on at most once per interval (unless `always`). */
  intervalMs: number;
  now: () => number;
  target: string;
  /** Also told of every report that is passed on (the transport emits it as 'warn'). */
  onReport?: (error: LoggerError) => void;
}

export class TransportReporter {
  readonly #options: TransportReporterOptions;
  readonly #lastReported = new Map<LoggerErrorCode, number>();
  #lastError: LastError | null = null;

  constructor(options: TransportReporterOptions) {
    this.#options = options;
  }

  get lastError(): LastError | null {
    return this.#lastError === null ? null : { ...this.#lastError };
  }

  /** Reports through the error channel, at most once per interval per code unless `always`. */
  report(
    code: LoggerErrorCode,
    message: string,
    cause?: unknown,
    details: Record<string, unknown> = {},
    always = false,
  ): void {
    const { onError, intervalMs, now, target, onReport } = this.#options;
    const at = now();
    this.#lastError = {
      code,
      message: cause instanceof Error ? `${message}: ${cause.message}` : message,
      at,
    };
    const last = this.#lastReported.get(code);
    if (!always && last !== undefined && at - last < intervalMs) return;
    this.#lastReported.set(code, at);
    const error = new LoggerError(code, message, { cause, details: { target, ...details } });
    report(onError, error, { source: 'ElasticsearchTransport', code, target });
    if (onReport) {
      try {
        onReport(error);
      } catch (hookError) {
        report(onError, hookError, { source: 'ElasticsearchTransport', stage: 'warn listener' });
      }
    }
  }
}
