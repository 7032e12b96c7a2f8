// Query throughput: db.read() against raw knex on the same server, primary and replica.
import { createDatabase } from '@org/shared-database';
import knex from 'knex';
import { emit, gc, median, replicaUrl, throughput, url } from './common.ts';

/** Reads whose route a case checks after its rounds: `db.stats().routing`. */
type Routing = ReturnType<ReturnType<typeof createDatabase>['stats']>['routing'];

/**
 * Simple-query throughput, raw knex against `db.read()`, both on the same server with the same pool
 * size (10) and the same query, 10 workers. Rounds interleave the contestants in rotated order (the
 * first to run changes every round), after a warm-up that opens both pools and is not measured;
 * each ratio is the median of per-round ratios, printed with the min–max over the rounds.
 */
async function pairedQueryCase(
  caseName: string,
  raw: ReturnType<typeof knex>,
  db: ReturnType<typeof createDatabase>,
  checkRouting: (routing: Routing) => string | null,
): Promise<void> {
  const QUERIES = 2_000;
  const CONCURRENCY = 10;
  const ROUNDS = 31;
  const RAW = 'raw knex';
  const OURS = '@org/shared-database read()';
  const contestants: [string, () => Promise<unknown>][] = [
    ['no-op (baseline)', async () => 1],
    [RAW, () => raw.raw('SELECT 1')],
    [OURS, () => db.read().raw('SELECT 1')],
  ];
  for (let i = 0; i < 2; i++) {
    for (const [, op] of contestants) await throughput(op, 1_000, CONCURRENCY); // warm-up: pools, JIT
  }
  const samples = new Map<string, number[]>(contestants.map(([n]) => [n, []]));
  const cpuSamples = new Map<string, number[]>(contestants.map(([n]) => [n, []]));
  for (let round = 0; round < ROUNDS; round++) {
    for (let k = 0; k < contestants.length; k++) {
      const [name, op] = contestants[(round + k) % contestants.length]!;
      gc!(); // no contestant pays for the garbage of the one before it
      const cpu = process.cpuUsage();
      samples.get(name)!.push(await throughput(op, QUERIES, CONCURRENCY));
      const used = process.cpuUsage(cpu);
      cpuSamples.get(name)!.push((used.user + used.system) / QUERIES);
    }
  }
  const routingProblem = checkRouting(db.stats().routing);
  if (routingProblem !== null) throw new Error(`${caseName}: ${routingProblem}`);
  const results = contestants.map(([name]) => ({
    name,
    value: median(samples.get(name)!),
    unit: 'queries/s',
  }));
  const perRound = (a: string, b: string) => samples.get(a)!.map((v, i) => v / samples.get(b)![i]!);
  const vsRaw = perRound(OURS, RAW);
  const vsNoop = perRound(OURS, 'no-op (baseline)');
  const headline = median(vsRaw);
  const cpuRatio = median(cpuSamples.get(RAW)!.map((v, i) => v / cpuSamples.get(OURS)![i]!));
  process.stdout.write(
    `  ${caseName}: Node CPU per query (median): raw knex ${median(cpuSamples.get(RAW)!).toFixed(1)} µs, read() ${median(cpuSamples.get(OURS)!).toFixed(1)} µs; raw/ours ${cpuRatio.toFixed(3)}\n`,
  );
  process.stdout.write(
    `  ${caseName}: ours/raw knex per round ${Math.min(...vsRaw).toFixed(3)}–${Math.max(...vsRaw).toFixed(3)} over ${ROUNDS} rounds\n`,
  );
  emit(
    caseName,
    results,
    { 'ours/raw knex': headline, 'ours/no-op': median(vsNoop) },
    'ours/raw knex >= 0.95 (median of per-round ratios)',
    headline >= 0.95,
  );
}

export async function queryThroughput(): Promise<void> {
  // Both on the primary: createDatabase gets no replicas, so read() returns the primary's pool.
  const raw = knex({ client: 'pg', connection: url, pool: { min: 0, max: 10 } });
  const db = createDatabase({ primary: url, pool: { max: 10 }, onError: () => {} });
  try {
    await pairedQueryCase('query-throughput', raw, db, (r) =>
      r.replica + r.fallback + r.readYourWrites === 0 ? null : 'a read left the primary',
    );
  } finally {
    await raw.destroy();
    await db.close();
  }
}

export async function queryThroughputReplica(): Promise<void> {
  // Both on the replica: read() routes to it once the monitor has seen it healthy; raw knex connects
  // to the same replica URL. The monitor's own polls (every 2 s) are part of read()'s cost.
  const raw = knex({ client: 'pg', connection: replicaUrl, pool: { min: 0, max: 10 } });
  const db = createDatabase({
    primary: url,
    replicas: [replicaUrl],
    pool: { max: 10 },
    onError: () => {},
  });
  try {
    for (let i = 0; i < 50 && db.monitor!.healthyReplicas().length === 0; i++) {
      await db.monitor!.poll();
      if (db.monitor!.healthyReplicas().length === 0) await new Promise((r) => setTimeout(r, 100));
    }
    if (db.monitor!.healthyReplicas().length === 0) throw new Error('the replica never became healthy');
    await pairedQueryCase('query-throughput-replica', raw, db, (r) =>
      r.fallback + r.primaryOnly + r.readYourWrites === 0
        ? null
        : `${r.fallback} read(s) fell back to the primary (replica lagging?): not the same server`,
    );
  } finally {
    await raw.destroy();
    await db.close();
  }
}
