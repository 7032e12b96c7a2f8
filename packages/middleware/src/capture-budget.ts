import { check, MiB } from './options.js';

export interface CaptureBudgetOptions {
  /** Bytes all in-flight body captures together may hold. Default 32 MiB. */
  maxBytes?: number;
}

export interface CaptureBudgetStats {
  maxBytes: number;
  /** Bytes held right now by in-flight captures. */
  heldBytes: number;
  /** Highest heldBytes seen since creation. */
  peakBytes: number;
  /** Chunks refused because the budget was exhausted (each stops its capture). */
  refusals: number;
}

/**
 * A byte budget shared by every in-flight body capture, so that 100 concurrent large responses
 * cannot hold 100 × the per-response cap. A capture reserves before it copies a chunk, and gives
 * everything back in a `finally` when its response finishes, closes or errors.
 */
export class CaptureBudget {
  readonly maxBytes: number;
  #held = 0;
  #peak = 0;
  #refusals = 0;

  constructor(options: CaptureBudgetOptions = {}) {
    this.maxBytes = check.number('captureBudget.maxBytes', options.maxBytes, {
      default: 32 * MiB,
      min: 0,
      integer: true,
    });
  }

  /** Reserves bytes when all of them fit; returns false (and counts a refusal) otherwise. */
  tryReserve(bytes: number): boolean {
    if (this.#held + bytes > this.maxBytes) {
      this.#refusals++;
      return false;
    }
    this.#held += bytes;
    if (this.#held > this.#peak) this.#peak = this.#held;
    return true;
  }

  release(bytes: number): void {
    this.#held = Math.max(0, this.#held - bytes);
  }

  get heldBytes(): number {
    return this.#held;
  }

  stats(): CaptureBudgetStats {
    return {
      maxBytes: this.maxBytes,
      heldBytes: this.#held,
      peakBytes: this.#peak,
      refusals: this.#refusals,
    };
  }
}

const GLOBAL_KEY = Symbol.for('@org/shared-middleware.captureBudget');

/**
 * The process-wide budget used when a logger is given none: one per process, even when two copies
 * of this package are loaded (it lives on globalThis under a registered symbol).
 */
export function globalCaptureBudget(): CaptureBudget {
  const holder = globalThis as { [GLOBAL_KEY]?: CaptureBudget };
  holder[GLOBAL_KEY] ??= new CaptureBudget();
  return holder[GLOBAL_KEY];
}
