import { AsyncLocalStorage } from 'node:async_hooks';
import { describe, expect, it } from 'vitest';
import { createLogger } from '../src/index.js';
import { captureStream, collectingReporter } from './helpers.js';

describe('context: fields from the caller’s context in every entry', () => {
  it('adds what context() returns (per call, from an AsyncLocalStorage), with the precedence documented', async () => {
    const storage = new AsyncLocalStorage<{ traceId: string; requestId: string }>();
    const stream = captureStream();
    const logger = createLogger({
      service: { name: 'ctx' },
      console: { stream },
      env: {},
      onError: collectingReporter(),
      defaultMeta: { a: 'default', b: 'default', c: 'default', d: 'default' },
      context: () => {
        const store = storage.getStore();
        return (
          store && {
            trace: { id: store.traceId },
            http: { request: { id: store.requestId } },
            b: 'context',
            c: 'context',
            d: 'context',
          }
        );
      },
    });
    logger.info('outside');
    await storage.run({ traceId: 't-1', requestId: 'r-1' }, async () => {
      await new Promise((resolve) => setTimeout(resolve, 1));
      logger.child({ c: 'child', d: 'child' }).info('inside', { d: 'call' });
    });
    storage.run({ traceId: 't-2', requestId: 'r-2' }, () => logger.warn('second'));
    await logger.shutdown();
    const [outside, inside, second] = stream.lines();
    expect(outside).not.toHaveProperty('trace');
    expect(outside).not.toHaveProperty('http');
    expect(inside).toMatchObject({
      trace: { id: 't-1' },
      http: { request: { id: 'r-1' } },
      a: 'default',
      b: 'context',
      c: 'child',
      d: 'call',
    });
    expect(second).toMatchObject({ trace: { id: 't-2' }, http: { request: { id: 'r-2' } } });
  });

  it('writes the entry with a placeholder when context() throws, and rejects a non-function', async () => {
    const stream = captureStream();
    const logger = createLogger({
      service: { name: 'ctx' },
      console: { stream },
      env: {},
      onError: collectingReporter(),
      context: () => {
        throw new Error('no store');
      },
    });
    expect(() => logger.info('m', { kept: 1 })).not.toThrow();
    await logger.shutdown();
    expect(stream.lines()).toEqual([
      expect.objectContaining({ message: 'm', kept: 1, extra: { args: ['[context() threw: no store]'] } }),
    ]);
    expect(() => createLogger({ service: { name: 'x' }, context: 'no' as never })).toThrow(
      expect.objectContaining({ code: 'ORG_LOGGER_INVALID_OPTION' }),
    );
  });
});
