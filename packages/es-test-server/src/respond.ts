// The test server's HTTP answers: JSON with the product header and the client's content type, filter_path, error bodies.
import type { IncomingMessage, ServerResponse } from 'node:http';

export const PRODUCT = { 'x-elastic-product': 'Elasticsearch' };

export function send(req: IncomingMessage, res: ServerResponse, status: number, body: unknown): void {
  if (res.destroyed) return;
  const filter = new URL(req.url ?? '/', 'http://localhost').searchParams.get('filter_path');
  const filtered = filter && status < 300 && body !== undefined ? filterPath(body, filter.split(',')) : body;
  const text = filtered === undefined ? '' : JSON.stringify(filtered);
  res.writeHead(status, {
    ...PRODUCT,
    'content-type': contentType(req),
    'content-length': String(Buffer.byteLength(text)),
  });
  res.end(req.method === 'HEAD' ? undefined : text);
}

export function sendMalformed(
  req: IncomingMessage,
  res: ServerResponse,
  response: { took: number; errors: boolean; items: Record<string, unknown>[] },
  mode: 'truncated' | 'short' | 'empty',
): void {
  if (res.destroyed) return;
  let text: string;
  if (mode === 'empty') text = '{}';
  else if (mode === 'short') {
    text = JSON.stringify({
      ...response,
      items: response.items.slice(0, Math.floor(response.items.length / 2)),
    });
  } else {
    const whole = JSON.stringify(response);
    text = whole.slice(0, Math.max(1, Math.floor(whole.length / 2)));
  }
  res.writeHead(200, {
    ...PRODUCT,
    'content-type': contentType(req),
    'content-length': String(Buffer.byteLength(text)),
  });
  res.end(text);
}

export function contentType(req: IncomingMessage): string {
  const accept = req.headers.accept ?? '';
  const match = /compatible-with=(\d+)/.exec(accept);
  return accept.includes('application/vnd.elasticsearch+json') && match
    ? `application/vnd.elasticsearch+json; compatible-with=${match[1]}`
    : 'application/json; charset=UTF-8';
}

/** Elasticsearch's filter_path: keep only the dotted paths given (`*` matches any one key). */
export function filterPath(value: unknown, patterns: string[]): unknown {
  const paths = patterns.map((pattern) => pattern.trim().split('.')).filter((path) => path.length > 0);
  return pick(value, paths) ?? {};
}

function pick(value: unknown, paths: string[][]): unknown {
  if (paths.some((path) => path.length === 0)) return value;
  if (Array.isArray(value)) {
    const out = value.map((item) => pick(item, paths)).filter((item) => item !== undefined);
    return out.length > 0 ? out : undefined;
  }
  if (value === null || typeof value !== 'object') return undefined;
  const out: Record<string, unknown> = {};
  for (const [key, member] of Object.entries(value)) {
    const rest = paths.filter((path) => path[0] === key || path[0] === '*').map((path) => path.slice(1));
    if (rest.length === 0) continue;
    const picked = pick(member, rest);
    if (picked !== undefined) out[key] = picked;
  }
  return Object.keys(out).length > 0 ? out : undefined;
}

export function errorBody(type: string, reason: string, status: number): unknown {
  return { error: { root_cause: [{ type, reason }], type, reason }, status };
}
