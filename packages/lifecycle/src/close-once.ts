import {
  type CloseContext,
  type CloseOptions,
  createCloseContext,
  type OwnedCloseContext,
} from './close-context.js';
import { LifecycleError } from './errors.js';
import { type ErrorReporter, report, stderrReporter } from './report.js';

export type CloseFn = (ctx: CloseContext) => Promise<void> | void;

export interface CloseOnceOptions {
  /** Deadline of close() when the caller gives none. Default 10 s. */
  defaultTimeoutMs?: number;
  /** Where a close that overran its deadline is reported. Default: one line on stderr. */
  onError?: ErrorReporter;
}

/** What the shutdown coordinator and `await using` accept. */
export interface Closeable {
  close(options?: CloseOptions): Promise<void>;
}

/**
 * The close contract, for composition (a class that already extends something else, such as a winston
 * Transport, holds one of these):
 * - close(options | ctx) runs the close function once, with a CloseContext carrying the deadline, and
 *   every later call returns the same promise. It is graceful: the close function finishes in-flight work
 *   within the deadline (the context's signal aborts when it passes). A close that overran its deadline is
 *   reported, never rejected; close() rejects only when the close function itself fails.
 * - destroy(reason) is the abortive close: the context is aborted from the start (or at once, when a close
 *   is already running). Idempotent, like close().
 * - assertOpen(op) throws ORG_LIFECYCLE_CLOSED once either has started.
 */
export class CloseOnce {
  readonly name: string;
  readonly defaultTimeoutMs: number;
  readonly #closeFn: CloseFn;
  readonly #onError: ErrorReporter;
  /** Aborts on destroy() or when the close deadline passes; the same signal before and after close(). */
  readonly #abort = new AbortController();
  #destroyed = false;
  #closing: Promise<void> | null = null;
  #done = false;
  #timedOut = false;

  constructor(name: string, closeFn: CloseFn, { defaultTimeoutMs = 10_000, onError }: CloseOnceOptions = {}) {
    this.name = name;
    this.#closeFn = closeFn;
    this.defaultTimeoutMs = defaultTimeoutMs;
    this.#onError = onError ?? stderrReporter;
  }

  /** True from the moment close() or destroy() is first called. */
  get closed(): boolean {
    return this.#closing !== null;
  }

  /** True once the close function has settled. */
  get done(): boolean {
    return this.#done;
  }

  /** True when the close ran past its deadline (what was left was cut off and reported). */
  get timedOut(): boolean {
    return this.#timedOut;
  }

  /** Aborts when destroy() is called or the close deadline passes. */
  get signal(): AbortSignal {
    return this.#abort.signal;
  }

  close(options?: CloseOptions | CloseContext): Promise<void> {
    if (this.#closing) return this.#closing;
    const ctx = createCloseContext(options, {
      defaultTimeoutMs: this.defaultTimeoutMs,
      links: [this.#abort.signal],
    });
    const onAbort = () => this.#abort.abort(ctx.signal.reason);
    if (ctx.signal.aborted) onAbort();
    else ctx.signal.addEventListener('abort', onAbort, { once: true });
    const work = (async () => this.#closeFn(ctx))();
    this.#closing = work.then(
      () => this.#settle(ctx, onAbort),
      (error: unknown) => {
        this.#settle(ctx, onAbort);
        throw error;
      },
    );
    return this.#closing;
  }

  /** Abortive close: aborts at once, then runs (or joins) the close. Idempotent. */
  destroy(reason?: unknown): Promise<void> {
    if (!this.#abort.signal.aborted) {
      this.#destroyed = true;
      this.#abort.abort(reason ?? new LifecycleError('ORG_LIFECYCLE_CLOSED', `${this.name} destroyed`));
    }
    return this.close();
  }

  /** Throws ORG_LIFECYCLE_CLOSED when close() has started. */
  assertOpen(operation: string): void {
    if (this.#closing) {
      throw new LifecycleError('ORG_LIFECYCLE_CLOSED', `${this.name}.${operation}() called after close()`, {
        details: { resource: this.name, operation },
      });
    }
  }

  #settle(ctx: OwnedCloseContext, onAbort: () => void): void {
    this.#done = true;
    ctx.signal.removeEventListener('abort', onAbort);
    if (ctx.expired && !this.#destroyed) {
      this.#timedOut = true;
      report(
        this.#onError,
        new LifecycleError('ORG_LIFECYCLE_CLOSE_TIMEOUT', `${this.name}.close() ran past its deadline`, {
          details: { resource: this.name },
        }),
        { source: this.name },
      );
    }
    ctx[Symbol.dispose]();
  }
}

export interface ResourceOptions {
  /** Deadline of close() when the caller gives none. Default 10 s. */
  closeTimeoutMs?: number;
  /** Where a close that overran its deadline is reported. Default: one line on stderr. */
  onError?: ErrorReporter;
}

/**
 * Base class for resources that can extend one: subclasses implement onClose(ctx); close(), destroy(),
 * [Symbol.asyncDispose] and assertOpen() come with it.
 */
export abstract class Resource implements Closeable, AsyncDisposable {
  readonly #lifecycle: CloseOnce;

  constructor(name: string, { closeTimeoutMs = 10_000, onError }: ResourceOptions = {}) {
    this.#lifecycle = new CloseOnce(name, (ctx) => this.onClose(ctx), {
      defaultTimeoutMs: closeTimeoutMs,
      ...(onError ? { onError } : {}),
    });
  }

  /** Finish in-flight work within ctx's deadline (ctx.signal aborts when it passes or on destroy()). */
  protected abstract onClose(ctx: CloseContext): Promise<void> | void;

  get closed(): boolean {
    return this.#lifecycle.closed;
  }

  /** Aborts on destroy() or when the close deadline passes. */
  protected get closeSignal(): AbortSignal {
    return this.#lifecycle.signal;
  }

  close(options?: CloseOptions | CloseContext): Promise<void> {
    return this.#lifecycle.close(options);
  }

  destroy(reason?: unknown): Promise<void> {
    return this.#lifecycle.destroy(reason);
  }

  protected assertOpen(operation: string): void {
    this.#lifecycle.assertOpen(operation);
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}
