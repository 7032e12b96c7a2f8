/**
 * Root `npm run bench`: runs every workspace package's and service's `npm run bench` one after another (never in
 * parallel: they would measure each other), collects the `{"type":"bench",...}` JSON lines they
 * print, and writes benchmarks/RESULTS.md (a table) and benchmarks/results.json with the machine,
 * the Node version and the date. Exit 1 when a package's bench fails or prints no result.
 */
import { spawn } from 'node:child_process';
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { formatElapsed, ProgressLine } from '@org/shared-leakcheck/progress';
import { type BenchLine, parseBenchLines, renderResults } from './results.ts';

const root = fileURLToPath(new URL('../../', import.meta.url));
const { values } = parseArgs({
  options: { only: { type: 'string' }, out: { type: 'string', default: join(root, 'benchmarks') } },
});

// The packages' benchmarks, then the sample services' (services/benchmarks).
const packages = ['packages', 'services']
  .flatMap((parent) => readdirSync(join(root, parent)).map((dir) => join(root, parent, dir)))
  .filter((dir) => existsSync(join(dir, 'package.json')))
  .filter((dir) => Boolean(JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).scripts?.bench))
  .filter((dir) => !values.only || dir.endsWith(values.only));

/** Cases per package in the last results.json: how many to expect ("case 3 of ~6"). */
function expectedCases(): Map<string, number> {
  const counts = new Map<string, number>();
  try {
    const last = JSON.parse(readFileSync(join(values.out, 'results.json'), 'utf8')) as {
      results?: BenchLine[];
    };
    for (const r of last.results ?? []) counts.set(r.package, (counts.get(r.package) ?? 0) + 1);
  } catch {
    // no earlier run: counts unknown
  }
  return counts;
}
const expected = expectedCases();
const runStarted = performance.now();
const current = { index: 0, name: '', cases: 0, last: '', started: runStarted };
const of = () => {
  const n = expected.get(current.name);
  return n ? ` of ~${n}` : '';
};
const progress = new ProgressLine({
  prefix: 'bench: ',
  // The package's own output streams through: no live line over it, heartbeats only.
  live: false,
  render: () =>
    `[${current.index}/${packages.length}] ${current.name}: ${current.cases}${of()} case(s) done${current.last ? ` (last: ${current.last})` : ''}, ${formatElapsed(performance.now() - current.started)} in this package, ${formatElapsed(performance.now() - runStarted)} in all`,
});

function runBench(dir: string): Promise<{ code: number | null; output: string; ms: number }> {
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn('npm', ['run', 'bench', '--silent'], {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    let partial = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      process.stdout.write(chunk);
      const lines = (partial + chunk.toString()).split('\n');
      partial = lines.pop() ?? '';
      for (const line of parseBenchLines(lines.join('\n'))) {
        current.cases++;
        current.last = line.case;
        progress.log(
          `[${current.index}/${packages.length}] ${current.name}: case ${current.cases}${of()} done: ${line.case}`,
        );
      }
    });
    child.on('close', (code) => resolve({ code, output, ms: performance.now() - started }));
  });
}

const results: BenchLine[] = [];
const failures: string[] = [];
progress.start();
for (const [i, dir] of packages.entries()) {
  const name = dir.split('/').pop()!;
  Object.assign(current, { index: i + 1, name, cases: 0, last: '', started: performance.now() });
  process.stdout.write(`\n== bench: [${i + 1}/${packages.length}] ${name} ==\n`);
  const { code, output, ms } = await runBench(dir);
  const lines = parseBenchLines(output);
  process.stdout.write(`== ${name}: ${lines.length} case(s), exit ${code}, ${(ms / 1000).toFixed(0)} s ==\n`);
  if (code !== 0) failures.push(`${name}: exit ${code}`);
  else if (lines.length === 0) failures.push(`${name}: printed no {"type":"bench"} line`);
  results.push(...lines);
}
await progress.close();

const machine = {
  cpus: cpus().length,
  cpuModel: cpus()[0]?.model ?? 'unknown',
  memoryGb: Math.round(totalmem() / 2 ** 30),
  platform: `${process.platform} ${process.arch}`,
};
const meta = { date: new Date().toISOString(), node: process.version, machine, failures };
mkdirSync(values.out, { recursive: true });
writeFileSync(join(values.out, 'results.json'), `${JSON.stringify({ ...meta, results }, null, 2)}\n`);
writeFileSync(join(values.out, 'RESULTS.md'), renderResults(meta, results));
process.stdout.write(
  `\nbench: ${results.length} case(s) from ${packages.length} package(s) → ${join(values.out, 'RESULTS.md')}\n`,
);
if (failures.length > 0) process.stdout.write(`bench: FAILED: ${failures.join('; ')}\n`);
process.exit(failures.length > 0 ? 1 : 0);
