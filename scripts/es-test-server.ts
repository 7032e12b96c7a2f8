#!/usr/bin/env node
import { startEsTestServer } from '@org/es-test-server';
/**
 * The ES test server (@org/es-test-server) as a process, for scripts/start-full.sh: prints
 * `ELASTICSEARCH_URL=<url>` on stdout once it listens, a count of documents received every
 * ES_REPORT_INTERVAL_MS (default 30 s; 0: never), and stops on SIGTERM/SIGINT. Documents are counted,
 * not kept (storeDocs: false), so a long session stays bounded in memory.
 */
import { OwnedInterval, ShutdownCoordinator } from '@org/shared-lifecycle';

const port = Number(process.env.ES_PORT ?? 0);
const reportEveryMs = Number(process.env.ES_REPORT_INTERVAL_MS ?? 30_000);
const server = await startEsTestServer({ port, storeDocs: false });
const shutdown = new ShutdownCoordinator({ timeoutMs: 5_000 });
shutdown.register('es-test-server', () => server.close());
if (reportEveryMs > 0) {
  const report = new OwnedInterval(
    () => {
      process.stdout.write(
        `es-test-server: ${server.received} documents, ${server.bulkRequests} _bulk requests\n`,
      );
    },
    { intervalMs: reportEveryMs, name: 'es-test-server report' },
  ).start();
  shutdown.register('report', () => report.stop());
}
shutdown.install();
process.stdout.write(`ELASTICSEARCH_URL=${server.url}\n`);
