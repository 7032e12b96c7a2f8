import {
  createService,
  loadServiceConfig,
  packageVersion,
  type Service,
  type ServiceConfigOf,
  type ServiceOptions,
} from '@org/shared-service';
import { addOrderRoutes } from './app.js';
import { ordersApiSpecs } from './config.js';
import { migrations } from './migrations.js';
import { seedOrders } from './orders.js';

export type OrdersApiConfig = ServiceConfigOf<typeof ordersApiSpecs>;

export const VERSION: string = packageVersion(import.meta.url);

/** What decides the variables of orders-api (PORT 3000, its own, the database's). */
export const ORDERS_API = { port: 3000, specs: ordersApiSpecs, database: true } as const;

export type StartOptions = Pick<
  ServiceOptions<typeof ordersApiSpecs>,
  'config' | 'env' | 'signals' | 'exit' | 'logStream'
>;

export interface RunningOrdersApi {
  readonly service: Service<OrdersApiConfig>;
  readonly url: string;
  /** Demo orders added at start. */
  readonly seeded: number;
  /** The ordered shutdown, as on SIGTERM. */
  close: Service['close'];
}

/**
 * Starts orders-api on @org/shared-service (logger, DATABASE_URL or an embedded PGlite in
 * development, lag-aware reads, migrations, metrics, memory guard), seeds demo orders into an
 * empty embedded database, and serves the orders routes.
 */
export async function startOrdersApi(options: StartOptions = {}): Promise<RunningOrdersApi> {
  const env = options.env ?? process.env;
  const config = options.config ?? loadServiceConfig(ORDERS_API, env);
  const service = await createService({
    ...options,
    ...ORDERS_API,
    name: 'orders-api',
    version: VERSION,
    config,
    env,
    database: {
      migrations,
      lag: { maxSeconds: config.REPLICA_MAX_LAG_SECONDS },
      monitor: { intervalMs: config.REPLICA_POLL_INTERVAL_MS },
      readYourWritesMs: config.READ_YOUR_WRITES_MS,
    },
  });
  try {
    const database = service.database;
    let seeded = 0;
    if (config.SEED === 'always' || (config.SEED === 'auto' && service.embedded)) {
      seeded = await seedOrders({
        write: (work) => database.transaction(work),
        read: async (work) => ({ result: await work(database.primary), node: 'primary' }),
      });
      if (seeded > 0) service.logger.info('seeded demo orders', { count: seeded });
    }
    addOrderRoutes(service.app, {
      database,
      pageSizeDefault: config.PAGE_SIZE_DEFAULT,
      pageSizeMax: config.PAGE_SIZE_MAX,
      onError: (error, fields) => service.reportError(error, { source: 'orders-api', ...fields }),
    });
    const url = await service.listen();
    return { service, url, seeded, close: () => service.close() };
  } catch (error) {
    await service.close();
    throw error;
  }
}
