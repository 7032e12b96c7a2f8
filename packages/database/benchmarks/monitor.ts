// The replication monitor's heap over an hour of polls.
import { ReplicationMonitor } from '@org/shared-database';
import knex from 'knex';
import { emit, gc, replicaUrl, url } from './common.ts';

export async function monitorHeap(): Promise<void> {
  // One hour of polling every 2 s is 1,800 polls; they run back to back here.
  const POLLS = 1_800;
  const primary = knex({ client: 'pg', connection: url, pool: { min: 0, max: 2 } });
  const replica = knex({ client: 'pg', connection: replicaUrl, pool: { min: 0, max: 2 } });
  const monitor = new ReplicationMonitor({
    primary,
    replicas: [{ name: 'replica-1', knex: replica }],
    intervalMs: 2_000,
    pollOnStart: false,
    onError: () => {},
  });
  monitor.on('lag', () => {});
  monitor.start();
  const heap = async () => {
    for (let i = 0; i < 3; i++) {
      gc!();
      await new Promise((resolve) => setImmediate(resolve));
    }
    return process.memoryUsage().heapUsed;
  };
  for (let i = 0; i < 100; i++) await monitor.poll(); // warm-up: pools, JIT
  const start = await heap();
  const mid: number[] = [];
  for (let i = 1; i <= POLLS; i++) {
    await monitor.poll();
    if (i % 600 === 0) mid.push(await heap());
  }
  const end = await heap();
  const listeners = replica.listenerCount('query-error');
  await monitor.close();
  const after = replica.listenerCount('query-error');
  // Baseline: the same number of awaited no-op tasks.
  const baseStart = await heap();
  for (let i = 0; i < POLLS; i++) await Promise.resolve();
  const baseEnd = await heap();
  const growthKb = (end - start) / 1024;
  const results = [
    { name: 'no-op (baseline) heap growth', value: (baseEnd - baseStart) / 1024, unit: 'kB' },
    { name: `monitor heap growth over ${POLLS} polls`, value: growthKb, unit: 'kB' },
    { name: 'monitor heap at 600/1200/1800 polls', value: mid.length, unit: 'samples' },
    {
      name: 'query-error listeners while running / after close',
      value: listeners * 10 + after,
      unit: 'n*10+m',
    },
  ];
  process.stdout.write(
    `  heap samples (MB): ${[start, ...mid].map((b) => (b / 1048576).toFixed(2)).join(' -> ')}\n`,
  );
  emit(
    'monitor-heap-1h',
    results,
    { growth_kB_per_1000_polls: (growthKb / POLLS) * 1000 },
    'heap flat: growth < 512 kB over 1,800 polls, listeners back to 0',
    growthKb < 512 && after === 0,
  );
  await primary.destroy();
  await replica.destroy();
}
