#!/usr/bin/env node
import { CLI_EXIT, openKnex, runCli } from '@org/service-kit';
import { eventsIngestSpecs } from './config.js';
import { migrate } from './migrations.js';
import { startEventsIngest, VERSION } from './service.js';

process.exitCode = await runCli({
  name: 'events-ingest',
  version: VERSION,
  summary:
    'batches of events over HTTP, written through a bounded batch writer; stale sessions closed on a timer',
  specs: eventsIngestSpecs,
  commands: {
    start: {
      description: 'start the HTTP service (stops in order on SIGTERM/SIGINT)',
      async run(config) {
        await startEventsIngest(config, { installSignals: true });
        return new Promise<never>(() => {});
      },
    },
    migrate: {
      description: 'run pending migrations against DATABASE_URL and exit',
      async run(config) {
        if (!config.DATABASE_URL) {
          process.stderr.write(
            'events-ingest migrate: DATABASE_URL is required (the embedded database migrates at start)\n',
          );
          return CLI_EXIT.config;
        }
        const knex = openKnex(config.DATABASE_URL, { max: 1, applicationName: 'events-ingest-migrate' });
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
