#!/usr/bin/env node
import { runServiceCli } from '@org/shared-service';
import { migrations } from './migrations.js';
import { EVENTS_INGEST, startEventsIngest, VERSION } from './service.js';

process.exitCode = await runServiceCli({
  name: 'events-ingest',
  version: VERSION,
  summary:
    'batches of events over HTTP, written through a bounded batch writer; stale sessions closed on a timer',
  port: EVENTS_INGEST.port,
  specs: EVENTS_INGEST.specs,
  start: (config) => startEventsIngest({ config }),
  migrate: migrations.migrate,
});
