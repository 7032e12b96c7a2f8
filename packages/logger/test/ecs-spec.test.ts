// Every line the logger writes, for every kind of call, against the ecs-logging spec.
import { describe, expect, it } from 'vitest';
import { createLogger } from '../src/index.js';
import { ecsViolations, spec } from './ecs-spec.js';
import { captureStream, collectingReporter } from './helpers.js';

describe('ecs-logging spec conformance', () => {
  it('the vendored spec is the one the checker reads', () => {
    expect(Object.keys(spec.fields)).toEqual(
      expect.arrayContaining(['@timestamp', 'log.level', 'message', 'ecs.version', 'event.dataset']),
    );
    expect(spec.fields['@timestamp']).toMatchObject({ required: true, index: 0 });
  });

  it('the checker rejects lines that break the spec', () => {
    const good = {
      '@timestamp': '2025-01-02T03:04:05.000Z',
      'log.level': 'info',
      message: 'm',
      'ecs.version': '8.11.0',
    };
    expect(ecsViolations(JSON.stringify(good))).toEqual([]);
    const { '@timestamp': _t, ...noTime } = good;
    expect(ecsViolations(JSON.stringify(noTime))).not.toEqual([]);
    expect(ecsViolations(JSON.stringify({ ...good, '@timestamp': '2025-01-02 03:04' }))).not.toEqual([]);
    expect(
      ecsViolations(
        JSON.stringify({
          message: 'm',
          '@timestamp': good['@timestamp'],
          'log.level': 'info',
          'ecs.version': '8.11.0',
        }),
      ),
    ).not.toEqual([]);
    const { 'log.level': _l, ...noLevel } = good;
    expect(ecsViolations(JSON.stringify({ ...noLevel, log: { level: 'info' } }))).not.toEqual([]);
    expect(ecsViolations(JSON.stringify({ ...good, log: { level: 'x' } }))).not.toEqual([]);
    expect(ecsViolations(JSON.stringify({ ...good, labels: { 'a.b': 1 } }))).not.toEqual([]);
    expect(ecsViolations(JSON.stringify({ ...good, service: { name: 1 } }))).not.toEqual([]);
  });

  it('every line the logger writes conforms, with event.dataset and service.name set to the service', async () => {
    const stream = captureStream();
    const logger = createLogger({
      service: { name: 'orders', version: '1.2.3', environment: 'test' },
      console: { stream },
      onError: collectingReporter(),
      env: {},
      maxEntryBytes: 1024,
      defaultMeta: { host: { name: 'h1' } },
    });
    const hostile = new Proxy(
      {},
      {
        getPrototypeOf: () => {
          throw new Error('trap');
        },
      },
    );
    logger.info('plain');
    logger.warn('with meta', { orderId: 42, user: { id: 'u1' } });
    logger.error('failed', { error: new Error('boom', { cause: new Error('root') }) });
    logger.error(new Error('error as message') as never);
    logger.info('trace', { traceId: 'abc', span: { id: 's1' }, transaction: { id: 't1' } });
    logger.info('labels', { labels: { 'a.b': 1, 'c*d': 2, 'e\\f': 3, ok: 4 } });
    logger.info('event', { event: { action: 'created' } });
    logger.info('reserved keys', {
      '@timestamp': 'x',
      'log.level': 'x',
      message: 'x',
      'ecs.version': 'x',
      log: { level: 'nested' },
    });
    logger.info('x'.repeat(5000), { big: 'y'.repeat(5000), error: new Error('big') });
    logger.info(hostile as never);
    logger.info(12345 as never);
    logger.info({ message: 'object message', extra: 1 } as never);
    logger.log({ level: 'debug', message: 'log(info)' });
    logger.child({ requestId: 'r1' }).http('child');
    logger.info('');
    await logger.shutdown();
    const lines = stream
      .text()
      .split('\n')
      .filter((line) => line !== '');
    expect(lines).toHaveLength(15);
    for (const line of lines)
      expect({ line, violations: ecsViolations(line) }).toEqual({ line, violations: [] });
    for (const doc of stream.lines()) {
      expect(doc).toMatchObject({
        service: { name: 'orders' },
        event: { dataset: 'orders' },
        'ecs.version': '8.11.0',
      });
    }
    const docs = stream.lines();
    expect(docs.find((d) => d.message === 'labels')).toMatchObject({
      labels: { a_b: 1, c_d: 2, e_f: 3, ok: 4 },
    });
    expect(docs.find((d) => d.message === 'event')).toMatchObject({
      event: { action: 'created', dataset: 'orders' },
    });
    expect(docs.find((d) => d.message === 'reserved keys')).toMatchObject({
      extra: { log: { level: 'nested' } },
    });
  });
});
