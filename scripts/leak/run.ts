/**
 * `npm run leak` (scripts/package.json: org-task leak node leak/run.ts).
 *
 *   node leak/run.ts                      every scenario in leak/scenarios/ (must all be green)
 *   node leak/run.ts --fixtures           the leaky fixtures in leak/fixtures/ (each must be flagged
 *                                         by exactly the signals it declares in expectLeak)
 *   node leak/run.ts --only logger        scenarios whose file or name contains "logger"
 *   node leak/run.ts path/to/scenario.ts  given files
 *   --keep                                keep the heap snapshots (paths are printed)
 *   --json <file>                         also write every result as JSON
 *
 * Scenarios that need PostgreSQL (a `needs: ['DATABASE_URL']` export) get the harness started
 * for them when DATABASE_URL is not set. Exit code 0 only when every scenario is ok.
 */
import { execFileSync } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import { basename, join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { formatReport, jsonLine } from './report.ts';
import { runScenario, type ScenarioReport } from './runner.ts';

const here = fileURLToPath(new URL('.', import.meta.url));
const repoRoot = join(here, '..', '..');

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: {
    fixtures: { type: 'boolean', default: false },
    only: { type: 'string' },
    keep: { type: 'boolean', default: false },
    json: { type: 'string' },
  },
});

function listScenarios(dir: string): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.ts') && !f.startsWith('_'))
    .sort()
    .map((f) => join(dir, f));
}

/** Reads `export const needs = [...]` without running the scenario's setup. */
async function needsOf(file: string): Promise<string[]> {
  const mod = (await import(pathToFileURL(file).href)) as { needs?: string[] };
  return mod.needs ?? [];
}

function ensureDatabase(): void {
  if (process.env.DATABASE_URL) return;
  const harness = join(repoRoot, 'scripts', 'pg-harness.sh');
  process.stdout.write('leak: DATABASE_URL is not set; starting the PostgreSQL harness\n');
  execFileSync('bash', [harness, 'start'], { stdio: 'inherit' });
  const env = execFileSync('bash', [harness, 'env'], { encoding: 'utf8' });
  for (const line of env.split('\n')) {
    const match = /^(?:export\s+)?([A-Z_]+)=["']?([^"']*)["']?$/.exec(line.trim());
    if (match) process.env[match[1]!] = match[2]!;
  }
}

let files =
  positionals.length > 0
    ? positionals
    : listScenarios(join(here, values.fixtures ? 'fixtures' : 'scenarios'));
if (values.only) {
  const only = values.only;
  files = files.filter((f) => basename(f).includes(only));
}
if (files.length === 0) {
  process.stderr.write('leak: no scenario matched\n');
  process.exit(2);
}

const needs = new Set<string>();
for (const file of files) for (const need of await needsOf(file)) needs.add(need);
if (needs.has('DATABASE_URL')) ensureDatabase();

process.stdout.write(
  `leak: ${files.length} ${values.fixtures ? 'leaky fixture(s)' : 'scenario(s)'}, each in a fresh Node ${process.version} with --expose-gc\n\n`,
);
const reports: ScenarioReport[] = [];
for (const file of files) {
  const report = await runScenario(file, { keepSnapshots: values.keep });
  reports.push(report);
  process.stdout.write(`${formatReport(report)}\n`);
  if (report.workDir) process.stdout.write(`     snapshots: ${report.workDir}\n`);
  process.stdout.write(`${jsonLine(report)}\n\n`);
}
if (values.json) writeFileSync(values.json, JSON.stringify(reports, null, 2));

const failed = reports.filter((r) => !r.ok);
const total = reports.reduce((sum, r) => sum + r.ms, 0);
process.stdout.write(
  `leak: ${reports.length - failed.length}/${reports.length} ok in ${(total / 1000).toFixed(1)} s` +
    (failed.length > 0 ? `; failed: ${failed.map((r) => r.name).join(', ')}` : '') +
    '\n',
);
process.exit(failed.length > 0 ? 1 : 0);
