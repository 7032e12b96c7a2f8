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

function runBench(dir: string): Promise<{ code: number | null; output: string; ms: number }> {
  const started = performance.now();
  return new Promise((resolve) => {
    const child = spawn('npm', ['run', 'bench', '--silent'], {
      cwd: dir,
      stdio: ['ignore', 'pipe', 'inherit'],
    });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => {
      output += chunk.toString();
      process.stdout.write(chunk);
    });
    child.on('close', (code) => resolve({ code, output, ms: performance.now() - started }));
  });
}

const results: BenchLine[] = [];
const failures: string[] = [];
for (const dir of packages) {
  const name = dir.split('/').pop()!;
  process.stdout.write(`\n== bench: ${name} ==\n`);
  const { code, output, ms } = await runBench(dir);
  const lines = parseBenchLines(output);
  process.stdout.write(`== ${name}: ${lines.length} case(s), exit ${code}, ${(ms / 1000).toFixed(0)} s ==\n`);
  if (code !== 0) failures.push(`${name}: exit ${code}`);
  else if (lines.length === 0) failures.push(`${name}: printed no {"type":"bench"} line`);
  results.push(...lines);
}

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
