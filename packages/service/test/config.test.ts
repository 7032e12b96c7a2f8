import { readFileSync } from 'node:fs';
import { activeResources, resourcesAddedSince, undocumentedCodes } from '@org/shared-lifecycle/testing';
import { describe, expect, it } from 'vitest';
import {
  createService,
  DEFAULT_PRODUCTION_DRAIN_MS,
  environmentOf,
  int,
  loadConfig,
  loadServiceConfig,
  optionalUrl,
  runCli,
  runServiceCli,
  SERVICE_ERROR_CODES,
  ServiceError,
  str,
  urlList,
} from '../src/index.js';
import { drainMsOf } from '../src/specs.js';

const specs = {
  PORT: int({ desc: 'port', default: 3000, min: 0, max: 65535 }),
  NAME: str({ desc: 'a required name' }),
  DATABASE_URL: optionalUrl('db', ['postgres:']),
  REPLICAS: urlList('replicas', ['postgres:']),
};

function thrown(fn: () => unknown): unknown {
  try {
    fn();
  } catch (error) {
    return error;
  }
  throw new Error('did not throw');
}

describe('config', () => {
  it('lists every problem at once in one typed error, and never a password', () => {
    const error = thrown(() =>
      loadConfig(specs, {
        PORT: '70000',
        DATABASE_URL: 'http://user:hunter2@x',
        REPLICAS: 'postgres://a,nope://u:hunter2@h',
      }),
    );
    expect(error).toMatchObject({ code: 'ORG_SERVICE_CONFIG_INVALID' });
    const problems = (error as ServiceError).details?.problems as { name: string }[];
    expect(problems.map((p) => p.name).sort()).toEqual(['DATABASE_URL', 'NAME', 'PORT', 'REPLICAS']);
    expect(JSON.stringify(problems) + (error as Error).message).not.toContain('hunter2');
  });

  it('takes an empty variable (VAR= in a compose file) as unset', () => {
    const config = loadServiceConfig(
      { database: true },
      {
        ELASTICSEARCH_URL: '',
        SHUTDOWN_DRAIN_MS: '',
        MEMORY_GUARD_MAX_HEAP_RATIO: '',
        DATABASE_URL: '',
        PORT: '',
      },
    );
    expect(config).toMatchObject({ ELASTICSEARCH_URL: undefined, SHUTDOWN_DRAIN_MS: undefined, PORT: 3000 });
  });

  it('applies defaults and prints them in --help; exits 78 on bad config, 2 on a bad command', async () => {
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

describe('the environment and its defaults', () => {
  it('follows NODE_ENV unless SERVICE_ENV is set; development when neither is', () => {
    const env = (e: Record<string, string>) => environmentOf(loadServiceConfig({}, e), e);
    expect(env({})).toBe('development');
    expect(env({ NODE_ENV: 'production' })).toBe('production');
    expect(env({ NODE_ENV: 'production', SERVICE_ENV: 'staging' })).toBe('staging');
    expect(env({ NODE_ENV: 'test' })).toBe('test');
  });

  it('drains 5 s on SIGTERM in production and not at all in development, unless SHUTDOWN_DRAIN_MS says', () => {
    const drain = (e: Record<string, string>) => {
      const config = loadServiceConfig({}, e);
      return drainMsOf(config, environmentOf(config, e));
    };
    expect(drain({ NODE_ENV: 'production' })).toBe(DEFAULT_PRODUCTION_DRAIN_MS);
    expect(drain({})).toBe(0);
    expect(drain({ SHUTDOWN_DRAIN_MS: '1500' })).toBe(1500);
    expect(drain({ NODE_ENV: 'production', SHUTDOWN_DRAIN_MS: '0' })).toBe(0);
    // The drain must leave time to close.
    const error = thrown(() =>
      loadServiceConfig({}, { NODE_ENV: 'production', SHUTDOWN_TIMEOUT_MS: '4000' }),
    ) as ServiceError;
    expect(error.code).toBe('ORG_SERVICE_CONFIG_INVALID');
    expect(error.message).toMatch(/SHUTDOWN_DRAIN_MS: must be below SHUTDOWN_TIMEOUT_MS \(4000\), got 5000/);
  });

  it('in production, a service with a database and no DATABASE_URL is a start-up error that says what to set', () => {
    const error = thrown(() =>
      loadServiceConfig({ database: true }, { NODE_ENV: 'production' }),
    ) as ServiceError;
    expect(error).toBeInstanceOf(ServiceError);
    expect(error.code).toBe('ORG_SERVICE_DATABASE_REQUIRED');
    expect(error.message).toContain('set DATABASE_URL=postgres://');
    // A service without a database, a development box, or a DATABASE_URL: no error.
    expect(() => loadServiceConfig({}, { NODE_ENV: 'production' })).not.toThrow();
    expect(() => loadServiceConfig({ database: true }, {})).not.toThrow();
    expect(() =>
      loadServiceConfig({ database: true }, { NODE_ENV: 'production', DATABASE_URL: 'postgres://db/x' }),
    ).not.toThrow();
  });

  it('createService refuses before anything starts (no embedded database, no handle left)', async () => {
    const before = activeResources();
    await expect(
      createService({ name: 'prod', version: '1', database: true, env: { NODE_ENV: 'production' } }),
    ).rejects.toMatchObject({ code: 'ORG_SERVICE_DATABASE_REQUIRED' });
    // The same with a configuration loaded elsewhere (checked again by createService).
    const config = loadServiceConfig({ database: true }, {});
    await expect(
      createService({ name: 'prod', version: '1', database: true, config, env: { NODE_ENV: 'production' } }),
    ).rejects.toMatchObject({ code: 'ORG_SERVICE_DATABASE_REQUIRED' });
    expect(resourcesAddedSince(before)).toEqual({});
  });

  it('the CLI exits 78 with the message (EX_CONFIG), having started nothing', async () => {
    let started = false;
    const cli = async (env: Record<string, string>) => {
      let err = '';
      const code = await runServiceCli({
        name: 'prod',
        version: '1',
        summary: 's',
        start: async () => {
          started = true;
        },
        migrate: async () => [],
        argv: [],
        env,
        err: (t) => (err += t),
      });
      return { code, err };
    };
    // A bad variable first (every one at once) …
    const bad = await cli({ NODE_ENV: 'production', PORT: 'x' });
    expect(bad.code).toBe(78);
    expect(bad.err).toContain('ORG_SERVICE_CONFIG_INVALID');
    // … then the production rule.
    const production = await cli({ NODE_ENV: 'production' });
    expect(production.code).toBe(78);
    expect(production.err).toContain('ORG_SERVICE_DATABASE_REQUIRED');
    expect(production.err).toContain('DATABASE_URL');
    expect(started).toBe(false);
  });

  it('checks its own options with typed errors', async () => {
    await expect(createService({ name: '', version: '1' })).rejects.toMatchObject({
      code: 'ORG_SERVICE_INVALID_OPTION',
      details: { option: 'name' },
    });
    await expect(
      createService({ name: 'x', version: '1', http: 'koa' as 'node', env: {} }),
    ).rejects.toMatchObject({ code: 'ORG_SERVICE_INVALID_OPTION', details: { option: 'http' } });
  });
});

describe('error codes', () => {
  it('documents every code in the README', () => {
    const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
    expect(undocumentedCodes(readme, Object.keys(SERVICE_ERROR_CODES))).toEqual([]);
  });
});
