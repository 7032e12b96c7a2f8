#!/usr/bin/env node
import { runServiceCli } from '@org/shared-service';
import { migrations } from './migrations.js';
import { ORDERS_API, startOrdersApi, VERSION } from './service.js';

process.exitCode = await runServiceCli({
  name: 'orders-api',
  version: VERSION,
  summary: 'orders with items and a status over HTTP (create, get, list with cursor pagination)',
  port: ORDERS_API.port,
  specs: ORDERS_API.specs,
  start: (config) => startOrdersApi({ config }),
  migrate: migrations.migrate,
});
