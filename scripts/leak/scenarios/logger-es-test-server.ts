/**
 * Logger with the Elasticsearch transport against the ES test server (@org/es-test-server):
 * create, log, deliver (with item-level 429s and a whole-request 503 on some iterations), shutdown
 * (which flushes). The test server lives in setup and its bookkeeping is reset every iteration (it
 * counts ids and documents on purpose; that is test tooling, not the logger).
 */

import { type EsTestServer, startEsTestServer } from '@org/es-test-server';
import { defineScenario } from '@org/shared-leakcheck';
import { createLogger, ElasticsearchTransport } from '@org/shared-logger';

export default defineScenario<EsTestServer>({
  name: 'logger/es-test-server',
  description:
    'createLogger(elasticsearch → ES test server, faults on some iterations) → 60 entries → shutdown (all delivered)',
  iterations: 30,
  classes: [ElasticsearchTransport],
  setup: () => startEsTestServer({ storeDocs: false }),
  async iteration(es, i) {
    es.reset();
    if (i % 3 === 1) es.setFault({ kind: 'items', status: 429, every: 4, times: 10 });
    else if (i % 3 === 2) es.setFault({ kind: 'status', status: 503, times: 1 });
    else es.setFault(null);
    const logger = createLogger({
      service: { name: 'leak-check', version: '1.0.0', environment: 'test' },
      console: false,
      onError: () => {},
      elasticsearch: {
        node: es.url,
        flushIntervalMs: 5,
        batchSize: 25,
        backoff: { initialMs: 5, maxMs: 20 },
        onError: () => {},
      },
    });
    for (let n = 0; n < 60; n++) logger.info(`entry ${i}/${n}`, { n, user: { password: 'redacted' } });
    await logger.shutdown({ timeoutMs: 3000 });
    const stats = logger.stats().elasticsearch;
    if (stats?.sent !== 60 || stats.buffered !== 0 || stats.inFlight !== 0)
      throw new Error(`not all delivered: ${JSON.stringify(stats)}`);
    if (es.duplicates().length > 0) throw new Error(`duplicates: ${es.duplicates().length}`);
    return [logger, logger.elasticsearch ?? {}];
  },
  teardown: (es) => es.close(),
});
