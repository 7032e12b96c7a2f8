// The endurance heap verdict, end to end on a live process: the same sampler (/metrics with the
// real metric names, /memory) and the same verdict as `npm run endurance`, on a tiny target driven
// by autocannon. Retaining ~1 KiB per request (≈ 2× the short-run limit) must fail; the same target
// without the leak must pass.
import { type ChildProcess, spawn } from 'node:child_process';
import { once } from 'node:events';
import { readFileSync } from 'node:fs';
import { setTimeout as wait } from 'node:timers/promises';
import { fileURLToPath } from 'node:url';
import autocannon from 'autocannon';
import { describe, expect, it } from 'vitest';
import { parsePrometheus, readColumns } from '../endurance/sampler.ts';
import { type HeapSample, type HeapSlopeVerdict, heapSlopeVerdict } from '../endurance/stats.ts';

const target = fileURLToPath(new URL('../endurance/leaky-target.ts', import.meta.url));
const nodeOptions = (() => {
  const line = readFileSync(new URL('../../.node-options', import.meta.url), 'utf8')
    .split('\n')
    .find((l) => /^service\s*=/.test(l.trim()));
  return line ? line.slice(line.indexOf('=') + 1).trim() : '';
})();
const MB = 1024 * 1024;
const SECONDS = 40;
const RATE = 200;

async function soak(leakBytes: number): Promise<{ verdict: HeapSlopeVerdict; samples: HeapSample[] }> {
  const child: ChildProcess = spawn(process.execPath, [target], {
    env: { ...process.env, NODE_OPTIONS: nodeOptions, PORT: '0', LEAK_BYTES_PER_REQUEST: String(leakBytes) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  try {
    const [line] = (await once(child.stdout!, 'data')) as [Buffer];
    const port = Number(/listening (\d+)/.exec(line.toString())?.[1]);
    const url = `http://127.0.0.1:${port}`;
    let finished!: () => void;
    const done = new Promise<void>((resolve) => {
      finished = resolve;
    });
    const load = autocannon({ url, connections: 2, overallRate: RATE, duration: SECONDS }, () => finished());
    const samples: HeapSample[] = [];
    const started = Date.now();
    while (Date.now() - started < SECONDS * 1000) {
      const t = Date.now() - started;
      const [memory, text] = await Promise.all([
        fetch(`${url}/memory`).then((r) => r.json() as Promise<{ heapUsed: number }>),
        fetch(`${url}/metrics`).then((r) => r.text()),
      ]);
      const row = readColumns(parsePrometheus(text));
      samples.push({
        t,
        heapUsed: memory.heapUsed,
        tenured: row.heap_tenured_mb === undefined ? undefined : row.heap_tenured_mb * MB,
        gcMajor: row.gc_major,
      });
      await wait(Math.max(0, 1000 - (Date.now() - started - t)));
    }
    load.stop();
    await done;
    // The same warm-up share and limit as a short `npm run endurance` run.
    return {
      verdict: heapSlopeVerdict(samples, { warmUpMs: SECONDS * 250, limitMbPerHour: 300 }),
      samples,
    };
  } finally {
    child.kill('SIGTERM');
    if (child.exitCode === null) await once(child, 'exit');
  }
}

describe('endurance heap verdict on a live target', () => {
  it(
    'fails a target that retains 1 KiB per request and passes the same target without the leak',
    async () => {
      const [clean, leaky] = await Promise.all([soak(0), soak(1024)]);
      const show = (v: HeapSlopeVerdict) =>
        `${v.method} ${v.slopeMbPerHour.toFixed(0)} MB/h over ${v.points.length} points`;
      process.stdout.write(`leaky target: ${show(leaky.verdict)}; clean: ${show(clean.verdict)}\n`);
      expect(leaky.verdict.ok, show(leaky.verdict)).toBe(false);
      // ~200 req/s × 1 KiB ≈ 700 MB/h retained; allow for load shortfall on a busy box.
      expect(leaky.verdict.slopeMbPerHour, show(leaky.verdict)).toBeGreaterThan(300);
      expect(clean.verdict.ok, show(clean.verdict)).toBe(true);
      expect(clean.samples.length).toBeGreaterThanOrEqual(SECONDS * 0.8);
    },
    SECONDS * 1000 + 30_000,
  );
});
