import { sleep } from '@org/shared-lifecycle';
import { activeResources, resourcesAddedSince } from '@org/shared-lifecycle/testing';
import { beforeAll, describe, expect, it, vi } from 'vitest';
import { createService } from '../src/index.js';
import { harnessDatabase, logCollector } from '../src/testing.js';

let databaseUrl: string;
beforeAll(async () => {
  databaseUrl = (await harnessDatabase('service_shutdown')).primary;
});

/** A service with signal handlers and a recorded exit; `parts` are the service's own steps. */
async function start(shutdownTimeoutMs: number, parts: Record<string, () => Promise<void>> = {}) {
  const logs = logCollector();
  const exits: number[] = [];
  const service = await createService({
    name: 'shutdown-test',
    version: '0.0.0',
    database: true,
    env: { PORT: '0', DATABASE_URL: databaseUrl, SHUTDOWN_TIMEOUT_MS: String(shutdownTimeoutMs) },
    logStream: logs.stream,
    exit: (code) => exits.push(code),
  });
  for (const [name, close] of Object.entries(parts)) service.register(name, close);
  await service.listen();
  const messages = () => logs.entries().map((e) => String(e.message));
  const closed = () => logs.entries().flatMap((e) => (e.message === 'closed' ? [String(e.step)] : []));
  return { service, exits, messages, closed, logs };
}

describe('shutdown (the lifecycle ShutdownCoordinator, installed by listen())', () => {
  it('on SIGTERM closes in reverse order (the memory guard through its close()), then the logger, exits 0, leaves nothing behind', async () => {
    const listeners = process.listenerCount('SIGTERM');
    const before = activeResources();
    const { exits, messages, closed } = await start(5000, { 'own-part': async () => {} });
    expect(process.listenerCount('SIGTERM')).toBe(listeners + 1);
    process.emit('SIGTERM', 'SIGTERM');
    await vi.waitFor(() => expect(exits).toEqual([0]), { timeout: 5000 });
    expect(closed()).toEqual(['drain', 'http', 'own-part', 'memory-guard', 'database', 'metrics']);
    expect(messages().at(-1)).toBe('shutdown finished');
    expect(process.listenerCount('SIGTERM')).toBe(listeners);
    await sleep(50);
    // The guard's sampling timer is gone: it was closed, not called as a middleware.
    expect(resourcesAddedSince(before)).toEqual({});
  });

  it('takes a Ctrl-C delivered twice (terminal + npm/org-task) as one stop', async () => {
    let closes = 0;
    const { exits, messages } = await start(5000, {
      slow: async () => {
        closes++;
        await sleep(200);
      },
    });
    process.emit('SIGINT', 'SIGINT');
    await sleep(50);
    process.emit('SIGINT', 'SIGINT');
    await vi.waitFor(() => expect(exits).toEqual([0]), { timeout: 5000 });
    expect(closes).toBe(1);
    expect(messages()).not.toContain('second signal: forcing exit');
    expect(messages().filter((m) => m === 'shutdown started')).toHaveLength(1);
  });

  it('exits 1 when the whole shutdown passes SHUTDOWN_TIMEOUT_MS, though no single step does', async () => {
    const started = performance.now();
    const { service, exits, messages, closed } = await start(500, {
      second: () => sleep(300),
      first: () => sleep(300),
    });
    process.emit('SIGTERM', 'SIGTERM');
    await vi.waitFor(() => expect(exits).toEqual([1]), { timeout: 5000 });
    // The total deadline bounds every step: the one running at 500 ms and those after it are cut.
    expect(performance.now() - started).toBeLessThan(2000);
    expect(messages()).toContain('shutdown deadline passed');
    expect(closed()).toContain('database');
    const result = await service.close();
    expect(result.code).toBe(1);
    expect(result.steps.find((s) => s.name === 'first')).toMatchObject({ ok: true });
    expect(result.steps.find((s) => s.name === 'second')).toMatchObject({ ok: false });
  });
});
