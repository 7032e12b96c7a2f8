// Request logging against bare servers and peers, each server in its own child process, the load
// generator (autocannon) in this process, all in one run. See benchmarks/README.md.
//
// Throughput (Express 5 and node:http): every server is started first and warmed up; then ROUNDS
// rounds, each of which runs every contestant for DURATION_S seconds with CONNECTIONS connections in
// an order rotated per round (so drifting load on this shared machine favours no one). Reported: the
// median req/s, the median of the per-round ratios to bare (each round's bare run is minutes-close to
// the contestant's) with their range, and the server's own CPU time per request (its
// process.cpuUsage() over the run ÷ requests), which does not depend on how much CPU the load
// generator or other processes got.
// Memory: peak RSS (VmHWM) while 16 clients fetch 64 × 32 MB bodies, one server at a time.
//
// BENCH_ROUNDS, BENCH_DURATION_S, BENCH_CONNECTIONS override the defaults; BENCH_ONLY=express|http
// runs one framework; BENCH_SKIP_RSS=1 skips the memory case; BENCH_PROFILE=<framework>:<mode> starts
// that server with --cpu-prof (the profile is written to benchmarks/profiles/ when it stops).
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { mkdirSync, openSync, readFileSync } from 'node:fs';
import { cpus } from 'node:os';
import autocannon from 'autocannon';

const DURATION_S = Number(process.env.BENCH_DURATION_S ?? 4);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 5);
const CONNECTIONS = Number(process.env.BENCH_CONNECTIONS ?? 50);
const PROFILE = process.env.BENCH_PROFILE;

const frameworks = {
  express: ['bare', 'org', 'org-capture', 'pino-http', 'org-winston', 'org-nullsink'],
  http: ['bare', 'org', 'org-capture', 'pino-http'],
} as const;
type Framework = keyof typeof frameworks;
const rssContestants = ['bare', 'org-capture', 'express-winston', 'pino-http'] as const;
const serverScript = new URL('./server.ts', import.meta.url).pathname;
const profiles = new URL('./profiles/', import.meta.url).pathname;
const devNull = openSync('/dev/null', 'w');

interface Server {
  name: string;
  child: ChildProcess;
  port: number;
}

async function start(framework: string, mode: string): Promise<Server> {
  const name = `${framework}:${mode}`;
  const profile = PROFILE === name;
  if (profile) mkdirSync(profiles, { recursive: true });
  const child = spawn(
    process.execPath,
    [...(profile ? ['--cpu-prof', `--cpu-prof-dir=${profiles}`] : []), serverScript, framework, mode],
    // The log lines go where a service's stdout would go in the benchmark: nowhere.
    { stdio: ['ignore', devNull, 'inherit', 'ipc'] },
  );
  const port = await new Promise<number>((resolve, reject) => {
    child.once('error', reject);
    child.once('exit', (code) => reject(new Error(`${name} exited with ${code}`)));
    child.once('message', (message: { port: number }) => resolve(message.port));
  });
  return { name, child, port };
}

/** The child's own CPU time so far (user + system), in µs. */
async function cpuUs(server: Server): Promise<number> {
  const reply = once(server.child, 'message') as Promise<[{ cpuUs: number }]>;
  server.child.send('cpu');
  return (await reply)[0].cpuUs;
}

function peakRssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = Number(/VmHWM:\s+(\d+)/.exec(status)?.[1] ?? Number.NaN);
  return Math.round((kb / 1024) * 10) / 10;
}

async function stop(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = once(child, 'exit');
  child.kill('SIGTERM');
  await exited;
}

const median = (values: number[]) => {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
};
const round3 = (n: number) => Math.round(n * 1000) / 1000;

interface Summary {
  name: string;
  rps: number;
  ratio: number;
  ratioMin: number;
  ratioMax: number;
  cpuUs: number;
  cpuRatio: number;
}

async function throughput(framework: Framework, servers: Server[]): Promise<Summary[]> {
  const url = (s: Server) => `http://127.0.0.1:${s.port}/json`;
  for (const s of servers) await autocannon({ url: url(s), connections: CONNECTIONS, duration: 2 });
  const rps = new Map<string, number[]>(servers.map((s) => [s.name, []]));
  const cpu = new Map<string, number[]>(servers.map((s) => [s.name, []]));
  for (let round = 0; round < ROUNDS; round++) {
    const order = servers.map((_, i) => servers[(i + round) % servers.length] as Server);
    for (const s of order) {
      const before = await cpuUs(s);
      const result = await autocannon({ url: url(s), connections: CONNECTIONS, duration: DURATION_S });
      const used = (await cpuUs(s)) - before;
      if (result.non2xx > 0 || result.errors > 0)
        throw new Error(`${s.name}: ${result.non2xx} non-2xx, ${result.errors} errors`);
      rps.get(s.name)?.push(result.requests.average);
      cpu.get(s.name)?.push(used / Math.max(1, result.requests.total));
    }
    process.stderr.write(
      `${framework} round ${round + 1}: ${servers.map((s) => `${s.name.split(':')[1]} ${Math.round(rps.get(s.name)?.at(-1) ?? 0)}`).join(', ')}\n`,
    );
  }
  const bare = servers[0]?.name ?? '';
  const bareRps = rps.get(bare) ?? [];
  const bareCpu = cpu.get(bare) ?? [];
  return servers.map((s) => {
    const values = rps.get(s.name) ?? [];
    const ratios = values.map((v, i) => v / (bareRps[i] ?? 1));
    const cpus = cpu.get(s.name) ?? [];
    return {
      name: s.name.split(':')[1] ?? s.name,
      rps: Math.round(median(values)),
      ratio: round3(median(ratios)),
      ratioMin: round3(Math.min(...ratios)),
      ratioMax: round3(Math.max(...ratios)),
      cpuUs: Math.round(median(cpus) * 10) / 10,
      // bare's CPU per request ÷ this one's, per round: capacity relative to bare.
      cpuRatio: round3(median(cpus.map((c, i) => (bareCpu[i] ?? c) / c))),
    };
  });
}

function report(framework: Framework, summary: Summary[]): void {
  const get = (name: string) => summary.find((s) => s.name === name);
  const org = get('org');
  const pinoHttp = get('pino-http');
  console.log(
    `\n@org/shared-middleware request logging, ${framework === 'express' ? 'Express 5' : 'node:http'}, ~1 KB JSON — ${new Date().toISOString().slice(0, 10)}, ${cpus().length} cores, Node ${process.version}; ${ROUNDS} interleaved rounds × ${DURATION_S} s × ${CONNECTIONS} connections`,
  );
  console.log(
    '| contestant | req/s (median) | × bare (median of rounds) | × bare range | server CPU µs/req | bare CPU ÷ CPU |',
  );
  console.log('| --- | ---: | ---: | ---: | ---: | ---: |');
  for (const s of summary) {
    console.log(
      `| ${s.name} | ${s.rps} | ${s.ratio} | ${s.ratioMin}–${s.ratioMax} | ${s.cpuUs} | ${s.cpuRatio} |`,
    );
  }
  const ratios: Record<string, number> = {};
  const cpuRatios: Record<string, number> = {};
  for (const s of summary) {
    if (s.name === 'bare') continue;
    ratios[`${s.name}/bare`] = s.ratio;
    cpuRatios[`bare/${s.name}`] = s.cpuRatio;
  }
  if (org && pinoHttp) ratios['org/pino-http'] = round3(org.ratio / pinoHttp.ratio);
  const met = org !== undefined && pinoHttp !== undefined && org.ratio >= 0.9 && org.ratio >= pinoHttp.ratio;
  console.log(
    JSON.stringify({
      type: 'bench',
      package: 'middleware',
      case: `request-logging-${framework}`,
      results: summary.map((s) => ({
        name: s.name,
        value: s.rps,
        unit: 'req/s',
        spread: [s.ratioMin, s.ratioMax],
      })),
      ratios,
      target: 'org/bare >= 0.90 and >= pino-http/bare (medians of interleaved per-round ratios)',
      met,
    }),
  );
  console.log(
    JSON.stringify({
      type: 'bench',
      package: 'middleware',
      case: `request-logging-${framework}-cpu`,
      results: summary.map((s) => ({ name: s.name, value: s.cpuUs, unit: 'µs/req' })),
      ratios: cpuRatios,
      target: 'reported beside the req/s ratios (server CPU per request)',
      met: true,
    }),
  );
}

async function memory(): Promise<void> {
  const peak: Record<string, number> = {};
  for (const mode of rssContestants) {
    const server = await start('express', mode);
    try {
      await autocannon({
        url: `http://127.0.0.1:${server.port}/big`,
        connections: 16,
        amount: 64,
        timeout: 60,
      });
      peak[mode] = peakRssMb(server.child.pid ?? 0);
    } finally {
      await stop(server.child);
    }
  }
  const over = Math.round(((peak['org-capture'] ?? 0) - (peak.bare ?? 0)) * 10) / 10;
  console.log('\npeak RSS, 16 clients × 64 responses of 32 MB (Express 5):');
  console.log(`| ${rssContestants.join(' | ')} |\n|${rssContestants.map(() => ' ---: ').join('|')}|`);
  console.log(`| ${rssContestants.map((m) => `${peak[m]} MB`).join(' | ')} |`);
  const ratios: Record<string, number> = { 'org-capture-bare/MB': over };
  for (const m of rssContestants)
    if (m !== 'bare') ratios[`${m}/bare`] = round3((peak[m] ?? 0) / (peak.bare ?? 1));
  console.log(
    JSON.stringify({
      type: 'bench',
      package: 'middleware',
      case: 'peak-rss-16x32MB',
      results: rssContestants.map((m) => ({ name: m, value: peak[m] ?? 0, unit: 'MB' })),
      ratios,
      target: 'org-capture peak RSS <= bare + 64 MB',
      met: over <= 64,
    }),
  );
}

const selected = (Object.keys(frameworks) as Framework[]).filter(
  (f) => !process.env.BENCH_ONLY || process.env.BENCH_ONLY === f,
);
for (const framework of selected) {
  const servers: Server[] = [];
  try {
    for (const mode of frameworks[framework]) servers.push(await start(framework, mode));
    report(framework, await throughput(framework, servers));
  } finally {
    for (const s of servers) await stop(s.child);
  }
}
if (process.env.BENCH_SKIP_RSS !== '1') await memory();
