/**
 * The package's own outputs (stdout, a stream, a rotating file): each entry is formatted once and
 * written here directly, not through winston's stream pipeline. Files and stdout go through
 * sonic-boom (pino's destination: one fs.write per batch of lines instead of per line, EAGAIN retried
 * on pipes, a synchronous flush for process exit).
 */
import { appendFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { type ErrorReporter, report } from '@org/shared-lifecycle';
import sonicBoom from 'sonic-boom';
import { LoggerError } from './errors.js';

// CommonJS: the default import is module.exports, which is the class and also carries it as `default`.
const SonicBoom = sonicBoom.default;
type SonicBoom = InstanceType<typeof SonicBoom>;

export interface Output {
  /** Its own level, or undefined for the logger's. */
  readonly level: string | undefined;
  /** Human-readable lines instead of ECS JSON. */
  readonly pretty: boolean;
  /** Writes one line (without its newline). Never throws. */
  write(line: string): void;
  /** Writes out what is buffered and releases the output; resolves early when `signal` aborts. */
  close(signal: AbortSignal): Promise<void>;
  /** Lines refused because the output's buffer was full. */
  readonly dropped: number;
}

/** Unwritten bytes one sonic-boom may hold before it drops lines (a stdout nobody reads). */
const MAX_BUFFERED_BYTES = 64 * 1024 * 1024;

// ---------------------------------------------------------------- flush on exit
/** What must be written out synchronously if the process exits while lines are buffered. */
const live = new Set<{ flushSync(): void }>();
let exitHooked = false;
function flushAllSync(): void {
  for (const output of live) {
    try {
      output.flushSync();
    } catch {
      // Exiting: nothing left to tell.
    }
  }
}
function ensureExitHook(): void {
  if (!exitHooked) {
    exitHooked = true;
    process.on('exit', flushAllSync);
  }
}
function releaseExitHook(): void {
  if (exitHooked && live.size === 0) {
    exitHooked = false;
    process.off('exit', flushAllSync);
  }
}
/**
 * At exit: what sonic-boom holds, then `text`, written synchronously (sonic-boom's flushSync retries
 * EAGAIN on a non-blocking pipe). The minimum length keeps write() from starting an asynchronous write
 * that the exiting process would never finish. False when the writer never opened (nothing written).
 */
function exitFlush(sonic: SonicBoom, text: string | undefined): boolean {
  if (fdOf(sonic) < 0) return false;
  (sonic as unknown as { minLength: number }).minLength = Number.MAX_SAFE_INTEGER;
  if (text !== undefined) sonic.write(text);
  sonic.flushSync();
  return true;
}

/** Resolves once sonic-boom has nothing in flight or buffered (or on error, or when signal aborts). */
function drained(sonic: SonicBoom, signal: AbortSignal): Promise<void> {
  const internals = sonic as unknown as { _writing: boolean; _len: number };
  if (!internals._writing && internals._len === 0) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const done = () => {
      sonic.off('drain', done);
      sonic.off('error', done);
      signal.removeEventListener('abort', done);
      resolve();
    };
    sonic.on('drain', done);
    sonic.on('error', done);
    signal.addEventListener('abort', done, { once: true });
  });
}

/**
 * Reports an output failure: at most once a minute per error channel and output (a closed pipe fails
 * every write; one line on stderr per log call would be a flood).
 */
function outputError(onError: ErrorReporter, target: string, error: unknown): void {
  let targets = lastReported.get(onError);
  if (targets === undefined) {
    targets = new Map();
    lastReported.set(onError, targets);
  }
  const now = Date.now();
  const last = targets.get(target);
  if (last !== undefined && now - last < REPORT_INTERVAL_MS) return;
  targets.set(target, now);
  report(
    onError,
    new LoggerError('ORG_LOGGER_OUTPUT_FAILED', `writing log lines to ${target} failed`, { cause: error }),
    { source: 'logger.output' },
  );
}
const REPORT_INTERVAL_MS = 60_000;
const lastReported = new WeakMap<ErrorReporter, Map<string, number>>();

/** Counts and reports (the first of) the lines a sonic-boom refused because its buffer was full. */
class DropCounter {
  dropped = 0;
  readonly onError: ErrorReporter;
  readonly target: string;
  constructor(onError: ErrorReporter, target: string) {
    this.onError = onError;
    this.target = target;
  }
  drop(): void {
    if (this.dropped++ === 0) {
      report(
        this.onError,
        new LoggerError('ORG_LOGGER_OUTPUT_DROPPED', `${this.target} is not keeping up; lines are dropped`, {
          details: { maxBufferedBytes: MAX_BUFFERED_BYTES },
        }),
        { source: 'logger.output' },
      );
    }
  }
}

/**
 * Lines of one tick, joined and handed to sonic-boom in one write at the end of the tick. sonic-boom
 * measures its last buffer (Buffer.byteLength) on every write; one write per tick instead of per line
 * keeps a burst of lines linear. Bounded like the writer: past MAX_BUFFERED_BYTES lines are dropped.
 */
const CHUNK_CHARS = 16 * 1024;

class LineBatch {
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

function writeText(sonic: SonicBoom, text: string, onError: ErrorReporter, target: string): void {
  try {
    sonic.write(text);
  } catch (error) {
    outputError(onError, target, error);
  }
}

// ---------------------------------------------------------------- a file descriptor (stdout, stderr…)
// One writer per descriptor however many loggers a process has, so that their lines never interleave
// inside a write. Its errors and drops go to every logger using it.
interface SharedFd {
  sonic: SonicBoom;
  batch: LineBatch;
  users: Set<FdOutput>;
  flusher: { flushSync(): void };
}
const sharedFds = new Map<number, SharedFd>();

function fdName(fd: number): string {
  return fd === 1 ? 'stdout' : fd === 2 ? 'stderr' : `file descriptor ${fd}`;
}

function sharedFd(fd: number): SharedFd {
  let shared = sharedFds.get(fd);
  if (shared === undefined) {
    const sonic = new SonicBoom({ fd, sync: false, maxLength: MAX_BUFFERED_BYTES });
    const users = new Set<FdOutput>();
    const drop = () => {
      for (const user of users) user.counter.drop();
    };
    const batch = new LineBatch((text) => {
      try {
        sonic.write(text);
      } catch (error) {
        for (const user of users) outputError(user.onError, fdName(fd), error);
      }
    }, drop);
    sonic.on('error', (error: unknown) => {
      for (const user of users) outputError(user.onError, fdName(fd), error);
    });
    sonic.on('drop', drop);
    const flusher = { flushSync: () => exitFlush(sonic, batch.take()) };
    live.add(flusher);
    ensureExitHook();
    shared = { sonic, batch, users, flusher };
    sharedFds.set(fd, shared);
  }
  return shared;
}

class FdOutput implements Output {
  readonly counter: DropCounter;
  readonly #fd: number;
  readonly #shared: SharedFd;
  readonly level: string | undefined;
  readonly pretty: boolean;
  readonly onError: ErrorReporter;
  constructor(fd: number, level: string | undefined, pretty: boolean, onError: ErrorReporter) {
    this.#fd = fd;
    this.level = level;
    this.pretty = pretty;
    this.onError = onError;
    this.counter = new DropCounter(onError, fdName(fd));
    this.#shared = sharedFd(fd);
    this.#shared.users.add(this);
  }

  get dropped(): number {
    return this.counter.dropped;
  }

  write(line: string): void {
    this.#shared.batch.push(line);
  }

  async close(signal: AbortSignal): Promise<void> {
    const shared = this.#shared;
    if (!shared.users.has(this)) return;
    shared.batch.flush();
    await drained(shared.sonic, signal);
    shared.users.delete(this);
    // The descriptor itself stays open (stdout is not ours); its writer goes with its last logger.
    if (shared.users.size === 0 && sharedFds.get(this.#fd) === shared) {
      sharedFds.delete(this.#fd);
      live.delete(shared.flusher);
      releaseExitHook();
      shared.sonic.removeAllListeners();
    }
  }
}

/** Lines to a file descriptor this logger does not own (1: stdout, 2: stderr). */
export function fdOutput(
  fd: number,
  level: string | undefined,
  pretty: boolean,
  onError: ErrorReporter,
): Output {
  return new FdOutput(fd, level, pretty, onError);
}

// ---------------------------------------------------------------- a rotating file
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

/** The descriptor (-1 until the file is open); sonic-boom's types leave it out. */
function fdOf(sonic: SonicBoom): number {
  return (sonic as unknown as { fd: number }).fd;
}

/** sonic.end(), or `closed()` at once when it cannot end (never opened, already destroyed). */
function endQuietly(sonic: SonicBoom, closed: () => void): void {
  if (fdOf(sonic) < 0 && !(sonic as unknown as { _opening: boolean })._opening) {
    try {
      sonic.destroy();
    } catch {
      // already destroyed
    }
    closed();
    return;
  }
  try {
    sonic.end();
  } catch {
    closed();
  }
}

export function fileOutput(options: FileOutputOptions): Output {
  return new FileOutput(options);
}

// ---------------------------------------------------------------- a caller's stream
class StreamOutput implements Output {
  dropped = 0;
  readonly #stream: NodeJS.WritableStream;
  readonly #onError: (error: unknown) => void;
  readonly level: string | undefined;
  readonly pretty: boolean;
  constructor(
    level: string | undefined,
    pretty: boolean,
    stream: NodeJS.WritableStream,
    onError: ErrorReporter,
  ) {
    this.level = level;
    this.pretty = pretty;
    this.#stream = stream;
    this.#onError = (error) => outputError(onError, 'the console stream', error);
    stream.on('error', this.#onError);
  }

  write(line: string): void {
    try {
      this.#stream.write(`${line}\n`);
    } catch (error) {
      this.#onError(error);
    }
  }

  async close(): Promise<void> {
    // The stream is the caller's: it stays open. Its error listener goes.
    this.#stream.removeListener('error', this.#onError);
  }
}

export function streamOutput(
  level: string | undefined,
  pretty: boolean,
  stream: NodeJS.WritableStream,
  onError: ErrorReporter,
): Output {
  return new StreamOutput(level, pretty, stream, onError);
}
