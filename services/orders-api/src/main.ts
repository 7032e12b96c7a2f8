#!/usr/bin/env node
import { runServiceCli } from '@org/service-kit';
import { ordersApiSpecs } from './config.js';
import { migrations } from './migrations.js';
import { startOrdersApi, VERSION } from './service.js';

process.exitCode = await runServiceCli({
  name: 'orders-api',
  version: VERSION,
  summary: 'orders with items and a status over HTTP (create, get, list with cursor pagination)',
  specs: ordersApiSpecs,
  start: (config) => startOrdersApi(config, { installSignals: true }),
  migrate: migrations.migrate,
});
