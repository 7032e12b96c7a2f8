import type { IncomingMessage } from 'node:http';
import { match } from 'path-to-regexp';

/** The label used for requests that matched no route: scanners must not create one series per URL. */
export const UNMATCHED_ROUTE = '(unmatched)';

type Matcher = (path: string) => unknown;
const matchers = new Map<string, Matcher | null>();
const MAX_MATCHERS = 1000;

/** path-to-regexp's matcher for an Express 5 pattern, as the router builds it; null if it does not parse. */
function matcherFor(pattern: string): Matcher | null {
  let matcher = matchers.get(pattern);
  if (matcher === undefined) {
    try {
      matcher = match(pattern, { end: true, trailing: true, sensitive: false, decode: false });
    } catch {
      matcher = null;
    }
    // Patterns come from the application's route table, not from requests; the cap is a guard only.
    if (matchers.size < MAX_MATCHERS) matchers.set(pattern, matcher);
  }
  return matcher;
}

function pathnameOf(url: string | undefined): string {
  if (url === undefined) return '/';
  const q = url.indexOf('?');
  return q === -1 ? url : url.slice(0, q);
}

/**
 * The one pattern of a route declared with several (`app.get(['/health', '/health/live'])`) that
 * this request matched: Express reports the whole array as `req.route.path`. Literal patterns are
 * compared first; the others are matched with path-to-regexp, the parser Express 5's router uses.
 */
function matchedPattern(patterns: readonly unknown[], req: IncomingMessage): string {
  const path = pathnameOf(req.url);
  const trimmed = path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
  for (const pattern of patterns) if (pattern === path || pattern === trimmed) return pattern;
  for (const pattern of patterns) {
    if (pattern instanceof RegExp) {
      if (pattern.test(path)) return String(pattern);
    } else if (typeof pattern === 'string' && matcherFor(pattern)?.(path)) {
      return pattern;
    }
  }
  return String(patterns[0]);
}

/** The Express route template (`req.baseUrl` + the matched `req.route.path`), or undefined outside a matched route. */
export function expressRoute(req: IncomingMessage): string | undefined {
  const route = (req as { route?: { path?: unknown } }).route;
  if (route === undefined || route === null || route.path === undefined) return undefined;
  const base = (req as { baseUrl?: unknown }).baseUrl;
  const path = Array.isArray(route.path) ? matchedPattern(route.path, req) : String(route.path);
  const template = `${typeof base === 'string' ? base : ''}${path}`;
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
  return expressRoute(req) ?? fallbackRoute(req.url, status);
}

/** The label of a request no router matched: (unmatched) for a 404, else the normalized path. */
export function fallbackRoute(url: string | undefined, status: number | null): string {
  return status === 404 ? UNMATCHED_ROUTE : normalizePath(url);
}
