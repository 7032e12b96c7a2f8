/**
 * Progress of a long command: a heartbeat line at a steady interval when the output is a log (CI),
 * a single live line rewritten in place when it is a terminal. Shared by org-leakcheck,
 * org-endurance and the repository's benchmark runner (import from '@org/shared-leakcheck/progress').
 */
import { type ErrorReporter, OwnedInterval, stderrReporter } from '@org/shared-lifecycle';
import { apiChecks } from './options.js';

export interface ProgressStream {
  write(text: string): unknown;
  readonly isTTY?: boolean;
  readonly columns?: number;
}

export interface ProgressOptions {
  /** The current state in one line, e.g. "12m / 30m · 118 req/s · …". Called on every beat. */
  render: () => string;
  /** Default process.stdout. */
  stream?: ProgressStream;
  /** Put before every line, e.g. "endurance: ". Default "". */
  prefix?: string;
  /** Heartbeat interval when the stream is not a terminal. Default 30 000 ms. */
  intervalMs?: number;
  /** Rewrite one live line instead of printing heartbeats. Default: the stream is a TTY. */
  live?: boolean;
  /** How often the live line is redrawn. Default 1000 ms. */
  liveIntervalMs?: number;
  /** Where a throwing render() is reported. Default: one line on stderr. */
  onError?: ErrorReporter;
}

const CLEAR_LINE = '\r\x1b[2K';

/** Milliseconds as "45 s", "12m05s", "3h07m". */
export function formatElapsed(ms: number): string {
  const s = Math.max(0, Math.round(ms / 1000));
  if (s < 60) return `${s} s`;
  const m = Math.floor(s / 60);
  if (m < 60) return `${m}m${String(s % 60).padStart(2, '0')}s`;
  return `${Math.floor(m / 60)}h${String(m % 60).padStart(2, '0')}m`;
}

export class ProgressLine {
  readonly live: boolean;
  readonly #stream: ProgressStream;
  readonly #render: () => string;
  readonly #prefix: string;
  readonly #timer: OwnedInterval;
  readonly #onError: ErrorReporter;
  #shown = false;
  #closed = false;

  constructor(options: ProgressOptions) {
    this.#stream = options.stream ?? process.stdout;
    this.#render = options.render;
    this.#prefix = options.prefix ?? '';
    this.#onError = options.onError ?? stderrReporter;
    this.live = options.live ?? this.#stream.isTTY === true;
    const intervalMs = this.live
      ? apiChecks.number('progress.liveIntervalMs', options.liveIntervalMs, { default: 1000, min: 1 })
      : apiChecks.number('progress.intervalMs', options.intervalMs, { default: 30_000, min: 1 });
    this.#timer = new OwnedInterval(() => this.beat(), {
      name: 'progress',
      intervalMs,
      onError: this.#onError,
    });
  }

  /** Starts the heartbeat (or the live line). Idempotent. */
  start(): this {
    if (!this.#closed) {
      this.#timer.start();
      if (this.live) this.beat();
    }
    return this;
  }

  /** Prints the state now: a heartbeat line, or the live line redrawn. */
  beat(): void {
    if (this.#closed) return;
    let text: string;
    try {
      text = this.#render();
    } catch (error) {
      this.#onError(error, { source: 'progress.render' });
      return;
    }
    if (this.live) {
      const width = Math.max(20, (this.#stream.columns || 120) - 1);
      const line = `${this.#prefix}${text}`;
      this.#stream.write(`${CLEAR_LINE}${line.length > width ? `${line.slice(0, width - 1)}…` : line}`);
      this.#shown = true;
    } else {
      this.#stream.write(`${this.#prefix}${text}\n`);
    }
  }

  /** Prints a line of its own, with the prefix (an event: a fault begins) above the live line. */
  log(line: string): void {
    this.print(`${this.#prefix}${line}\n`);
  }

  /** Prints text as it is (a report block, a JSON line) above the live line. */
  print(text: string): void {
    if (this.live && this.#shown) this.#stream.write(CLEAR_LINE);
    this.#stream.write(text);
    this.#shown = false;
    if (this.live && !this.#closed) this.beat();
  }

  /** Stops the timer and clears the live line. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    await this.#timer.stop();
    if (this.live && this.#shown) this.#stream.write(CLEAR_LINE);
    this.#shown = false;
  }

  async [Symbol.asyncDispose](): Promise<void> {
    await this.close();
  }
}
