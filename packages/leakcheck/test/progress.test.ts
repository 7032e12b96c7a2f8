// The progress line: heartbeats at a steady interval in a log, one live line rewritten in place on a
// terminal, events printed above it; owned timer, nothing left running after close().

import { setTimeout as wait } from 'node:timers/promises';
import { activeResources, resourcesAddedSince } from '@org/shared-lifecycle/testing';
import { describe, expect, it } from 'vitest';
import { formatElapsed, ProgressLine } from '../src/progress.ts';

function sink(isTTY: boolean) {
  const writes: string[] = [];
  return { writes, stream: { isTTY, columns: 40, write: (t: string) => writes.push(t) } };
}

describe('ProgressLine', () => {
  it('prints a heartbeat line at its interval when the output is a log', async () => {
    const { writes, stream } = sink(false);
    let n = 0;
    const p = new ProgressLine({
      stream,
      prefix: 'x: ',
      intervalMs: 40,
      render: () => `beat ${++n}`,
    }).start();
    await wait(150);
    p.log('an event');
    await p.close();
    await p.close();
    expect(writes[0]).toBe('x: beat 1\n');
    expect(writes.filter((w) => w.startsWith('x: beat')).length).toBeGreaterThanOrEqual(2);
    expect(writes).toContain('x: an event\n');
    const after = writes.length;
    await wait(100);
    expect(writes.length).toBe(after);
  });

  it('rewrites one live line on a terminal, truncated to its width, and clears it for events and on close', async () => {
    const { writes, stream } = sink(true);
    const p = new ProgressLine({ stream, liveIntervalMs: 20, render: () => 'a'.repeat(100) }).start();
    expect(p.live).toBe(true);
    await wait(60);
    p.print('block\n');
    await p.close();
    expect(writes[0]).toBe(`\r\x1b[2K${'a'.repeat(38)}…`);
    expect(writes).toContain('block\n');
    expect(writes.at(-1)).toBe('\r\x1b[2K');
    expect(writes.some((w) => w.includes('\n') && w.includes('a'))).toBe(false);
  });

  it('reports a throwing render through its error channel and keeps going', async () => {
    const { stream } = sink(false);
    const errors: unknown[] = [];
    const p = new ProgressLine({
      stream,
      intervalMs: 20,
      onError: (e) => errors.push(e),
      render: () => {
        throw new Error('boom');
      },
    }).start();
    await wait(70);
    await p.close();
    expect(errors.length).toBeGreaterThanOrEqual(2);
  });

  it('rejects a bad interval with a typed error, and leaves no handle behind', async () => {
    expect(() => new ProgressLine({ render: () => '', intervalMs: 0 })).toThrow(
      expect.objectContaining({ code: 'ORG_LEAKCHECK_INVALID_OPTION' }),
    );
    const before = activeResources();
    const p = new ProgressLine({ stream: sink(false).stream, intervalMs: 10, render: () => '' }).start();
    await p.close();
    expect(resourcesAddedSince(before)).toEqual({});
  });

  it('formats elapsed time', () => {
    expect(formatElapsed(45_000)).toBe('45 s');
    expect(formatElapsed(725_000)).toBe('12m05s');
    expect(formatElapsed(3 * 3_600_000 + 7 * 60_000)).toBe('3h07m');
  });
});
