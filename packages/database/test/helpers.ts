import { execFile } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { waitFor as waitUntil } from '@org/shared-lifecycle/testing';
import knex, { type Knex } from 'knex';
import type { DatabaseError } from '../src/index.js';

const run = promisify(execFile);
const harnessScript = fileURLToPath(new URL('../../../scripts/pg-harness.sh', import.meta.url));

export interface HarnessEnv {
  primary: string;
  replicas: string[];
}

/** DATABASE_URL and DATABASE_REPLICA_URLS, or a clear failure: these tests need the harness. */
export function harnessEnv(): HarnessEnv {
  const primary = process.env.DATABASE_URL;
  const replicas = (process.env.DATABASE_REPLICA_URLS ?? '').split(',').filter((url) => url !== '');
  if (!primary || replicas.length === 0) {
    throw new Error(
      'DATABASE_URL and DATABASE_REPLICA_URLS must be set: run `bash scripts/pg-harness.sh start` and ' +
        '`eval "$(bash scripts/pg-harness.sh env)"` from the repository root (the root test script does this).',
    );
  }
  return { primary, replicas };
}

/** Runs scripts/pg-harness.sh <command> (replica-stop, replica-start, primary-restart, status). */
export async function harness(command: string): Promise<string> {
  const { stdout } = await run('bash', [harnessScript, command], { timeout: 120_000 });
  return stdout;
}

export function uniqueName(prefix: string): string {
  return `${prefix}_${process.pid}_${randomBytes(3).toString('hex')}`;
}

/** A plain knex (not ours) for setup and for poking the servers, as a disposable. */
export function rawKnex(url: string): Knex & AsyncDisposable {
  const k = knex({ client: 'pg', connection: url, pool: { min: 0, max: 2 } }) as Knex & AsyncDisposable;
  k[Symbol.asyncDispose] = () => k.destroy();
  return k;
}

/**
 * The lifecycle package's waitFor with this suite's defaults — 20 s (servers stop and restart here), a
 * 50 ms interval — and a probe that may throw meanwhile (a table not replicated yet, a server still
 * starting): a throw counts as "not yet", and the last one is named if time runs out.
 */
export async function waitFor<T>(
  check: () => T | Promise<T>,
  options: { timeoutMs?: number; intervalMs?: number; what?: string } = {},
): Promise<Exclude<T, undefined | null | false | 0 | ''>> {
  let last: unknown;
  const probe = async () => {
    try {
      return await check();
    } catch (error) {
      last = error;
      return undefined;
    }
  };
  try {
    return (await waitUntil(probe, { timeoutMs: 20_000, intervalMs: 50, ...options })) as Exclude<
      T,
      undefined | null | false | 0 | ''
    >;
  } catch (error) {
    if (last === undefined) throw error;
    throw new Error(`${(error as Error).message}; the last probe threw: ${String(last)}`);
  }
}

/** Waits until the replica streams from the primary again (after a harness disruption). */
export async function waitStreaming(primaryUrl: string): Promise<void> {
  await using primary = rawKnex(primaryUrl);
  await waitFor(
    async () => {
      const { rows } = await primary.raw(
        "SELECT count(*)::int AS n FROM pg_stat_replication WHERE state = 'streaming'",
      );
      return rows[0].n > 0;
    },
    { timeoutMs: 60_000, intervalMs: 200, what: 'the replica to stream' },
  );
}

/** Collects reported errors for assertions. */
export function collectErrors(): {
  errors: unknown[];
  onError: (error: unknown) => void;
  codes: () => string[];
} {
  const errors: unknown[] = [];
  return {
    errors,
    onError: (error) => errors.push(error),
    codes: () => errors.map((e) => String((e as { code?: unknown }).code)),
  };
}

/** The error `fn` throws synchronously. */
export function thrown(fn: () => unknown): DatabaseError {
  try {
    fn();
  } catch (error) {
    return error as DatabaseError;
  }
  throw new Error('expected a throw');
}
