#!/usr/bin/env node
import { runServiceCli } from '@org/service-kit';
import { eventsIngestSpecs } from './config.js';
import { migrations } from './migrations.js';
import { startEventsIngest, VERSION } from './service.js';

process.exitCode = await runServiceCli({
  name: 'events-ingest',
  version: VERSION,
  summary:
    'batches of events over HTTP, written through a bounded batch writer; stale sessions closed on a timer',
  specs: eventsIngestSpecs,
  start: (config) => startEventsIngest(config, { installSignals: true }),
  migrate: migrations.migrate,
});
