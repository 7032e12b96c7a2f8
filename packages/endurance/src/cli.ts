/**
 * `org-endurance`: an endurance run of the services a config describes.
 *
 *   org-endurance --duration 30m                     endurance.config.ts of the working directory
 *   org-endurance --config ci/endurance.config.ts --duration 2m --out endurance-report --history history.jsonl
 *   org-endurance report <dir> [--history file]      render a report directory's index.html again
 *
 * Options: --duration (2m, 30m, 24h, 1h30m; default 2m), --out (default endurance-report), --rate (total
 * req/s; default the config's), --history (JSON lines of past summaries: read for the trend, this run
 * appended), --trend-runs (default 10), --progress (heartbeat interval, e.g. 30s; default the config's or
 * 30s), --max-slope-mb-per-hour (the heap slope limit instead of the default for the duration).
 *
 * Exit code: 0 the verdict passed; 1 it failed; 2 a usage or config error; 3 the run could not be
 * carried out (a service did not start, the config's set-up failed); 130 interrupted (SIGINT/SIGTERM).
 */
import { existsSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { failed } from './checks.js';
import type { ConfigInput, EnduranceConfig } from './config.js';
import { DEFAULT_CONFIG_FILES, importConfig } from './config-check.js';
import { formatDuration, parseDuration } from './duration.js';
import { EnduranceError } from './errors.js';
import { readHistory, trend } from './history.js';
import { readReport, renderPage, writeReport } from './report/write.js';
import { runEndurance } from './run.js';
import { historyEntry } from './summary.js';

const say = (line: string) => process.stdout.write(`endurance: ${line}\n`);

function args() {
  try {
    return parseArgs({
      allowPositionals: true,
      options: {
        config: { type: 'string' },
        duration: { type: 'string', default: '2m' },
        out: { type: 'string', default: 'endurance-report' },
        rate: { type: 'string' },
        history: { type: 'string' },
        'trend-runs': { type: 'string', default: '10' },
        progress: { type: 'string' },
        'max-slope-mb-per-hour': { type: 'string' },
      },
    });
  } catch (error) {
    throw new EnduranceError('ORG_ENDURANCE_USAGE', error instanceof Error ? error.message : String(error));
  }
}

function positive(option: string, text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0)
    throw new EnduranceError('ORG_ENDURANCE_USAGE', `${option}: a number > 0, got "${text}"`, {
      details: { option },
    });
  return n;
}

/** The heap limit from the command line goes into the config's bounds. */
function withSlope(input: ConfigInput, slope: number | undefined): ConfigInput {
  if (slope === undefined) return input;
  const apply = (c: EnduranceConfig): EnduranceConfig => ({
    ...c,
    bounds: { ...c.bounds, heapSlopeMbPerHour: slope },
  });
  return typeof input === 'function' ? async (ctx) => apply(await input(ctx)) : apply(input);
}

async function main(): Promise<number> {
  const { values, positionals } = args();
  const trendRuns = positive('--trend-runs', values['trend-runs'])!;
  if (positionals[0] === 'report') {
    const dir = resolve(positionals[1] ?? values.out);
    const summary = readReport(dir);
    const past = values.history ? readHistory(values.history).entries : null;
    const t = past ? trend(historyEntry(summary), past, trendRuns) : null;
    writeFileSync(join(dir, 'index.html'), renderPage(summary, t));
    say(`rendered ${join(dir, 'index.html')}`);
    return 0;
  }
  if (positionals.length > 0)
    throw new EnduranceError(
      'ORG_ENDURANCE_USAGE',
      `unknown command "${positionals[0]}" (the only command is "report")`,
    );
  const durationMs = parseDuration(values.duration);
  const rate = positive('--rate', values.rate);
  const slope = positive('--max-slope-mb-per-hour', values['max-slope-mb-per-hour']);
  const progressMs = values.progress === undefined ? undefined : parseDuration(values.progress, '--progress');
  const configFile = values.config ?? DEFAULT_CONFIG_FILES.find((f) => existsSync(resolve(f)));
  if (!configFile)
    throw new EnduranceError(
      'ORG_ENDURANCE_INVALID_CONFIG',
      `no --config and no ${DEFAULT_CONFIG_FILES.join(', ')} in ${process.cwd()}`,
      {
        details: { option: '--config' },
      },
    );
  const input = withSlope(await importConfig(configFile), slope);
  const outDir = resolve(values.out);
  // Ctrl-C or a cancelled CI job: stop the services and run the teardowns instead of leaving them running.
  const interrupt = new AbortController();
  for (const signal of ['SIGINT', 'SIGTERM'] as const)
    process.once(signal, () => {
      say(`${signal}: stopping the services`);
      interrupt.abort();
    });
  const summary = await runEndurance(input, {
    signal: interrupt.signal,
    durationMs,
    outDir,
    configFile,
    ...(rate === undefined ? {} : { rate }),
    ...(progressMs === undefined ? {} : { progressIntervalMs: progressMs }),
  });
  const { trend: t, skipped } = writeReport(outDir, summary, {
    ...(values.history ? { history: resolve(values.history) } : {}),
    trendRuns,
  });
  for (const line of skipped) say(`history: ${line}`);
  const mark = { pass: 'ok  ', fail: 'FAIL', inconclusive: 'n/j ', reported: 'info' } as const;
  for (const c of summary.checks)
    say(`${mark[c.status]} ${c.name}: ${c.value} (limit ${c.limit})${c.detail ? ` — ${c.detail}` : ''}`);
  for (const row of t?.rows ?? [])
    if (row.note.startsWith('higher')) say(`trend: ${row.quantity} ${row.current} is ${row.note}`);
  say(
    `${summary.verdict === 'pass' ? 'PASS' : 'FAIL'} after ${formatDuration(durationMs)}; report in ${join(outDir, 'index.html')}`,
  );
  process.stdout.write(
    `${JSON.stringify({ type: 'endurance', name: summary.name, verdict: summary.verdict, duration: formatDuration(durationMs), failed: summary.checks.filter(failed).map((c) => c.name) })}\n`,
  );
  return summary.verdict === 'pass' ? 0 : 1;
}

try {
  process.exit(await main());
} catch (error) {
  const code = error instanceof EnduranceError ? error.code : null;
  process.stderr.write(
    `endurance: ${code ? `${code}: ` : ''}${error instanceof Error ? error.message : String(error)}\n`,
  );
  const cause = (error as { cause?: unknown }).cause;
  if (cause)
    process.stderr.write(
      `  cause: ${cause instanceof Error ? (cause.stack ?? cause.message) : String(cause)}\n`,
    );
  process.exit(
    code === 'ORG_ENDURANCE_USAGE' || code === 'ORG_ENDURANCE_INVALID_CONFIG'
      ? 2
      : code === 'ORG_ENDURANCE_ABORTED'
        ? 130
        : code
          ? 3
          : 1,
  );
}
