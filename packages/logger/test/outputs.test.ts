// The package's own outputs (stdout, a stream, a rotating file) written directly, and winston's own
// transports added with add() still getting every entry in ECS JSON.
import { execFile } from 'node:child_process';
import { mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { PassThrough } from 'node:stream';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { activeResources, resourcesAddedSince } from '@org/shared-lifecycle/testing';
import { afterEach, describe, expect, it } from 'vitest';
import winston from 'winston';
import { createLogger, type LoggerOptions } from '../src/index.js';
import { ecsViolations } from './ecs-spec.js';
import { captureStream, collectingReporter } from './helpers.js';

const run = promisify(execFile);
const hook = fileURLToPath(new URL('./fixtures/ts-resolve.mjs', import.meta.url));
const exitChild = fileURLToPath(new URL('./fixtures/exit-child.ts', import.meta.url));

const dirs: string[] = [];
async function tempDir(): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'logger-outputs-'));
  dirs.push(dir);
  return dir;
}
afterEach(async () => {
  for (const dir of dirs.splice(0)) await rm(dir, { recursive: true, force: true });
});

function make(overrides: Partial<LoggerOptions> = {}) {
  const stream = captureStream();
  const reporter = collectingReporter();
  const logger = createLogger({
    service: { name: 'out', environment: 'test' },
    console: { stream },
    onError: reporter,
    env: {},
    ...overrides,
  });
  return { logger, stream, reporter };
}

describe('stdout', () => {
  it('every line logged before process.exit() arrives (flushed on exit), JSON and pretty', async () => {
    for (const format of ['json', 'pretty']) {
      const { stdout } = await run(process.execPath, ['--import', hook, exitChild, '20000', format], {
        maxBuffer: 64 * 1024 * 1024,
      });
      const lines = stdout.split('\n').filter((line) => line !== '');
      expect(lines).toHaveLength(20_000);
      if (format === 'json') {
        expect(JSON.parse(lines.at(-1)!)).toMatchObject({ message: 'line 19999', i: 19_999 });
        expect(ecsViolations(lines[0]!)).toEqual([]);
      } else {
        expect(lines.at(-1)).toMatch(/^\d\d:\d\d:\d\d\.\d{3} INFO {2}exit: line 19999 i=19999 pad=x+$/);
      }
    }
  }, 60_000);
});

describe('the rotating file', () => {
  it('rotates by size, keeps maxFiles files with the newest under the configured name, and closes', async () => {
    const dir = await tempDir();
    const filename = join(dir, 'app.log');
    const before = activeResources();
    const { logger, reporter } = make({
      console: false,
      file: { filename, maxSizeBytes: 4096, maxFiles: 3 },
    });
    for (let i = 0; i < 500; i++) logger.info(`line ${i}`, { i, pad: 'p'.repeat(40) });
    await logger.shutdown();
    expect((await readdir(dir)).sort()).toEqual(['app.log', 'app1.log', 'app2.log']);
    const read = async (name: string) =>
      (await readFile(join(dir, name), 'utf8'))
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as { i: number });
    const files = [await read('app2.log'), await read('app1.log'), await read('app.log')];
    const seq = files.flat().map((line) => line.i);
    // The kept files hold the last entries, in order, none missing.
    expect(seq.at(-1)).toBe(499);
    expect(seq).toEqual(Array.from({ length: seq.length }, (_, k) => 500 - seq.length + k));
    for (const file of files) expect(file.length).toBeGreaterThan(0);
    expect(reporter.errors).toEqual([]);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(resourcesAddedSince(before)).toEqual({});
  });

  it('reports a file it cannot open on the error channel and does not throw', async () => {
    const dir = await tempDir();
    const notADirectory = join(dir, 'plain-file');
    await writeFile(notADirectory, 'x');
    const before = activeResources();
    const { logger, reporter } = make({ console: false, file: { filename: join(notADirectory, 'app.log') } });
    expect(() => logger.info('x')).not.toThrow();
    await logger.shutdown({ timeoutMs: 2000 });
    expect(reporter.errors.map((e) => e.code)).toEqual(['ORG_LOGGER_OUTPUT_FAILED']);
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(resourcesAddedSince(before)).toEqual({});
  });
});

describe("winston's transports added with add()", () => {
  it('Stream, File and Console transports get the ECS JSON lines, at their own levels', async () => {
    const dir = await tempDir();
    const { logger, stream } = make({ level: 'debug' });
    const extra = captureStream();
    const file = join(dir, 'winston.log');
    const captured: string[] = [];
    const consoleTransport = new winston.transports.Console({ level: 'warn' });
    // winston's Console writes to console._stdout when there is one: capture that.
    const holder = console as unknown as { _stdout?: unknown };
    const saved = holder._stdout;
    holder._stdout = { write: (chunk: string) => captured.push(chunk) };
    try {
      logger.add(new winston.transports.Stream({ stream: extra }));
      logger.add(new winston.transports.File({ filename: file }));
      logger.add(consoleTransport);
      logger.debug('debug line', { a: 1 });
      logger.warn('warn line', { b: 2 });
      logger.child({ requestId: 'r-1' }).error('child line');
      await new Promise((resolve) => setTimeout(resolve, 50));
    } finally {
      holder._stdout = saved;
    }
    await logger.shutdown();
    await new Promise((resolve) => setTimeout(resolve, 50));
    const own = stream.text();
    const fromStream = extra.text();
    const fromFile = await readFile(file, 'utf8');
    // The same line everywhere: formatted once.
    expect(fromStream).toBe(own);
    expect(fromFile).toBe(own);
    expect(extra.lines().map((l) => l.message)).toEqual(['debug line', 'warn line', 'child line']);
    expect(extra.lines()[2]).toMatchObject({ requestId: 'r-1' });
    for (const line of own.split('\n').filter(Boolean)) expect(ecsViolations(line)).toEqual([]);
    expect(captured.map((chunk) => (JSON.parse(chunk) as { message: string }).message)).toEqual([
      'warn line',
      'child line',
    ]);
  });

  it('a transport added later and removed again stops getting entries; clear() leaves the own outputs', async () => {
    const { logger, stream } = make();
    const extra = captureStream();
    const transport = new winston.transports.Stream({ stream: extra });
    logger.info('before');
    logger.add(transport);
    logger.info('during');
    logger.remove(transport);
    logger.info('after');
    logger.clear();
    logger.info('cleared');
    await logger.shutdown();
    expect(extra.lines().map((l) => l.message)).toEqual(['during']);
    expect(stream.lines().map((l) => l.message)).toEqual(['before', 'during', 'after', 'cleared']);
  });
});

describe("winston's API", () => {
  it('isLevelEnabled follows the logger level and the outputs’ own levels; silent writes nothing', async () => {
    const { logger, stream } = make({ level: 'warn', console: { stream: captureStream(), level: 'debug' } });
    expect(logger.isLevelEnabled('debug')).toBe(true);
    expect(logger.isLevelEnabled('silly')).toBe(false);
    expect(logger.isLevelEnabled('nope')).toBe(false);
    const plain = make({ level: 'warn' });
    expect(plain.logger.isLevelEnabled('info')).toBe(false);
    expect(plain.logger.isLevelEnabled('error')).toBe(true);
    plain.logger.level = 'info';
    expect(plain.logger.isLevelEnabled('info')).toBe(true);
    plain.logger.info('now shown');
    plain.logger.silent = true;
    plain.logger.error('silenced');
    await plain.logger.shutdown();
    await logger.shutdown();
    expect(plain.stream.lines().map((l) => l.message)).toEqual(['now shown']);
    expect(stream.text()).toBe('');
    expect(() => make({ console: { level: 'loud' } })).toThrow(
      expect.objectContaining({ code: 'ORG_LOGGER_INVALID_LEVEL' }),
    );
  });

  it('profile() and startTimer() write through the same outputs', async () => {
    const { logger, stream } = make();
    logger.startTimer().done({ message: 'timed' });
    logger.profile('p');
    logger.profile('p');
    await logger.shutdown();
    const lines = stream.lines();
    expect(lines.map((l) => l.message)).toEqual(['timed', 'p']);
    expect(lines[0]).toHaveProperty('durationMs');
  });
});

describe('the pretty format', () => {
  it('one readable line per entry, colourless off a TTY, control characters escaped', async () => {
    const stream = new PassThrough();
    let text = '';
    stream.on('data', (chunk: Buffer) => {
      text += chunk.toString();
    });
    const logger = createLogger({
      service: { name: 'orders' },
      console: { stream },
      format: 'pretty',
      env: {},
      onError: collectingReporter(),
      now: () => Date.UTC(2025, 0, 2, 3, 4, 5, 6),
    });
    logger.info('order placed', { orderId: 42, user: { id: 'u 1' }, traceId: 't-1' });
    logger.error('payment failed', { error: new TypeError('bad input', { cause: new Error('reset') }) });
    logger.warn('multi\nline \x1b[31mred\x1b[0m');
    await logger.shutdown();
    const lines = text.split('\n').filter(Boolean);
    expect(lines).toHaveLength(3);
    expect(lines[0]).toBe('03:04:05.006 INFO  orders: order placed orderId=42 user.id="u 1" trace.id=t-1');
    expect(lines[1]).toMatch(
      /^03:04:05\.006 ERROR orders: payment failed error=TypeError: bad input \(at .+\) ← Error: reset \(at .+\)$/,
    );
    expect(lines[2]).toBe('03:04:05.006 WARN  orders: multi\\nline \\u001b[31mred\\u001b[0m');
    expect(text).not.toContain('\x1b');
  });

  it('LOG_FORMAT chooses it, an unknown format is a typed error', () => {
    expect(() => make({ env: { LOG_FORMAT: 'pretty' } })).not.toThrow();
    expect(() => make({ env: { LOG_FORMAT: 'xml' } })).toThrow(
      expect.objectContaining({
        code: 'ORG_LOGGER_INVALID_OPTION',
        message: expect.stringContaining('LOG_FORMAT'),
      }),
    );
    expect(() => make({ format: 'yaml' as never })).toThrow(
      expect.objectContaining({ code: 'ORG_LOGGER_INVALID_OPTION' }),
    );
  });
});
