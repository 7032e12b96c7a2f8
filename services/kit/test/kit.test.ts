import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { request } from 'node:http';
import { activeResources, resourcesAddedSince, undocumentedCodes } from '@org/shared-lifecycle/testing';
import knex from 'knex';
import { describe, expect, it } from 'vitest';
import {
  EmbeddedPostgres,
  HttpServer,
  int,
  loadConfig,
  optionalUrl,
  runCli,
  SERVICE_ERROR_CODES,
  str,
  urlList,
} from '../src/index.js';

const specs = {
  PORT: int({ desc: 'port', default: 3000, min: 0, max: 65535 }),
  NAME: str({ desc: 'a required name' }),
  DATABASE_URL: optionalUrl('db', ['postgres:']),
  REPLICAS: urlList('replicas', ['postgres:']),
};

describe('config', () => {
  it('lists every problem at once in one typed error', () => {
    let error: unknown;
    try {
      loadConfig(specs, { PORT: '70000', DATABASE_URL: 'http://x', REPLICAS: 'postgres://a,nope' });
    } catch (e) {
      error = e;
    }
    expect(error).toMatchObject({ code: 'ORG_SERVICE_CONFIG_INVALID' });
    const problems = (error as { details: { problems: { name: string }[] } }).details.problems
      .map((p) => p.name)
      .sort();
    expect(problems).toEqual(['DATABASE_URL', 'NAME', 'PORT', 'REPLICAS']);
  });

  it('applies defaults and prints them in --help; exits 78 on bad config', async () => {
    expect(loadConfig(specs, { NAME: 'x' })).toEqual({
      PORT: 3000,
      NAME: 'x',
      DATABASE_URL: undefined,
      REPLICAS: [],
    });
    let out = '';
    let err = '';
    const common = {
      name: 'svc',
      version: '1',
      summary: 's',
      specs,
      commands: { start: { description: 'd', run: () => 0 } },
    };
    expect(await runCli({ ...common, argv: ['--help'], out: (t) => (out += t) })).toBe(0);
    expect(out).toMatch(/PORT\s+default: 3000/);
    expect(out).toMatch(/NAME\s+default: \(required\)/);
    expect(await runCli({ ...common, argv: [], env: { PORT: 'x' }, err: (t) => (err += t) })).toBe(78);
    expect(err).toContain('PORT');
    expect(err).toContain('NAME');
    expect(await runCli({ ...common, argv: ['bogus'], err: () => {} })).toBe(2);
  });
});

describe('HttpServer', () => {
  it('drains an in-flight request on close, refuses new connections, leaves nothing behind', async () => {
    const before = activeResources();
    let release: () => void = () => {};
    const http = await HttpServer.listen(
      (_req, res) => {
        release = () => res.end('done');
      },
      { port: 0, host: '127.0.0.1' },
    );
    const req = request(http.url);
    req.end();
    await new Promise((r) => setTimeout(r, 50));
    expect(http.stats().inFlight).toBe(1);
    const closing = http.close();
    await new Promise((r) => setTimeout(r, 20));
    const refused = await new Promise<string>((resolve) => {
      const r2 = request(http.url, () => resolve('answered'));
      r2.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
      r2.end();
    });
    expect(refused).toBe('ECONNREFUSED');
    release();
    const [res] = (await once(req, 'response')) as [import('node:http').IncomingMessage];
    expect(res.headers.connection).toBe('close');
    res.resume();
    await closing;
    await new Promise((r) => setTimeout(r, 20));
    expect(resourcesAddedSince(before)).toEqual({});
  });
});

describe('EmbeddedPostgres (PGlite over the wire protocol)', () => {
  it('runs knex migrations, parameterised queries and transactions through pg, and closes cleanly', async () => {
    const before = activeResources();
    const pg = await EmbeddedPostgres.start();
    const db = knex({ client: 'pg', connection: pg.url, pool: { min: 0, max: pg.maxConnections } });
    try {
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
    await new Promise((r) => setTimeout(r, 20));
    expect(resourcesAddedSince(before)).toEqual({});
  });
});

describe('error codes', () => {
  it('documents every code of the kit in services/README.md', () => {
    const readme = readFileSync(new URL('../../README.md', import.meta.url), 'utf8');
    expect(undocumentedCodes(readme, Object.keys(SERVICE_ERROR_CODES))).toEqual([]);
  });
});
