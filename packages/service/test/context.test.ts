// Lines written while serving a request carry the request's ECS ids, through real HTTP requests.
import { describe, expect, it } from 'vitest';
import { createService } from '../src/index.js';
import { logCollector } from '../src/testing.js';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT = '00f067aa0ba902b7';
const headers = { traceparent: `00-${TRACE}-${PARENT}-01`, 'x-request-id': 'req-ctx-1' };

/** The server's span id, from the traceparent of the response. */
function spanOf(response: Response): string {
  const value = response.headers.get('traceparent') ?? '';
  const [, trace, span] = value.split('-');
  expect(trace).toBe(TRACE);
  return span!;
}

function ids(span: string) {
  return {
    trace: { id: TRACE },
    span: { id: span },
    transaction: { id: span },
    http: { request: { id: 'req-ctx-1' } },
  };
}

describe('request context in every line', () => {
  it('Express: logger.info() in a route handler carries trace.id, span.id, transaction.id and http.request.id', async () => {
    const logs = logCollector();
    const service = await createService({
      name: 'ctx',
      version: '1.0.0',
      env: { PORT: '0' },
      logStream: logs.stream,
      signals: false,
    });
    service.app.get('/work', async (_req, res) => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      service.logger.info('working', { step: 1 });
      res.json({ ok: true });
    });
    const url = await service.listen();
    try {
      const response = await fetch(`${url}/work`, { headers });
      expect(response.status).toBe(200);
      const span = spanOf(response);
      await service.close();
      const line = logs.entries().find((entry) => entry.message === 'working');
      expect(line).toMatchObject({ ...ids(span), step: 1 });
      const outside = logs.entries().find((entry) => String(entry.message).includes('listening'));
      expect(outside).toBeDefined();
      expect(outside).not.toHaveProperty('trace');
    } finally {
      await service.close();
    }
  });

  it('node:http: the 500 line of a throwing handler carries the request ids', async () => {
    const logs = logCollector();
    const service = await createService({
      name: 'ctx',
      version: '1.0.0',
      http: 'node',
      env: { PORT: '0' },
      logStream: logs.stream,
      signals: false,
    });
    const url = await service.listen(async () => {
      await new Promise((resolve) => setTimeout(resolve, 5));
      throw new Error('handler exploded');
    });
    try {
      const response = await fetch(`${url}/boom`, { headers });
      expect(response.status).toBe(500);
      const span = spanOf(response);
      await service.close();
      const line = logs.entries().find((entry) => entry.message === 'handler exploded');
      expect(line).toMatchObject({
        'log.level': 'error',
        error: { message: 'handler exploded' },
        ...ids(span),
      });
    } finally {
      await service.close();
    }
  });
});
