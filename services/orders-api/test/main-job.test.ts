import { spawn } from 'node:child_process';
import { describe, expect, it } from 'vitest';

// The README's first command on a fresh machine: no DATABASE_URL, no ELASTICSEARCH_URL.
describe('main job on embedded defaults', () => {
  it('starts on PGlite, seeds orders, answers curl-style requests, and stops with code 0 on SIGTERM', async () => {
    const main = new URL('../dist/main.js', import.meta.url).pathname;
    const env: Record<string, string | undefined> = {
      ...process.env,
      PORT: '0',
      NODE_OPTIONS: '--max-old-space-size=384 --max-semi-space-size=4',
    };
    for (const key of ['DATABASE_URL', 'DATABASE_REPLICA_URLS', 'ELASTICSEARCH_URL']) delete env[key];
    const child = spawn(process.execPath, [main], { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.on('data', (d: Buffer) => {
      out += d.toString();
    });
    child.stderr.on('data', (d: Buffer) => {
      out += d.toString();
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    try {
      // PGlite's first start (WASM compile, initdb) takes 5–10 s on an idle box, much longer on a busy one.
      const deadline = Date.now() + 120_000;
      while (!/listening on (http:\/\/[\d.:]+)/.test(out) && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 50));
      const url = /listening on (http:\/\/[\d.:]+)/.exec(out)?.[1];
      expect(url, out).toBeDefined();
      expect(out).toContain('embedded PostgreSQL (PGlite)');
      const list = (await (await fetch(`${url}/orders`)).json()) as { orders: unknown[] };
      expect(list.orders).toHaveLength(5);
      const created = await fetch(`${url}/orders`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ customerId: 'me', items: [{ sku: 'X', quantity: 1, unitPriceCents: 1 }] }),
      });
      expect(created.status).toBe(201);
      child.kill('SIGTERM');
      expect(await exited).toBe(0);
      expect(out).toContain('"shutdown finished"');
    } finally {
      // A failed assertion or a timeout must not leave the service (and its PGlite child) running.
      if (child.exitCode === null) child.kill('SIGKILL');
    }
  }, 180_000);

  it('--help lists every variable with its default; bad config lists every problem and exits 78', async () => {
    const main = new URL('../dist/main.js', import.meta.url).pathname;
    const run = (args: string[], env: Record<string, string>) =>
      new Promise<{ code: number | null; out: string }>((resolve) => {
        const child = spawn(process.execPath, [main, ...args], {
          env: { ...process.env, ...env },
          stdio: ['ignore', 'pipe', 'pipe'],
        });
        let out = '';
        child.stdout.on('data', (d: Buffer) => (out += d.toString()));
        child.stderr.on('data', (d: Buffer) => (out += d.toString()));
        child.once('exit', (code) => resolve({ code, out }));
      });
    const help = await run(['--help'], {});
    expect(help.code).toBe(0);
    expect(help.out).toMatch(/BODY_LIMIT\s+default: 1048576/);
    const bad = await run([], { PORT: 'abc', PAGE_SIZE_MAX: '0', DATABASE_URL: 'mysql://x' });
    expect(bad.code).toBe(78);
    for (const name of ['PORT', 'PAGE_SIZE_MAX', 'DATABASE_URL']) expect(bad.out).toContain(name);
  });
});
