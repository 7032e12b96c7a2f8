#!/usr/bin/env node
// Measures the Node flags from the memory report on a service-like workload, each in a fresh process,
// median of 5 runs, and says which ones NODE_OPTIONS accepts. `node scripts/node-flags/measure.mjs`.
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const workload = fileURLToPath(new URL('./workload.mjs', import.meta.url));
const sets = [
  [],
  ['--max-old-space-size=2048'],
  ['--expose-gc'],
  ['--optimize-for-size'],
  ['--gc-interval=100'],
];
const median = (xs) => xs.toSorted((a, b) => a - b)[Math.floor(xs.length / 2)];
const rows = [];
for (const flags of sets) {
  const viaEnv = spawnSync(process.execPath, ['-e', '0'], {
    env: { ...process.env, NODE_OPTIONS: flags.join(' ') },
  });
  const runs = [];
  for (let i = 0; i < 5; i++) {
    const r = spawnSync(process.execPath, [...flags, workload], {
      encoding: 'utf8',
      env: { ...process.env, NODE_OPTIONS: '' },
    });
    runs.push(JSON.parse(r.stdout));
  }
  rows.push({
    flags: flags.join(' ') || '(none)',
    nodeOptions: viaEnv.status === 0 ? 'accepted' : 'rejected',
    ms: median(runs.map((r) => r.ms)),
    maxRssMb: median(runs.map((r) => r.maxRssMb)),
  });
}
const base = rows[0];
for (const row of rows) {
  row.timeRatio = Number((row.ms / base.ms).toFixed(2));
  row.rssRatio = Number((row.maxRssMb / base.maxRssMb).toFixed(2));
}
console.table(rows);
for (const row of rows) console.log(JSON.stringify({ type: 'node-flags', node: process.version, ...row }));
