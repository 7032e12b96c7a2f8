// The batch writer against knex.batchInsert and a pre-encoded COPY ceiling, and the cost of isolating refused rows.
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createDatabase } from '@org/shared-database';
import knex from 'knex';
import pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import { emit, interleaved, median, type Result, spread, url } from './common.ts';

const PG_EPOCH_MS = 946_684_800_000;

/**
 * COPY binary of the benchmark table's rows (text, int4, float8, timestamptz), written here without
 * the package's encoder: the ceiling contestant sends these buffers, encoded before it is timed.
 */
function encodeBinary(
  rows: { kind: string; user_id: number; amount: number; at: Date }[],
  header: boolean,
): Buffer {
  const parts: Buffer[] = [];
  if (header) parts.push(Buffer.from('PGCOPY\n\xff\r\n\0\0\0\0\0\0\0\0\0', 'latin1'));
  for (const row of rows) {
    const kind = Buffer.from(row.kind, 'utf8');
    const tuple = Buffer.alloc(2 + 4 + kind.length + 8 + 12 + 12);
    let at = tuple.writeInt16BE(4, 0);
    at = tuple.writeInt32BE(kind.length, at);
    at += kind.copy(tuple, at);
    at = tuple.writeInt32BE(4, at);
    at = tuple.writeInt32BE(row.user_id, at);
    at = tuple.writeInt32BE(8, at);
    at = tuple.writeDoubleBE(row.amount, at);
    at = tuple.writeInt32BE(8, at);
    tuple.writeBigInt64BE(BigInt(row.at.getTime() - PG_EPOCH_MS) * 1000n, at);
    parts.push(tuple);
  }
  return Buffer.concat(parts);
}

export async function batchInsert(): Promise<void> {
  // Every contestant writes the same rows into the same table (a bigserial primary key, so one sequence
  // call and one index entry per row for everyone), truncated between runs, with the same batch size.
  // knex.batchInsert runs its INSERTs in one transaction; the writer commits each COPY; the ceiling
  // commits each COPY; either way every row is committed when the measured call returns (the harness
  // runs with fsync off).
  const table = `bench_events_${process.pid}`;
  const admin = knex({ client: 'pg', connection: url, pool: { min: 0, max: 10 } });
  await admin.schema.dropTableIfExists(table);
  await admin.schema.createTable(table, (t) => {
    t.bigIncrements('id');
    t.text('kind');
    t.integer('user_id');
    t.double('amount');
    t.timestamp('at', { useTz: true });
  });
  const db = createDatabase({ primary: url, onError: (e) => process.stderr.write(`${String(e)}\n`) });
  const ROWS = 50_000;
  const BATCH = 1_000;
  const PER_COPY = 10;
  const CONCURRENCY = 1; // the writer's default maxConcurrency; the ceiling gets the same
  const ROUNDS = 7;
  const makeRows = () =>
    Array.from({ length: ROWS }, (_, i) => ({
      kind: 'revenue',
      user_id: i % 997,
      amount: i * 0.01,
      at: new Date(),
    }));
  type Row = ReturnType<typeof makeRows>[number];
  const columns = ['kind', 'user_id', 'amount', 'at'] as const;

  interface Run {
    ms: number;
    cpuMs: number;
  }
  /** Wall time and this process's CPU time of `work` (rows are made before, outside both). */
  const measure = async (work: () => Promise<void>): Promise<Run> => {
    const cpu = process.cpuUsage();
    const started = performance.now();
    await work();
    const ms = performance.now() - started;
    const used = process.cpuUsage(cpu);
    return { ms, cpuMs: (used.user + used.system) / 1000 };
  };
  const viaWriter =
    (
      mode: 'copy' | 'insert',
      batchesPerCopy = PER_COPY,
      copyFormat: 'auto' | 'text' = 'auto',
      maxConcurrency = CONCURRENCY,
    ) =>
    async (): Promise<Run> => {
      const rows = makeRows();
      const writer = db.createBatchWriter<Row>({
        table,
        columns: [...columns],
        mode,
        batchesPerCopy,
        copyFormat,
        maxConcurrency,
        batchSize: BATCH,
        maxItems: ROWS,
        flushIntervalMs: 50,
      });
      const run = await measure(async () => {
        for (const row of rows) writer.write(row);
        await writer.flush();
      });
      const { written } = writer.stats();
      await writer.close();
      if (written !== ROWS) throw new Error(`writer wrote ${written} of ${ROWS}`);
      return run;
    };
  /**
   * The physical limit: COPYs of the same shape as the writer's (10 messages of 1,000 rows each), of
   * buffers encoded before the clock starts, on `concurrency` connections, straight through
   * pg-copy-streams: no encoding, no buffering, no bookkeeping.
   */
  const viaCeiling = (concurrency: number) => async (): Promise<Run> => {
    const rows = makeRows();
    const copies: Buffer[][] = [];
    for (let start = 0; start < ROWS; start += BATCH * PER_COPY) {
      const messages: Buffer[] = [];
      for (let m = start; m < Math.min(ROWS, start + BATCH * PER_COPY); m += BATCH) {
        messages.push(encodeBinary(rows.slice(m, m + BATCH), m === start));
      }
      messages.push(Buffer.from([0xff, 0xff]));
      copies.push(messages);
    }
    const clients = await Promise.all(
      Array.from({ length: concurrency }, async () => {
        const client = new pg.Client(url);
        await client.connect();
        return client;
      }),
    );
    try {
      return await measure(async () => {
        let next = 0;
        await Promise.all(
          clients.map(async (client) => {
            while (next < copies.length) {
              const messages = copies[next++]!;
              const stream = client.query(
                copyFrom(`COPY ${table} (kind, user_id, amount, at) FROM STDIN (FORMAT binary)`),
              );
              await pipeline(Readable.from(messages), stream);
            }
          }),
        );
      });
    } finally {
      await Promise.all(clients.map((client) => client.end()));
    }
  };
  const viaBatchInsert = async (): Promise<Run> => {
    const rows = makeRows();
    return measure(async () => {
      await admin.batchInsert(table, rows, BATCH);
    });
  };
  const viaNoop = async (): Promise<Run> => {
    const rows = makeRows();
    const sink: Row[] = [];
    return measure(async () => {
      for (const row of rows) sink.push(row);
    });
  };
  const PEER = 'knex.batchInsert (batch 1000, one transaction)';
  const CEILING = 'ceiling: pre-encoded binary COPY, pg-copy-streams, 1 connection';
  const OURS = 'BatchWriter copy (defaults: batch 1000, 10 per COPY, binary, 1 in flight)';
  const contestants: [string, () => Promise<Run>][] = [
    ['no-op (array push, baseline)', viaNoop],
    [PEER, viaBatchInsert],
    [CEILING, viaCeiling(CONCURRENCY)],
    ['ceiling, 2 connections', viaCeiling(2)],
    [OURS, viaWriter('copy')],
    ['BatchWriter copy, 2 in flight', viaWriter('copy', PER_COPY, 'auto', 2)],
    ['BatchWriter copy, text format', viaWriter('copy', PER_COPY, 'text')],
    ['BatchWriter copy, 1 batch per COPY', viaWriter('copy', 1)],
    ['BatchWriter insert (batch 1000)', viaWriter('insert')],
  ];
  const runs = await interleaved(contestants, ROUNDS, () => admin.raw(`TRUNCATE ${table}`));
  const rate = (r: Run) => ROWS / (r.ms / 1000);
  const results = contestants.map(([name]) => ({
    name,
    value: median(runs.get(name)!.map(rate)),
    unit: 'rows/s',
  }));
  /** Per-round ratios of `name`'s rate to `other`'s. */
  const perRound = (name: string, other: string) => {
    const ours = runs.get(name)!;
    const theirs = runs.get(other)!;
    return ours.map((r, i) => theirs[i]!.ms / r.ms);
  };
  for (const [name] of contestants) {
    const cpu = median(runs.get(name)!.map((r) => r.cpuMs));
    process.stdout.write(`  ${name}: Node CPU ${cpu.toFixed(0)} ms per ${ROWS} rows (median)\n`);
  }
  const ratios: Record<string, number> = {};
  for (const [name] of contestants.slice(4)) {
    const vsPeer = perRound(name, PEER);
    const vsCeiling = perRound(name, CEILING);
    ratios[`${name}/knex.batchInsert`] = median(vsPeer);
    ratios[`${name}/ceiling`] = median(vsCeiling);
    process.stdout.write(
      `  ${name}: /knex.batchInsert per round ${spread(vsPeer)}, /ceiling per round ${spread(vsCeiling)}\n`,
    );
  }
  ratios['ceiling/knex.batchInsert'] = median(perRound(CEILING, PEER));
  ratios['copy/no-op'] = results[4]!.value / results[0]!.value;
  const vsPeer = perRound(OURS, PEER);
  const vsCeiling = perRound(OURS, CEILING);
  ratios[`${OURS}/knex.batchInsert, lowest round`] = Math.min(...vsPeer);
  const met = Math.min(...vsPeer) >= 3 && median(vsCeiling) >= 0.8;
  emit(
    'batch-writer',
    results,
    ratios,
    'BatchWriter copy ≥ 3× knex.batchInsert in every round, and ≥ 0.8× the pre-encoded COPY ceiling (median of per-round ratios)',
    met,
  );
  await db.close();
  await admin.schema.dropTableIfExists(table);
  await admin.destroy();
}

/**
 * What isolating refused rows costs: a batch of 10,000 rows (one request: 10 messages of 1,000 in a
 * COPY, or INSERT batches of 1,000) with 0, 1 and 10 rows the server refuses (NULL in a NOT NULL
 * column, spread over the batch). Rows/s counts the rows stored; requests are the writer's own count.
 */
export async function isolationCost(): Promise<void> {
  const table = `bench_poison_${process.pid}`;
  const admin = knex({ client: 'pg', connection: url, pool: { min: 0, max: 2 } });
  await admin.schema.dropTableIfExists(table);
  await admin.raw(
    `CREATE TABLE ${table} (id bigserial PRIMARY KEY, kind text NOT NULL, user_id int, amount float8, at timestamptz)`,
  );
  const db = createDatabase({ primary: url, onError: () => {} });
  const ROWS = 10_000;
  const ROUNDS = 7;
  const bad = (count: number) =>
    new Set(Array.from({ length: count }, (_, k) => Math.floor(((k + 0.5) * ROWS) / count)));
  const makeRows = (badRows: Set<number>) =>
    Array.from({ length: ROWS }, (_, i) => ({
      kind: badRows.has(i) ? null : 'revenue',
      user_id: i % 997,
      amount: i * 0.01,
      at: new Date(),
    }));
  interface Run {
    ms: number;
    requests: number;
    stored: number;
  }
  const contestant = (mode: 'copy' | 'insert', badCount: number) => async (): Promise<Run> => {
    const rows = makeRows(bad(badCount));
    const writer = db.createBatchWriter<(typeof rows)[number]>({
      table,
      columns: ['kind', 'user_id', 'amount', 'at'],
      mode,
      batchSize: mode === 'copy' ? 1_000 : 10_000,
      batchesPerCopy: 10,
      maxConcurrency: 1,
      maxItems: ROWS,
      flushIntervalMs: 60_000,
      onError: () => {},
    });
    const started = performance.now();
    for (const row of rows) writer.write(row);
    await writer.flush();
    const ms = performance.now() - started;
    const s = writer.stats();
    await writer.close();
    if (s.written !== ROWS - badCount || s.dropped.rejected !== badCount) {
      throw new Error(`isolation: ${JSON.stringify(s)}`);
    }
    return { ms, requests: s.requests.total, stored: s.written };
  };
  const noop = async (): Promise<Run> => {
    const rows = makeRows(bad(0));
    const started = performance.now();
    const sink: unknown[] = [];
    for (const row of rows) sink.push(row);
    return { ms: performance.now() - started, requests: 0, stored: rows.length };
  };
  const contestants: [string, () => Promise<Run>][] = [['no-op (array push, baseline)', noop]];
  for (const mode of ['copy', 'insert'] as const) {
    for (const count of [0, 1, 10])
      contestants.push([`${mode}, ${count} bad in ${ROWS}`, contestant(mode, count)]);
  }
  const runs = await interleaved(contestants, ROUNDS, () => admin.raw(`TRUNCATE ${table}`));
  const results: Result[] = [];
  const ratios: Record<string, number> = {};
  for (const [name] of contestants) {
    const mine = runs.get(name)!;
    results.push({
      name: `${name}: stored rows/s`,
      value: median(mine.map((r) => r.stored / (r.ms / 1000))),
      unit: 'rows/s',
    });
    if (name.startsWith('no-op')) continue;
    results.push({ name: `${name}: requests`, value: median(mine.map((r) => r.requests)), unit: 'requests' });
    const mode = name.split(',')[0]!;
    const clean = runs.get(`${mode}, 0 bad in ${ROWS}`)!;
    const perRound = mine.map((r, i) => r.stored / r.ms / (clean[i]!.stored / clean[i]!.ms));
    if (!name.includes(' 0 bad')) {
      ratios[`${name}/clean`] = median(perRound);
      process.stdout.write(`  ${name}: /clean per round ${spread(perRound)}\n`);
    }
  }
  // One bad row in n costs at most about 2·log2(n) requests (bisection); COPY, which names the row, 2.
  const budget = Math.ceil(2 * Math.log2(ROWS)) + 1;
  const oneBad = ['copy', 'insert'].map((mode) =>
    median(runs.get(`${mode}, 1 bad in ${ROWS}`)!.map((r) => r.requests)),
  );
  emit(
    'batch-writer-isolation',
    results,
    ratios,
    `one refused row in ${ROWS} costs at most ${budget} requests (2·log2 n + 1), in COPY and INSERT mode`,
    oneBad.every((requests) => requests <= budget),
  );
  await db.close();
  await admin.schema.dropTableIfExists(table);
  await admin.destroy();
}
