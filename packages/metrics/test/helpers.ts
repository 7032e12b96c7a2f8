import { once } from 'node:events';
import {
  createServer,
  type IncomingMessage,
  type RequestListener,
  type Server,
  type ServerResponse,
} from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ErrorReporter } from '@org/shared-lifecycle';

/** A node:http server on 127.0.0.1, port 0, closed (with its connections) by `await using`. */
export async function listen(
  handler: RequestListener<typeof IncomingMessage, typeof ServerResponse>,
): Promise<{ server: Server; url: string; [Symbol.asyncDispose](): Promise<void> }> {
  const server = createServer(handler);
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;
  return {
    server,
    url: `http://127.0.0.1:${port}`,
    async [Symbol.asyncDispose]() {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

/** An ErrorReporter that keeps what it is given. */
export function collectingReporter(): ErrorReporter & { errors: { error: unknown; source: string }[] } {
  const errors: { error: unknown; source: string }[] = [];
  const reporter = ((error: unknown, context: { source: string }) => {
    errors.push({ error, source: context.source });
  }) as ErrorReporter & { errors: typeof errors };
  reporter.errors = errors;
  return reporter;
}

/** Sample lines (not comments) of an exposition, keyed by series: name{labels in sorted order}. */
export function samples(text: string): Map<string, number> {
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const at = line.lastIndexOf(' ');
    const series = line.slice(0, at);
    const brace = series.indexOf('{');
    let key = series;
    if (brace >= 0) {
      const pairs = [...series.slice(brace + 1, -1).matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)]
        .map((m) => `${m[1]}="${m[2]}"`)
        .sort();
      key = `${series.slice(0, brace)}{${pairs.join(',')}}`;
    }
    out.set(key, Number(line.slice(at + 1)));
  }
  return out;
}
