/**
 * A double-ended queue on a growable ring buffer: O(1) amortised at both ends, no Array#shift or
 * Array#unshift, and popped slots are cleared so the queue never retains what it handed out.
 */
export class Deque<T> {
  #buffer: (T | undefined)[];
  #head = 0;
  #size = 0;

  constructor(initialCapacity = 16) {
    let capacity = 4;
    while (capacity < initialCapacity) capacity *= 2;
    this.#buffer = new Array<T | undefined>(capacity);
  }

  get size(): number {
    return this.#size;
  }

  pushBack(value: T): void {
    this.#ensureRoom();
    this.#buffer[(this.#head + this.#size) & (this.#buffer.length - 1)] = value;
    this.#size++;
  }

  pushFront(value: T): void {
    this.#ensureRoom();
    this.#head = (this.#head - 1) & (this.#buffer.length - 1);
    this.#buffer[this.#head] = value;
    this.#size++;
  }

  popFront(): T | undefined {
    if (this.#size === 0) return undefined;
    const value = this.#buffer[this.#head];
    this.#buffer[this.#head] = undefined;
    this.#head = (this.#head + 1) & (this.#buffer.length - 1);
    this.#size--;
    return value;
  }

  peekFront(): T | undefined {
    return this.#size === 0 ? undefined : this.#buffer[this.#head];
  }

  /** Removes everything; shrinks back to the initial capacity so a past burst is not retained. */
  clear(): void {
    this.#buffer = new Array<T | undefined>(16);
    this.#head = 0;
    this.#size = 0;
  }

  *[Symbol.iterator](): IterableIterator<T> {
    for (let i = 0; i < this.#size; i++) {
      yield this.#buffer[(this.#head + i) & (this.#buffer.length - 1)] as T;
    }
  }

  #ensureRoom(): void {
    if (this.#size < this.#buffer.length) return;
    const next = new Array<T | undefined>(this.#buffer.length * 2);
    for (let i = 0; i < this.#size; i++) next[i] = this.#buffer[(this.#head + i) & (this.#buffer.length - 1)];
    this.#buffer = next;
    this.#head = 0;
  }
}
