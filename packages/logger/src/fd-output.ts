// Lines to a file descriptor the logger does not own (stdout, stderr…), one shared writer per descriptor.
import type { ErrorReporter } from '@org/shared-lifecycle';
import { LineBatch } from './line-batch.js';
import { drained, ensureExitHook, exitFlush, live, releaseExitHook, SonicBoom } from './output-writer.js';
import { DropCounter, MAX_BUFFERED_BYTES, type Output, outputError } from './outputs.js';

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
