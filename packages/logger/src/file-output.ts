// Lines to a file that rotates by size, keeping at most maxFiles files.
import { appendFileSync, renameSync, rmSync, statSync } from 'node:fs';
import type { ErrorReporter } from '@org/shared-lifecycle';
import { LineBatch } from './line-batch.js';
import {
  endQuietly,
  ensureExitHook,
  exitFlush,
  live,
  releaseExitHook,
  SonicBoom,
  writeText,
} from './output-writer.js';
import { DropCounter, MAX_BUFFERED_BYTES, type Output, outputError } from './outputs.js';

export interface FileOutputOptions {
  filename: string;
  maxSizeBytes: number;
  maxFiles: number;
  level: string | undefined;
  onError: ErrorReporter;
}

/**
 * A file that rotates by size: when a line would take it past maxSizeBytes, `app.log` becomes
 * `app1.log`, `app1.log` becomes `app2.log`… and at most maxFiles files are kept (the newest is always
 * the configured name, as winston's tailable File transport does).
 *
 * Writes are asynchronous, so a rotation cannot rename the file under lines still buffered for it: the
 * current writer is ended (it writes out what it holds and closes), lines logged meanwhile wait in
 * memory (within the same 64 MiB cap), and once it has closed the files are renamed and a new writer
 * opens the configured name.
 */
class FileOutput implements Output {
  readonly pretty = false;
  readonly level: string | undefined;
  readonly #counter: DropCounter;
  readonly #options: FileOutputOptions;
  #sonic: SonicBoom;
  /** Bytes in the current generation (written or waiting). */
  #size = 0;
  /** Generations of lines waiting for a rotation to finish, oldest first; empty when not rotating. */
  readonly #pending: string[][] = [];
  #pendingBytes = 0;
  #idle: (() => void) | undefined;
  #closing: Promise<void> | undefined;
  readonly #flusher = { flushSync: () => this.#flushSync() };
  readonly #batch = new LineBatch(
    (text) => writeText(this.#sonic, text, this.#options.onError, this.#options.filename),
    () => this.#counter.drop(),
  );

  constructor(options: FileOutputOptions) {
    this.#options = options;
    this.level = options.level;
    this.#counter = new DropCounter(options.onError, options.filename);
    try {
      this.#size = statSync(options.filename).size; // appending to what is there
    } catch {
      this.#size = 0;
    }
    this.#sonic = this.#open();
    live.add(this.#flusher);
    ensureExitHook();
  }

  get dropped(): number {
    return this.#counter.dropped;
  }

  #open(): SonicBoom {
    const sonic = new SonicBoom({
      dest: this.#options.filename,
      sync: false,
      mkdir: true,
      append: true,
      maxLength: MAX_BUFFERED_BYTES,
    });
    sonic.on('error', (error: unknown) => outputError(this.#options.onError, this.#options.filename, error));
    sonic.on('drop', () => this.#counter.drop());
    return sonic;
  }

  write(line: string): void {
    const bytes = line.length + 1; // UTF-16 units: a cheap estimate, exact for ASCII
    if (this.#size + bytes > this.#options.maxSizeBytes && this.#size > 0) this.#rotate();
    this.#size += bytes;
    if (this.#pending.length === 0) {
      this.#batch.push(line);
    } else if (this.#pendingBytes + bytes > MAX_BUFFERED_BYTES) {
      this.#counter.drop();
    } else {
      this.#pending.at(-1)!.push(line);
      this.#pendingBytes += bytes;
    }
  }

  #rotate(): void {
    this.#batch.flush(); // the lines before the cut go to the file being closed
    this.#size = 0;
    this.#pending.push([]);
    if (this.#pending.length === 1) this.#endCurrent();
  }

  /** Ends the current writer; when it has closed, renames the files and opens the next generation. */
  #endCurrent(): void {
    const sonic = this.#sonic;
    let done = false;
    const next = () => {
      if (done) return;
      done = true;
      this.#shiftFiles();
      const generation = this.#pending.shift() ?? [];
      this.#sonic = this.#open();
      for (const line of generation) this.#pendingBytes -= line.length + 1;
      if (generation.length > 0) {
        writeText(this.#sonic, `${generation.join('\n')}\n`, this.#options.onError, this.#options.filename);
      }
      if (this.#pending.length > 0) this.#endCurrent();
      else this.#idle?.();
    };
    sonic.once('close', next);
    sonic.once('error', next);
    endQuietly(sonic, next);
  }

  #shiftFiles(): void {
    const { filename, maxFiles } = this.#options;
    const dot = filename.lastIndexOf('.');
    const slash = Math.max(filename.lastIndexOf('/'), filename.lastIndexOf('\\'));
    const [base, ext] = dot > slash ? [filename.slice(0, dot), filename.slice(dot)] : [filename, ''];
    const nth = (n: number) => (n === 0 ? filename : `${base}${n}${ext}`);
    try {
      rmSync(nth(maxFiles - 1), { force: true });
      for (let n = maxFiles - 2; n >= 0; n--) {
        try {
          renameSync(nth(n), nth(n + 1));
        } catch (error) {
          if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
        }
      }
    } catch (error) {
      outputError(this.#options.onError, filename, error);
    }
  }

  /** At exit: what the writer holds, then the waiting lines, synchronously (rotation skipped). */
  #flushSync(): void {
    const text = this.#batch.take();
    if (!exitFlush(this.#sonic, text) && text !== undefined) appendFileSync(this.#options.filename, text);
    if (this.#pending.length > 0) {
      const waiting = this.#pending.flat().join('\n');
      this.#pending.length = 0;
      if (waiting !== '') appendFileSync(this.#options.filename, `${waiting}\n`);
    }
  }

  close(signal: AbortSignal): Promise<void> {
    this.#closing ??= (async () => {
      this.#batch.flush();
      if (this.#pending.length > 0) {
        await new Promise<void>((resolve) => {
          this.#idle = resolve;
          signal.addEventListener('abort', () => resolve(), { once: true });
        });
      }
      const sonic = this.#sonic;
      await new Promise<void>((resolve) => {
        const done = () => {
          signal.removeEventListener('abort', abort);
          resolve();
        };
        const abort = () => {
          try {
            sonic.destroy();
          } catch {
            // already closed
          }
          done();
        };
        if (signal.aborted) return abort();
        sonic.once('close', done);
        sonic.once('error', done);
        signal.addEventListener('abort', abort, { once: true });
        endQuietly(sonic, done);
      });
      live.delete(this.#flusher);
      releaseExitHook();
    })();
    return this.#closing;
  }
}

export function fileOutput(options: FileOutputOptions): Output {
  return new FileOutput(options);
}
