import type { IncomingMessage, ServerResponse } from 'node:http';

/** Writes a JSON answer (no body for HEAD), with no caching: probes must see the current state. */
export function sendJson(req: IncomingMessage, res: ServerResponse, status: number, value: unknown): void {
  if (res.headersSent || res.writableEnded) return;
  const body = JSON.stringify(value);
  res.statusCode = status;
  res.setHeader('content-type', 'application/json; charset=utf-8');
  res.setHeader('cache-control', 'no-store');
  res.setHeader('content-length', Buffer.byteLength(body));
  res.end(req.method === 'HEAD' ? undefined : body);
}

/** Answers 405 for anything but GET and HEAD; returns true when it did. */
export function rejectMethod(req: IncomingMessage, res: ServerResponse): boolean {
  if (req.method === 'GET' || req.method === 'HEAD') return false;
  res.setHeader('allow', 'GET, HEAD');
  sendJson(req, res, 405, { error: 'method not allowed' });
  return true;
}
