// The lines of one tick, joined and handed to the writer in one write, bounded like the writer.
import { MAX_BUFFERED_BYTES } from './outputs.js';

/**
 * Lines of one tick, joined and handed to sonic-boom in one write at the end of the tick. sonic-boom
 * measures its last buffer (Buffer.byteLength) on every write; one write per tick instead of per line
 * keeps a burst of lines linear. Bounded like the writer: past MAX_BUFFERED_BYTES lines are dropped.
 */
const CHUNK_CHARS = 16 * 1024;

export class LineBatch {
  #lines: string[] = [];
  #bytes = 0;
  #scheduled = false;
  readonly #sink: (text: string) => void;
  readonly #drop: () => void;
  readonly #flush = () => this.flush();
  constructor(sink: (text: string) => void, drop: () => void) {
    this.#sink = sink;
    this.#drop = drop;
  }

  push(line: string): void {
    if (this.#bytes + line.length > MAX_BUFFERED_BYTES) {
      this.#drop();
      return;
    }
    this.#lines.push(line);
    this.#bytes += line.length + 1;
    // A chunk of sonic-boom's own write size goes at once: the lines die young (cheap for the GC).
    if (this.#bytes >= CHUNK_CHARS) this.#sink(this.take()!);
    else if (!this.#scheduled) {
      this.#scheduled = true;
      process.nextTick(this.#flush);
    }
  }

  /** Takes what is batched (for a synchronous write at exit). */
  take(): string | undefined {
    if (this.#lines.length === 0) return undefined;
    const text = `${this.#lines.join('\n')}\n`;
    this.#lines = [];
    this.#bytes = 0;
    return text;
  }

  /** Hands what is batched to the writer now. */
  flush(): void {
    this.#scheduled = false;
    if (this.#lines.length === 0) return;
    const lines = this.#lines;
    this.#lines = [];
    this.#bytes = 0;
    this.#sink(`${lines.join('\n')}\n`);
  }
}
