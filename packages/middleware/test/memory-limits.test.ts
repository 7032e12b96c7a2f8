import { type ChildProcess, spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { getHeapStatistics } from 'node:v8';
import { afterAll, describe, expect, test } from 'vitest';
import { MEMORY_GUARD_DEFAULTS, type MemoryReport, memoryLimits } from '../src/index.js';

const MiB = 1024 * 1024;
const GiB = 1024 * MiB;
const fixtures = fileURLToPath(new URL('./fixtures/', import.meta.url));
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

describe('memoryLimits: V8', () => {
  const base = { cgroupRoot: '/nonexistent', procSelfCgroup: '', constrainedMemory: 0 };

  test('the old generation is --max-old-space-size, from the flags or NODE_OPTIONS, in every spelling', () => {
    const heap = 576 * MiB;
    for (const [execArgv, nodeOptions] of [
      [['--max-old-space-size=384'], ''],
      [[], '--expose-gc --max-old-space-size=384'],
      [['--max_old_space_size=100'], '--max-old-space-size 384'],
      [['--max-old-space-size', '384'], ''],
    ] as [string[], string][]) {
      expect(memoryLimits({ ...base, execArgv, nodeOptions, heapSizeLimitBytes: heap })).toMatchObject({
        heapSizeLimitBytes: heap,
        oldGenerationBytes: 384 * MiB,
        oldGenerationSource: 'max-old-space-size',
      });
    }
  });

  test('without it: heap_size_limit less three semi-spaces (exact with --max-semi-space-size, else estimated)', () => {
    expect(
      memoryLimits({
        ...base,
        execArgv: ['--max-semi-space-size=16'],
        nodeOptions: '',
        heapSizeLimitBytes: 4144 * MiB,
      }),
    ).toMatchObject({ oldGenerationBytes: 4096 * MiB, oldGenerationSource: 'max-semi-space-size' });
    expect(
      memoryLimits({ ...base, execArgv: [], nodeOptions: '', heapSizeLimitBytes: 4288 * MiB }),
    ).toMatchObject({
      oldGenerationBytes: 4096 * MiB,
      oldGenerationSource: 'estimate',
    });
  });

  test('this process: the test task runs with --max-old-space-size=2048 (from .node-options through NODE_OPTIONS)', () => {
    const limits = memoryLimits();
    expect(limits.heapSizeLimitBytes).toBe(getHeapStatistics().heap_size_limit);
    expect(limits).toMatchObject({
      oldGenerationBytes: 2048 * MiB,
      oldGenerationSource: 'max-old-space-size',
    });
    expect(limits.heapSizeLimitBytes).toBeGreaterThan(limits.oldGenerationBytes);
  });
});

describe('memoryLimits: the container', () => {
  let root: string;
  const write = (path: string, text: string) => {
    mkdirSync(dirname(join(root, path)), { recursive: true });
    writeFileSync(join(root, path), text);
  };
  const limits = (procSelfCgroup: string, extra: Parameters<typeof memoryLimits>[0] = {}) =>
    memoryLimits({
      cgroupRoot: root,
      procSelfCgroup,
      constrainedMemory: 0,
      totalMemoryBytes: 64 * GiB,
      ...extra,
    });

  test('cgroup v2: memory.max of the group and its parents, the smallest; "max" is no limit', () => {
    root = mkdtempSync(join(tmpdir(), 'org-cgroup-'));
    try {
      write('kubepods/pod1/memory.max', '1073741824\n');
      write('kubepods/pod1/app/memory.max', 'max\n');
      expect(limits('0::/kubepods/pod1/app\n')).toMatchObject({
        containerBytes: GiB,
        containerSource: 'cgroup-v2',
      });
      write('kubepods/pod1/app/memory.max', '536870912\n');
      expect(limits('0::/kubepods/pod1/app\n').containerBytes).toBe(512 * MiB);
      // A hybrid host mounts the unified hierarchy under /unified.
      rmSync(join(root, 'kubepods'), { recursive: true });
      write('unified/svc/memory.max', '268435456');
      expect(limits('0::/svc')).toMatchObject({ containerBytes: 256 * MiB, containerSource: 'cgroup-v2' });
      write('unified/svc/memory.max', 'max');
      expect(limits('0::/svc')).toMatchObject({ containerBytes: null, containerSource: null });
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  test('cgroup v1: memory.limit_in_bytes of the memory controller group or the container root; the "unlimited" value is no limit', () => {
    root = mkdtempSync(join(tmpdir(), 'org-cgroup-'));
    try {
      const cgroups = '12:cpu,cpuacct:/docker/abc\n4:memory:/docker/abc\n0::/\n';
      write('memory/docker/abc/memory.limit_in_bytes', '805306368\n');
      expect(limits(cgroups)).toMatchObject({ containerBytes: 768 * MiB, containerSource: 'cgroup-v1' });
      // Inside the container the group is mounted as the root of the controller.
      rmSync(join(root, 'memory/docker'), { recursive: true });
      write('memory/memory.limit_in_bytes', '402653184\n');
      expect(limits(cgroups).containerBytes).toBe(384 * MiB);
      write('memory/memory.limit_in_bytes', '9223372036854771712\n');
      expect(limits(cgroups).containerBytes).toBeNull();
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  });

  test("libuv's process.constrainedMemory() counts too; a limit at or above physical memory is none", () => {
    expect(
      memoryLimits({
        cgroupRoot: '/nonexistent',
        procSelfCgroup: '',
        constrainedMemory: 300 * MiB,
        totalMemoryBytes: GiB,
      }),
    ).toMatchObject({
      containerBytes: 300 * MiB,
      containerSource: 'constrained-memory',
    });
    expect(
      memoryLimits({
        cgroupRoot: '/nonexistent',
        procSelfCgroup: '',
        constrainedMemory: 2 ** 64,
        totalMemoryBytes: GiB,
      }).containerBytes,
    ).toBeNull();
  });

  test('this machine: a limit libuv sees is found too (and a stricter one of a parent group may win)', () => {
    const constrained = process.constrainedMemory();
    const libuv = constrained > 0 && constrained < totalmem() ? constrained : null;
    const found = memoryLimits().containerBytes;
    if (libuv === null) expect(found === null || found < totalmem()).toBe(true);
    else expect(found).toBeLessThanOrEqual(libuv);
  });
});

interface Child {
  process: ChildProcess;
  url: string;
  exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  exited: () => boolean;
}

const children: ChildProcess[] = [];
afterAll(() => {
  for (const child of children) child.kill('SIGKILL');
});

async function startGuarded(oldSpaceMb: number, env: Record<string, string> = {}): Promise<Child> {
  const child = spawn(
    process.execPath,
    [
      `--max-old-space-size=${oldSpaceMb}`,
      '--import',
      join(fixtures, 'source-hooks.mjs'),
      join(fixtures, 'guarded-server.ts'),
    ],
    {
      // Only the flag under test: not the test task's own NODE_OPTIONS (--max-old-space-size=2048).
      env: { PATH: process.env.PATH ?? '', GROW_BYTES: String(Math.round(oldSpaceMb * MiB * 0.005)), ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  children.push(child);
  let done = false;
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) =>
    child.on('exit', (code, signal) => {
      done = true;
      resolve({ code, signal });
    }),
  );
  child.stderr?.resume();
  const port = await new Promise<number>((resolve, reject) => {
    let text = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      text += chunk.toString();
      const match = /listening (\d+)/.exec(text);
      if (match) resolve(Number(match[1]));
    });
    void exit.then(({ code, signal }) =>
      reject(new Error(`child exited (${code ?? signal}) before listening`)),
    );
  });
  return { process: child, url: `http://127.0.0.1:${port}`, exit, exited: () => done };
}

interface Drive {
  /** The first 503, or null when the process died (or the time ran out) before one. */
  first503: { retryAfter: string | null; afterMs: number; reason: string | null | undefined } | null;
  /** Requests answered 503 in all. */
  refused: number;
  died: boolean;
}

/**
 * A steady leak: asks for 0.5 % of the old generation every 50 ms (10 % a second), and goes on
 * asking for `keepOnMs` after the first 503, as a client would. Every /grow the guard lets through
 * retains its memory, so the guard must keep the heap below V8's limit by itself.
 */
async function steadyLeak(child: Child, keepOnMs: number, maxMs = 90_000): Promise<Drive> {
  const started = Date.now();
  const drive: Drive = { first503: null, refused: 0, died: false };
  while (Date.now() - started < maxMs) {
    if (drive.first503 !== null && Date.now() - started - drive.first503.afterMs > keepOnMs) break;
    let reply: Response;
    try {
      reply = await fetch(`${child.url}/grow`);
      await reply.arrayBuffer();
    } catch {
      drive.died = true;
      break;
    }
    if (reply.status === 503) {
      drive.refused++;
      if (drive.first503 === null) {
        const report = (await (await fetch(`${child.url}/memory`)).json()) as MemoryReport;
        drive.first503 = {
          retryAfter: reply.headers.get('retry-after'),
          afterMs: Date.now() - started,
          reason: report.guard?.reason,
        };
      }
    }
    await sleep(50);
  }
  return drive;
}

// The four children run at once (each takes 20–60 s of steady allocation).
describe.concurrent('memoryGuard under real heap limits (child processes)', () => {
  test.each([128, 384, 2048])(
    '--max-old-space-size=%i: 503 with Retry-After before V8 aborts; the process survives and answers 200 again',
    async (oldSpaceMb) => {
      const child = await startGuarded(oldSpaceMb);
      const report = (await (await fetch(`${child.url}/memory`)).json()) as MemoryReport;
      expect(report.limits).toMatchObject({
        oldGenerationBytes: oldSpaceMb * MiB,
        oldGenerationSource: 'max-old-space-size',
      });
      expect(report.limits.heapSizeLimitBytes).toBeGreaterThan(oldSpaceMb * MiB);
      expect(report.thresholds.maxHeapUsedBytes).toBe(
        Math.floor(oldSpaceMb * MiB * MEMORY_GUARD_DEFAULTS.heapUsedRatio),
      );

      const drive = await steadyLeak(child, 5000);
      expect(drive.died, 'V8 aborted').toBe(false);
      expect(drive.first503, 'no 503 before the time ran out').not.toBeNull();
      expect(drive.first503).toMatchObject({ retryAfter: '10', reason: 'heapUsed' });
      // The leak went on for 5 s after the first 503: the guard refused it, and the process is up.
      expect(child.exited()).toBe(false);
      const during = (await (await fetch(`${child.url}/memory`)).json()) as MemoryReport;
      expect(during.guard?.rejected).toBe(drive.refused);
      expect(during.guard?.episodes).toBeGreaterThanOrEqual(1);

      expect((await fetch(`${child.url}/release`)).status).toBe(200);
      let status = 0;
      for (let i = 0; i < 150 && status !== 200; i++) {
        status = (await fetch(child.url)).status;
        if (status !== 200) await sleep(200);
      }
      expect(status).toBe(200);
      expect(child.exited()).toBe(false);
      child.process.kill();
      await child.exit;
    },
    180_000,
  );

  test('the former default (90 % of heap_size_limit, which includes the young generation) lets V8 abort first (the check can fail)', async () => {
    const child = await startGuarded(128, { OLD_HEAP_DEFAULT: '1' });
    const report = (await (await fetch(`${child.url}/memory`)).json()) as MemoryReport;
    expect(report.thresholds.maxHeapUsedBytes).toBeGreaterThan(128 * MiB);
    const drive = await steadyLeak(child, 5000);
    expect(drive).toMatchObject({ died: true, first503: null, refused: 0 });
    const { code, signal } = await child.exit;
    // V8's "heap out of memory" abort.
    expect(signal === 'SIGABRT' || code === 134).toBe(true);
  }, 180_000);
});
