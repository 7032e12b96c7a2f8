import { TcpProxy } from '@org/shared-database/testing';
import { waitFor } from '@org/shared-lifecycle/testing';
import { harnessDatabase, logCollector } from '@org/shared-service/testing';
import { describe, expect, it } from 'vitest';
import { startOrdersApi } from '../src/service.js';

const order = { customerId: 'cust-outage', items: [{ sku: 'A-1', quantity: 1, unitPriceCents: 100 }] };

describe('orders-api while its primary is unreachable (a TCP proxy in front of it, cut and restored)', () => {
  it('answers 503 ORG_ORDERS_UNAVAILABLE with Retry-After, fails readiness, and recovers without a restart', async () => {
    const urls = await harnessDatabase('orders_api_outage');
    await using proxy = await TcpProxy.start(urls.primary);
    const api = await startOrdersApi({
      env: { PORT: '0', DATABASE_URL: proxy.url(urls.primary), DATABASE_REPLICA_URLS: '' },
      logStream: logCollector().stream,
      signals: false,
    });
    const create = () =>
      fetch(`${api.url}/orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(order),
      });
    try {
      expect((await create()).status).toBe(201);
      await proxy.cut('refuse');
      for (const res of [await create(), await fetch(`${api.url}/orders?limit=5`)]) {
        expect(res.status).toBe(503);
        expect(Number(res.headers.get('retry-after'))).toBeGreaterThan(0);
        expect(((await res.json()) as { error: unknown }).error).toMatchObject({
          code: 'ORG_ORDERS_UNAVAILABLE',
          details: { reason: 'ORG_DATABASE_CONNECTION' },
        });
      }
      expect((await fetch(`${api.url}/health`)).status).toBe(503);
      await proxy.restore();
      await waitFor(async () => (await fetch(`${api.url}/health`)).status === 200, {
        timeoutMs: 15_000,
        what: 'readiness back',
      });
      expect((await create()).status).toBe(201);
      const list = (await (await fetch(`${api.url}/orders?limit=5`)).json()) as { orders: unknown[] };
      expect(list.orders).toHaveLength(2);
    } finally {
      expect((await api.close()).code).toBe(0);
    }
  }, 60_000);
});
