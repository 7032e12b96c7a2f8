import { Client } from '@elastic/elasticsearch';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type EsTestServer, startEsTestServer } from '../src/index.js';

let server: EsTestServer;
let client: Client;
beforeEach(async () => {
  server = await startEsTestServer();
  client = new Client({ node: server.url, maxRetries: 0 });
});
afterEach(async () => {
  await client.close();
  await server.close();
});

describe('ES test server', () => {
  it('passes the official client product check and answers in its compatible-with content type', async () => {
    const info = await client.info({}, { meta: true });
    expect(info.headers['x-elastic-product']).toBe('Elasticsearch');
    expect(info.headers['content-type']).toBe('application/vnd.elasticsearch+json; compatible-with=9');
    expect(info.body.version.number).toBe('9.1.0');
  });

  it('parses real NDJSON and answers one item per operation, in request order', async () => {
    const response = await client.bulk({
      index: 'logs-a-default',
      operations: [
        { create: { _id: 'one' } },
        { message: 'a' },
        { create: {} },
        { message: 'b' },
        { create: { _id: 'one' } },
        { message: 'a again' },
      ],
    });
    expect(response.errors).toBe(true);
    expect(response.items.map((item) => item.create?.status)).toEqual([201, 201, 409]);
    expect(server.received).toBe(2);
    expect(server.conflicts).toBe(1);
    expect(server.docs.map((d) => d.source.message)).toEqual(['a', 'b']);
  });

  it('scripts item-level and whole-request faults, with `times`', async () => {
    server.setFault({ kind: 'items', status: 429, every: 2 });
    const ops = [{ create: {} }, { message: 'x1' }, { create: {} }, { message: 'x2' }];
    const partial = await client.bulk({ index: 'i', operations: ops });
    expect(partial.items.map((item) => item.create?.status)).toEqual([201, 429]);
    expect(partial.items[1]?.create?.error?.type).toBe('es_rejected_execution_exception');
    server.setFault({ kind: 'status', status: 503, times: 1 });
    await expect(client.bulk({ index: 'i', operations: ops })).rejects.toMatchObject({ statusCode: 503 });
    await expect(client.bulk({ index: 'i', operations: ops })).resolves.toMatchObject({ errors: false });
    expect(server.bulkRequests).toBe(3);
  });

  it('down() refuses connections and up() listens again on the same port', async () => {
    const port = server.port;
    await server.down();
    expect(server.isUp).toBe(false);
    await expect(client.info()).rejects.toMatchObject({ name: 'ConnectionError' });
    await server.up();
    expect(server.port).toBe(port);
    await expect(client.info()).resolves.toMatchObject({ tagline: 'You Know, for Search' });
  });

  it('resets a connection mid-response after storing the documents', async () => {
    server.setFault({ kind: 'reset', times: 1 });
    await expect(
      client.bulk({ index: 'i', operations: [{ create: {} }, { message: 'r' }] }),
    ).rejects.toThrow();
    expect(server.received).toBe(1);
  });

  it.each(['truncated', 'short', 'empty'] as const)(
    'stores the documents and then sends a %s answer',
    async (mode) => {
      server.setFault({ kind: 'malformed', mode, times: 1 });
      const operations = [1, 2, 3, 4].flatMap((n) => [{ create: { _id: `m${n}` } }, { message: `m${n}` }]);
      const answer = client.bulk({ index: 'i', operations });
      if (mode === 'truncated') await expect(answer).rejects.toMatchObject({ name: 'DeserializationError' });
      else {
        const body = await answer;
        expect(body.items ?? []).toHaveLength(mode === 'short' ? 2 : 0);
      }
      expect(server.received).toBe(4);
      // The fault was used once: the re-send is answered in full (409 on the ids already stored).
      const again = await client.bulk({ index: 'i', operations });
      expect(again.items.map((item) => item.create?.status)).toEqual([409, 409, 409, 409]);
    },
  );
});
