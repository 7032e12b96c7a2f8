/** Test helpers (import from '@org/shared-service/testing'): a database of its own on the repo's PostgreSQL harness (primary + streaming replica), raw SQL, waiting, and a log collector. */
import { Writable } from 'node:stream';
import pg from 'pg';

export interface HarnessUrls {
  primary: string;
  replica: string;
}

/** DATABASE_URL / DATABASE_REPLICA_URLS from the harness, pointed at a database of this test file. */
export async function harnessDatabase(name: string): Promise<HarnessUrls> {
  const primary = process.env.DATABASE_URL;
  const replica = process.env.DATABASE_REPLICA_URLS?.split(',')[0];
  if (!primary || !replica) {
    throw new Error(
      'end-to-end tests need the PostgreSQL harness: run `bash scripts/pg-harness.sh start` and ' +
        '`eval "$(bash scripts/pg-harness.sh env)"` (DATABASE_URL and DATABASE_REPLICA_URLS are not set)',
    );
  }
  const client = new pg.Client(primary);
  await client.connect();
  try {
    await client.query(`drop database if exists ${name} with (force)`);
    await client.query(`create database ${name}`);
  } finally {
    await client.end();
  }
  const swap = (url: string) => {
    const u = new URL(url);
    u.pathname = `/${name}`;
    return u.toString();
  };
  return { primary: swap(primary), replica: swap(replica) };
}

export async function sql<T = Record<string, unknown>>(
  url: string,
  text: string,
  values: unknown[] = [],
): Promise<T[]> {
  const client = new pg.Client(url);
  await client.connect();
  try {
    return (await client.query(text, values)).rows as T[];
  } finally {
    await client.end();
  }
}

/** A stream that keeps the service's console log lines (for `logStream`), parsed when JSON. */
export function logCollector(): { stream: Writable; lines: string[]; entries(): Record<string, unknown>[] } {
  const lines: string[] = [];
  let rest = '';
  const stream = new Writable({
    write(chunk: Buffer | string, _encoding, callback) {
      const parts = (rest + chunk.toString()).split('\n');
      rest = parts.pop() ?? '';
      lines.push(...parts.filter((line) => line !== ''));
      callback();
    },
  });
  const entries = () =>
    lines.flatMap((line) => {
      try {
        return [JSON.parse(line) as Record<string, unknown>];
      } catch {
        return [];
      }
    });
  return { stream, lines, entries };
}
