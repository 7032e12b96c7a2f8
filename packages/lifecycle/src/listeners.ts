// biome-ignore lint/suspicious/noExplicitAny: EventEmitter's own listener type; `unknown[]` would not accept it.
type AnyListener = (...args: any[]) => void;

/** Anything with on/off in the style of EventEmitter (pg clients, sockets, knex, pools). */
export interface ListenerTarget {
  on(event: string | symbol, listener: AnyListener): unknown;
  off?(event: string | symbol, listener: AnyListener): unknown;
  removeListener?(event: string | symbol, listener: AnyListener): unknown;
}

/**
 * Keeps every listener it adds by reference, so that removeAll() takes off exactly those, and
 * nothing added per connection or per call outlives its owner.
 */
export class ListenerGroup {
  #entries: { target: ListenerTarget; event: string | symbol; listener: AnyListener }[] = [];

  on<A extends unknown[]>(
    target: ListenerTarget,
    event: string | symbol,
    listener: (...args: A) => void,
  ): this {
    const stored = listener as AnyListener;
    target.on(event, stored);
    this.#entries.push({ target, event, listener: stored });
    return this;
  }

  get size(): number {
    return this.#entries.length;
  }

  /** Removes the listeners added on one target (a connection that went away). */
  removeFrom(target: ListenerTarget): void {
    this.#entries = this.#entries.filter((entry) => {
      if (entry.target !== target) return true;
      detach(entry.target, entry.event, entry.listener);
      return false;
    });
  }

  removeAll(): void {
    const entries = this.#entries;
    this.#entries = [];
    for (const { target, event, listener } of entries) detach(target, event, listener);
  }
}

function detach(target: ListenerTarget, event: string | symbol, listener: AnyListener): void {
  if (target.off) target.off(event, listener);
  else target.removeListener?.(event, listener);
}
