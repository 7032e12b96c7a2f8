/** Anything with on/off in the style of EventEmitter (pg clients, sockets, knex, pools). */
export interface ListenerTarget {
  on(event: string | symbol, listener: (...args: never[]) => void): unknown;
  off?(event: string | symbol, listener: (...args: never[]) => void): unknown;
  removeListener?(event: string | symbol, listener: (...args: never[]) => void): unknown;
}

/**
 * Keeps every listener it adds by reference, so that removeAll() takes off exactly those, and
 * nothing added per connection or per call outlives its owner.
 */
export class ListenerGroup {
  #entries: { target: ListenerTarget; event: string | symbol; listener: (...args: never[]) => void }[] = [];

  on<A extends unknown[]>(target: ListenerTarget, event: string | symbol, listener: (...args: A) => void): this {
    const stored = listener as unknown as (...args: never[]) => void;
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

function detach(target: ListenerTarget, event: string | symbol, listener: (...args: never[]) => void): void {
  if (target.off) target.off(event, listener);
  else target.removeListener?.(event, listener);
}
