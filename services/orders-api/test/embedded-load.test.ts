/**
 * The main job under load: the built orders-api on its embedded defaults (PGlite in a child
 * process, a one-connection pool), 50 connections of mixed reads and writes through autocannon,
 * then SIGTERM. Zero errors, zero requests left unanswered, a clean exit within two seconds.
 */
import { spawn } from 'node:child_process';
import { waitFor } from '@org/shared-lifecycle/testing';
import autocannon from 'autocannon';
import { describe, expect, it } from 'vitest';

describe('embedded mode under 50 connections', () => {
  it('answers every mixed read and write without an error or a hung request, and exits 0 on SIGTERM', async () => {
    const main = new URL('../dist/main.js', import.meta.url).pathname;
    const env: Record<string, string | undefined> = { ...process.env, PORT: '0' };
    for (const key of ['DATABASE_URL', 'DATABASE_REPLICA_URLS', 'ELASTICSEARCH_URL']) delete env[key];
    const child = spawn(process.execPath, [main], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    // Every request is logged: keep the start (the URL) and the last lines, not all of it.
    let head = '';
    let tail = '';
    const keep = (d: Buffer) => {
      if (head.length < 16_384) head += d.toString();
      tail = (tail + d.toString()).slice(-16_384);
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    const exited = new Promise<{ code: number | null; at: number }>((resolve) =>
      child.once('exit', (code) => resolve({ code, at: performance.now() })),
    );
    try {
      // PGlite's first start takes 5–10 s on an idle box, much longer on a busy one.
      const url = await waitFor(() => /listening on (http:\/\/[\d.:]+)/.exec(head)?.[1] ?? '', {
        timeoutMs: 150_000,
        intervalMs: 100,
        what: 'orders-api to listen',
      });
      expect(head).toContain('embedded PostgreSQL (PGlite) in a child process');
      const result = await autocannon({
        url,
        connections: 50,
        // A fixed number of requests: the run ends only when every one was answered (or timed out).
        amount: 1000,
        timeout: 10,
        requests: [
          {
            method: 'POST',
            path: '/orders',
            headers: { 'content-type': 'application/json' },
            body: JSON.stringify({
              customerId: 'load',
              items: [{ sku: 'SKU-1', quantity: 2, unitPriceCents: 1250 }],
            }),
          },
          { method: 'GET', path: '/orders?limit=20' },
          { method: 'GET', path: '/orders/1' },
          { method: 'GET', path: '/orders?limit=5&status=pending' },
        ],
      });
      expect(result.errors).toBe(0);
      expect(result.timeouts).toBe(0);
      expect(result.non2xx).toBe(0);
      expect(Object.keys(result.statusCodeStats ?? {}).sort()).toEqual(['200', '201']);
      // Every request sent was answered: none hung.
      expect(result.requests.sent).toBe(1000);
      expect(result.requests.total).toBe(1000);
      const signalledAt = performance.now();
      child.kill('SIGTERM');
      const { code, at } = await exited;
      expect(code, tail).toBe(0);
      expect(at - signalledAt).toBeLessThan(2000);
      expect(tail).toContain('"shutdown finished"');
    } finally {
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }, 240_000);
});
