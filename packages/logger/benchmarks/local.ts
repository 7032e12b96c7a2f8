// The hot path to the package's own outputs: ns per log call of createLogger's ECS JSON into a file,
// against pino into the same kind of destination (sonic-boom on a file) and no-op baselines, in one
// process, measured in interleaved rounds. Also the cost of the worst hostile inputs (ms per call).
// Run alone with `node benchmarks/local.ts` (after a build), or as part of `npm run bench`.
import { mkdtempSync, openSync, rmSync } from 'node:fs';
import os from 'node:os';
import { join } from 'node:path';
import { setImmediate as tick } from 'node:timers/promises';
import { createLogger } from '@org/shared-logger';
import pino from 'pino';
import sonicBoom from 'sonic-boom';
import winston from 'winston';
import Transport from 'winston-transport';
import { dag, wide } from '../test/fixtures/hostile-shapes.ts';

const SonicBoom = sonicBoom.default;
type SonicBoom = InstanceType<typeof SonicBoom>;

const quick = process.env.BENCH_QUICK === '1';
const N = quick ? 5_000 : 20_000;
const ROUNDS = quick ? 3 : 7;

interface Local {
  name: string;
  message(): void;
  meta(): void;
  error(): void;
  close(): Promise<void>;
}

type CaseName = 'message' | 'meta' | 'error';
const CASES: CaseName[] = ['message', 'meta', 'error'];
const small = { orderId: 42, user: { id: 'u-1' } };
const failure = new Error('payment failed', { cause: new Error('connection reset') });
const dir = mkdtempSync(join(os.tmpdir(), 'logger-bench-'));

function ours(target: 'file' | 'devnull'): Local {
  const logger = createLogger({
    service: { name: 'bench', version: '1.0.0', environment: 'bench' },
    level: 'info',
    ...(target === 'file'
      ? { console: false, file: { filename: join(dir, 'ours.log'), maxSizeBytes: 1024 ** 3, maxFiles: 1 } }
      : { console: { fd: openSync('/dev/null', 'w') } }),
    onError: () => {},
    env: {},
  });
  return {
    name: `@org/shared-logger → ${target === 'file' ? 'file' : '/dev/null'}`,
    message: () => logger.info('request handled'),
    meta: () => logger.info('request handled', small),
    error: () => logger.error('request failed', { err: failure }),
    close: () => logger.shutdown(),
  };
}

/** The stand-in for stdout: sonic-boom on /dev/null (what pino.destination() gives), no disk involved. */
function devNull(): SonicBoom {
  return new SonicBoom({ fd: openSync('/dev/null', 'w'), sync: false });
}

function pinoTo(target: 'file' | 'devnull'): Local {
  const destination =
    target === 'file' ? pino.destination({ dest: join(dir, 'pino.log'), sync: false }) : devNull();
  const logger = pino({ level: 'info', base: { service: 'bench' } }, destination);
  return {
    name: `pino → ${target === 'file' ? 'file' : '/dev/null'}`,
    message: () => logger.info('request handled'),
    meta: () => logger.info(small, 'request handled'),
    error: () => logger.error({ err: failure }, 'request failed'),
    close: async () => {
      destination.flushSync();
      destination.end();
    },
  };
}

function winstonNoop(): Local {
  const sink = new Transport({ log: (_info: unknown, callback: () => void) => callback() } as never);
  const logger = winston.createLogger({ level: 'info', format: winston.format.json(), transports: [sink] });
  return {
    name: 'winston json → no-op transport',
    message: () => logger.info('request handled'),
    meta: () => logger.info('request handled', small),
    error: () => logger.error('request failed', { err: failure }),
    close: async () => {},
  };
}

function noop(): Local {
  let sink = 0;
  const call = (message: string, meta?: object) => {
    sink += message.length + (meta === undefined ? 0 : 1);
  };
  return {
    name: 'no-op (empty function)',
    message: () => call('request handled'),
    meta: () => call('request handled', small),
    error: () => call('request failed', { err: failure }),
    close: async () => {
      if (sink < 0) console.log(sink);
    },
  };
}

function gc() {
  (globalThis as { gc?: () => void }).gc?.();
}

/**
 * ns per call, median of interleaved rounds. `pace` 0: a burst of N calls in one tick (what a batch job
 * does; the destination's buffer grows through the burst). `pace` 10: a setImmediate after every 10
 * calls (a server logging between requests: the buffer is written out as it goes); the no-op row shows
 * what the yielding itself costs.
 */
async function measure(contestants: Local[], pace: number): Promise<Record<CaseName, number[]>> {
  const out = {} as Record<CaseName, number[]>;
  for (const name of CASES) {
    for (const c of contestants) for (let i = 0; i < 2000; i++) c[name]();
    await tick();
    const samples = contestants.map(() => [] as number[]);
    for (let round = 0; round < ROUNDS; round++) {
      // Interleaved: each round runs every contestant once, in a rotating order.
      for (let j = 0; j < contestants.length; j++) {
        const k = (j + round) % contestants.length;
        const c = contestants[k]!;
        gc();
        const started = process.hrtime.bigint();
        if (pace === 0) {
          for (let i = 0; i < N; i++) c[name]();
        } else {
          for (let i = 0; i < N; i++) {
            c[name]();
            if (i % pace === pace - 1) await tick();
          }
        }
        await tick();
        samples[k]!.push(Number(process.hrtime.bigint() - started) / N);
        await new Promise((resolve) => setTimeout(resolve, 10));
      }
    }
    out[name] = samples.map((s) => s.sort((a, b) => a - b)[Math.floor(s.length / 2)]!);
  }
  return out;
}

function round(value: number): number {
  return Math.round(value * 1000) / 1000;
}

const contestants = [ours('file'), pinoTo('file'), ours('devnull'), pinoTo('devnull'), winstonNoop(), noop()];
for (const pace of [0, 10]) {
  const medians = await measure(contestants, pace);
  const mode = pace === 0 ? 'burst' : `paced (setImmediate every ${pace} calls)`;
  console.log(
    `\n4${pace === 0 ? 'a' : 'b'}. local hot path, ${mode}: ns per log call incl. deferred work, median of ${ROUNDS} interleaved rounds × ${N.toLocaleString('en-US')}`,
  );
  const width = Math.max(...contestants.map((c) => c.name.length));
  console.log(`  ${''.padEnd(width)}  ${CASES.map((c) => c.padStart(10)).join(' ')}`);
  for (const [k, c] of contestants.entries()) {
    console.log(
      `  ${c.name.padEnd(width)}  ${CASES.map((name) => Math.round(medians[name][k]!).toString().padStart(10)).join(' ')}`,
    );
  }
  for (const name of CASES) {
    const [of, pf, od, pd, w, n] = medians[name] as [number, number, number, number, number, number];
    console.log(
      JSON.stringify({
        type: 'bench',
        package: 'logger',
        case: `local-${pace === 0 ? 'burst' : 'paced'}-${name}`,
        results: contestants.map((c, k) => ({
          name: c.name,
          value: round(medians[name][k]!),
          unit: 'ns/call',
        })),
        ratios: {
          'ours/pino (file)': round(of / pf),
          'ours/pino (/dev/null)': round(od / pd),
          'ours/winston-noop (/dev/null)': round(od / w),
          'ours-minus-noop/pino-minus-noop (/dev/null)': round((od - n) / (pd - n)),
        },
        target: 'ns/call no more than pino (ratio <= 1) into the same destination',
        met: of <= pf && od <= pd,
      }),
    );
  }
}
for (const c of contestants) await c.close();

// ---------------------------------------------------------------- hostile inputs: ms per call
const hostileInputs: [string, unknown, (() => void) | undefined][] = [
  ['100 000 top-level keys', wide(100_000), undefined],
  ['Object.keys() of those alone (floor)', undefined, undefined],
  ['1000-wide DAG, 10 deep', dag(), undefined],
  ['10 000 000-element array', { list: new Array(10_000_000).fill(1) }, undefined],
  [
    '1000 strings of 16 KiB',
    Object.fromEntries(Array.from({ length: 1000 }, (_, i) => [`s${i}`, 'x'.repeat(16_384)])),
    undefined,
  ],
  ['5 MB string', { s: 'y'.repeat(5_000_000) }, undefined],
];
const hostileLogger = createLogger({
  service: { name: 'bench' },
  console: false,
  file: { filename: join(dir, 'hostile.log'), maxSizeBytes: 1024 ** 3, maxFiles: 1 },
  onError: () => {},
  env: {},
});
const floorInput = hostileInputs[0]![1] as object;
console.log('\n5. hostile input (ms per call, median of 15; default caps)');
const hostileResults: { name: string; value: number; unit: string }[] = [];
for (const [name, input] of hostileInputs) {
  const times: number[] = [];
  for (let r = 0; r < 15; r++) {
    const started = performance.now();
    if (input === undefined) Object.keys(floorInput);
    else hostileLogger.info('hostile', input);
    times.push(performance.now() - started);
    await tick();
  }
  const median = times.sort((a, b) => a - b)[7]!;
  hostileResults.push({ name, value: round(median), unit: 'ms/call' });
  console.log(`  ${name.padEnd(40)} ${median.toFixed(2).padStart(8)} ms`);
}
const worst = Math.max(...hostileResults.filter((r) => !r.name.includes('floor')).map((r) => r.value));
console.log(
  JSON.stringify({
    type: 'bench',
    package: 'logger',
    case: 'hostile-input',
    results: hostileResults,
    ratios: {},
    target: 'worst hostile input a few ms per call (<= 5 ms)',
    met: worst <= 5,
  }),
);
await hostileLogger.shutdown();
rmSync(dir, { recursive: true, force: true });
