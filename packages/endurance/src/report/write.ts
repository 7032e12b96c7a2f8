/**
 * The files of a run: summary.json (verdict, checks, memory verdicts, faults, lost data), samples.json
 * (the downsampled series), samples.csv (the same as a table: min, max, mean per column and bucket),
 * index.html; and one line appended to the history file, after the trend against it was computed.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { appendHistory, readHistory, type Trend, trend } from '../history.js';
import type { RecordedSeries } from '../series.js';
import { historyEntry, type RunSummary } from '../summary.js';
import { reportCharts } from './charts.js';
import { renderReport } from './html.js';

export function samplesCsv(series: RecordedSeries): string {
  const columns = [...new Set(Object.values(series.services).flatMap((s) => Object.keys(s.columns)))].sort();
  const header = [
    't',
    'service',
    'samples',
    ...columns.flatMap((c) => [`${c}.min`, `${c}.max`, `${c}.mean`]),
  ];
  const rows = [header.join(',')];
  for (const [name, s] of Object.entries(series.services)) {
    s.t.forEach((t, i) => {
      const cells: (string | number)[] = [t, name, s.n[i]!];
      for (const c of columns) {
        const col = s.columns[c];
        for (const stat of ['min', 'max', 'mean'] as const) cells.push(col?.[stat][i] ?? '');
      }
      rows.push(cells.join(','));
    });
  }
  return `${rows.join('\n')}\n`;
}

export interface WriteOptions {
  /** The history file (JSON lines): read for the trend, then this run appended. */
  history?: string;
  /** Runs compared in the trend. Default 10. */
  trendRuns?: number;
}

export function renderPage(summary: RunSummary, trendResult: Trend | null): string {
  return renderReport({
    title: `Endurance run: ${summary.name}, ${summary.date}`,
    verdict: summary.verdict,
    meta: {
      date: summary.date,
      duration: `${(summary.durationMs / 60_000).toFixed(1)} min (last sample at ${summary.endS.toFixed(0)} s)`,
      node: summary.node,
      rate: `${summary.rate} req/s asked`,
      requests: summary.requests,
      'error answers': `${summary.errors} (${summary.requests ? ((summary.errors / summary.requests) * 100).toFixed(2) : 0} %)`,
      'latency (median of per-second p50 / p99)': `${summary.latencyP50Ms?.toFixed(1) ?? '–'} / ${summary.latencyP99Ms?.toFixed(1) ?? '–'} ms`,
      'bucket width': `${summary.series.widthS} s`,
    },
    checks: summary.checks,
    faults: summary.faults,
    charts: reportCharts(summary),
    trend: trendResult,
    durationS: summary.durationMs / 1000,
  });
}

/** Writes the report files into outDir (and appends to the history); returns the trend and the history lines skipped. */
export function writeReport(
  outDir: string,
  summary: RunSummary,
  options: WriteOptions = {},
): { trend: Trend | null; skipped: string[] } {
  const { series, fits: _fits, ...rest } = summary;
  writeFileSync(join(outDir, 'samples.json'), JSON.stringify(series));
  writeFileSync(join(outDir, 'samples.csv'), samplesCsv(series));
  writeFileSync(
    join(outDir, 'summary.json'),
    `${JSON.stringify({ ...rest, fits: summary.fits }, null, 2)}\n`,
  );
  let trendResult: Trend | null = null;
  let skipped: string[] = [];
  if (options.history) {
    const entry = historyEntry(summary);
    const past = readHistory(options.history);
    skipped = past.problems.map((p) => `${p.code}: ${p.message}`);
    trendResult = trend(entry, past.entries, options.trendRuns ?? 10);
    appendHistory(options.history, entry);
  }
  writeFileSync(join(outDir, 'index.html'), renderPage(summary, trendResult));
  return { trend: trendResult, skipped };
}

/** Reads a report directory back (summary.json + samples.json), e.g. to render it again. */
export function readReport(outDir: string): RunSummary {
  const summary = JSON.parse(readFileSync(join(outDir, 'summary.json'), 'utf8')) as Omit<
    RunSummary,
    'series'
  >;
  const series = JSON.parse(readFileSync(join(outDir, 'samples.json'), 'utf8')) as RecordedSeries;
  return { ...summary, series };
}
