import express from 'express';
import { describe, expect, it } from 'vitest';
import {
  createMetrics,
  negotiateContentType,
  OPENMETRICS_CONTENT_TYPE,
  PROMETHEUS_CONTENT_TYPE,
} from '../src/index.js';
import { collectingReporter, listen, samples } from './helpers.js';

const PROMETHEUS_ACCEPT =
  'application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1';

describe('negotiateContentType()', () => {
  it('prefers OpenMetrics only when the client does', () => {
    expect(negotiateContentType(PROMETHEUS_ACCEPT)).toBe(OPENMETRICS_CONTENT_TYPE);
    expect(negotiateContentType(undefined)).toBe(PROMETHEUS_CONTENT_TYPE);
    expect(negotiateContentType('*/*')).toBe(PROMETHEUS_CONTENT_TYPE);
    expect(negotiateContentType('text/plain;version=0.0.4')).toBe(PROMETHEUS_CONTENT_TYPE);
    expect(negotiateContentType('text/plain, application/openmetrics-text;q=0.3')).toBe(
      PROMETHEUS_CONTENT_TYPE,
    );
    expect(negotiateContentType('application/openmetrics-text; version=1.0.0')).toBe(
      OPENMETRICS_CONTENT_TYPE,
    );
    expect(negotiateContentType('application/openmetrics-text;q=0')).toBe(PROMETHEUS_CONTENT_TYPE);
  });
});

describe('handler() on node:http', () => {
  it('serves Prometheus text by default and OpenMetrics when asked', async () => {
    await using m = createMetrics({ defaultMetrics: false });
    m.counter({ name: 'hits', help: 'Hits "quoted" \\ back', labelNames: ['path'] }).inc({
      path: 'a"b\\c\nd',
    });
    await using srv = await listen(m.handler());
    const text = await fetch(`${srv.url}/metrics`);
    expect(text.status).toBe(200);
    expect(text.headers.get('content-type')).toBe(PROMETHEUS_CONTENT_TYPE);
    const body = await text.text();
    expect(body).toContain('# TYPE hits_total counter');
    expect(body).toContain('hits_total{path="a\\"b\\\\c\\nd"} 1');
    const om = await fetch(`${srv.url}/metrics`, { headers: { accept: PROMETHEUS_ACCEPT } });
    expect(om.headers.get('content-type')).toBe(OPENMETRICS_CONTENT_TYPE);
    const omBody = await om.text();
    expect(omBody).toContain('# TYPE hits counter');
    expect(omBody).toContain('# HELP hits Hits \\"quoted\\" \\\\ back');
    expect(omBody).toContain('hits_total{path="a\\"b\\\\c\\nd"} 1');
    expect(omBody.endsWith('# EOF\n')).toBe(true);
    // Rendering OpenMetrics must not rename the counter for later text scrapes (prom-client does).
    expect(await (await fetch(`${srv.url}/metrics`)).text()).toContain('# TYPE hits_total counter');
    const head = await fetch(`${srv.url}/metrics`, { method: 'HEAD' });
    expect(head.status).toBe(200);
    expect(await head.text()).toBe('');
    const post = await fetch(`${srv.url}/metrics`, { method: 'POST' });
    expect(post.status).toBe(405);
    expect(post.headers.get('allow')).toBe('GET, HEAD');
  });

  it('requires the bearer token when one is set', async () => {
    await using m = createMetrics({ defaultMetrics: false });
    await using srv = await listen(m.handler({ bearerToken: 's3cret' }));
    expect((await fetch(srv.url)).status).toBe(401);
    const wrong = await fetch(srv.url, { headers: { authorization: 'Bearer s3cres' } });
    expect(wrong.status).toBe(401);
    expect(wrong.headers.get('www-authenticate')).toBe('Bearer realm="metrics"');
    expect((await fetch(srv.url, { headers: { authorization: 'Basic s3cret' } })).status).toBe(401);
    expect((await fetch(srv.url, { headers: { authorization: 'Bearer s3cret' } })).status).toBe(200);
    expect(() => m.handler({ bearerToken: '' })).toThrow(
      expect.objectContaining({ code: 'ORG_METRICS_INVALID_OPTION' }),
    );
  });

  it('answers 500 and reports when a collect() throws; 503 after destroy; no rejection escapes', async () => {
    const reporter = collectingReporter();
    const m = createMetrics({ defaultMetrics: false, onError: reporter });
    const g = m.gauge({ name: 'g', help: 'g' });
    const original = g.metric.get.bind(g.metric);
    g.metric.get = async () => {
      throw new Error('collect failed');
    };
    const unhandled: unknown[] = [];
    const onUnhandled = (reason: unknown) => unhandled.push(reason);
    process.on('unhandledRejection', onUnhandled);
    try {
      await using srv = await listen(m.handler());
      expect((await fetch(srv.url)).status).toBe(500);
      expect(reporter.errors[0]?.error).toMatchObject({ code: 'ORG_METRICS_COLLECT_FAILED' });
      g.metric.get = original;
      expect((await fetch(srv.url)).status).toBe(200);
      await m.destroy();
      const gone = await fetch(srv.url);
      expect(gone.status).toBe(503);
      expect(reporter.errors).toHaveLength(1);
    } finally {
      process.off('unhandledRejection', onUnhandled);
    }
    expect(unhandled).toEqual([]);
  });

  it('adds and keeps no listeners per request', async () => {
    await using m = createMetrics({ defaultMetrics: false });
    await using srv = await listen(m.handler());
    const before = srv.server.listenerCount('request');
    for (let i = 0; i < 5; i++) await (await fetch(srv.url)).text();
    expect(srv.server.listenerCount('request')).toBe(before);
    expect(process.listenerCount('unhandledRejection')).toBeLessThan(5);
  });
});

describe('handler() on Express', () => {
  it('works as a route handler, with the token and negotiation', async () => {
    await using m = createMetrics({ defaultLabels: { service: 'orders' } });
    m.histogram({ name: 'lat_seconds', help: 'l', labelNames: ['route'] }).observe({ route: '/x' }, 0.3);
    const app = express();
    app.get('/metrics', m.handler({ bearerToken: 'tok' }));
    app.get('/other', (_req, res) => {
      res.send('ok');
    });
    await using srv = await listen(app);
    expect((await fetch(`${srv.url}/metrics`)).status).toBe(401);
    const res = await fetch(`${srv.url}/metrics`, {
      headers: { authorization: 'Bearer tok', accept: PROMETHEUS_ACCEPT },
    });
    expect(res.headers.get('content-type')).toBe(OPENMETRICS_CONTENT_TYPE);
    const s = samples(await res.text());
    expect(s.get('lat_seconds_count{route="/x",service="orders"}')).toBe(1);
    expect(await (await fetch(`${srv.url}/other`)).text()).toBe('ok');
  });
});
