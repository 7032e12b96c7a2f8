#!/usr/bin/env node
import { CLI_EXIT, openKnex, runCli } from '@org/service-kit';
import { ordersApiSpecs } from './config.js';
import { migrate } from './migrations.js';
import { startOrdersApi, VERSION } from './service.js';

const code = await runCli({
  name: 'orders-api',
  version: VERSION,
  summary: 'orders with items and a status over HTTP (create, get, list with cursor pagination)',
  specs: ordersApiSpecs,
  commands: {
    start: {
      description: 'start the HTTP service (stops in order on SIGTERM/SIGINT)',
      async run(config) {
        await startOrdersApi(config, { installSignals: true });
        // Keep running: the shutdown coordinator exits the process.
        return new Promise<never>(() => {});
      },
    },
    migrate: {
      description: 'run pending migrations against DATABASE_URL and exit',
      async run(config) {
        if (!config.DATABASE_URL) {
          process.stderr.write(
            'orders-api migrate: DATABASE_URL is required (the embedded database migrates at start)\n',
          );
          return CLI_EXIT.config;
        }
        const knex = openKnex(config.DATABASE_URL, { max: 1, applicationName: 'orders-api-migrate' });
        try {
          const applied = await migrate(knex);
          process.stdout.write(
            `applied ${applied.length} migration(s)${applied.length ? `: ${applied.join(', ')}` : ''}\n`,
          );
          return CLI_EXIT.ok;
        } finally {
          await knex.destroy();
        }
      },
    },
  },
});
process.exitCode = code;
