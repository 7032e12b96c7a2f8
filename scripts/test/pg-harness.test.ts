// Smoke test of scripts/pg-harness.sh against real servers: a PostgreSQL primary and its streaming replica.
// Uses the harness named by DATABASE_URL / DATABASE_REPLICA_URLS when set (eval "$(scripts/pg-harness.sh env)");
// otherwise starts one itself and stops it afterwards.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const SCRIPT = fileURLToPath(new URL('../pg-harness.sh', import.meta.url));
const REPLICA_APP_NAME = 'org_harness_replica';

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

function harness(command: string): Run {
  const r = spawnSync('bash', [SCRIPT, command], { encoding: 'utf8', env: process.env, timeout: 90_000 });
  if (r.error) throw r.error;
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

function harnessOk(command: string): string {
  const r = harness(command);
  if (r.code !== 0) throw new Error(`pg-harness.sh ${command} exited ${r.code}\n${r.stdout}\n${r.stderr}`);
  return r.stdout;
}

/** Parses the `export K=V` lines of `pg-harness.sh env` (values are URLs, ports and paths: no quoting needed). */
function parseEnv(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^export ([A-Z_]+)=(.*)$/.exec(line.trim());
    if (m?.[1] && m[2] !== undefined) out[m[1]] = m[2].replace(/^'(.*)'$/, '$1');
  }
  return out;
}

async function withClient<T>(url: string, fn: (c: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 5000 });
  client.on('error', () => {}); // a server stopped under an idle client must not crash the run
  await client.connect();
  try {
    return await fn(client);
  } finally {
    await client.end().catch(() => {});
  }
}

async function scalar<T>(url: string, sql: string, params: unknown[] = []): Promise<T> {
  return withClient(url, async (c) => {
    const res = await c.query(sql, params);
    return Object.values(res.rows[0] ?? {})[0] as T;
  });
}

/** Polls `probe` until it returns true, for at most `timeoutMs`. */
async function eventually(what: string, probe: () => Promise<boolean>, timeoutMs = 10_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      if (await probe()) return;
    } catch (err) {
      last = err;
    }
    if (Date.now() >= deadline) {
      throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`, { cause: last });
    }
    await new Promise((r) => setTimeout(r, 50));
  }
}

let primaryUrl = '';
let replicaUrl = '';
let startedHere = false;
/** Whether the URLs belong to the harness this script manages (so replica-stop/start and start act on them). */
let managed = false;
const tables: string[] = [];

function uniqueTable(tag: string): string {
  const name = `pg_harness_smoke_${tag}_${process.pid}_${Date.now().toString(36)}`;
  tables.push(name);
  return name;
}

beforeAll(() => {
  const fromEnv = process.env.DATABASE_URL;
  const replicasFromEnv = process.env.DATABASE_REPLICA_URLS;
  if (fromEnv && replicasFromEnv) {
    primaryUrl = fromEnv;
    replicaUrl = replicasFromEnv.split(',')[0]?.trim() ?? '';
    const current = harness('env');
    managed = current.code === 0 && parseEnv(current.stdout).DATABASE_URL === primaryUrl;
  } else {
    harnessOk('start');
    startedHere = true;
    managed = true;
    const env = parseEnv(harnessOk('env'));
    primaryUrl = env.DATABASE_URL ?? '';
    replicaUrl = env.DATABASE_REPLICA_URLS?.split(',')[0] ?? '';
  }
  expect(primaryUrl).toMatch(/^postgres:\/\/.+@127\.0\.0\.1:\d+\//);
  expect(replicaUrl).toMatch(/^postgres:\/\/.+@127\.0\.0\.1:\d+\//);
});

afterAll(async () => {
  try {
    if (tables.length > 0) {
      await withClient(primaryUrl, async (c) => {
        for (const t of tables) await c.query(`DROP TABLE IF EXISTS ${t}`);
      });
    }
  } finally {
    if (startedHere) harnessOk('stop');
  }
});

async function replicaIsStreaming(): Promise<boolean> {
  const inRecovery = await scalar<boolean>(replicaUrl, 'SELECT pg_is_in_recovery()');
  const streaming = await scalar<string>(
    primaryUrl,
    `SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming' AND application_name = $1`,
    [REPLICA_APP_NAME],
  );
  return inRecovery === true && Number(streaming) >= 1;
}

async function rowOnReplica(table: string, id: number): Promise<boolean> {
  // The table itself may not have been replayed yet.
  const exists = await scalar<string | null>(replicaUrl, 'SELECT to_regclass($1)::text', [table]);
  if (exists === null) return false;
  return (await scalar<string>(replicaUrl, `SELECT count(*) FROM ${table} WHERE id = $1`, [id])) === '1';
}

describe('pg-harness (real PostgreSQL primary + streaming replica)', () => {
  it('the replica is a hot standby, the primary is not', async () => {
    expect(await scalar<boolean>(primaryUrl, 'SELECT pg_is_in_recovery()')).toBe(false);
    expect(await scalar<boolean>(replicaUrl, 'SELECT pg_is_in_recovery()')).toBe(true);
    await eventually('a streaming pg_stat_replication row', replicaIsStreaming);
  });

  it('a row written on the primary shows up on the replica', async () => {
    const table = uniqueTable('repl');
    await withClient(primaryUrl, async (c) => {
      await c.query(`CREATE TABLE ${table} (id int PRIMARY KEY, note text NOT NULL)`);
      await c.query(`INSERT INTO ${table} (id, note) VALUES (1, 'hello replica')`);
    });
    await eventually(`row 1 of ${table} on the replica`, () => rowOnReplica(table, 1));
    expect(await scalar<string>(replicaUrl, `SELECT note FROM ${table} WHERE id = 1`)).toBe('hello replica');
    // The standby refuses writes.
    await expect(scalar(replicaUrl, `INSERT INTO ${table} (id, note) VALUES (2, 'nope')`)).rejects.toThrow(
      /read-only transaction/,
    );
  });

  it('replica-stop / replica-start: outage, then streaming again and caught up', async () => {
    expect(managed, 'DATABASE_URL must point at the harness this script manages').toBe(true);
    const table = uniqueTable('outage');
    await withClient(primaryUrl, (c) => c.query(`CREATE TABLE ${table} (id int PRIMARY KEY)`));

    harnessOk('replica-stop');
    try {
      await expect(scalar(replicaUrl, 'SELECT 1')).rejects.toThrow();
      expect(harness('status').code).toBe(3);
      // Written while the replica is down: the replication slot keeps the WAL for it.
      await withClient(primaryUrl, (c) => c.query(`INSERT INTO ${table} (id) VALUES (42)`));
    } finally {
      harnessOk('replica-start');
    }

    expect(await replicaIsStreaming()).toBe(true);
    expect(harness('status').code).toBe(0);
    await eventually(`row 42 of ${table} on the replica after the outage`, () => rowOnReplica(table, 42));
  });

  it('start is idempotent: a second start keeps the same servers and ports', async () => {
    expect(managed, 'DATABASE_URL must point at the harness this script manages').toBe(true);
    const before = parseEnv(harnessOk('env'));
    const startedAt = await scalar<string>(primaryUrl, 'SELECT pg_postmaster_start_time()::text');
    harnessOk('start');
    harnessOk('start');
    const after = parseEnv(harnessOk('env'));
    expect(after.PG_HARNESS_PRIMARY_PORT).toBe(before.PG_HARNESS_PRIMARY_PORT);
    expect(after.PG_HARNESS_REPLICA_PORT).toBe(before.PG_HARNESS_REPLICA_PORT);
    expect(after.DATABASE_URL).toBe(primaryUrl);
    expect(after.DATABASE_REPLICA_URLS).toBe(before.DATABASE_REPLICA_URLS);
    // Not restarted behind our back.
    expect(await scalar<string>(primaryUrl, 'SELECT pg_postmaster_start_time()::text')).toBe(startedAt);
    expect(await replicaIsStreaming()).toBe(true);
  });
});
