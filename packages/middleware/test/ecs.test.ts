import { readFileSync } from 'node:fs';
import http from 'node:http';
import { isIP } from 'node:net';
import { Writable } from 'node:stream';
import { waitFor } from '@org/shared-lifecycle/testing';
import { createLogger } from '@org/shared-logger';
import express from 'express';
import pino from 'pino';
import { pinoHttp } from 'pino-http';
import { describe, expect, test } from 'vitest';
import { errorHandler, requestLogger } from '../src/index.js';
import { request, startServer } from './helpers.js';

interface SpecField {
  type: 'datetime' | 'string' | 'integer' | 'object';
  required: boolean;
  index?: number;
  top_level_field?: boolean;
}
interface EcsField {
  type: string;
  allowed?: string[];
}
const data = (name: string) =>
  JSON.parse(readFileSync(new URL(`./data/ecs/${name}`, import.meta.url), 'utf8'));
// The ecs-logging spec is vendored once, beside the logger's own spec test.
const spec = JSON.parse(
  readFileSync(new URL('../../logger/test/fixtures/ecs-logging-spec.json', import.meta.url), 'utf8'),
) as { fields: Record<string, SpecField> };
const ecsFields = data('ecs-fields.json') as Record<string, EcsField>;

/** Fields the request logger writes that ECS does not define, by prefix, and why. */
const NOT_ECS: Record<string, string> = {
  'http.route': "OpenTelemetry's name for the route template; ECS has no route field",
  'http.request.headers.': 'the redacted request headers (as Elastic APM records them)',
  'http.response.headers.': 'the redacted response headers',
  'http.request.aborted': 'the client went away before the response finished',
  'http.request.body.truncated': 'capture detail: the content is not the whole body',
  'http.request.body.truncated_by': 'capture detail: why',
  'http.request.body.skipped': 'capture detail: why the body was not captured',
  'http.response.body.truncated': 'capture detail',
  'http.response.body.truncated_by': 'capture detail',
  'http.response.body.skipped': 'capture detail',
};
const ISO_8601 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/** Dotted field name → value; a field given both dotted and nested is reported. */
function flatten(doc: Record<string, unknown>, problems: string[]): Map<string, unknown> {
  const out = new Map<string, unknown>();
  const walk = (value: unknown, path: string) => {
    if (value !== null && typeof value === 'object' && !Array.isArray(value) && path !== 'labels') {
      for (const [key, member] of Object.entries(value)) walk(member, path === '' ? key : `${path}.${key}`);
      return;
    }
    if (out.has(path)) problems.push(`${path} is given twice`);
    out.set(path, value);
  };
  walk(doc, '');
  return out;
}

function typeProblem(type: string, value: unknown): string | undefined {
  switch (type) {
    case 'datetime':
    case 'date':
      return typeof value === 'string' && ISO_8601.test(value) && !Number.isNaN(Date.parse(value))
        ? undefined
        : 'not an ISO 8601 time';
    case 'string':
    case 'keyword':
    case 'wildcard':
    case 'match_only_text':
      return typeof value === 'string' ? undefined : 'not a string';
    case 'integer':
    case 'long':
      return Number.isSafeInteger(value) ? undefined : 'not an integer';
    case 'ip':
      return typeof value === 'string' && isIP(value) !== 0 ? undefined : 'not an IP address';
    case 'object':
      return value !== null && typeof value === 'object' ? undefined : 'not an object';
    default:
      return `unknown type ${type}`;
  }
}

/**
 * Problems of one log line against the ecs-logging spec (required fields, top-level dotted fields,
 * the order of the first keys, types) and, for the fields it carries, ECS's field types; a field
 * neither ECS nor in NOT_ECS is a problem too.
 */
function validate(line: string): string[] {
  const problems: string[] = [];
  let doc: Record<string, unknown>;
  try {
    doc = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return ['not JSON'];
  }
  const flat = flatten(doc, problems);
  const keys = Object.keys(doc);
  for (const [name, field] of Object.entries(spec.fields)) {
    if (field.required && !flat.has(name)) problems.push(`${name} is required`);
    if (field.top_level_field && flat.has(name) && !(name in doc))
      problems.push(`${name} must be a top-level dotted key`);
    if (field.index !== undefined && flat.has(name) && keys[field.index] !== name) {
      problems.push(`${name} should be key ${field.index}, is ${keys.indexOf(name)}`);
    }
    if (name === 'labels' ? doc.labels !== undefined : flat.has(name)) {
      const problem = typeProblem(field.type, name === 'labels' ? doc.labels : flat.get(name));
      if (problem !== undefined) problems.push(`${name}: ${problem} (spec)`);
    }
  }
  for (const [name, value] of flat) {
    const ecs = ecsFields[name];
    if (ecs !== undefined) {
      const problem = typeProblem(ecs.type, value);
      if (problem !== undefined) problems.push(`${name}: ${problem} (ECS ${ecs.type})`);
      if (ecs.allowed !== undefined && !ecs.allowed.includes(String(value)))
        problems.push(`${name}: ${String(value)} is not allowed`);
    } else if (
      !Object.keys(NOT_ECS).some(
        (prefix) => name === prefix || (prefix.endsWith('.') && name.startsWith(prefix)),
      )
    ) {
      problems.push(`${name} is neither an ECS field nor a documented extension`);
    }
  }
  return problems;
}

function lineSink(): { stream: Writable; lines: string[] } {
  const lines: string[] = [];
  let pending = '';
  const stream = new Writable({
    write(chunk: Buffer, _encoding, callback) {
      pending += chunk.toString();
      const parts = pending.split('\n');
      pending = parts.pop() ?? '';
      lines.push(...parts.filter((p) => p !== ''));
      callback();
    },
  });
  return { stream, lines };
}

describe('ECS request entries', () => {
  test('real lines of createLogger through the request logger pass the ecs-logging spec and the ECS field types', async () => {
    const { stream, lines } = lineSink();
    const logger = createLogger({
      service: { name: 'orders-api', version: '1.2.3', environment: 'test' },
      console: { stream },
      level: 'debug',
    });
    const app = express();
    app.use(
      requestLogger({
        logger,
        dataset: 'orders-api',
        captureRequestBody: true,
        captureResponseBody: true,
        logResponseHeaders: true,
        maxLoggedBodyBytes: 256,
      }),
    );
    app.post('/orders', express.json(), (req, res) => {
      res.status(201).json({ id: 1, ...(req.body as object) });
    });
    app.get('/orders/:id', (_req, res) => {
      res.type('text/plain').send('x'.repeat(1000));
    });
    app.get('/boom', () => {
      throw new Error('boom');
    });
    let slowArrived = false;
    app.get('/slow', () => {
      // Never answers: the client goes away.
      slowArrived = true;
    });
    app.use(errorHandler());
    await using server = await startServer(app);
    await request(`${server.url}/orders?page=2&token=sekrit`, {
      method: 'POST',
      body: JSON.stringify({ item: 'widget', password: 'hunter2' }),
      headers: {
        'content-type': 'application/json',
        'user-agent': 'ecs-test/1.0',
        authorization: 'Bearer abc',
        traceparent: '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
      },
    });
    await request(`${server.url}/orders/7`);
    await request(`${server.url}/missing`);
    await request(`${server.url}/boom`);
    const aborted = http.get(`${server.url}/slow`, { agent: false });
    aborted.on('error', () => {});
    await waitFor(() => lines.length === 4 && slowArrived);
    aborted.destroy();
    await waitFor(() => lines.length === 5);
    await logger.shutdown();

    const docs = lines.map((line) => JSON.parse(line) as Record<string, unknown>);
    for (const [i, line] of lines.entries()) expect(validate(line), `line ${i}: ${line}`).toEqual([]);
    const [post, get, missing, boom, slow] = docs.map((d) => flatten(d, []));
    expect(post?.get('http.request.method')).toBe('POST');
    expect(post?.get('http.response.status_code')).toBe(201);
    expect(post?.get('url.path')).toBe('/orders');
    expect(post?.get('url.query')).toBe('page=2&token=***');
    expect(post?.get('http.route')).toBe('/orders');
    expect(post?.get('trace.id')).toBe('4bf92f3577b34da6a3ce929d0e0e4736');
    expect(post?.get('transaction.id')).toBe(post?.get('span.id'));
    expect(post?.get('user_agent.original')).toBe('ecs-test/1.0');
    expect(post?.get('client.ip')).toBe('127.0.0.1');
    expect(post?.get('event.dataset')).toBe('orders-api');
    expect(post?.get('http.request.headers.authorization')).toBe('[REDACTED]');
    expect(JSON.parse(String(post?.get('http.request.body.content')))).toEqual({
      item: 'widget',
      password: '[REDACTED]',
    });
    expect(post?.get('http.response.body.bytes')).toBeGreaterThan(0);
    expect(get?.get('http.response.body.truncated')).toBe(true);
    expect(get?.get('http.response.body.bytes')).toBe(1000);
    expect(String(get?.get('http.response.body.content'))).toHaveLength(256);
    expect(missing?.get('http.route')).toBeUndefined();
    expect(boom?.get('error.message')).toBe('boom');
    expect(boom?.get('log.level')).toBe('error');
    expect(slow?.get('http.response.status_code')).toBeUndefined();
    expect(slow?.get('event.outcome')).toBe('failure');
    for (const doc of docs) expect(Number.isSafeInteger(flatten(doc, []).get('event.duration'))).toBe(true);
    expect(lines.join('\n')).not.toMatch(/hunter2|sekrit|Bearer abc/);
  });

  test('the validator finds the problems of a line that is not ECS (pino-http) and of a wrong type (it can fail)', async () => {
    const { stream, lines } = lineSink();
    const app = express();
    app.use(pinoHttp({ logger: pino(stream) }));
    app.get('/', (_req, res) => {
      res.send('ok');
    });
    await using server = await startServer(app);
    await request(server.url);
    await waitFor(() => lines.length === 1);
    const problems = validate(lines[0] ?? '');
    expect(problems).toEqual(
      expect.arrayContaining(['@timestamp is required', 'log.level is required', 'ecs.version is required']),
    );
    const wrong = JSON.stringify({
      '@timestamp': '2025-01-01T00:00:00.000Z',
      'log.level': 'info',
      message: 'x',
      'ecs.version': '8.11.0',
      http: { response: { status_code: '200' } },
      client: { ip: 'localhost' },
      event: { outcome: 'ok', duration: 1.5 },
      nonsense: 1,
    });
    expect(validate(wrong)).toEqual([
      'http.response.status_code: not an integer (ECS long)',
      'client.ip: not an IP address (ECS ip)',
      'event.outcome: ok is not allowed',
      'event.duration: not an integer (ECS long)',
      'nonsense is neither an ECS field nor a documented extension',
    ]);
    const outOfOrder = JSON.stringify({
      'log.level': 'info',
      '@timestamp': '2025-01-01T00:00:00.000Z',
      'ecs.version': '1',
      log: {},
    });
    expect(validate(outOfOrder)).toEqual(expect.arrayContaining(['@timestamp should be key 0, is 1']));
  });
});
