// The endurance run end to end on a live process, through the built org-endurance command and the
// config mechanism (endurance/leaky.config.ts), with its default limits, both runs at once (as on a
// loaded CI box): the leaky target retaining 600 MB/h (4× the 1-minute limit) must fail on its heap
// slope, measured on the post-GC heap within 0.7–1.5× of the leak, and exit 1; the same target without
// the leak must pass on the post-GC heap and exit 0; both print heartbeats and write their report and a
// history line.
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

const cli = fileURLToPath(new URL('../../packages/endurance/bin/org-endurance.js', import.meta.url));
const config = fileURLToPath(new URL('../endurance/leaky.config.ts', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'endurance-live-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function run(leakMbPerHour: number): Promise<{ code: number | null; stdout: string; out: string }> {
  const out = join(dir, `leak-${leakMbPerHour}`);
  return new Promise((resolve) => {
    const child = spawn(
      process.execPath,
      [
        cli,
        '--config',
        config,
        '--duration',
        '1m',
        '--out',
        out,
        '--history',
        join(out, 'history.jsonl'),
        '--progress',
        '10s',
      ],
      {
        env: { ...process.env, LEAK_MB_PER_HOUR: String(leakMbPerHour) },
        stdio: ['ignore', 'pipe', 'inherit'],
      },
    );
    let stdout = '';
    child.stdout.on('data', (c: Buffer) => {
      stdout += c.toString();
    });
    child.on('close', (code) => resolve({ code, stdout, out }));
  });
}

describe('org-endurance on the leaky target', () => {
  it('fails the target leaking 600 MB/h and passes it without the leak', async () => {
    const [leaky, clean] = await Promise.all([run(600), run(0)]);
    const summary = (r: { out: string }) =>
      JSON.parse(readFileSync(join(r.out, 'summary.json'), 'utf8')) as {
        verdict: string;
        services: Record<
          string,
          {
            heap: {
              status: string;
              slopeMbPerHour: number;
              lowMbPerHour: number;
              highMbPerHour: number;
              method: string;
              fromS: number;
              evidence: { points: number };
            };
          }
        >;
      };
    const l = summary(leaky);
    const c = summary(clean);
    const heap = (s: typeof l) => s.services['leaky-target']!.heap;
    const line = (h: ReturnType<typeof heap>) =>
      `${h.method} ${h.slopeMbPerHour.toFixed(0)} MB/h (${h.lowMbPerHour.toFixed(0)} … ${h.highMbPerHour.toFixed(0)}; ${h.evidence.points} points from ${h.fromS.toFixed(0)} s)`;
    process.stdout.write(`leaky: ${line(heap(l))}; clean: ${line(heap(c))}\n`);
    expect(leaky.code, leaky.stdout).toBe(1);
    expect(l.verdict).toBe('fail');
    expect(heap(l).status).toBe('fail');
    expect(heap(l).method).toBe('post-gc');
    expect(heap(l).slopeMbPerHour).toBeGreaterThan(0.7 * 600);
    expect(heap(l).slopeMbPerHour).toBeLessThan(1.5 * 600);
    expect(leaky.stdout).toMatch(/FAIL leaky-target: heap slope/);
    expect(clean.code, clean.stdout).toBe(0);
    expect(c.verdict).toBe('pass');
    expect(heap(c).status).toBe('pass');
    expect(heap(c).method).toBe('post-gc');
    for (const r of [leaky, clean]) {
      // Heartbeats every 10 s with elapsed / remaining, req/s, errors, RSS and heap, the fault.
      const beats = r.stdout
        .split('\n')
        .filter((line) =>
          / \/ 1m \(.* left\) · \d+ req\/s · errors [\d.]+ % · leaky-target rss \d+ heap \d+ MB · fault: none$/.test(
            line,
          ),
        );
      expect(beats.length, r.stdout).toBeGreaterThanOrEqual(4);
      expect(existsSync(join(r.out, 'index.html'))).toBe(true);
      expect(readFileSync(join(r.out, 'history.jsonl'), 'utf8').trim().split('\n')).toHaveLength(1);
      expect(r.stdout).toMatch(/^\{"type":"endurance",/m);
    }
    // The report command renders a directory again (here with the other run's history as the trend).
    const before = statSync(join(leaky.out, 'index.html')).mtimeMs;
    const again = spawnSync(
      process.execPath,
      [cli, 'report', leaky.out, '--history', join(clean.out, 'history.jsonl')],
      { encoding: 'utf8' },
    );
    expect(again.status, again.stderr).toBe(0);
    expect(statSync(join(leaky.out, 'index.html')).mtimeMs).toBeGreaterThanOrEqual(before);
    expect(readFileSync(join(leaky.out, 'index.html'), 'utf8')).toContain('<h2>Trend</h2>');
  }, 150_000);
});
