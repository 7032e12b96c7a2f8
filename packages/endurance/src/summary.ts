/** The summary of a run (summary.json) and the one-line form kept in the history file. */
import type { Check, MemoryVerdicts, RunFacts } from './checks.js';
import { failed } from './checks.js';
import type { SlopeVerdict } from './memory-verdict.js';
import { maxOf, pointsOf, type RecordedSeries } from './series.js';

export interface ServiceSummary {
  heap: Omit<SlopeVerdict, 'points' | 'line'>;
  rss: Omit<SlopeVerdict, 'points' | 'line'>;
  maxRssMb: number;
  maxHeapUsedMb: number;
}

export interface RunSummary {
  type: 'endurance-summary';
  name: string;
  date: string;
  durationMs: number;
  /** Seconds from the first to the last sample. */
  endS: number;
  verdict: 'pass' | 'fail';
  node: string;
  rate: number;
  requests: number;
  errors: number;
  /** Median over the run of the per-tick p50 and p99 latencies, ms. */
  latencyP50Ms: number | null;
  latencyP99Ms: number | null;
  checks: Check[];
  services: Record<string, ServiceSummary>;
  faults: RunFacts['faults'];
  lostData: RunFacts['lostData'];
  /** Errors reported while running (a failed sample write, a throwing progress render). */
  events: string[];
  /** The downsampled series (written to samples.json, not into summary.json). */
  series: RecordedSeries;
  /** Which report chart each extra column is drawn on (from the config's column specs). */
  columnCharts: { column: string; chart: string; unit: string }[];
  /** The fitted points and lines of the memory verdicts (for the report's charts). */
  fits: Record<
    string,
    { heap: Pick<SlopeVerdict, 'points' | 'line'>; rss: Pick<SlopeVerdict, 'points' | 'line'> }
  >;
}

const strip = ({ points: _p, line: _l, ...rest }: SlopeVerdict) => rest;

function medianOf(values: number[]): number | null {
  if (values.length === 0) return null;
  const s = [...values].sort((a, b) => a - b);
  return s[s.length >> 1]!;
}

export function summarize(input: {
  name: string;
  startedAt: number;
  durationMs: number;
  rate: number;
  totals: { requests: number; errors: number };
  facts: RunFacts;
  memory: Record<string, MemoryVerdicts>;
  checks: Check[];
  series: RecordedSeries;
  events: string[];
  columnCharts: RunSummary['columnCharts'];
}): RunSummary {
  const first = Object.values(input.series.services)[0];
  const services: Record<string, ServiceSummary> = {};
  const fits: RunSummary['fits'] = {};
  for (const [name, m] of Object.entries(input.memory)) {
    services[name] = {
      heap: strip(m.heap),
      rss: strip(m.rss),
      maxRssMb: m.maxRssMb,
      maxHeapUsedMb: Math.max(0, maxOf(input.series.services[name], 'heap_used_mb')),
    };
    fits[name] = {
      heap: { points: m.heap.points, line: m.heap.line },
      rss: { points: m.rss.points, line: m.rss.line },
    };
  }
  return {
    type: 'endurance-summary',
    name: input.name,
    date: new Date(input.startedAt).toISOString(),
    durationMs: input.durationMs,
    endS: input.facts.endS,
    verdict: input.checks.some(failed) ? 'fail' : 'pass',
    node: process.version,
    rate: input.rate,
    requests: input.totals.requests,
    errors: input.totals.errors,
    latencyP50Ms: medianOf(pointsOf(first, 'latency_p50_ms').map((p) => p.y)),
    latencyP99Ms: medianOf(pointsOf(first, 'latency_p99_ms', 'max').map((p) => p.y)),
    checks: input.checks,
    services,
    faults: input.facts.faults,
    lostData: input.facts.lostData,
    events: input.events,
    series: input.series,
    columnCharts: input.columnCharts,
    fits,
  };
}

/** One line of the history file: what the trend compares. */
export interface HistoryEntry {
  type: 'endurance-history';
  name: string;
  date: string;
  durationMs: number;
  verdict: 'pass' | 'fail';
  requests: number;
  errorRate: number;
  latencyP99Ms: number | null;
  failedChecks: string[];
  services: Record<
    string,
    {
      heapSlopeMbPerHour: number;
      heapStatus: string;
      rssSlopeMbPerHour: number;
      rssStatus: string;
      maxRssMb: number;
      maxHeapUsedMb: number;
    }
  >;
}

export function historyEntry(s: RunSummary): HistoryEntry {
  const services: HistoryEntry['services'] = {};
  for (const [name, v] of Object.entries(s.services)) {
    services[name] = {
      heapSlopeMbPerHour: round(v.heap.slopeMbPerHour),
      heapStatus: v.heap.status,
      rssSlopeMbPerHour: round(v.rss.slopeMbPerHour),
      rssStatus: v.rss.status,
      maxRssMb: round(v.maxRssMb),
      maxHeapUsedMb: round(v.maxHeapUsedMb),
    };
  }
  return {
    type: 'endurance-history',
    name: s.name,
    date: s.date,
    durationMs: s.durationMs,
    verdict: s.verdict,
    requests: s.requests,
    errorRate: s.requests === 0 ? 0 : round(s.errors / s.requests, 4),
    latencyP99Ms: s.latencyP99Ms === null ? null : round(s.latencyP99Ms),
    failedChecks: s.checks.filter(failed).map((c) => c.name),
    services,
  };
}

const round = (v: number, digits = 2) => Math.round(v * 10 ** digits) / 10 ** digits;
