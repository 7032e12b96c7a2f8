import type { IncomingMessage } from 'node:http';

/** The label used for requests that matched no route: scanners must not create one series per URL. */
export const UNMATCHED_ROUTE = '(unmatched)';

/** The Express route template (`req.baseUrl` + `req.route.path`), or undefined outside a matched route. */
export function expressRoute(req: IncomingMessage): string | undefined {
  const route = (req as { route?: { path?: unknown } }).route;
  if (route === undefined || route === null || route.path === undefined) return undefined;
  const base = (req as { baseUrl?: unknown }).baseUrl;
  const template = `${typeof base === 'string' ? base : ''}${String(route.path)}`;
  return template === '' ? '/' : template;
}

const ID_SEGMENT = /^(?:\d+|[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}|[0-9a-f]{16,})$/i;
const MAX_SEGMENTS = 8;

function isIdLike(segment: string): boolean {
  if (segment.length >= 32 || ID_SEGMENT.test(segment)) return true;
  let digits = 0;
  for (let i = 0; i < segment.length; i++) {
    const c = segment.charCodeAt(i);
    if (c >= 48 && c <= 57 && ++digits >= 4) return true;
  }
  return false;
}

/**
 * A route template guessed from a raw path, for plain node:http servers that have no router: the
 * query string is dropped, id-like segments (numbers, UUIDs, long hex, anything of 32+ characters or
 * with four or more digits) become `:id`, and paths deeper than 8 segments are cut with `/…`.
 */
export function normalizePath(url: string | undefined): string {
  if (url === undefined || url === '') return '/';
  let end = url.length;
  const q = url.indexOf('?');
  if (q !== -1) end = q;
  const hash = url.indexOf('#');
  if (hash !== -1 && hash < end) end = hash;
  const segments = url.slice(0, end).split('/');
  const out: string[] = [];
  for (let i = 0; i < segments.length; i++) {
    if (i > MAX_SEGMENTS) {
      out.push('…');
      break;
    }
    const segment = segments[i]!;
    out.push(segment !== '' && isIdLike(segment) ? ':id' : segment);
  }
  const path = out.join('/');
  return path === '' ? '/' : path;
}

/**
 * The default route label: the Express template when a route matched; otherwise (unmatched) for a
 * 404, and the normalized path for anything else (node:http servers, Express middleware endpoints).
 */
export function defaultRoute(req: IncomingMessage, status: number | null): string {
  const template = expressRoute(req);
  if (template !== undefined) return template;
  if (status === 404) return UNMATCHED_ROUTE;
  return normalizePath(req.url);
}
