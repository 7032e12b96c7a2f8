// Two cases of the transport's window (npm run bench runs them after the throughput case):
// - pushback: docs/s delivered to a cluster that answers one item in three with 429, against a healthy
//   one, in interleaved rounds: AIMD pushback must not collapse delivery (target: at least half).
// - burst: a producer faster than delivery (100 entries per event-loop turn), every _bulk answered after
//   10 ms, default caps: the window fills (the peak of requests in flight) and what it costs in drops.
import { setImmediate as tick } from 'node:timers/promises';
import { type EsTestServer, startEsTestServer } from '@org/es-test-server';
import { createLogger } from '@org/shared-logger';
import type { Contestant } from './contestants.ts';
import { entry } from './entry.ts';

export interface Run {
  docsPerSecond: number;
  delivered: number;
  dropped: number;
  peakRequestsInFlight: number;
  requests: number;
  retries: number;
  elapsedMs: number;
}

const quiet = () => {};

/** Logs n entries (yielding every `yieldEvery`) and waits until they are settled or the time is up. */
export async function deliver(
  server: EsTestServer,
  n: number,
  options: { maxBufferedEntries?: number; timeoutMs: number; yieldEvery: number },
  make: typeof createLogger = createLogger,
): Promise<Run> {
  server.reset();
  const logger = make({
    service: { name: 'bench', version: '1.0.0', environment: 'bench' },
    level: 'info',
    console: false,
    onError: quiet,
    elasticsearch: {
      node: server.url,
      ...(options.maxBufferedEntries
        ? {
            maxBufferedEntries: options.maxBufferedEntries,
            maxBufferedBytes: options.maxBufferedEntries * 4096,
          }
        : {}),
    },
  });
  const transport = logger.elasticsearch!;
  const started = performance.now();
  for (let i = 0; i < n; i++) {
    logger.info('request handled', entry(i));
    if (i % options.yieldEvery === options.yieldEvery - 1) await tick();
  }
  const settled = () => {
    const s = transport.stats();
    return s.buffered + s.inFlight === 0 && s.logged === n;
  };
  while (!settled() && performance.now() - started < options.timeoutMs) {
    await new Promise((resolve) => setTimeout(resolve, 2));
  }
  const elapsedMs = performance.now() - started;
  const s = transport.stats();
  await logger.shutdown({ timeoutMs: 2000 });
  const dropped = Object.values(s.dropped).reduce((a, b) => a + b, 0);
  return {
    docsPerSecond: (server.received / elapsedMs) * 1000,
    delivered: server.received,
    dropped,
    peakRequestsInFlight: s.peakRequestsInFlight ?? Number.NaN,
    requests: s.requests,
    retries: s.retries,
    elapsedMs,
  };
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

export async function pushback(n: number, rounds: number): Promise<{ healthy: Run; pushback: Run }> {
  const healthyServer = await startEsTestServer({ storeDocs: false, idOf: () => undefined });
  const busyServer = await startEsTestServer({ storeDocs: false, idOf: () => undefined });
  const healthy: Run[] = [];
  const busy: Run[] = [];
  try {
    for (let round = 0; round < rounds; round++) {
      // A buffer that holds the whole run: the figure is delivery speed, not what a full buffer drops.
      healthy.push(
        await deliver(healthyServer, n, { maxBufferedEntries: n, timeoutMs: 60_000, yieldEvery: 100 }),
      );
      busyServer.setFault({ kind: 'items', status: 429, every: 3 });
      busy.push(await deliver(busyServer, n, { maxBufferedEntries: n, timeoutMs: 60_000, yieldEvery: 100 }));
    }
  } finally {
    await healthyServer.close();
    await busyServer.close();
  }
  const pick = (runs: Run[]) => {
    const mid = median(runs.map((r) => r.docsPerSecond));
    return runs.find((r) => r.docsPerSecond === mid)!;
  };
  return { healthy: pick(healthy), pushback: pick(busy) };
}

/**
 * Bursts of `burstSize` entries between event-loop turns, default caps, every _bulk answered after
 * `latencyMs` (as across a network: what a window of requests in flight overlaps).
 */
export async function burst(
  n: number,
  rounds: number,
  burstSize: number,
  latencyMs: number,
  make: typeof createLogger = createLogger,
): Promise<Run> {
  const server = await startEsTestServer({ storeDocs: false, idOf: () => undefined });
  server.setFault({ kind: 'latency', ms: latencyMs });
  const runs: Run[] = [];
  try {
    for (let round = 0; round < rounds; round++) {
      runs.push(await deliver(server, n, { timeoutMs: 30_000, yieldEvery: burstSize }, make));
    }
  } finally {
    await server.close();
  }
  const mid = median(runs.map((r) => r.docsPerSecond));
  return runs.find((r) => r.docsPerSecond === mid)!;
}

export interface PeerRun {
  docsPerSecond: number;
  delivered: number;
  elapsedMs: number;
}

/**
 * A peer (no stats of ours) on the same producer: docs/s until the server holds n, or until nothing
 * more arrived for 3 s (what a peer gives up on is lost), within `timeoutMs`.
 */
export async function deliverPeer(
  server: EsTestServer,
  n: number,
  contestant: Contestant,
  timeoutMs: number,
) {
  server.reset();
  const started = performance.now();
  for (let i = 0; i < n; i++) {
    contestant.info('request handled', entry(i));
    if (i % 100 === 99) await tick();
  }
  let last = server.received;
  let lastAt = performance.now();
  while (
    server.received < n &&
    performance.now() - started < timeoutMs &&
    performance.now() - lastAt < 3000
  ) {
    await new Promise((resolve) => setTimeout(resolve, 5));
    if (server.received !== last) {
      last = server.received;
      lastAt = performance.now();
    }
  }
  const elapsedMs = lastAt - started;
  await contestant.close();
  return { docsPerSecond: (server.received / elapsedMs) * 1000, delivered: server.received, elapsedMs };
}

/** Each peer once on a healthy server and once on one that answers every third item 429. */
export async function peerPushback(
  n: number,
  makers: ((url: string) => Contestant)[],
): Promise<{ name: string; healthy: PeerRun; pushback: PeerRun }[]> {
  const healthyServer = await startEsTestServer({ storeDocs: false, idOf: () => undefined });
  const busyServer = await startEsTestServer({ storeDocs: false, idOf: () => undefined });
  busyServer.setFault({ kind: 'items', status: 429, every: 3 });
  try {
    const out: { name: string; healthy: PeerRun; pushback: PeerRun }[] = [];
    for (const make of makers) {
      const a = make(healthyServer.url);
      const healthy = await deliverPeer(healthyServer, n, a, 30_000);
      const b = make(busyServer.url);
      const pushback = await deliverPeer(busyServer, n, b, 30_000);
      out.push({ name: a.name, healthy, pushback });
    }
    return out;
  } finally {
    await healthyServer.close();
    await busyServer.close();
  }
}
