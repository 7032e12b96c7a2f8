import {
  type LoadedConfig,
  packageVersion,
  type RunningService,
  ServiceHost,
  type StartOptions,
} from '@org/service-kit';
import { addOrderRoutes } from './app.js';
import type { ordersApiSpecs } from './config.js';
import { migrations } from './migrations.js';
import { seedOrders } from './orders.js';

export type OrdersApiConfig = LoadedConfig<typeof ordersApiSpecs>;

export const VERSION: string = packageVersion(import.meta.url);

export interface RunningOrdersApi extends RunningService {
  /** Demo orders added at start. */
  readonly seeded: number;
}

/**
 * Starts orders-api on ServiceHost (logger, embedded PostgreSQL or DATABASE_URL, database with
 * lag-aware reads, migrations, metrics, memory guard), seeds demo orders into an empty embedded
 * database, and serves the orders routes.
 */
export function startOrdersApi(
  config: OrdersApiConfig,
  options: StartOptions = {},
): Promise<RunningOrdersApi> {
  return ServiceHost.start(
    {
      ...options,
      name: 'orders-api',
      version: VERSION,
      config,
      database: {
        lag: { maxSeconds: config.REPLICA_MAX_LAG_SECONDS },
        monitor: { intervalMs: config.REPLICA_POLL_INTERVAL_MS },
        readYourWritesMs: config.READ_YOUR_WRITES_MS,
      },
      migrate: migrations.migrate,
    },
    async (host) => {
      const database = host.database;
      let seeded = 0;
      if (config.SEED === 'always' || (config.SEED === 'auto' && host.embedded)) {
        seeded = await seedOrders({
          write: (work) => database.transaction(work),
          read: async (work) => ({ result: await work(database.primary), node: 'primary' }),
        });
        if (seeded > 0) host.logger.info('seeded demo orders', { count: seeded });
      }
      const app = addOrderRoutes(host.app(), {
        database,
        pageSizeDefault: config.PAGE_SIZE_DEFAULT,
        pageSizeMax: config.PAGE_SIZE_MAX,
        onError: (error, fields) => host.reportError(error, { source: 'orders-api', ...fields }),
      });
      return { app, seeded };
    },
  );
}
