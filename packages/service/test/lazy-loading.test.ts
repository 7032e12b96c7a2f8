/**
 * A service loads only what it uses: no Elasticsearch client without ELASTICSEARCH_URL, no PGlite
 * with a DATABASE_URL (and never in the service's own process), no Express in the node:http form,
 * no knex or pg without a database. Each case runs the built package in a fresh process whose
 * module hooks record every package it loads.
 */
import { execFile } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { beforeAll, describe, expect, it } from 'vitest';
import { harnessDatabase } from '../src/testing.js';

const run = promisify(execFile);
const hooks = fileURLToPath(new URL('./fixtures/record-packages.mjs', import.meta.url));
const dist = JSON.stringify(fileURLToPath(new URL('../dist/index.js', import.meta.url)));

/** The packages (node_modules names) loaded while `body` runs in a fresh process with the built package. */
async function packagesLoaded(body: string, env: Record<string, string> = {}): Promise<string[]> {
  const script = `
    import { createService } from ${dist};
    ${body}
    process.stdout.write('\\n' + JSON.stringify(globalThis.loadedPackages()) + '\\n');
  `;
  const { stdout } = await run(process.execPath, ['--import', hooks, '--input-type=module', '-e', script], {
    env: { ...process.env, NODE_OPTIONS: '', ...env },
    timeout: 170_000,
  });
  return JSON.parse(stdout.trim().split('\n').at(-1) ?? '[]') as string[];
}

const quiet = `logStream: new (await import('node:stream')).PassThrough().resume(), signals: false`;

let databaseUrl: string;
beforeAll(async () => {
  databaseUrl = (await harnessDatabase('service_lazy')).primary;
});

describe('a service loads only what it uses', () => {
  it('node:http form, no database, no Elasticsearch: no Express, no Elasticsearch client, no knex or pg, no PGlite', async () => {
    const loaded = await packagesLoaded(`
      const service = await createService({ name: 'small', version: '1', http: 'node', env: { PORT: '0' }, ${quiet} });
      await service.listen((req, res) => res.end('ok'));
      await fetch(service.url + '/health');
      await service.close();
    `);
    expect(loaded).toContain('winston');
    expect(loaded).toContain('prom-client');
    for (const name of ['express', '@elastic/elasticsearch', 'knex', 'pg', '@electric-sql/pglite'])
      expect(loaded).not.toContain(name);
  }, 90_000);

  it('Express form with DATABASE_URL: Express, knex and pg, but no PGlite and no Elasticsearch client', async () => {
    const loaded = await packagesLoaded(
      `
      const service = await createService({ name: 'db', version: '1', database: true, env: { PORT: '0', DATABASE_URL: process.env.TEST_DATABASE_URL }, ${quiet} });
      await service.listen();
      await fetch(service.url + '/health');
      await service.close();
    `,
      { TEST_DATABASE_URL: databaseUrl },
    );
    for (const name of ['express', 'knex', 'pg']) expect(loaded).toContain(name);
    for (const name of ['@elastic/elasticsearch', '@electric-sql/pglite', '@electric-sql/pglite-socket'])
      expect(loaded).not.toContain(name);
  }, 90_000);

  it('embedded database (no DATABASE_URL, development): PGlite runs in the child, never in the service process', async () => {
    const loaded = await packagesLoaded(`
      const service = await createService({ name: 'dev', version: '1', database: true, env: { PORT: '0' }, ${quiet} });
      if (!service.embedded) throw new Error('not embedded');
      await service.listen();
      await service.close();
    `);
    expect(loaded).toContain('knex');
    expect(loaded).not.toContain('@electric-sql/pglite');
    expect(loaded).not.toContain('@electric-sql/pglite-socket');
  }, 180_000);

  it('with ELASTICSEARCH_URL the client is loaded (the recorder sees what is loaded)', async () => {
    const loaded = await packagesLoaded(`
      const service = await createService({ name: 'es', version: '1', http: 'node', env: { PORT: '0', ELASTICSEARCH_URL: 'http://127.0.0.1:9' }, ${quiet} });
      service.logger.info('one line to ship');
      await new Promise((resolve) => setTimeout(resolve, 1500));
      await service.close();
    `);
    expect(loaded).toContain('@elastic/elasticsearch');
  }, 90_000);
});
