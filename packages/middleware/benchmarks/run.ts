// Express with no logger, with @org/shared-middleware (body capture on), express-winston (body in the
// response whitelist) and pino-http (no bodies), each in its own child process, all in one run.
// Throughput: autocannon against GET /json. Memory: peak RSS (VmHWM) while 16 clients fetch 32 MB bodies.
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import autocannon from 'autocannon';

const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 8);
const contestants = ['bare', 'org', 'express-winston', 'pino-http'] as const;
type Name = (typeof contestants)[number];
const server = new URL('./server.ts', import.meta.url).pathname;

async function start(mode: Name): Promise<{ child: ChildProcess; port: number }> {
  const child = spawn(process.execPath, [server, mode], { stdio: ['ignore', 'pipe', 'inherit'] });
  const port = await new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.stdout?.once('data', (data: Buffer) => resolve(Number(data.toString().trim())));
  });
  return { child, port };
}

function peakRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN);
  return Math.round((kb / 1024) * 10) / 10;
}

async function stop(child: ChildProcess): Promise<void> {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

const rps: Record<string, number> = {};
const peak: Record<string, number> = {};
const base: Record<string, number> = {};
for (const name of contestants) {
  const { child, port } = await start(name);
  const pid = child.pid ?? 0;
  await autocannon({ url: `http://127.0.0.1:${port}/json`, connections: 20, duration: 2 });
  const result = await autocannon({
    url: `http://127.0.0.1:${port}/json`,
    connections: 20,
    duration: DURATION_S,
  });
  rps[name] = Math.round(result.requests.average);
  base[name] = peakRssMb(pid);
  await autocannon({ url: `http://127.0.0.1:${port}/big`, connections: 16, amount: 64, timeout: 60 });
  peak[name] = peakRssMb(pid);
  await stop(child);
  process.stderr.write(`${name}: ${rps[name]} req/s, peak RSS ${peak[name]} MB\n`);
}

const ratio = (a: number, b: number) => Math.round((a / b) * 1000) / 1000;
const results = (values: Record<string, number>, unit: string) =>
  contestants.map((name) => ({ name, value: values[name] ?? 0, unit }));

const rpsRatios = Object.fromEntries(
  contestants.filter((n) => n !== 'bare').map((n) => [`${n}/bare`, ratio(rps[n] ?? 0, rps.bare ?? 1)]),
);
rpsRatios['org/express-winston'] = ratio(rps.org ?? 0, rps['express-winston'] ?? 1);
rpsRatios['org/pino-http'] = ratio(rps.org ?? 0, rps['pino-http'] ?? 1);
const rssRatios = Object.fromEntries(
  contestants.filter((n) => n !== 'bare').map((n) => [`${n}/bare`, ratio(peak[n] ?? 0, peak.bare ?? 1)]),
);
const rssOver = Math.round(((peak.org ?? 0) - (peak.bare ?? 0)) * 10) / 10;

console.log(
  `\n@org/shared-middleware benchmark — ${new Date().toISOString().slice(0, 10)}, ${cpus().length} cores, Node ${process.version}`,
);
console.log(
  '| contestant | req/s (GET /json) | × bare | peak RSS, 16 × 32 MB (MB) | RSS before big phase (MB) |',
);
console.log('| --- | ---: | ---: | ---: | ---: |');
for (const name of contestants) {
  console.log(
    `| ${name} | ${rps[name]} | ${ratio(rps[name] ?? 0, rps.bare ?? 1)} | ${peak[name]} | ${base[name]} |`,
  );
}
console.log(`org peak RSS over bare: ${rssOver} MB (target ≤ 64 MB)\n`);

console.log(
  JSON.stringify({
    type: 'bench',
    package: 'middleware',
    case: 'throughput-json',
    results: results(rps, 'req/s'),
    ratios: rpsRatios,
    target: 'org/bare >= 0.85',
    met: (rpsRatios['org/bare'] ?? 0) >= 0.85,
  }),
);
console.log(
  JSON.stringify({
    type: 'bench',
    package: 'middleware',
    case: 'peak-rss-16x32MB',
    results: results(peak, 'MB'),
    ratios: { ...rssRatios, 'org-bare/MB': rssOver },
    target: 'org peak RSS <= bare + 64 MB',
    met: rssOver <= 64,
  }),
);
