/**
 * The history: a JSON-lines file of past run summaries (one HistoryEntry a line), appended to after
 * every run and kept by the nightly job, and the trend that compares this run with the last N runs.
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { EnduranceError } from './errors.js';
import type { HistoryEntry } from './summary.js';

export interface HistoryRead {
  entries: HistoryEntry[];
  /** Lines that are not history entries (ORG_ENDURANCE_HISTORY_INVALID), by line number; skipped. */
  problems: EnduranceError[];
}

export function readHistory(file: string): HistoryRead {
  if (!existsSync(file)) return { entries: [], problems: [] };
  const entries: HistoryEntry[] = [];
  const problems: EnduranceError[] = [];
  readFileSync(file, 'utf8')
    .split('\n')
    .forEach((line, i) => {
      if (line.trim() === '') return;
      try {
        const entry = JSON.parse(line) as HistoryEntry;
        if (
          entry?.type !== 'endurance-history' ||
          typeof entry.services !== 'object' ||
          entry.services === null
        )
          throw new Error('not an endurance-history line');
        entries.push(entry);
      } catch (error) {
        problems.push(
          new EnduranceError(
            'ORG_ENDURANCE_HISTORY_INVALID',
            `${file}:${i + 1}: skipped, not a run summary`,
            {
              cause: error,
              details: { line: i + 1 },
            },
          ),
        );
      }
    });
  return { entries, problems };
}

export function appendHistory(file: string, entry: HistoryEntry): void {
  mkdirSync(dirname(file), { recursive: true });
  appendFileSync(file, `${JSON.stringify(entry)}\n`);
}

export interface TrendRow {
  /** e.g. "orders-api heap slope (MB/h)". */
  quantity: string;
  current: number | null;
  /** The same quantity in the compared runs, oldest first. */
  past: number[];
  median: number | null;
  min: number | null;
  max: number | null;
  /** 'higher than every compared run' | 'lower than every compared run' | 'within' | 'no history'. */
  note: string;
}

export interface Trend {
  /** The runs compared (same config name; the same duration when there are such runs). */
  compared: { date: string; verdict: string; durationMs: number }[];
  rows: TrendRow[];
}

const median = (v: number[]) => {
  if (v.length === 0) return null;
  const s = [...v].sort((a, b) => a - b);
  return s.length % 2 ? s[s.length >> 1]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
};

/** Compares `current` with the last `last` runs of the same config (preferring runs of the same duration). */
export function trend(current: HistoryEntry, history: readonly HistoryEntry[], last = 10): Trend {
  const same = history.filter((h) => h.name === current.name && h.date !== current.date);
  const sameDuration = same.filter((h) => h.durationMs === current.durationMs);
  const runs = (sameDuration.length > 0 ? sameDuration : same).slice(-last);
  const quantities: { quantity: string; pick: (h: HistoryEntry) => number | null | undefined }[] = [];
  for (const name of Object.keys(current.services)) {
    quantities.push(
      { quantity: `${name} heap slope (MB/h)`, pick: (h) => h.services[name]?.heapSlopeMbPerHour },
      { quantity: `${name} RSS slope (MB/h)`, pick: (h) => h.services[name]?.rssSlopeMbPerHour },
      { quantity: `${name} RSS ceiling (MB)`, pick: (h) => h.services[name]?.maxRssMb },
      { quantity: `${name} heap used ceiling (MB)`, pick: (h) => h.services[name]?.maxHeapUsedMb },
    );
  }
  quantities.push(
    { quantity: 'error rate', pick: (h) => h.errorRate },
    { quantity: 'latency p99 (ms, median over the run)', pick: (h) => h.latencyP99Ms },
  );
  const rows = quantities.map(({ quantity, pick }): TrendRow => {
    const value = pick(current);
    const past = runs.map(pick).filter((v): v is number => typeof v === 'number' && Number.isFinite(v));
    const c = typeof value === 'number' && Number.isFinite(value) ? value : null;
    const min = past.length ? Math.min(...past) : null;
    const max = past.length ? Math.max(...past) : null;
    const note =
      past.length === 0 || c === null
        ? 'no history'
        : past.length >= 3 && c > max!
          ? `higher than each of the last ${past.length}`
          : past.length >= 3 && c < min!
            ? `lower than each of the last ${past.length}`
            : 'within';
    return { quantity, current: c, past, median: median(past), min, max, note };
  });
  return {
    compared: runs.map((h) => ({ date: h.date, verdict: h.verdict, durationMs: h.durationMs })),
    rows,
  };
}
