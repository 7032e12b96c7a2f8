/**
 * `org-leakcheck`: runs leak scenarios, each in a fresh Node process, and judges them by three signals.
 *
 *   org-leakcheck                           the scenarios of leakcheck.config.ts in the working directory
 *   org-leakcheck --config path/to/config   another config file
 *   org-leakcheck --fixtures                the config's leaky fixtures (each must be flagged by exactly
 *                                           the signals it declares in expectLeak)
 *   org-leakcheck --only logger             scenarios whose file name contains "logger"
 *   org-leakcheck path/to/scenario.ts dir/  given files and directories (no config needed)
 *   --keep                                  keep the heap snapshots (paths are printed)
 *   --json <file>                           also write every result as JSON
 *   --progress-interval <s>                 heartbeat interval when stdout is not a terminal (default 10)
 *
 * Exit code 0 only when every scenario is ok; 1 when one is not; 2 on a usage or config error.
 */
import { existsSync, writeFileSync } from 'node:fs';
import { basename, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { DEFAULT_CONFIG_FILES, type LeakcheckConfig, loadConfig, scenarioFiles } from './config.js';
import { LeakcheckError } from './errors.js';
import { formatElapsed, ProgressLine } from './progress.js';
import { formatReport, jsonLine } from './report.js';
import { runScenario, type ScenarioProgress, type ScenarioReport } from './runner.js';

const say = (line: string) => process.stdout.write(`leak: ${line}\n`);

function usage(message: string): never {
  throw new LeakcheckError('ORG_LEAKCHECK_USAGE', message);
}

function args() {
  try {
    return parseArgs({
      allowPositionals: true,
      options: {
        config: { type: 'string' },
        fixtures: { type: 'boolean', default: false },
        only: { type: 'string' },
        keep: { type: 'boolean', default: false },
        json: { type: 'string' },
        'progress-interval': { type: 'string', default: '10' },
      },
    });
  } catch (error) {
    return usage(error instanceof Error ? error.message : String(error));
  }
}

/** Reads `export const needs = [...]` without running the scenario's setup. */
async function needsOf(file: string): Promise<string[]> {
  let mod: { needs?: unknown };
  try {
    mod = (await import(pathToFileURL(file).href)) as { needs?: unknown };
  } catch (error) {
    throw new LeakcheckError('ORG_LEAKCHECK_INVALID_SCENARIO', `${file} does not load`, { cause: error });
  }
  return Array.isArray(mod.needs) ? mod.needs.filter((n): n is string => typeof n === 'string') : [];
}

async function main(): Promise<number> {
  const { values, positionals } = args();
  const intervalS = Number(values['progress-interval']);
  if (!Number.isFinite(intervalS) || intervalS <= 0) usage('--progress-interval: a number of seconds > 0');
  const configFile =
    values.config ?? DEFAULT_CONFIG_FILES.map((f) => resolve(f)).find((f) => existsSync(f)) ?? null;
  let config: LeakcheckConfig | null = null;
  if (configFile && (values.config !== undefined || positionals.length === 0))
    config = await loadConfig(configFile);
  let paths: readonly string[];
  if (positionals.length > 0) paths = positionals.map((p) => resolve(p));
  else if (config) paths = values.fixtures ? (config.fixtures ?? []) : config.scenarios;
  else
    throw new LeakcheckError(
      'ORG_LEAKCHECK_NO_SCENARIO',
      `no scenario given and no config file (${DEFAULT_CONFIG_FILES.join(', ')}) in ${process.cwd()}`,
    );
  let files = scenarioFiles(paths);
  if (values.only) {
    const only = values.only;
    files = files.filter((f) => basename(f).includes(only));
  }
  if (files.length === 0)
    throw new LeakcheckError('ORG_LEAKCHECK_NO_SCENARIO', 'no scenario matched', {
      details: { paths, only: values.only ?? null },
    });

  const needs = new Set<string>();
  for (const file of files) for (const need of await needsOf(file)) needs.add(need);
  await config?.prepare?.({ needs, log: say });

  say(
    `${files.length} ${values.fixtures ? 'leaky fixture(s)' : 'scenario(s)'}, each in a fresh Node ${process.version} with --expose-gc`,
  );
  const reports: ScenarioReport[] = [];
  const started = performance.now();
  let current = { index: 0, name: '', since: started, progress: null as ScenarioProgress | null };
  const where = (p: ScenarioProgress | null) =>
    !p ? 'starting' : p.phase === 'round' ? `round ${p.round}/${p.rounds}` : p.phase;
  const progress = new ProgressLine({
    prefix: 'leak: ',
    intervalMs: intervalS * 1000,
    render: () =>
      `[${current.index}/${files.length}] ${current.name}: ${where(current.progress)} (${formatElapsed(performance.now() - current.since)}; ${formatElapsed(performance.now() - started)} in all)`,
  }).start();
  try {
    for (const [i, file] of files.entries()) {
      current = { index: i + 1, name: basename(file), since: performance.now(), progress: null };
      if (!progress.live) progress.log(`[${i + 1}/${files.length}] ${basename(file)} …`);
      const report = await runScenario(file, {
        keepSnapshots: values.keep,
        ...(config?.timeoutMs === undefined ? {} : { timeoutMs: config.timeoutMs }),
        ...(config?.execArgv === undefined ? {} : { execArgv: config.execArgv }),
        onProgress: (p) => {
          current.progress = p;
          if (progress.live) progress.beat();
        },
      });
      reports.push(report);
      progress.print(`${formatReport(report)}\n`);
      if (report.workDir) progress.print(`     snapshots: ${report.workDir}\n`);
      progress.print(`${jsonLine(report)}\n\n`);
    }
  } finally {
    await progress.close();
  }
  if (values.json) writeFileSync(values.json, JSON.stringify(reports, null, 2));

  const failed = reports.filter((r) => !r.ok);
  say(
    `${reports.length - failed.length}/${reports.length} ok in ${((performance.now() - started) / 1000).toFixed(1)} s` +
      (failed.length > 0 ? `; failed: ${failed.map((r) => r.name).join(', ')}` : ''),
  );
  return failed.length > 0 ? 1 : 0;
}

// process.exit, not exitCode: whatever prepare() started (a database) must not keep the command alive.
try {
  process.exit(await main());
} catch (error) {
  const code = error instanceof LeakcheckError ? `${error.code}: ` : '';
  process.stderr.write(`leak: ${code}${error instanceof Error ? error.message : String(error)}\n`);
  const cause = (error as { cause?: unknown }).cause;
  if (cause)
    process.stderr.write(
      `  cause: ${cause instanceof Error ? (cause.stack ?? cause.message) : String(cause)}\n`,
    );
  process.exit(error instanceof LeakcheckError ? 2 : 1);
}
