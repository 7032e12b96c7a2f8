// The Output contract of the package's own outputs, their shared buffer cap, and how their failures and drops are reported.
/**
 * The package's own outputs (stdout, a stream, a rotating file): each entry is formatted once and
 * written here directly, not through winston's stream pipeline. Files and stdout go through
 * sonic-boom (pino's destination: one fs.write per batch of lines instead of per line, EAGAIN retried
 * on pipes, a synchronous flush for process exit).
 */
import { type ErrorReporter, report } from '@org/shared-lifecycle';
import { LoggerError } from './errors.js';

export interface Output {
  /** Its own level, or undefined for the logger's. */
  readonly level: string | undefined;
  /** Human-readable lines instead of ECS JSON. */
  readonly pretty: boolean;
  /** Writes one line (without its newline). Never throws. */
  write(line: string): void;
  /** Writes out what is buffered and releases the output; resolves early when `signal` aborts. */
  close(signal: AbortSignal): Promise<void>;
  /** Lines refused because the output's buffer was full. */
  readonly dropped: number;
}

/** Unwritten bytes one sonic-boom may hold before it drops lines (a stdout nobody reads). */
export const MAX_BUFFERED_BYTES = 64 * 1024 * 1024;

/**
 * Reports an output failure: at most once a minute per error channel and output (a closed pipe fails
 * every write; one line on stderr per log call would be a flood).
 */
export function outputError(onError: ErrorReporter, target: string, error: unknown): void {
  let targets = lastReported.get(onError);
  if (targets === undefined) {
    targets = new Map();
    lastReported.set(onError, targets);
  }
  const now = Date.now();
  const last = targets.get(target);
  if (last !== undefined && now - last < REPORT_INTERVAL_MS) return;
  targets.set(target, now);
  report(
    onError,
    new LoggerError('ORG_LOGGER_OUTPUT_FAILED', `writing log lines to ${target} failed`, { cause: error }),
    { source: 'logger.output' },
  );
}
const REPORT_INTERVAL_MS = 60_000;
const lastReported = new WeakMap<ErrorReporter, Map<string, number>>();

/** Counts and reports (the first of) the lines a sonic-boom refused because its buffer was full. */
export class DropCounter {
  dropped = 0;
  readonly onError: ErrorReporter;
  readonly target: string;
  constructor(onError: ErrorReporter, target: string) {
    this.onError = onError;
    this.target = target;
  }
  drop(): void {
    if (this.dropped++ === 0) {
      report(
        this.onError,
        new LoggerError('ORG_LOGGER_OUTPUT_DROPPED', `${this.target} is not keeping up; lines are dropped`, {
          details: { maxBufferedBytes: MAX_BUFFERED_BYTES },
        }),
        { source: 'logger.output' },
      );
    }
  }
}
