/**
 * Keeps a real run as a test fixture of the verdict: the memory columns of a report directory's
 * samples.json, in buckets `factor` times wider, with where it came from.
 *
 *   node scripts/endurance/record-fixture.ts <report dir> <fixture name> [factor=1] "<what was run>"
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { coarsen, type RecordedSeries } from '@org/shared-endurance';
// @ts-expect-error: plain ESM script without types
import { nodeOptionsFor } from '../run-task.mjs';

const [dir, name, factor = '1', command = ''] = process.argv.slice(2);
if (!dir || !name) {
  process.stderr.write('usage: node record-fixture.ts <report dir> <fixture name> [factor] [command]\n');
  process.exit(2);
}
const series = JSON.parse(readFileSync(join(dir, 'samples.json'), 'utf8')) as RecordedSeries;
const summary = JSON.parse(readFileSync(join(dir, 'summary.json'), 'utf8')) as {
  date: string;
  durationMs: number;
  endS: number;
  node: string;
};
const fixture = {
  recorded: {
    date: summary.date,
    node: summary.node,
    // The .node-options service line at recording time (the services' and the leaky target's heap limits).
    serviceNodeOptions: nodeOptionsFor('service') as string,
    command,
    durationMs: summary.durationMs,
    endS: summary.endS,
  },
  series: coarsen(series, Number(factor), ['rss_mb', 'heap_used_mb', 'heap_tenured_mb', 'gc_major']),
};
const file = new URL(`./fixtures/${name}.json`, import.meta.url);
writeFileSync(file, `${JSON.stringify(fixture)}\n`);
process.stdout.write(`${file.pathname}: ${JSON.stringify(fixture).length} bytes\n`);
