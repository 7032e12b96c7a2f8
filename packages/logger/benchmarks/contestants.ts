// The contestants, each built the same way: a logger whose info(message, meta) ships to the server.
import { createLogger } from '@org/shared-logger';
import pino from 'pino';
import pinoElastic from 'pino-elasticsearch';
import winston from 'winston';
import { ElasticsearchTransport as WinstonEs } from 'winston-elasticsearch';
import Transport from 'winston-transport';

export interface Contestant {
  name: string;
  info(message: string, meta: Record<string, unknown>): void;
  close(): Promise<void>;
}

export type Caps = 'default' | 'large';

const quiet = () => {};

export function ours(url: string, caps: Caps): Contestant {
  const logger = createLogger({
    service: { name: 'bench', version: '1.0.0', environment: 'bench' },
    level: 'info',
    console: false,
    onError: quiet,
    elasticsearch: {
      node: url,
      // 'large': nothing dropped and no delivery during the measured calls (one batch per 10 000).
      ...(caps === 'large'
        ? {
            maxBufferedEntries: 10_000_000,
            maxBufferedBytes: 8 * 1024 ** 3,
            batchSize: 10_000,
            flushIntervalMs: 600_000,
          }
        : {}),
    },
  });
  return {
    name: '@org/shared-logger',
    info: (message, meta) => logger.info(message, meta),
    close: () => logger.shutdown({ timeoutMs: 2000 }),
  };
}

export function winstonElasticsearch(url: string): Contestant {
  const options = {
    level: 'info',
    clientOpts: { node: url, maxRetries: 0, requestTimeout: 5000 },
    index: 'logs-bench-default',
    dataStream: true,
    ensureIndexTemplate: false,
    retryLimit: 1,
    internalLogger: quiet,
  };
  const transport = new WinstonEs(options as ConstructorParameters<typeof WinstonEs>[0]);
  transport.on('error', quiet);
  const logger = winston.createLogger({ level: 'info', transports: [transport] });
  logger.on('error', quiet);
  return {
    name: 'winston-elasticsearch',
    info: (message, meta) => logger.info(message, meta),
    close: async () => {
      (transport as unknown as { bulkWriter: { stop(): void } }).bulkWriter.stop();
      await (transport as unknown as { client: { close(): Promise<void> } }).client.close().catch(quiet);
    },
  };
}

export function pinoElasticsearch(url: string): Contestant {
  // Typed as an ES default export, but the package is CommonJS: at run time the import is the function.
  const makeStream = ((pinoElastic as unknown as { default?: unknown }).default ?? pinoElastic) as (
    options: Record<string, unknown>,
  ) => ReturnType<typeof pinoElastic.default>;
  const stream = makeStream({ node: url, esVersion: 9, index: 'logs-bench-default', opType: 'create' });
  stream.on('error', quiet);
  stream.on('insertError', quiet);
  const logger = pino({ level: 'info', base: { service: 'bench' } }, stream);
  return {
    name: 'pino-elasticsearch',
    info: (message, meta) => logger.info(meta, message),
    close: async () => {
      stream.end();
    },
  };
}

/** The cost of winston itself: the same JSON format into a transport that does nothing. */
export function noop(): Contestant {
  const sink = new Transport({ log: (_info: unknown, callback: () => void) => callback() } as never);
  const logger = winston.createLogger({ level: 'info', format: winston.format.json(), transports: [sink] });
  return {
    name: 'no-op (winston → no-op transport)',
    info: (message, meta) => logger.info(message, meta),
    close: async () => {},
  };
}
