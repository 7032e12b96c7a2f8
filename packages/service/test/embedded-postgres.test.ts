import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { activeResources, resourcesAddedSince, waitFor } from '@org/shared-lifecycle/testing';
import knex from 'knex';
import { describe, expect, it } from 'vitest';
import { EmbeddedPostgres } from '../src/index.js';

const alive = (pid: number) => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

describe('EmbeddedPostgres (PGlite in a child process, over the wire protocol)', () => {
  it('runs migrations, parameterised queries and concurrent transactions through pg on one connection, and closes cleanly', {
    timeout: 180_000,
  }, async () => {
    const before = activeResources();
    const pg = await EmbeddedPostgres.start();
    const db = knex({ client: 'pg', connection: pg.url, pool: { min: 0, max: 1 } });
    try {
      const stats = pg.stats();
      // Its memory is its own process's, not ours.
      expect(stats.pid).not.toBe(process.pid);
      expect(stats.running).toBe(true);
      expect(stats.rssBytes).toBeGreaterThan(10 * 1024 * 1024);
      await db.schema.createTable('t', (t) => {
        t.bigIncrements('id');
        t.text('name').notNullable();
      });
      await Promise.all(
        Array.from({ length: 12 }, (_, i) =>
          db
            .transaction(async (trx) => {
              await trx('t').insert({ name: `n${i}` });
              if (i % 3 === 0) throw new Error('roll back');
            })
            .catch(() => {}),
        ),
      );
      const [row] = await db('t').count<{ n: string }[]>('* as n');
      expect(Number(row?.n)).toBe(8);
      expect((await db.raw('select ?::int + ?::int as s', [2, 3])).rows[0].s).toBe(5);
    } finally {
      await db.destroy();
      await pg.close();
    }
    expect(pg.stats()).toMatchObject({ running: false, rssBytes: null });
    expect(alive(pg.pid as number)).toBe(false);
    await waitFor(() => Object.keys(resourcesAddedSince(before)).length === 0, { timeoutMs: 2000 }).catch(
      () => {},
    );
    expect(resourcesAddedSince(before)).toEqual({});
  });

  it('stops by itself when the process that started it dies (no orphan PGlite)', async () => {
    const script = `
      import { EmbeddedPostgres } from ${JSON.stringify(fileURLToPath(new URL('../dist/index.js', import.meta.url)))};
      const pg = await EmbeddedPostgres.start();
      console.log('pid=' + pg.pid);
      setInterval(() => {}, 1000);
    `;
    // The built package (npm test builds first), as a service would run it.
    const parent = spawn(process.execPath, ['--input-type=module', '-e', script], {
      stdio: ['ignore', 'pipe', 'inherit'],
      env: { ...process.env, NODE_OPTIONS: '' },
    });
    let out = '';
    parent.stdout.on('data', (d: Buffer) => (out += d.toString()));
    await waitFor(() => /pid=\d+/.test(out), { timeoutMs: 150_000, what: 'the embedded database to start' });
    const pid = Number(/pid=(\d+)/.exec(out)?.[1]);
    expect(alive(pid)).toBe(true);
    parent.kill('SIGKILL');
    await waitFor(() => !alive(pid), { timeoutMs: 10_000, what: 'the orphaned child to exit' });
  }, 180_000);
});
