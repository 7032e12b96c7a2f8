import { once } from 'node:events';
import { request } from 'node:http';
import { activeResources, resourcesAddedSince } from '@org/shared-lifecycle/testing';
import { describe, expect, it } from 'vitest';
import { HttpServer } from '../src/index.js';

describe('HttpServer', () => {
  it('drains an in-flight request on close, refuses new connections, leaves nothing behind', async () => {
    const before = activeResources();
    let release: () => void = () => {};
    const http = await HttpServer.listen(
      (_req, res) => {
        release = () => res.end('done');
      },
      { port: 0, host: '127.0.0.1' },
    );
    const req = request(http.url);
    req.end();
    await new Promise((r) => setTimeout(r, 50));
    expect(http.stats().inFlight).toBe(1);
    const closing = http.close();
    await new Promise((r) => setTimeout(r, 20));
    const refused = await new Promise<string>((resolve) => {
      const r2 = request(http.url, () => resolve('answered'));
      r2.on('error', (e: NodeJS.ErrnoException) => resolve(e.code ?? 'error'));
      r2.end();
    });
    expect(refused).toBe('ECONNREFUSED');
    release();
    const [res] = (await once(req, 'response')) as [import('node:http').IncomingMessage];
    expect(res.headers.connection).toBe('close');
    res.resume();
    await closing;
    await new Promise((r) => setTimeout(r, 20));
    expect(resourcesAddedSince(before)).toEqual({});
  });
});
