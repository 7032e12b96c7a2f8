import { mkdtemp, readdir, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { activeResources, resourcesAddedSince } from '@org/shared-lifecycle/testing';
import { describe, expect, it } from 'vitest';
import { createLogger, LoggerError, type LoggerOptions, REDACTED } from '../src/index.js';
import { captureStream, collectingReporter } from './helpers.js';

function make(overrides: Partial<LoggerOptions> = {}) {
  const stream = captureStream();
  const reporter = collectingReporter();
  const logger = createLogger({
    service: { name: 'orders', version: '1.2.3', environment: 'test' },
    console: { stream },
    onError: reporter,
    env: {},
    ...overrides,
  });
  return { logger, stream, reporter };
}

describe('ECS JSON lines', () => {
  it('writes @timestamp, log.level, message, service, trace.id and error fields', async () => {
    const { logger, stream } = make({ now: () => Date.UTC(2025, 0, 2, 3, 4, 5) });
    const error = new TypeError('bad input', { cause: new Error('root cause') });
    logger.error('payment failed', { error, traceId: 'trace-1', orderId: 42 });
    await logger.shutdown();
    const [line] = stream.lines();
    expect(line).toMatchObject({
      '@timestamp': '2025-01-02T03:04:05.000Z',
      'log.level': 'error',
      message: 'payment failed',
      service: { name: 'orders', version: '1.2.3', environment: 'test' },
      trace: { id: 'trace-1' },
      orderId: 42,
      error: { type: 'TypeError', message: 'bad input', cause: { type: 'Error', message: 'root cause' } },
    });
    expect((line!.error as { stack_trace: string }).stack_trace).toContain('TypeError: bad input');
  });

  it('supports logger.log(level, …), log(info), info({message}) and child loggers', async () => {
    const { logger, stream } = make();
    logger.log('warn', 'w1', { a: 1 });
    logger.log({ level: 'info', message: 'i1', b: 2 } as never);
    logger.info({ message: 'i2', c: 3 } as never);
    logger.child({ requestId: 'r-1' }).info('from child', { d: 4 });
    await logger.shutdown();
    const lines = stream.lines();
    expect(lines.map((l) => [l['log.level'], l.message])).toEqual([
      ['warn', 'w1'],
      ['info', 'i1'],
      ['info', 'i2'],
      ['info', 'from child'],
    ]);
    expect(lines[1]).toMatchObject({ b: 2 });
    expect(lines[1]).not.toHaveProperty('extra');
    expect(lines[3]).toMatchObject({ requestId: 'r-1', d: 4 });
  });

  it('redacts secrets by default without mutating the caller, case-insensitively and nested', async () => {
    const { logger, stream } = make();
    const meta = {
      headers: {
        Authorization: 'Bearer x',
        cookie: 'c',
        'Set-Cookie': ['s'],
        'x-api-key': 'k',
        accept: 'json',
      },
      user: { password: 'p', passwd: 'q', name: 'ann' },
      token: 't',
      apikey: 'a',
      api_key: 'b',
      secret: 's',
    };
    const before = structuredClone(meta);
    logger.info('login', meta);
    await logger.shutdown();
    const [line] = stream.lines();
    expect(line).toMatchObject({
      headers: {
        Authorization: REDACTED,
        cookie: REDACTED,
        'Set-Cookie': REDACTED,
        'x-api-key': REDACTED,
        accept: 'json',
      },
      user: { password: REDACTED, passwd: REDACTED, name: 'ann' },
      token: REDACTED,
      apikey: REDACTED,
      api_key: REDACTED,
      secret: REDACTED,
    });
    expect(stream.text()).not.toContain('Bearer');
    expect(meta).toEqual(before);
  });

  it('takes a configurable redaction list (and false for none)', async () => {
    const custom = make({ redact: ['ssn'] });
    custom.logger.info('x', { ssn: '123', password: 'visible' });
    await custom.logger.shutdown();
    expect(custom.stream.lines()[0]).toMatchObject({ ssn: REDACTED, password: 'visible' });
    const none = make({ redact: false });
    none.logger.info('x', { token: 't' });
    await none.logger.shutdown();
    expect(none.stream.lines()[0]).toMatchObject({ token: 't' });
  });
});

describe('bad input never throws and never loses the entry', () => {
  it('handles circular refs, BigInt, Buffers, symbols, __proto__ keys, throwing getters, non-string messages', async () => {
    const { logger, stream, reporter } = make();
    const circular: Record<string, unknown> = { name: 'loop' };
    circular.self = circular;
    const throwing = {
      ok: 1,
      get boom(): never {
        throw new Error('getter exploded');
      },
    };
    const proto = JSON.parse('{"__proto__": {"polluted": true}, "safe": 1}') as object;
    const badToJson = {
      toJSON() {
        throw new Error('no json');
      },
    };
    const hostile = new Proxy(
      {},
      {
        ownKeys() {
          throw new Error('trap');
        },
      },
    );
    const calls: (() => unknown)[] = [
      () => logger.info('circular', circular),
      () => logger.info('bigint', { n: 10n ** 30n }),
      () => logger.info('buffer', { buf: Buffer.from('hello') }),
      () => logger.info('symbol', { s: Symbol('sym'), [Symbol('key')]: 1 }),
      () => logger.info('proto', proto),
      () => logger.info('getter', throwing),
      () => logger.info('tojson', { badToJson }),
      () => logger.info('proxy', { hostile }),
      () => logger.info('proxy-arg', hostile),
      () => logger.info(12345 as never),
      () => logger.info({ nested: { a: 1 } } as never),
      () => logger.info(undefined as never),
      () => logger.info(Symbol('msg') as never),
      () => logger.info(new Error('error as message') as never),
      () => logger.info('nan', { x: Number.NaN, y: Number.POSITIVE_INFINITY, d: new Date(Number.NaN) }),
      () => logger.info('map', { m: new Map([['k', { v: 1 }]]), set: new Set([1, 2]), fn: () => 1 }),
      () => logger.info('deep', nest(50)),
      () => logger.info('primitive meta', 'extra', 7),
    ];
    for (const call of calls) expect(call).not.toThrow();
    await logger.shutdown();
    const lines = stream.lines();
    expect(lines).toHaveLength(calls.length);
    const by = (message: string) => lines.find((l) => l.message === message)!;
    expect(by('circular')).toMatchObject({ name: 'loop', self: '[Circular]' });
    expect(by('bigint')).toMatchObject({ n: (10n ** 30n).toString() });
    expect(by('buffer')).toMatchObject({
      buf: { type: 'Buffer', bytes: 5, base64: Buffer.from('hello').toString('base64') },
    });
    expect(by('symbol')).toMatchObject({ s: 'Symbol(sym)' });
    expect(by('proto')).toMatchObject({ safe: 1 });
    expect(({} as { polluted?: boolean }).polluted).toBeUndefined();
    expect(by('getter')).toMatchObject({ ok: 1, boom: '[Getter threw: getter exploded]' });
    expect(by('tojson')).toMatchObject({ badToJson: '[toJSON threw: no json]' });
    expect(String(by('proxy').hostile)).toContain('Unserializable');
    expect(lines.some((l) => l.message === '12345')).toBe(true);
    expect(lines.some((l) => l.message === '{"nested":{"a":1}}')).toBe(true);
    expect(lines.some((l) => l.message === 'Symbol(msg)')).toBe(true);
    expect(lines.find((l) => l.message === 'error as message')).toMatchObject({ error: { type: 'Error' } });
    expect(by('nan')).toMatchObject({ x: 'NaN', y: 'Infinity', d: 'Invalid Date' });
    expect(by('map')).toMatchObject({ m: { k: { v: 1 } }, set: [1, 2], fn: '[Function fn]' });
    expect(JSON.stringify(by('deep'))).toContain('[Depth]');
    expect(by('primitive meta')).toMatchObject({ extra: { args: ['extra', 7] } });
    // The proxy given as the metadata argument itself: the entry is written with a placeholder for it.
    expect(lines.find((l) => l.message === 'proxy-arg')).toMatchObject({
      extra: { args: ['[Unserializable: trap]'] },
    });
    expect(reporter.errors).toEqual([]);
    expect(logger.stats().formatErrors).toBe(0);
  });

  it('truncates an oversized entry to the byte cap with a marker instead of dropping it', async () => {
    const { logger, stream } = make({ maxEntryBytes: 2048 });
    logger.info('x'.repeat(10_000), { blob: 'é'.repeat(10_000), error: new Error('big'), traceId: 't-9' });
    logger.info('small');
    await logger.shutdown();
    const text = stream.text().split('\n')[0]!;
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(2048);
    const line = JSON.parse(text) as Record<string, unknown>;
    expect(line).toMatchObject({
      'log.truncated': true,
      'log.level': 'info',
      trace: { id: 't-9' },
      error: { type: 'Error' },
    });
    expect(line['log.original_bytes']).toBeGreaterThan(2048);
    expect(String(line.message)).toMatch(/^x+…\[truncated\]$/);
    expect(stream.lines()[1]).toMatchObject({ message: 'small' });
  });
});

describe('levels and options', () => {
  it('uses LOG_LEVEL, else info in production and debug elsewhere', () => {
    expect(make({ env: { LOG_LEVEL: 'warn' } }).logger.level).toBe('warn');
    expect(make({ env: { NODE_ENV: 'production' }, service: { name: 's' } }).logger.level).toBe('info');
    expect(make({ env: {}, service: { name: 's' } }).logger.level).toBe('debug');
    expect(make({ level: 'error', env: { LOG_LEVEL: 'debug' } }).logger.level).toBe('error');
  });

  it('rejects an invalid level at creation with a clear typed error', () => {
    expect(() => make({ env: { LOG_LEVEL: 'loud' } })).toThrow(
      expect.objectContaining({
        code: 'ORG_LOGGER_INVALID_LEVEL',
        message: expect.stringContaining('LOG_LEVEL'),
      }),
    );
    expect(() => make({ level: 'trace' })).toThrow(LoggerError);
    expect(() => make({ service: { name: '' } })).toThrow(
      expect.objectContaining({ code: 'ORG_LOGGER_INVALID_OPTION' }),
    );
    expect(() => make({ maxEntryBytes: -1 })).toThrow(
      expect.objectContaining({ code: 'ORG_LOGGER_INVALID_OPTION' }),
    );
  });

  it('filters by level', async () => {
    const { logger, stream } = make({ level: 'warn' });
    logger.info('hidden');
    logger.debug('hidden');
    logger.warn('shown');
    await logger.shutdown();
    expect(stream.lines().map((l) => l.message)).toEqual(['shown']);
  });

  it('writes a size- and count-limited file only when configured, and closes it on shutdown', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'logger-file-'));
    try {
      const before = activeResources();
      const { logger } = make({ file: { filename: join(dir, 'app.log'), maxSizeBytes: 2048, maxFiles: 2 } });
      for (let i = 0; i < 200; i++) logger.info(`line ${i}`, { pad: 'p'.repeat(50) });
      await logger.shutdown();
      const files = await readdir(dir);
      expect(files.length).toBeGreaterThan(0);
      expect(files.length).toBeLessThanOrEqual(2);
      await new Promise((resolve) => setTimeout(resolve, 20));
      expect(resourcesAddedSince(before)).toEqual({});
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it('counts log calls after shutdown and reports once instead of throwing', async () => {
    const { logger, stream, reporter } = make();
    await logger.shutdown();
    await logger.shutdown();
    expect(() => logger.info('late')).not.toThrow();
    logger.info('later');
    expect(logger.stats()).toMatchObject({ droppedAfterShutdown: 2, closed: true });
    expect(reporter.errors.filter((e) => e.code === 'ORG_LOGGER_CLOSED')).toHaveLength(1);
    expect(stream.text()).toBe('');
  });
});

function nest(depth: number): Record<string, unknown> {
  let value: Record<string, unknown> = { leaf: true };
  for (let i = 0; i < depth; i++) value = { child: value };
  return value;
}
