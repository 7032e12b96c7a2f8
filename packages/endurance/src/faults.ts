/**
 * Fault helpers for configs. The package depends on no test server or harness: a config hands in a
 * controller object (Elasticsearch) or the commands (a PostgreSQL harness), and gets FaultSpecs back.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import pg from 'pg';
import type { FaultSpec } from './config.js';

const run = promisify(execFile);

/** What an Elasticsearch stand-in must do for the Elasticsearch faults. */
export interface ElasticsearchFaultController {
  /** Stop listening: connections refused. */
  down(): unknown;
  /** Listen again. */
  up(): unknown;
  /** Answer every _bulk with this status (429: rejected execution). */
  reject(status: number): unknown;
  /** Wait this long before answering every _bulk. */
  slow(ms: number): unknown;
  /** No fault. */
  clear(): unknown;
}

export type Window = readonly [from: number, to: number];

/** Elasticsearch down, answering 429 to every bulk, then slow (3 s per bulk), in these windows (null: left out). */
export function elasticsearchFaults(
  es: ElasticsearchFaultController,
  windows: { down?: Window | null; rejected?: Window | null; slow?: Window | null; slowMs?: number } = {},
): FaultSpec[] {
  const { down = [0.12, 0.24], rejected = [0.28, 0.38], slow = [0.42, 0.52], slowMs = 3000 } = windows;
  const faults: FaultSpec[] = [];
  if (down)
    faults.push({ name: 'ES down', from: down[0], to: down[1], start: () => es.down(), stop: () => es.up() });
  if (rejected)
    faults.push({
      name: 'ES 429',
      from: rejected[0],
      to: rejected[1],
      start: () => es.reject(429),
      stop: () => es.clear(),
    });
  if (slow)
    faults.push({
      name: 'ES slow',
      from: slow[0],
      to: slow[1],
      start: () => es.slow(slowMs),
      stop: () => es.clear(),
    });
  return faults;
}

/** Runs a command (no shell); rejects with its stderr when it fails. */
export async function runCommand(argv: readonly string[], cwd?: string): Promise<void> {
  const [command, ...args] = argv;
  if (!command) return;
  try {
    await run(command, args, { ...(cwd ? { cwd } : {}), timeout: 120_000 });
  } catch (error) {
    const stderr = String((error as { stderr?: unknown }).stderr ?? '')
      .trim()
      .split('\n')
      .slice(-3)
      .join(' | ');
    throw new Error(`${argv.join(' ')} failed${stderr ? `: ${stderr}` : ''}`, { cause: error });
  }
}

/** A fault made of two commands (the stop command may be empty: a one-off such as a restart). */
export function commandFault(
  name: string,
  window: Window,
  commands: { start: readonly string[]; stop?: readonly string[]; cwd?: string },
): FaultSpec {
  return {
    name,
    from: window[0],
    to: window[1],
    start: () => runCommand(commands.start, commands.cwd),
    stop: () => runCommand(commands.stop ?? [], commands.cwd),
  };
}

/** Runs one SQL statement on a fresh connection (errors on the idle client are ignored). */
export async function runSql(connectionString: string, sql: string): Promise<void> {
  const client = new pg.Client({ connectionString });
  client.on('error', () => {});
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

/** A fault made of two SQL statements. */
export function sqlFault(
  name: string,
  window: Window,
  sql: { connectionString: string; start: string; stop: string },
): FaultSpec {
  return {
    name,
    from: window[0],
    to: window[1],
    start: () => runSql(sql.connectionString, sql.start),
    stop: () => runSql(sql.connectionString, sql.stop),
  };
}

/**
 * PostgreSQL primary + streaming replica faults: replay paused on the replica (lag grows), the replica
 * stopped and started again, the primary restarted. The commands are the config's (e.g. a harness script).
 */
export function postgresFaults(options: {
  replicaUrl: string;
  replicaStop: readonly string[];
  replicaStart: readonly string[];
  primaryRestart: readonly string[];
  cwd?: string;
  windows?: { replayPaused?: Window | null; replicaStopped?: Window | null; primaryRestart?: Window | null };
}): FaultSpec[] {
  const {
    replayPaused = [0.56, 0.66],
    replicaStopped = [0.7, 0.8],
    primaryRestart = [0.83, 0.87],
  } = options.windows ?? {};
  const faults: FaultSpec[] = [];
  const cwd = options.cwd ? { cwd: options.cwd } : {};
  if (replayPaused)
    faults.push(
      sqlFault('replica replay paused', replayPaused, {
        connectionString: options.replicaUrl,
        start: 'select pg_wal_replay_pause()',
        stop: 'select pg_wal_replay_resume()',
      }),
    );
  if (replicaStopped)
    faults.push(
      commandFault('replica stopped', replicaStopped, {
        start: options.replicaStop,
        stop: options.replicaStart,
        ...cwd,
      }),
    );
  if (primaryRestart)
    faults.push(commandFault('primary restart', primaryRestart, { start: options.primaryRestart, ...cwd }));
  return faults;
}
