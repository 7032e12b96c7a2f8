import type { IncomingMessage } from 'node:http';
import proxyaddr from 'proxy-addr';
import { MiddlewareError } from './errors.js';

/**
 * Which proxies to trust for X-Forwarded-For, as in Express's `trust proxy` setting: true (all), false
 * (none: the socket address), a hop count, addresses/subnets/presets ('loopback', 'linklocal',
 * 'uniquelocal') as a string or array, or a function (addr, hopIndex) => boolean.
 */
export type TrustProxy =
  | boolean
  | number
  | string
  | readonly string[]
  | ((addr: string, hop: number) => boolean);

export type TrustFn = (addr: string, hop: number) => boolean;

export function compileTrust(trust: TrustProxy): TrustFn {
  if (typeof trust === 'function') return trust;
  if (trust === true) return () => true;
  if (trust === false) return () => false;
  if (typeof trust === 'number') return (_addr, hop) => hop < trust;
  try {
    const list = typeof trust === 'string' ? trust.split(',').map((v) => v.trim()) : [...trust];
    return proxyaddr.compile(list);
  } catch (error) {
    throw new MiddlewareError('ORG_MIDDLEWARE_INVALID_OPTION', `trustProxy: ${String(error)}`, {
      cause: error,
      details: { option: 'trustProxy' },
    });
  }
}

/**
 * The client address: the socket's remote address when there is no X-Forwarded-For; else, with an
 * explicit trust function, through proxy-addr (X-Forwarded-For walked back over trusted hops);
 * otherwise Express's `req.ip` (which honours the app's `trust proxy`) when present; otherwise the
 * socket's remote address. Null when the socket is already gone.
 */
export function clientAddress(req: IncomingMessage, trust: TrustFn | null): string | null {
  const remote = req.socket?.remoteAddress;
  if (remote === undefined) return null;
  // Without X-Forwarded-For every trust setting gives the socket address: no need to ask.
  if (req.headers['x-forwarded-for'] === undefined) return remote;
  if (trust !== null) return proxyaddr(req, trust);
  const ip = (req as { ip?: unknown }).ip;
  if (typeof ip === 'string') return ip;
  return remote;
}
