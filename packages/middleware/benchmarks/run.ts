// Express with no logger (bare), with @org/shared-middleware (body capture on), express-winston (body in
// the response whitelist) and pino-http (no bodies), plus the diagnostics org-nullsink and org-pino; each server in its
// own child process, the load generator (autocannon) in this process, all in one run.
//
// Throughput: every server is started first and warmed up; then ROUNDS rounds, each of which runs every
// contestant for DURATION_S seconds in a rotated order (so no contestant always runs first or after the
// same neighbour while the shared machine's load drifts). Reported: the median req/s, the median of the
// per-round ratios to bare (each round's bare run is minutes-close to the contestant's), their spread,
// and the server's own CPU time per request (utime + stime from /proc/<pid>/stat), which does not depend
// on how much CPU the load generator or other processes got.
// Memory: peak RSS (VmHWM) while 16 clients fetch 64 × 32 MB bodies, one server at a time.
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import autocannon from 'autocannon';

const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 4);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 4);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 20);
const CLK_TCK = 100; // getconf CLK_TCK on Linux
const contestants = ['bare', 'org', 'org-nullsink', 'org-pino', 'express-winston', 'pino-http'] as const;
const rssContestants = ['bare', 'org', 'express-winston', 'pino-http'] as const;
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

/** CPU seconds (user + system) the process has used so far. */
function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // After "pid (comm) ", field 3 (state) is index 0: utime is field 14, stime field 15.
  return (Number(fields[11]) + Number(fields[12])) / CLK_TCK;
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null) return;
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGTERM');
  await exited;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
};
const round3 = (n: number) => Math.round(n * 1000) / 1000;

const servers = new Map<Name, { child: ChildProcess; port: number }>();
for (const name of contestants) servers.set(name, await start(name));
const url = (name: Name, path: string) => `http://127.0.0.1:${servers.get(name)?.port}${path}`;
const pid = (name: Name) => servers.get(name)?.child.pid ?? 0;

try {
  for (const name of contestants) {
    await autocannon({ url: url(name, '/json'), connections: CONNECTIONS, duration: 2 });
  }
  const rps = new Map<Name, number[]>(contestants.map((n) => [n, []]));
  const cpuUs = new Map<Name, number[]>(contestants.map((n) => [n, []]));
  for (let round = 0; round < ROUNDS; round++) {
    const order = contestants.map((_, i) => contestants[(i + round) % contestants.length] as Name);
    for (const name of order) {
      const cpuBefore = cpuSeconds(pid(name));
      const result = await autocannon({
        url: url(name, '/json'),
        connections: CONNECTIONS,
        duration: DURATION_S,
      });
      const cpu = cpuSeconds(pid(name)) - cpuBefore;
      rps.get(name)?.push(result.requests.average);
      cpuUs.get(name)?.push((cpu / Math.max(1, result.requests.total)) * 1e6);
      if (result.non2xx > 0 || result.errors > 0)
        throw new Error(`${name}: ${result.non2xx} non-2xx, ${result.errors} errors`);
    }
    process.stderr.write(
      `round ${round + 1}: ${contestants.map((n) => `${n} ${Math.round(rps.get(n)?.at(-1) ?? 0)}`).join(', ')}\n`,
    );
  }

  const peak: Record<string, number> = {};
  for (const name of rssContestants) {
    await autocannon({ url: url(name, '/big'), connections: 16, amount: 64, timeout: 60 });
    peak[name] = peakRssMb(pid(name));
    await stop(servers.get(name)?.child as ChildProcess);
  }

  const bareRps = rps.get('bare') ?? [];
  const summary = contestants.map((name) => {
    const values = rps.get(name) ?? [];
    const ratios = values.map((v, i) => v / (bareRps[i] ?? 1));
    const cpu = median(cpuUs.get(name) ?? []);
    return {
      name,
      rps: Math.round(median(values)),
      ratio: round3(median(ratios)),
      ratioMin: round3(Math.min(...ratios)),
      ratioMax: round3(Math.max(...ratios)),
      cpuUs: Math.round(cpu * 10) / 10,
    };
  });
  const get = (name: Name) => summary.find((s) => s.name === name) ?? summary[0]!;
  const bareCpu = get('bare').cpuUs;

  console.log(
    `\n@org/shared-middleware benchmark — ${new Date().toISOString().slice(0, 10)}, ${cpus().length} cores, Node ${process.version}; ${ROUNDS} interleaved rounds × ${DURATION_S} s × ${CONNECTIONS} connections`,
  );
  console.log(
    '| contestant | req/s (median) | × bare (median of rounds) | × bare range | server CPU µs/req | bare CPU ÷ CPU | peak RSS, 16 × 32 MB (MB) |',
  );
  console.log('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const s of summary) {
    console.log(
      `| ${s.name} | ${s.rps} | ${s.ratio} | ${s.ratioMin}–${s.ratioMax} | ${s.cpuUs} | ${round3(bareCpu / s.cpuUs)} | ${peak[s.name] ?? '—'} |`,
    );
  }
  const rssOver = Math.round(((peak.org ?? 0) - (peak.bare ?? 0)) * 10) / 10;
  console.log(`org peak RSS over bare: ${rssOver} MB (target ≤ 64 MB)\n`);

  const ratios: Record<string, number> = {};
  for (const s of summary) if (s.name !== 'bare') ratios[`${s.name}/bare`] = s.ratio;
  ratios['org/express-winston'] = round3(get('org').rps / get('express-winston').rps);
  ratios['org/pino-http'] = round3(get('org').rps / get('pino-http').rps);
  console.log(
    JSON.stringify({
      type: 'bench',
      package: 'middleware',
      case: 'throughput-json',
      results: summary.map((s) => ({ name: s.name, value: s.rps, unit: 'req/s' })),
      ratios,
      target: 'org/bare >= 0.85 (median of interleaved per-round ratios)',
      met: get('org').ratio >= 0.85,
    }),
  );
  const cpuRatios: Record<string, number> = {};
  for (const s of summary) if (s.name !== 'bare') cpuRatios[`bare/${s.name}`] = round3(bareCpu / s.cpuUs);
  console.log(
    JSON.stringify({
      type: 'bench',
      package: 'middleware',
      case: 'server-cpu-per-request',
      results: summary.map((s) => ({ name: s.name, value: s.cpuUs, unit: 'µs/req' })),
      ratios: cpuRatios,
      target: 'bare/org >= 0.85 (the same target as CPU capacity)',
      met: (cpuRatios['bare/org'] ?? 0) >= 0.85,
    }),
  );
  const rssRatios: Record<string, number> = {};
  for (const name of rssContestants)
    if (name !== 'bare') rssRatios[`${name}/bare`] = round3((peak[name] ?? 0) / (peak.bare ?? 1));
  console.log(
    JSON.stringify({
      type: 'bench',
      package: 'middleware',
      case: 'peak-rss-16x32MB',
      results: rssContestants.map((name) => ({ name, value: peak[name] ?? 0, unit: 'MB' })),
      ratios: { ...rssRatios, 'org-bare/MB': rssOver },
      target: 'org peak RSS <= bare + 64 MB',
      met: rssOver <= 64,
    }),
  );
} finally {
  for (const { child } of servers.values()) await stop(child);
}
