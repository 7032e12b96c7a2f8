// BufferedSink's send window: how many requests may be in flight (AIMD), and the pause after a failure.
import { Backoff, type BackoffOptions } from './backoff.js';

/**
 * Each clean answer widens the window by one; pushed-back items halve it once per round trip; a
 * request failing as a whole pauses sending with exponential backoff and probes with one request.
 * When the pause ends, `onWake` is called (from an unref'd timer) to send again.
 */
export class SendWindow {
  readonly maxConcurrency: number;
  readonly #backoff: Backoff;
  readonly #onWake: () => void;
  #size: number;
  /** Requests dispatched before the last window decrease: their answers do not decrease it again. */
  #decreasedAt = 0;
  #pauseUntil = 0;
  #wake: NodeJS.Timeout | null = null;
  #stopped = false;

  constructor(maxConcurrency: number, backoff: BackoffOptions | undefined, onWake: () => void) {
    this.maxConcurrency = maxConcurrency;
    this.#size = maxConcurrency;
    this.#backoff = new Backoff({ initialMs: 500, maxMs: 30_000, ...backoff });
    this.#onWake = onWake;
  }

  /** Requests allowed in flight now. */
  get size(): number {
    return this.#size;
  }

  /** performance.now() until which sending is paused (0: not paused). */
  get pauseUntil(): number {
    return this.#pauseUntil;
  }

  /** Failures since the backoff was last reset. */
  get attempt(): number {
    return this.#backoff.attempt;
  }

  resetBackoff(): void {
    this.#backoff.reset();
  }

  succeeded(): void {
    this.#backoff.reset();
    this.#pauseUntil = 0;
    this.#size = Math.min(this.maxConcurrency, this.#size + 1);
  }

  /**
   * Items were pushed back (an item-level 429): the server is there and busy. The window halves, once
   * per round trip (answers to requests sent before the last decrease do not halve it again), without
   * a pause; only when every item was pushed back with the window already at one request does the
   * sink pause as after a failed request. `progress`: other items were stored, which resets the
   * backoff of failed requests. `seq`: requests dispatched before this one; `dispatched`: so far.
   */
  pushedBack(seq: number, progress: boolean, dispatched: number): void {
    if (progress) this.#backoff.reset();
    if (seq < this.#decreasedAt) return;
    this.#size = Math.max(1, Math.floor(this.#size / 2));
    this.#decreasedAt = dispatched;
  }

  failed(): void {
    this.#pauseUntil = performance.now() + this.#backoff.next();
    this.#size = 1;
    this.armWake();
  }

  resume(): void {
    this.#pauseUntil = 0;
    this.#clearWake();
  }

  armWake(): void {
    if (this.#wake !== null || this.#stopped) return;
    const ms = this.#pauseUntil - performance.now();
    if (ms <= 0) return;
    this.#wake = setTimeout(() => {
      this.#wake = null;
      this.#onWake();
    }, ms);
    this.#wake.unref();
  }

  /** No more wake-ups (the sink stopped sending). */
  stop(): void {
    this.#stopped = true;
    this.#clearWake();
  }

  #clearWake(): void {
    if (this.#wake !== null) clearTimeout(this.#wake);
    this.#wake = null;
  }
}
