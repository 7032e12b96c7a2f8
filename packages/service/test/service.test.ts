import { execFileSync } from 'node:child_process';
import { activeResources, resourcesAddedSince, waitFor } from '@org/shared-lifecycle/testing';
import { beforeAll, describe, expect, it } from 'vitest';
import { codeMigrations, createService } from '../src/index.js';
import { harnessDatabase, logCollector, sql } from '../src/testing.js';

let databaseUrl: string;
beforeAll(async () => {
  databaseUrl = (await harnessDatabase('service_wiring')).primary;
});

const migrations = codeMigrations('greetings_migrations', {
  '001_greetings': {
    up: (knex) =>
      knex.schema.createTable('greetings', (t) => {
        t.bigIncrements('id');
        t.text('name').notNullable();
      }),
    down: (knex) => knex.schema.dropTable('greetings'),
  },
});

describe('createService, the Express form, with a database', () => {
  it('migrates, serves its routes behind the common ones, and closes everything it opened', async () => {
    const before = activeResources();
    const logs = logCollector();
    const service = await createService({
      name: 'greetings',
      version: '1.2.3',
      database: { migrations },
      env: { PORT: '0', DATABASE_URL: databaseUrl },
      logStream: logs.stream,
      signals: false,
    });
    service.app.post('/greetings', async (req, res) => {
      const [row] = await service.database
        .write(req)('greetings')
        .insert({ name: req.body.name })
        .returning('*');
      service.logger.info('greeted', { name: row.name });
      res.status(201).json(row);
    });
    service.app.get('/greetings', async (req, res) => {
      res.json(await service.database.read(req)('greetings').select('name').orderBy('id').limit(20));
    });
    const url = await service.listen();
    try {
      expect(service.environment).toBe('development');
      expect(service.embedded).toBe(false);
      const created = await fetch(`${url}/greetings`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ name: 'ada' }),
      });
      expect(created.status).toBe(201);
      expect(await (await fetch(`${url}/greetings`)).json()).toEqual([{ name: 'ada' }]);
      expect(await sql(databaseUrl, 'select name from greetings')).toEqual([{ name: 'ada' }]);

      // Health: readiness checks the database; no cache may keep it (no ETag either).
      const health = await fetch(`${url}/health`);
      expect(health.status).toBe(200);
      expect(health.headers.get('cache-control')).toBe('no-store');
      expect(health.headers.get('etag')).toBeNull();
      const report = (await health.json()) as { checks: Record<string, { status: string }> };
      expect(Object.keys(report.checks).sort()).toEqual(['database', 'shutdown']);
      const live = (await (await fetch(`${url}/health/live`)).json()) as { probe: string; checks: object };
      expect(live).toMatchObject({ probe: 'liveness', checks: {} });
      const memory = (await (await fetch(`${url}/memory`)).json()) as { rss: number };
      expect(memory.rss).toBeGreaterThan(0);
      expect(memory).not.toHaveProperty('embeddedPostgres');

      // /metrics: health probes are not measured (the request logger's default probes), the
      // service's own routes are; promtool accepts the page.
      const metrics = await (await fetch(`${url}/metrics`)).text();
      expect(metrics).not.toMatch(/http_request_duration_seconds_count\{[^}]*route="\/health/);
      expect(metrics).toMatch(/http_request_duration_seconds_count\{[^}]*route="\/greetings"/);
      expect(metrics).toContain('db_pools_used{pool="primary"');
      expect(execFileSync('promtool', ['check', 'metrics'], { input: metrics, encoding: 'utf8' })).toBe('');

      // The service's own lines go through the same logger (ECS JSON, service name and version).
      await waitFor(() => logs.entries().some((e) => e.message === 'greeted'), {
        timeoutMs: 2000,
        what: 'the log line',
      });
      const line = logs.entries().find((e) => e.message === 'greeted') as Record<string, unknown>;
      expect(line).toMatchObject({
        service: { name: 'greetings', version: '1.2.3', environment: 'development' },
      });
    } finally {
      const result = await service.close();
      expect(result.steps.filter((s) => !s.ok)).toEqual([]);
    }
    await waitFor(() => Object.keys(resourcesAddedSince(before)).length === 0, { timeoutMs: 5000 }).catch(
      () => {},
    );
    expect(resourcesAddedSince(before)).toEqual({});
  });
});

describe('createService, the node:http form, without a database', () => {
  it('puts a plain handler behind the request logger, the common routes and the memory guard; a throwing handler gets a 500', async () => {
    const before = activeResources();
    const logs = logCollector();
    const service = await createService({
      name: 'plain',
      version: '1.0.0',
      http: 'node',
      env: { PORT: '0' },
      logStream: logs.stream,
      signals: false,
    });
    expect(() => service.app).toThrow(expect.objectContaining({ code: 'ORG_SERVICE_NOT_AVAILABLE' }));
    expect(() => service.database).toThrow(expect.objectContaining({ code: 'ORG_SERVICE_NOT_AVAILABLE' }));
    await expect(service.listen()).rejects.toMatchObject({ code: 'ORG_SERVICE_INVALID_OPTION' });
    const service2 = await createService({
      name: 'plain',
      version: '1.0.0',
      http: 'node',
      env: { PORT: '0' },
      logStream: logs.stream,
      signals: false,
    });
    await service.close();
    const url = await service2.listen(async (req, res) => {
      if (req.url === '/boom') throw new Error('handler exploded');
      res.setHeader('content-type', 'text/plain');
      res.end('hello');
    });
    try {
      await expect(service2.listen(() => {})).rejects.toMatchObject({ code: 'ORG_SERVICE_NOT_AVAILABLE' });
      expect(await (await fetch(`${url}/hello`)).text()).toBe('hello');
      const boom = await fetch(`${url}/boom`);
      expect(boom.status).toBe(500);
      expect(await boom.json()).toEqual({
        error: { code: 'ORG_SERVICE_INTERNAL', message: 'internal error' },
      });
      const health = await fetch(`${url}/health`);
      expect(health.status).toBe(200);
      expect(((await health.json()) as { checks: object }).checks).toHaveProperty('shutdown');
      expect((await fetch(`${url}/metrics`)).status).toBe(200);
      await waitFor(() => logs.entries().some((e) => e.message === 'handler exploded'), {
        timeoutMs: 2000,
        what: 'the error line',
      });
    } finally {
      await service2.close();
    }
    await waitFor(() => Object.keys(resourcesAddedSince(before)).length === 0, { timeoutMs: 5000 }).catch(
      () => {},
    );
    expect(resourcesAddedSince(before)).toEqual({});
  });
});
