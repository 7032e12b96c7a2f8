import { setImmediate as nextTurn } from 'node:timers/promises';
import { aborted, type CloseContext, createCloseContext, type OwnedCloseContext } from './close-context.js';
import type { Closeable } from './close-once.js';
import { LifecycleError } from './errors.js';
import { type ErrorReporter, report, stderrReporter } from './report.js';

export interface ShutdownOptions {
  /** Signals that start the shutdown once install() is called. Default SIGTERM and SIGINT. */
  signals?: readonly NodeJS.Signals[];
  /** Deadline for each resource unless it was registered with its own. Default 10 s. */
  timeoutMs?: number;
  /**
   * Deadline for the whole signal-started shutdown; past it the process exits with 1 whatever is
   * still closing. Default: none (each step still has its own).
   */
  totalTimeoutMs?: number;
  /**
   * A repeat of a signal within this window of the first is the same stop delivered twice (Ctrl-C
   * reaches every process of the terminal's group, and npm or org-task forward it again) and is
   * ignored; a later one forces the exit (130). Default 1000 ms.
   */
  duplicateSignalWindowMs?: number;
  /**
   * Runs once after every step has closed and the "shutdown finished" line is logged, before the
   * exit: the place to close the logger, so the shutdown's own lines still reach it. `ctx` carries
   * what is left of the deadline (at most timeoutMs). Errors are reported, never thrown.
   */
  finally?: (result: ShutdownResult, ctx: CloseContext) => Promise<void> | void;
  /** Called with the exit code when a signal-started shutdown ends. Default process.exit. */
  exit?: (code: number) => void;
  onError?: ErrorReporter;
  /** Progress lines ("closing db"), e.g. a logger's info. Default: none. */
  log?: (message: string, fields: Record<string, unknown>) => void;
}

export interface ShutdownResult {
  code: number;
  reason: string;
  steps: { name: string; ok: boolean; ms: number; error?: unknown }[];
}

/** A shutdown step: anything with close(options), or a function given the step's close context. */
export type ShutdownStep = Closeable | ((ctx: CloseContext) => Promise<void> | void);

type Step = { name: string; close: (ctx: CloseContext) => Promise<void> | void; timeoutMs: number };

/** Exit codes: 0 clean, 1 a resource failed or missed its deadline, 130 a second signal forced the exit. */
export const EXIT_CODES = { clean: 0, failed: 1, forced: 130 } as const;

/**
 * Closes registered resources in reverse order of registration, each within a deadline, when a
 * signal arrives or shutdown() is called; then exits with a clear code. Installs no process
 * handler until install(), and removes its handlers when the shutdown ends or on dispose().
 */
export class ShutdownCoordinator {
  readonly #steps: Step[] = [];
  readonly #signals: readonly NodeJS.Signals[];
  readonly #timeoutMs: number;
  readonly #exit: (code: number) => void;
  readonly #onError: ErrorReporter;
  readonly #log: ShutdownOptions['log'];
  readonly #totalTimeoutMs: number;
  readonly #duplicateWindowMs: number;
  readonly #finally: ShutdownOptions['finally'];
  #handler: ((signal: NodeJS.Signals) => void) | null = null;
  #shutdown: Promise<ShutdownResult> | null = null;
  #firstSignalAt = 0;

  constructor(options: ShutdownOptions = {}) {
    this.#signals = options.signals ?? ['SIGTERM', 'SIGINT'];
    this.#timeoutMs = options.timeoutMs ?? 10_000;
    this.#exit = options.exit ?? ((code) => process.exit(code));
    this.#onError = options.onError ?? stderrReporter;
    this.#log = options.log;
    this.#totalTimeoutMs = options.totalTimeoutMs ?? Number.POSITIVE_INFINITY;
    this.#duplicateWindowMs = options.duplicateSignalWindowMs ?? 1000;
    this.#finally = options.finally;
  }

  /**
   * Registers a resource (anything with close(), or a function). Each is closed with a CloseContext
   * whose deadline is its timeoutMs (within what is left of totalTimeoutMs). Returns a function that
   * unregisters it, for resources closed earlier by their owner.
   */
  register(name: string, resource: ShutdownStep, { timeoutMs = this.#timeoutMs } = {}) {
    if (this.#shutdown)
      throw new LifecycleError('ORG_LIFECYCLE_CLOSED', `register("${name}") during shutdown`);
    // Anything with close() is closed, even when it is also callable (a middleware with close()).
    const closeable =
      typeof (resource as Partial<Closeable>).close === 'function' ? (resource as Closeable) : null;
    const step: Step = {
      name,
      timeoutMs,
      close: closeable
        ? (ctx) => closeable.close(ctx)
        : (resource as (ctx: CloseContext) => Promise<void> | void),
    };
    this.#steps.push(step);
    return () => {
      const index = this.#steps.indexOf(step);
      if (index >= 0) this.#steps.splice(index, 1);
    };
  }

  /** Installs the signal handlers. Idempotent. */
  install(): this {
    if (this.#handler || this.#shutdown) return this;
    const handler = (signal: NodeJS.Signals) => {
      const now = Date.now();
      if (this.#shutdown) {
        if (now - this.#firstSignalAt < this.#duplicateWindowMs) return;
        this.#log?.('second signal: forcing exit', { signal });
        this.#exit(EXIT_CODES.forced);
        return;
      }
      this.#firstSignalAt = now;
      // Every step's context lies within the total deadline, so the shutdown ends soon after it passes.
      void this.shutdown(signal).then((result) => this.#exit(result.code));
    };
    for (const signal of this.#signals) process.on(signal, handler);
    this.#handler = handler;
    return this;
  }

  get installed(): boolean {
    return this.#handler !== null;
  }

  get shuttingDown(): boolean {
    return this.#shutdown !== null;
  }

  /** Closes everything in reverse order. Idempotent: later calls get the same result. Never rejects. */
  shutdown(reason = 'shutdown'): Promise<ShutdownResult> {
    this.#shutdown ??= this.#run(reason, createCloseContext({ timeoutMs: this.#totalTimeoutMs }));
    return this.#shutdown;
  }

  /** Removes the signal handlers (the resources stay registered). */
  dispose(): void {
    // Keep the handler through a running shutdown so a second signal can still force the exit.
    if (!this.#handler) return;
    for (const signal of this.#signals) process.off(signal, this.#handler);
    this.#handler = null;
  }

  [Symbol.dispose](): void {
    this.dispose();
  }

  async #run(reason: string, total: OwnedCloseContext): Promise<ShutdownResult> {
    const steps: ShutdownResult['steps'] = [];
    this.#log?.('shutdown started', { reason, resources: this.#steps.length });
    for (const step of [...this.#steps].reverse()) {
      const started = performance.now();
      const error = await this.#runStep(step.name, step.close, total.within(step.timeoutMs));
      const ms = performance.now() - started;
      steps.push(
        error === undefined ? { name: step.name, ok: true, ms } : { name: step.name, ok: false, ms, error },
      );
      this.#log?.('closed', { step: step.name, ok: error === undefined, ms: Math.round(ms) });
    }
    const code = steps.every((s) => s.ok) ? EXIT_CODES.clean : EXIT_CODES.failed;
    if (total.expired) this.#log?.('shutdown deadline passed', { timeoutMs: this.#totalTimeoutMs });
    this.#log?.('shutdown finished', { reason, code });
    const result = { code, reason, steps };
    const final = this.#finally;
    if (final) await this.#runStep('finally', (ctx) => final(result, ctx), total.within(this.#timeoutMs));
    total[Symbol.dispose]();
    this.dispose();
    return result;
  }

  /**
   * Runs one step with its context and returns its error (undefined when it closed in time). A step that
   * ignores its deadline is left behind once the deadline passes (its late failure is still reported).
   */
  async #runStep(
    name: string,
    close: (ctx: CloseContext) => Promise<void> | void,
    ctx: CloseContext & Disposable,
  ): Promise<unknown> {
    const work = Promise.resolve().then(() => close(ctx));
    try {
      const outcome = await Promise.race([
        work.then(() => 'closed' as const),
        // On the deadline the step gets one more turn of the event loop to finish what the abort started.
        aborted(ctx.signal)
          .then(() => nextTurn())
          .then(() => 'deadline' as const),
      ]);
      if (outcome === 'closed' && !ctx.expired) return undefined;
      const error = new LifecycleError(
        'ORG_LIFECYCLE_CLOSE_TIMEOUT',
        `shutdown step "${name}" ran past its deadline`,
        {
          details: { step: name },
        },
      );
      if (outcome === 'deadline') {
        work.catch((late: unknown) => report(this.#onError, late, { source: 'shutdown', step: name }));
      }
      report(this.#onError, error, { source: 'shutdown', step: name });
      return error;
    } catch (error) {
      report(this.#onError, error, { source: 'shutdown', step: name });
      return error;
    } finally {
      ctx[Symbol.dispose]();
    }
  }
}
