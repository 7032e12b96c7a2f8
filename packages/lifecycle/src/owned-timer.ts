import { LifecycleError } from './errors.js';
import { checkNumber } from './options.js';
import { type ErrorReporter, report, stderrReporter } from './report.js';

export interface OwnedIntervalOptions {
  /** Delay between the end of one run and the start of the next. */
  intervalMs: number;
  /** Names the timer in error reports. */
  name: string;
  /** Where errors of the task go. Default: one line on stderr. */
  onError?: ErrorReporter;
  /** Keep the process alive while the timer is pending. Default false: the timer is unref'd. */
  ref?: boolean;
}

export type IntervalTask = (signal: AbortSignal) => unknown;

/**
 * An owned interval: unref'd, never overlapping its own previous run (the next run is scheduled when
 * the previous one settles), errors of sync and async runs caught and reported through one channel,
 * and stop() clears the timer and awaits the run in flight.
 */
export class OwnedInterval {
  readonly name: string;
  readonly intervalMs: number;
  readonly #task: IntervalTask;
  readonly #onError: ErrorReporter;
  readonly #ref: boolean;
  #timer: NodeJS.Timeout | null = null;
  #inFlight: Promise<void> | null = null;
  #rerun = false;
  #started = false;
  #stopped = false;
  #abort = new AbortController();
  #runs = 0;
  #errors = 0;

  constructor(task: IntervalTask, options: OwnedIntervalOptions) {
    this.#task = task;
    this.name = options.name;
    this.intervalMs = checkNumber(`${options.name}.intervalMs`, options.intervalMs, {
      min: 1,
      max: 2 ** 31 - 1,
    });
    this.#onError = options.onError ?? stderrReporter;
    this.#ref = options.ref ?? false;
  }

  /** Schedules the first run after intervalMs. Idempotent; a stopped timer cannot be restarted. */
  start(): this {
    if (this.#stopped) throw new LifecycleError('ORG_LIFECYCLE_CLOSED', `${this.name}: start() after stop()`);
    if (!this.#started) {
      this.#started = true;
      this.#schedule();
    }
    return this;
  }

  /**
   * Runs the task now. While a run is in flight, asks for one more run right after it (several
   * calls coalesce into one) and resolves when that run is done. Never rejects.
   */
  trigger(): Promise<void> {
    if (this.#stopped) return this.#inFlight ?? Promise.resolve();
    if (this.#inFlight) {
      this.#rerun = true;
      return this.#inFlight.then(() => this.#inFlight ?? undefined);
    }
    this.#clear();
    return this.#run();
  }

  get running(): boolean {
    return this.#inFlight !== null;
  }

  get stopped(): boolean {
    return this.#stopped;
  }

  stats(): { runs: number; errors: number; running: boolean; stopped: boolean } {
    return { runs: this.#runs, errors: this.#errors, running: this.running, stopped: this.#stopped };
  }

  /**
   * Clears the timer and waits for the run in flight. With abort, the run's signal is aborted first.
   * Idempotent; never rejects.
   */
  async stop({ abort = false }: { abort?: boolean } = {}): Promise<void> {
    this.#stopped = true;
    this.#rerun = false;
    this.#clear();
    if (abort) this.#abort.abort(new LifecycleError('ORG_LIFECYCLE_CLOSED', `${this.name} stopped`));
    while (this.#inFlight) await this.#inFlight;
  }

  #run(): Promise<void> {
    this.#runs++;
    const done = (async () => {
      try {
        await this.#task(this.#abort.signal);
      } catch (error) {
        this.#errors++;
        report(
          this.#onError,
          new LifecycleError('ORG_LIFECYCLE_TASK_FAILED', `${this.name}: task failed`, { cause: error }),
          { source: this.name },
        );
      }
    })();
    const tracked = done.then(() => {
      this.#inFlight = null;
      if (this.#stopped) return;
      if (this.#rerun) {
        this.#rerun = false;
        void this.#run();
      } else if (this.#started) {
        this.#schedule();
      }
    });
    this.#inFlight = tracked;
    return tracked;
  }

  #schedule(): void {
    this.#clear();
    const timer = setTimeout(() => {
      this.#timer = null;
      void this.#run();
    }, this.intervalMs);
    if (!this.#ref) timer.unref();
    this.#timer = timer;
  }

  #clear(): void {
    if (this.#timer !== null) {
      clearTimeout(this.#timer);
      this.#timer = null;
    }
  }
}

/**
 * A promise that settles after ms, on a timer that is cleared when the signal aborts (rejecting with the
 * signal's reason). The timer is unref'd — a backoff wait does not hold the process open — unless
 * `ref: true` (a wait that is part of work someone awaits, such as a close's retry).
 */
export function sleep(
  ms: number,
  signal?: AbortSignal,
  { ref = false }: { ref?: boolean } = {},
): Promise<void> {
  return new Promise((resolve, reject) => {
    if (signal?.aborted) return reject(signal.reason);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal?.reason);
    };
    const timer = setTimeout(() => {
      signal?.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    if (!ref) timer.unref();
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}
