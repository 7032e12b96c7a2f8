import { checkNumber } from './options.js';

export interface BackoffOptions {
  /** First delay. Default 500 ms. */
  initialMs?: number;
  /** Largest delay. Default 30 s. */
  maxMs?: number;
  /** Growth per attempt. Default 2. */
  factor?: number;
  /** Fraction of each delay that is random (0 = none, 1 = "full jitter"). Default 0.5. */
  jitter?: number;
  random?: () => number;
}

/** Exponential backoff with jitter, so that many clients of a dead server do not retry in step. */
export class Backoff {
  readonly initialMs: number;
  readonly maxMs: number;
  readonly factor: number;
  readonly jitter: number;
  readonly #random: () => number;
  #attempt = 0;

  constructor(options: BackoffOptions = {}) {
    this.initialMs = checkNumber('initialMs', options.initialMs ?? 500, { min: 0 });
    this.maxMs = checkNumber('maxMs', options.maxMs ?? 30_000, { min: this.initialMs });
    this.factor = checkNumber('factor', options.factor ?? 2, { min: 1 });
    this.jitter = checkNumber('jitter', options.jitter ?? 0.5, { min: 0, max: 1 });
    this.#random = options.random ?? Math.random;
  }

  /** Failures since the last reset(). */
  get attempt(): number {
    return this.#attempt;
  }

  /** The delay before the next try; each call counts one more failure. */
  next(): number {
    const base = Math.min(this.maxMs, this.initialMs * this.factor ** this.#attempt);
    this.#attempt++;
    return Math.round(base * (1 - this.jitter * this.#random()));
  }

  reset(): void {
    this.#attempt = 0;
  }
}
