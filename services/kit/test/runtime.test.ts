import { describe, expect, it, vi } from 'vitest';
import { ServiceRuntime } from '../src/index.js';

function runtime(windowMs = 1000) {
  const lines: string[] = [];
  const exits: number[] = [];
  const order: string[] = [];
  const rt = new ServiceRuntime({
    shutdownTimeoutMs: 5000,
    duplicateSignalWindowMs: windowMs,
    log: (message) => lines.push(message),
    exit: (code) => exits.push(code),
    finally: async () => {
      order.push('finally');
    },
  });
  return { rt, lines, exits, order };
}

describe('ServiceRuntime', () => {
  it('closes in reverse order, then runs finally after "shutdown finished", and exits 0 on a signal', async () => {
    const { rt, lines, exits, order } = runtime();
    rt.register('first', () => {
      order.push('first');
    });
    rt.register('second', async () => {
      order.push('second');
    });
    const listeners = process.listenerCount('SIGTERM');
    rt.start();
    expect(process.listenerCount('SIGTERM')).toBe(listeners + 1);
    process.emit('SIGTERM', 'SIGTERM');
    await vi.waitFor(() => expect(exits).toEqual([0]));
    expect(order).toEqual(['second', 'first', 'finally']);
    expect(lines.indexOf('shutdown finished')).toBeGreaterThan(-1);
    expect(process.listenerCount('SIGTERM')).toBe(listeners);
  });

  it('ignores the same signal delivered twice (terminal + wrapper), and forces 130 on a later one', async () => {
    const { rt, lines, exits } = runtime(200);
    let release: () => void = () => {};
    rt.register('slow', () => new Promise<void>((resolve) => (release = resolve)));
    rt.start();
    process.emit('SIGINT', 'SIGINT');
    process.emit('SIGINT', 'SIGINT');
    await new Promise((r) => setTimeout(r, 50));
    expect(exits).toEqual([]);
    await new Promise((r) => setTimeout(r, 250));
    process.emit('SIGINT', 'SIGINT');
    expect(exits).toEqual([130]);
    expect(lines).toContain('second signal: forcing exit');
    release();
    await rt.shutdown('cleanup');
  });

  it('reports a failed step with exit code 1 and still runs finally', async () => {
    const { rt, order } = runtime();
    rt.register('broken', () => {
      throw new Error('boom');
    });
    const result = await rt.shutdown('test');
    expect(result.code).toBe(1);
    expect(result.steps[0]).toMatchObject({ name: 'broken', ok: false });
    expect(order).toEqual(['finally']);
  });
});
