// Hostile arguments: every call writes exactly one line and none throws, whatever the argument does.
import { describe, expect, it } from 'vitest';
import { createLogger } from '../src/index.js';
import { dag, wide } from './fixtures/hostile-shapes.ts';
import { captureStream, collectingReporter } from './helpers.js';

function make(maxEntryBytes?: number) {
  const stream = captureStream();
  const reporter = collectingReporter();
  const logger = createLogger({
    service: { name: 'hostile', environment: 'test' },
    console: { stream },
    onError: reporter,
    env: {},
    ...(maxEntryBytes ? { maxEntryBytes } : {}),
  });
  return { logger, stream, reporter };
}

const boom = () => {
  throw new Error('trap fired');
};
/** A proxy every trap of which throws (instanceof, in, keys, get…). */
const allTraps = new Proxy(
  {},
  {
    get: boom,
    has: boom,
    ownKeys: boom,
    getPrototypeOf: boom,
    getOwnPropertyDescriptor: boom,
  },
);
const revoked = (() => {
  const { proxy, revoke } = Proxy.revocable({}, {});
  revoke();
  return proxy;
})();
/** A thrown value that is itself hostile: reading its message throws. */
const throwsHostile = {
  get x(): never {
    throw allTraps;
  },
};

describe('a log call with hostile input writes one line and never throws', () => {
  const cases: [string, (logger: ReturnType<typeof make>['logger']) => unknown][] = [
    ['proxy as message', (l) => l.info(allTraps as never)],
    ['proxy via log()', (l) => l.log(allTraps as never)],
    ['proxy via log(level, …)', (l) => l.log('info', allTraps as never)],
    ['proxy as metadata', (l) => l.info('m', allTraps)],
    ['revoked proxy as message', (l) => l.info(revoked as never)],
    ['revoked proxy as metadata', (l) => l.warn('m', revoked)],
    ['proxy nested', (l) => l.info('m', { a: allTraps, b: [allTraps], c: new Map([['k', allTraps]]) })],
    ['proxy under error key', (l) => l.error('m', { error: allTraps, err: revoked })],
    ['getter that throws a hostile value', (l) => l.info('m', throwsHostile)],
    [
      'Error with a throwing cause',
      (l) => {
        const error = new Error('outer');
        Object.defineProperty(error, 'cause', { get: boom });
        return l.error('m', error);
      },
    ],
    ['Error whose cause is a proxy', (l) => l.error('m', new Error('outer', { cause: allTraps }))],
    [
      'Error whose name, message and stack throw',
      (l) => {
        const error = new Error('x');
        for (const key of ['name', 'message', 'stack']) Object.defineProperty(error, key, { get: boom });
        return l.error(error as never);
      },
    ],
    [
      'Error whose message getter throws a hostile value',
      (l) => {
        const error = new Error('x');
        Object.defineProperty(error, 'message', {
          get() {
            throw allTraps;
          },
        });
        return l.error('m', error);
      },
    ],
    [
      'cycle through arrays and maps',
      (l) => {
        const a: unknown[] = [];
        const m = new Map<string, unknown>([['a', a]]);
        a.push(m, a);
        return l.info('m', { a, m });
      },
    ],
    ['huge array', (l) => l.info('m', { list: new Array(10_000_000).fill(1) })],
    ['huge string', (l) => l.info('x'.repeat(5_000_000), { s: 'y'.repeat(5_000_000) })],
    ['huge key', (l) => l.info('m', { ['k'.repeat(1_000_000)]: 1 })],
    ['100 000 top-level keys', (l) => l.info('m', wide(100_000))],
    ['100 000 keys under log(info)', (l) => l.log({ level: 'info', message: 'm', ...wide(100_000) })],
    ['wide shared DAG', (l) => l.info('m', dag())],
    ['BigInt message and values', (l) => l.info(10n as never, { n: 2n ** 200n })],
    ['Symbol keys and values', (l) => l.info(Symbol('s') as never, { [Symbol('k')]: 1, s: Symbol('v') })],
    ['toJSON that throws', (l) => l.info('m', { t: { toJSON: boom } })],
    ['toJSON that throws at top level', (l) => l.info('m', { toJSON: boom })],
    ['toString that throws as message', (l) => l.info({ toString: boom } as never)],
    [
      'level getter that throws',
      (l) =>
        l.log({
          get level(): never {
            return boom();
          },
          message: 'm',
        } as never),
    ],
    [
      'message getter that throws',
      (l) =>
        l.info({
          get message(): never {
            return boom();
          },
        } as never),
    ],
    ['child of a proxy', (l) => l.child(allTraps as never).info('m')],
    ['null prototype', (l) => l.info('m', Object.create(null) as object)],
  ];

  for (const [name, call] of cases) {
    it(name, async () => {
      const { logger, stream } = make();
      expect(() => call(logger)).not.toThrow();
      await logger.shutdown();
      const lines = stream
        .text()
        .split('\n')
        .filter((line) => line !== '');
      expect(lines).toHaveLength(1);
      const line = JSON.parse(lines[0]!) as Record<string, unknown>;
      expect(line).toMatchObject({ 'log.level': expect.any(String), service: { name: 'hostile' } });
      expect(Buffer.byteLength(lines[0]!)).toBeLessThanOrEqual(16 * 1024);
    });
  }

  it('caps top-level keys at 1000 and says how many were left out', async () => {
    const { logger, stream } = make(1024 * 1024);
    logger.info('m', wide(5000));
    await logger.shutdown();
    const [line] = stream.lines();
    expect(Object.keys(line!).filter((key) => key.startsWith('key'))).toHaveLength(1000);
    expect(line).toMatchObject({ key0: 0, key999: 999, extra: { '…': '4000 more keys' } });
  });

  it('puts a placeholder where an argument could not be read and keeps the rest', async () => {
    const { logger, stream } = make();
    logger.info('m', allTraps, { kept: 1 });
    await logger.shutdown();
    expect(stream.lines()[0]).toMatchObject({
      message: 'm',
      kept: 1,
      extra: { args: ['[Unserializable: trap fired]'] },
    });
  });
});

describe('child loggers', () => {
  it('carry their metadata (nested children too) with the call metadata taking precedence', async () => {
    const { logger, stream } = make();
    const child = logger.child({ requestId: 'r-1', a: 1 });
    child.child({ b: 2, a: 3 }).info('nested', { c: 4 });
    child.info('child', { a: 5 });
    child.write({ level: 'info', message: 'direct', d: 6 } as never);
    await logger.shutdown();
    const lines = stream.lines();
    expect(lines[0]).toMatchObject({ message: 'nested', requestId: 'r-1', a: 3, b: 2, c: 4 });
    expect(lines[1]).toMatchObject({ message: 'child', requestId: 'r-1', a: 5 });
    expect(lines[2]).toMatchObject({ message: 'direct', requestId: 'r-1', d: 6 });
    expect(lines).toHaveLength(3);
  });
});
