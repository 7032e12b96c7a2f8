// What every benchmark case of @org/shared-database shares: the harness URLs, gc(), the table and
// JSON line of a case, throughput, interleaved rounds.
export interface Result {
  name: string;
  value: number;
  unit: string;
}

export const url: string = process.env.DATABASE_URL ?? '';
export const replicaUrl: string =
  (process.env.DATABASE_REPLICA_URLS ?? '').split(',').filter((u) => u !== '')[0] ?? '';
if (url === '' || replicaUrl === '') {
  process.stderr.write(
    'DATABASE_URL and DATABASE_REPLICA_URLS must be set: eval "$(bash scripts/pg-harness.sh env)"\n',
  );
  process.exit(2);
}
export const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) {
  process.stderr.write('run with --expose-gc (npm run bench does)\n');
  process.exit(2);
}

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)]!;
}

export function emit(
  caseName: string,
  results: Result[],
  ratios: Record<string, number>,
  target: string,
  met: boolean,
): void {
  const width = Math.max(...results.map((r) => r.name.length));
  process.stdout.write(`\n${caseName}  (target: ${target}: ${met ? 'met' : 'NOT met'})\n`);
  for (const r of results) {
    process.stdout.write(
      `  ${r.name.padEnd(width)}  ${r.value.toLocaleString('en-US', { maximumFractionDigits: 1 }).padStart(14)} ${r.unit}\n`,
    );
  }
  for (const [k, v] of Object.entries(ratios)) process.stdout.write(`  ${k} = ${v.toFixed(3)}\n`);
  const round = (n: number) => Math.round(n * 1000) / 1000;
  const line = {
    type: 'bench',
    package: 'database',
    case: caseName,
    results: results.map((r) => ({ ...r, value: round(r.value) })),
    ratios: Object.fromEntries(Object.entries(ratios).map(([k, v]) => [k, round(v)])),
    target,
    met,
  };
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

/** ops/s of `op` run with `concurrency` workers for `count` operations in total. */
export async function throughput(
  op: () => Promise<unknown>,
  count: number,
  concurrency: number,
): Promise<number> {
  let left = count;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (left-- > 0) await op();
    }),
  );
  return count / ((performance.now() - started) / 1000);
}

/**
 * Runs every contestant once to warm up (pools, JIT, the table's first pages), then `rounds` rounds of
 * all of them in an order rotated every round, with a gc() before each run and `reset` after it. Each
 * round's ratios compare runs made seconds apart, so the load of the (shared, 2-core) machine at that
 * moment hits both sides of a ratio alike.
 */
export async function interleaved<R>(
  contestants: [string, () => Promise<R>][],
  rounds: number,
  reset: () => PromiseLike<unknown>,
): Promise<Map<string, R[]>> {
  for (const [, run] of contestants) {
    await run();
    await reset();
  }
  const runs = new Map<string, R[]>(contestants.map(([n]) => [n, []]));
  for (let round = 0; round < rounds; round++) {
    for (let k = 0; k < contestants.length; k++) {
      const [name, run] = contestants[(round + k) % contestants.length]!;
      gc!();
      runs.get(name)!.push(await run());
      await reset();
    }
  }
  return runs;
}

/** min–max of values, for the spread printed beside a median. */
export function spread(values: number[]): string {
  return `${Math.min(...values).toFixed(3)}–${Math.max(...values).toFixed(3)}`;
}
