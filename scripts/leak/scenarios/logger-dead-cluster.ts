/**
 * Logger with the Elasticsearch transport against a dead cluster (a closed port: connections
 * refused): create, log (plain, error with cause, child logger, circular meta), let the transport
 * fail and back off, shutdown with a short deadline. The buffer, the flush timer, the backoff, the
 * client and its sockets must all be gone after shutdown(); unsent entries are counted, not thrown.
 */
import { createServer } from 'node:net';
import { defineScenario } from '@org/shared-leakcheck';
import { createLogger, ElasticsearchTransport } from '@org/shared-logger';

/** A port nothing listens on: bound, then released. */
async function closedPort(): Promise<number> {
  const server = createServer().listen(0, '127.0.0.1');
  await new Promise((resolve) => server.once('listening', resolve));
  const { port } = server.address() as { port: number };
  await new Promise((resolve) => server.close(resolve));
  return port;
}

export default defineScenario<{ url: string }>({
  name: 'logger/dead-cluster',
  description:
    'createLogger(elasticsearch → closed port) → 60 entries → failed _bulk + backoff → shutdown({ timeoutMs: 200 })',
  iterations: 20,
  classes: [ElasticsearchTransport],
  setup: async () => ({ url: `http://127.0.0.1:${await closedPort()}` }),
  async iteration({ url }, i) {
    const logger = createLogger({
      service: { name: 'leak-check', version: '1.0.0', environment: 'test' },
      level: 'debug',
      console: false,
      onError: () => {},
      elasticsearch: {
        node: url,
        flushIntervalMs: 5,
        requestTimeoutMs: 200,
        closeTimeoutMs: 200,
        maxBufferedEntries: 50, // below what is logged: overflow drops too
        backoff: { initialMs: 5, maxMs: 20 },
        onError: () => {},
      },
    });
    const child = logger.child({ requestId: `r${i}` });
    const circular: Record<string, unknown> = { i };
    circular.self = circular;
    for (let n = 0; n < 20; n++) {
      logger.info('order placed', { orderId: n, traceId: `t${i}` });
      logger.error('payment failed', { error: new Error('declined', { cause: new Error('root') }) });
      child.debug('child entry', { circular });
    }
    // Wait for at least one refused _bulk (the transport backs off and keeps the entries).
    for (let n = 0; n < 200 && (logger.stats().elasticsearch?.failedRequests ?? 0) === 0; n++) {
      await new Promise((resolve) => setTimeout(resolve, 2));
    }
    await logger.shutdown({ timeoutMs: 200 });
    await logger.shutdown(); // idempotent
    logger.info('after shutdown: counted, not thrown');
    const stats = logger.stats();
    const es = stats.elasticsearch;
    if (!es || es.failedRequests === 0 || es.reachable)
      throw new Error(`no failed request: ${JSON.stringify(es)}`);
    if (es.sent !== 0 || es.buffered !== 0 || es.dropped.closed + es.dropped.overflow === 0)
      throw new Error(`entries unaccounted for: ${JSON.stringify(es)}`);
    if (stats.droppedAfterShutdown !== 1)
      throw new Error(`droppedAfterShutdown ${stats.droppedAfterShutdown}`);
    return [logger, logger.elasticsearch ?? {}, child];
  },
});
