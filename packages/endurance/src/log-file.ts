/**
 * A service's log as the report keeps it, bounded: the first `headBytes` as they come (start-up,
 * the first faults), then only the last `tailBytes` (held in memory, written at the end after a line
 * saying how much was left out). A 24-hour run at info level writes gigabytes; the report keeps ≤ 10 MB.
 */
import { createWriteStream, type WriteStream } from 'node:fs';

export class BoundedLog {
  readonly #out: WriteStream;
  readonly #headBytes: number;
  readonly #tailBytes: number;
  #written = 0;
  readonly #tail: Buffer[] = [];
  #tailSize = 0;
  #leftOut = 0;
  #ended = false;

  constructor(file: string, options: { headBytes?: number; tailBytes?: number } = {}) {
    this.#out = createWriteStream(file);
    this.#out.on('error', () => {}); // a full disk must not take the run down; the log is evidence, not the verdict
    this.#headBytes = options.headBytes ?? 8 * 1024 * 1024;
    this.#tailBytes = options.tailBytes ?? 2 * 1024 * 1024;
  }

  write(chunk: Buffer): void {
    if (this.#ended) return;
    if (this.#written < this.#headBytes) {
      this.#out.write(chunk);
      this.#written += chunk.length;
      return;
    }
    this.#tail.push(chunk);
    this.#tailSize += chunk.length;
    while (this.#tailSize > this.#tailBytes && this.#tail.length > 1) {
      const dropped = this.#tail.shift()!;
      this.#tailSize -= dropped.length;
      this.#leftOut += dropped.length;
    }
  }

  /** Writes the tail and closes the file. Idempotent. */
  end(): Promise<void> {
    if (this.#ended) return Promise.resolve();
    this.#ended = true;
    if (this.#leftOut > 0)
      this.#out.write(
        `\n[… ${this.#leftOut} bytes of log left out: the report keeps the first and the last part …]\n`,
      );
    for (const chunk of this.#tail.splice(0)) this.#out.write(chunk);
    return new Promise((resolve) => this.#out.end(resolve));
  }
}
