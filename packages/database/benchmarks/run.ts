// Benchmarks for @org/shared-database, side by side in one run against the same harness servers.
// Run: npm run bench (builds first via turbo; or npx tsc --build, then org-task bench node benchmarks/run.ts).
// Node runs this file by type stripping: erasable TypeScript only.
import { monitorHeap } from './monitor.ts';
import { queryThroughput, queryThroughputReplica } from './queries.ts';
import { batchInsert, isolationCost } from './writer.ts';

const only = process.argv[2];
const cases: [string, () => Promise<void>][] = [
  ['query-throughput', queryThroughput],
  ['query-throughput-replica', queryThroughputReplica],
  ['batch-writer', batchInsert],
  ['batch-writer-isolation', isolationCost],
  ['monitor-heap-1h', monitorHeap],
];
process.stdout.write(
  `@org/shared-database benchmarks — ${new Date().toISOString()}, node ${process.version}\n`,
);
for (const [name, run] of cases) if (!only || only === name) await run();
