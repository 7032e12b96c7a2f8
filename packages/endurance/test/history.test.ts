// The history file: one summary a line, bad lines skipped with a typed error (never fatal), and the
// trend of this run against the last N runs of the same config.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { appendHistory, readHistory, trend } from '../src/history.ts';
import type { HistoryEntry } from '../src/summary.ts';

const dir = mkdtempSync(join(tmpdir(), 'endurance-history-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const entry = (date: string, heap: number, maxRss = 200): HistoryEntry => ({
  type: 'endurance-history',
  name: 'svc',
  date,
  durationMs: 1_800_000,
  verdict: 'pass',
  requests: 1000,
  errorRate: 0.01,
  latencyP99Ms: 12,
  failedChecks: [],
  services: {
    api: {
      heapSlopeMbPerHour: heap,
      heapStatus: 'pass',
      rssSlopeMbPerHour: 1,
      rssStatus: 'pass',
      maxRssMb: maxRss,
      maxHeapUsedMb: 80,
    },
  },
});

describe('history', () => {
  it('appends and reads summaries, skipping lines that are not summaries', () => {
    const file = join(dir, 'sub', 'history.jsonl');
    appendHistory(file, entry('2026-01-01T00:00:00Z', 1));
    writeFileSync(file, `${readFileSync(file, 'utf8')}{not json\n{"type":"other"}\n\n`);
    appendHistory(file, entry('2026-01-02T00:00:00Z', 2));
    const read = readHistory(file);
    expect(read.entries.map((e) => e.date)).toEqual(['2026-01-01T00:00:00Z', '2026-01-02T00:00:00Z']);
    expect(read.problems.map((p) => p.code)).toEqual([
      'ORG_ENDURANCE_HISTORY_INVALID',
      'ORG_ENDURANCE_HISTORY_INVALID',
    ]);
    expect(read.problems[0]!.message).toMatch(/history\.jsonl:2: skipped/);
    expect(readHistory(join(dir, 'none.jsonl'))).toEqual({ entries: [], problems: [] });
  });

  it('compares this run with the last N runs of the same config and duration', () => {
    const past = [1, 2, 3, 4, 5].map((h, i) => entry(`2026-01-0${i + 1}T00:00:00Z`, h, 200 + i));
    const other = { ...entry('2026-01-09T00:00:00Z', 100), name: 'other' };
    const t = trend(entry('2026-01-10T00:00:00Z', 9, 150), [...past, other], 3);
    expect(t.compared.map((c) => c.date)).toEqual([
      '2026-01-03T00:00:00Z',
      '2026-01-04T00:00:00Z',
      '2026-01-05T00:00:00Z',
    ]);
    const heap = t.rows.find((r) => r.quantity === 'api heap slope (MB/h)')!;
    expect(heap).toMatchObject({
      current: 9,
      past: [3, 4, 5],
      median: 4,
      min: 3,
      max: 5,
      note: 'higher than each of the last 3',
    });
    expect(t.rows.find((r) => r.quantity === 'api RSS ceiling (MB)')!.note).toBe(
      'lower than each of the last 3',
    );
    expect(trend(entry('2026-01-10T00:00:00Z', 9), []).rows[0]!.note).toBe('no history');
  });
});
