/**
 * Leak-assertion helpers for tests and leak checks (import from '@org/shared-lifecycle/testing').
 * They need --expose-gc for the collection checks (the test task's .node-options line has it).
 */
import { setImmediate as tick } from 'node:timers/promises';

/** Counts of process.getActiveResourcesInfo() by type. */
export function activeResources(): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const type of process.getActiveResourcesInfo()) counts[type] = (counts[type] ?? 0) + 1;
  return counts;
}

/** Types whose count grew from `before` to now, with the growth; {} when nothing is left behind. */
export function resourcesAddedSince(before: Record<string, number>): Record<string, number> {
  const added: Record<string, number> = {};
  for (const [type, count] of Object.entries(activeResources())) {
    const delta = count - (before[type] ?? 0);
    if (delta > 0) added[type] = delta;
  }
  return added;
}

function requireGc(): () => void {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (typeof gc !== 'function')
    throw new Error('run with --expose-gc (see .node-options) to check collection');
  return gc;
}

/**
 * Runs full GCs, each at the start of a new event-loop turn: WeakRef targets created or deref'd in a
 * job are kept alive until that job ends, so a gc() in the same job cannot collect them.
 */
export async function collectGarbage(rounds = 3): Promise<void> {
  const gc = requireGc();
  for (let i = 0; i < rounds; i++) {
    await tick();
    gc();
  }
}

/** True when every referent is collected within a few GC rounds. */
export async function isCollected(
  refs: WeakRef<object> | readonly WeakRef<object>[],
  rounds = 10,
): Promise<boolean> {
  const list = Array.isArray(refs) ? refs : [refs as WeakRef<object>];
  for (let i = 0; i < rounds; i++) {
    await collectGarbage(1);
    // deref() keeps a live target until the end of this job; the next round starts in a new one.
    if (list.every((ref) => ref.deref() === undefined)) return true;
  }
  return false;
}

/** Codes (keys of a catalogue) that a README does not mention, for a docs-in-step test. */
export function undocumentedCodes(readme: string, codes: Iterable<string>): string[] {
  return [...codes].filter((code) => !readme.includes(code));
}

/**
 * Polls `check` until it returns a truthy value (returned) or the timeout passes (rejects with `what`
 * and the last value). The wait uses unref'd timers.
 */
export async function waitFor<T>(
  check: () => T | Promise<T>,
  {
    timeoutMs = 5000,
    intervalMs = 10,
    what = 'condition',
  }: { timeoutMs?: number; intervalMs?: number; what?: string } = {},
): Promise<T> {
  const deadline = performance.now() + timeoutMs;
  let last: T | undefined;
  for (;;) {
    last = await check();
    if (last) return last;
    if (performance.now() >= deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what} (last: ${String(last)})`);
    }
    await new Promise<void>((resolve) => setTimeout(resolve, intervalMs).unref());
  }
}
