import { LifecycleError } from './errors.js';

/** What close() accepts: a deadline in ms and an outside signal that makes the close abortive. */
export interface CloseOptions {
  /** Time the close may take. Default: the resource's own default. */
  timeoutMs?: number;
  /** Aborting it makes the close abortive (as destroy()). */
  signal?: AbortSignal;
}

/**
 * The deadline of one close, handed down from parent to child: a resource closes its children with
 * `ctx.share(…)` or `ctx.within(…)`, so the parent's deadline is theirs and nobody keeps a timer of its
 * own. It also satisfies CloseOptions (`timeoutMs` is the time left), so a resource that only knows
 * `close({ timeoutMs })` still gets the right figure.
 */
export interface CloseContext extends CloseOptions {
  /** Aborts when the deadline passes or the close is made abortive (destroy(), an outside signal). */
  readonly signal: AbortSignal;
  /** The deadline on performance.now()'s clock; Infinity when there is none. */
  readonly deadline: number;
  /** Milliseconds left (0 once passed; Infinity without a deadline). */
  readonly timeoutMs: number;
  /** True once the deadline has passed. */
  readonly expired: boolean;
  remainingMs(): number;
  /**
   * A child context with `fraction` (0–1] of the time left; it aborts with this one and is disposed with
   * it (dispose it earlier to clear its timer at once).
   */
  share(fraction: number): ChildCloseContext;
  /** A child context with at most `ms` of the time left; likewise. */
  within(ms: number): ChildCloseContext;
}

export type ChildCloseContext = CloseContext & Disposable;

const kContext = Symbol.for('org.lifecycle.CloseContext');

/** True for a CloseContext made by this package (any loaded copy of it). */
export function isCloseContext(value: unknown): value is CloseContext {
  return typeof value === 'object' && value !== null && (value as Record<symbol, unknown>)[kContext] === true;
}

function timeoutError(ms: number): LifecycleError {
  return new LifecycleError('ORG_LIFECYCLE_CLOSE_TIMEOUT', `close deadline of ${Math.round(ms)} ms passed`, {
    details: { timeoutMs: Math.round(ms) },
  });
}

/**
 * One deadline: an AbortController whose timer fires at the deadline, linked to the signals above it.
 * The timer is ref'd: a close in progress is work someone awaits, and the process must not exit in the
 * middle of it (waiting for a retry, say) — it ends at the deadline at the latest. dispose() clears the
 * timer, unhooks it from its parents and disposes its children, so a context leaves nothing behind.
 */
class Deadline implements CloseContext, Disposable {
  readonly [kContext] = true;
  readonly deadline: number;
  readonly #controller = new AbortController();
  readonly #children = new Set<Deadline>();
  readonly #unlink: (() => void)[] = [];
  readonly #parent: Deadline | null;
  #timer: NodeJS.Timeout | null = null;
  /** Set when this deadline, or a deadline above it, fired (timers may fire a fraction of a ms early). */
  #timedOut = false;

  constructor(timeoutMs: number, links: readonly AbortSignal[], parent: Deadline | null) {
    this.#parent = parent;
    const start = performance.now();
    this.deadline = Number.isFinite(timeoutMs) ? start + Math.max(0, timeoutMs) : Number.POSITIVE_INFINITY;
    for (const signal of links) {
      if (signal.aborted) {
        this.#abortFrom(signal.reason);
        break;
      }
      const onAbort = () => this.#abortFrom(signal.reason);
      signal.addEventListener('abort', onAbort, { once: true });
      this.#unlink.push(() => signal.removeEventListener('abort', onAbort));
    }
    if (!this.#controller.signal.aborted && Number.isFinite(this.deadline)) {
      const ms = Math.max(0, timeoutMs);
      this.#timer = setTimeout(() => {
        this.#timer = null;
        this.#timedOut = true;
        this.#controller.abort(timeoutError(ms));
      }, ms);
    }
  }

  get signal(): AbortSignal {
    return this.#controller.signal;
  }

  get timeoutMs(): number {
    return this.remainingMs();
  }

  get expired(): boolean {
    return this.#timedOut || performance.now() >= this.deadline;
  }

  remainingMs(): number {
    if (!Number.isFinite(this.deadline)) return Number.POSITIVE_INFINITY;
    return Math.max(0, this.deadline - performance.now());
  }

  share(fraction: number): ChildCloseContext {
    if (!(fraction > 0 && fraction <= 1)) {
      throw new LifecycleError(
        'ORG_LIFECYCLE_INVALID_OPTION',
        `share() takes a fraction in (0, 1], got ${fraction}`,
        {
          details: { option: 'fraction', value: fraction },
        },
      );
    }
    return this.#child(this.remainingMs() * fraction);
  }

  within(ms: number): ChildCloseContext {
    return this.#child(Math.min(ms, this.remainingMs()));
  }

  /** Aborts now (an abortive close); the children abort with it. */
  abort(reason: unknown): void {
    this.#controller.abort(reason);
  }

  [Symbol.dispose](): void {
    if (this.#timer !== null) clearTimeout(this.#timer);
    this.#timer = null;
    for (const unlink of this.#unlink.splice(0)) unlink();
    for (const child of [...this.#children]) child[Symbol.dispose]();
    if (this.#parent) this.#parent.#children.delete(this);
  }

  #abortFrom(reason: unknown): void {
    if (reason instanceof LifecycleError && reason.code === 'ORG_LIFECYCLE_CLOSE_TIMEOUT')
      this.#timedOut = true;
    this.#controller.abort(reason);
  }

  #child(ms: number): Deadline {
    const child = new Deadline(ms, [this.#controller.signal], this);
    this.#children.add(child);
    return child;
  }
}

/** A context the caller owns: dispose it (`using`) when the close it bounds is over. */
export type OwnedCloseContext = CloseContext & Disposable & { abort(reason: unknown): void };

/**
 * A new context. From CloseOptions: `timeoutMs` (default `defaultTimeoutMs`, else none) and `signal`.
 * From a CloseContext: a child with the same deadline (so the caller's context is never aborted from
 * below). `links` are further signals that abort it (e.g. a resource's destroy()).
 */
export function createCloseContext(
  options: CloseOptions | CloseContext = {},
  {
    defaultTimeoutMs = Number.POSITIVE_INFINITY,
    links = [],
  }: { defaultTimeoutMs?: number; links?: readonly AbortSignal[] } = {},
): OwnedCloseContext {
  if (isCloseContext(options)) {
    return new Deadline(options.remainingMs(), [options.signal, ...links], null);
  }
  const timeoutMs = options.timeoutMs ?? defaultTimeoutMs;
  if (typeof timeoutMs !== 'number' || Number.isNaN(timeoutMs) || timeoutMs < 0) {
    throw new LifecycleError(
      'ORG_LIFECYCLE_INVALID_OPTION',
      `timeoutMs must be a number >= 0, got ${String(timeoutMs)}`,
      {
        details: { option: 'timeoutMs', value: timeoutMs },
      },
    );
  }
  return new Deadline(timeoutMs, options.signal ? [options.signal, ...links] : links, null);
}

/** Resolves when the signal aborts (at once if it has); the listener goes with it. */
export function aborted(signal: AbortSignal): Promise<void> {
  if (signal.aborted) return Promise.resolve();
  return new Promise((resolve) => signal.addEventListener('abort', () => resolve(), { once: true }));
}
