// The delivery check that runs against a real cluster too:
//   ELASTICSEARCH_URL=http://localhost:9200 npm test -- test/cluster.test.ts
// Without ELASTICSEARCH_URL it runs against the ES test server. (The fault-injection tests in
// es-transport.test.ts need the test server: a real cluster cannot be told to answer 429 on demand.)
import { randomUUID } from 'node:crypto';
import { Client } from '@elastic/elasticsearch';
import { type EsTestServer, startEsTestServer } from '@org/es-test-server';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createLogger } from '../src/index.js';
import { collectingReporter, droppedTotal } from './helpers.js';

let server: EsTestServer | undefined;
let url: string;
let client: Client;

beforeAll(async () => {
  const real = process.env.ELASTICSEARCH_URL;
  if (real) {
    url = real;
  } else {
    server = await startEsTestServer();
    url = server.url;
  }
  client = new Client({ node: url, maxRetries: 0 });
});

afterAll(async () => {
  await client.close();
  await server?.close();
});

it(`delivers every entry exactly once to a data stream (${process.env.ELASTICSEARCH_URL ? 'real cluster' : 'test server'})`, async () => {
  const namespace = `t${randomUUID().replaceAll('-', '').slice(0, 12)}`;
  const reporter = collectingReporter();
  const logger = createLogger({
    service: { name: 'orgtest', version: '0.0.0', environment: 'test' },
    console: false,
    env: {},
    onError: reporter,
    elasticsearch: { node: url, dataStream: { dataset: 'orgtest', namespace }, indexTemplate: true },
  });
  await logger.elasticsearch!.templateReady();
  for (let i = 0; i < 500; i++) logger.info(`entry ${i}`, { seq: i, user: { token: 'secret' } });
  await logger.shutdown({ timeoutMs: 10_000 });
  const stats = logger.stats().elasticsearch!;
  expect(stats.sent).toBe(500);
  expect(stats.sent + droppedTotal(stats.dropped)).toBe(stats.logged);
  const stream = `logs-orgtest-${namespace}`;
  await client.indices.refresh({ index: stream });
  const { count } = await client.count({ index: stream });
  expect(count).toBe(500);
  expect(reporter.errors).toEqual([]);
  await client.indices.deleteDataStream({ name: stream });
});
