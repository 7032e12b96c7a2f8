// sonic-boom, the writer under stdout and the files: the synchronous flush at process exit, waiting for a drain, ending quietly.
import type { ErrorReporter } from '@org/shared-lifecycle';
import sonicBoom from 'sonic-boom';
import { outputError } from './outputs.js';

// CommonJS: the default import is module.exports, which is the class and also carries it as `default`.
export const SonicBoom = sonicBoom.default;
export type SonicBoom = InstanceType<typeof SonicBoom>;

/** What must be written out synchronously if the process exits while lines are buffered. */
export const live = new Set<{ flushSync(): void }>();
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
export function ensureExitHook(): void {
  if (!exitHooked) {
    exitHooked = true;
    process.on('exit', flushAllSync);
  }
}
export function releaseExitHook(): void {
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
export function exitFlush(sonic: SonicBoom, text: string | undefined): boolean {
  if (fdOf(sonic) < 0) return false;
  (sonic as unknown as { minLength: number }).minLength = Number.MAX_SAFE_INTEGER;
  if (text !== undefined) sonic.write(text);
  sonic.flushSync();
  return true;
}

/** Resolves once sonic-boom has nothing in flight or buffered (or on error, or when signal aborts). */
export function drained(sonic: SonicBoom, signal: AbortSignal): Promise<void> {
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

export function writeText(sonic: SonicBoom, text: string, onError: ErrorReporter, target: string): void {
  try {
    sonic.write(text);
  } catch (error) {
    outputError(onError, target, error);
  }
}

/** The descriptor (-1 until the file is open); sonic-boom's types leave it out. */
function fdOf(sonic: SonicBoom): number {
  return (sonic as unknown as { fd: number }).fd;
}

/** sonic.end(), or `closed()` at once when it cannot end (never opened, already destroyed). */
export function endQuietly(sonic: SonicBoom, closed: () => void): void {
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
