import { Writable } from 'node:stream';
import { setImmediate as tick } from 'node:timers/promises';
import type { ErrorReporter } from '@org/shared-lifecycle';

/** Polls cond on real event-loop turns (works under fake timers too) until true or the deadline. */
export async function waitFor(cond: () => boolean, what: string, timeoutMs = 10_000): Promise<void> {
  const start = performance.now();
  while (!cond()) {
    if (performance.now() - start > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await new Promise<void>((resolve) => globalThis.setImmediate(resolve));
    await tick();
  }
}

/** An ErrorReporter that keeps what it gets. */
export function collectingReporter(): ErrorReporter & {
  errors: { error: unknown; code: string | undefined }[];
} {
  const errors: { error: unknown; code: string | undefined }[] = [];
  const reporter = ((error: unknown) => {
    errors.push({ error, code: (error as { code?: string }).code });
  }) as unknown as ErrorReporter & { errors: typeof errors };
  reporter.errors = errors;
  return reporter;
}

/** A stream that keeps the JSON lines written to it. */
export function captureStream(): Writable & { lines: () => Record<string, unknown>[]; text: () => string } {
  let text = '';
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      text += chunk.toString();
      callback();
    },
  }) as Writable & { lines: () => Record<string, unknown>[]; text: () => string };
  stream.text = () => text;
  stream.lines = () =>
    text
      .split('\n')
      .filter((line) => line.trim() !== '')
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  return stream;
}

/** Sum of the dropped counters of a transport stats snapshot. */
export function droppedTotal(dropped: Record<string, number>): number {
  return Object.values(dropped).reduce((a, b) => a + b, 0);
}
