import { withDeadline } from './deadline.js';
import { LifecycleError } from './errors.js';

export interface CloseOptions {
  /** Deadline for the graceful close; past it the close signal aborts and close() rejects. */
  timeoutMs?: number;
}

export type CloseFn = (signal: AbortSignal) => Promise<void> | void;

/**
 * The close contract, for composition (a class that already extends something else, such as a
 * winston Transport, holds one of these): close() runs the close function once, with a deadline,
 * and every later call returns the same promise; destroy() is the abortive variant; use after close
 * throws ORG_LIFECYCLE_CLOSED.
 */
export class CloseOnce {
  readonly name: string;
  readonly defaultTimeoutMs: number;
  readonly #closeFn: CloseFn;
  readonly #abort = new AbortController();
  #closing: Promise<void> | null = null;
  #done = false;

  constructor(
    name: string,
    closeFn: CloseFn,
    { defaultTimeoutMs = 10_000 }: { defaultTimeoutMs?: number } = {},
  ) {
    this.name = name;
    this.#closeFn = closeFn;
    this.defaultTimeoutMs = defaultTimeoutMs;
  }

  /** True from the moment close() or destroy() is first called. */
  get closed(): boolean {
    return this.#closing !== null;
  }

  /** True once the close function has settled. */
  get done(): boolean {
    return this.#done;
  }

  /** Aborts when destroy() is called or the close deadline passes. */
  get signal(): AbortSignal {
    return this.#abort.signal;
  }

  close({ timeoutMs = this.defaultTimeoutMs }: CloseOptions = {}): Promise<void> {
    if (this.#closing) return this.#closing;
    const work = (async () => this.#closeFn(this.#abort.signal))();
    this.#closing = withDeadline(work, timeoutMs, `${this.name}.close()`, () =>
      this.#abort.abort(new LifecycleError('ORG_LIFECYCLE_CLOSE_TIMEOUT', `${this.name}.close() timed out`)),
    ).finally(() => {
      this.#done = true;
    });
    return this.#closing;
  }

  /** Abortive close: aborts the signal at once, then runs (or joins) the close. Idempotent. */
  destroy(reason?: unknown): Promise<void> {
    if (!this.#abort.signal.aborted) {
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
}

/** What the shutdown coordinator and `await using` accept. */
export interface Closeable {
  close(options?: CloseOptions): Promise<void>;
}

/**
 * Base class for resources that can extend one: subclasses implement onClose(signal); close(),
 * destroy(), [Symbol.asyncDispose] and assertOpen() come with it.
 */
export abstract class Resource implements Closeable, AsyncDisposable {
  readonly #lifecycle: CloseOnce;

  constructor(name: string, { closeTimeoutMs = 10_000 }: { closeTimeoutMs?: number } = {}) {
    this.#lifecycle = new CloseOnce(name, (signal) => this.onClose(signal), {
      defaultTimeoutMs: closeTimeoutMs,
    });
  }

  protected abstract onClose(signal: AbortSignal): Promise<void> | void;

  get closed(): boolean {
    return this.#lifecycle.closed;
  }

  /** Aborts on destroy() or when the close deadline passes. */
  protected get closeSignal(): AbortSignal {
    return this.#lifecycle.signal;
  }

  close(options?: CloseOptions): Promise<void> {
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
