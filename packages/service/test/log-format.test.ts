import { describe, expect, it } from 'vitest';
import { createService } from '../src/index.js';
import { logFormatOf } from '../src/service.js';
import { logCollector } from '../src/testing.js';

describe('LOG_FORMAT', () => {
  it('pretty writes one readable line per entry, json (the default with a logStream) ECS lines', async () => {
    for (const [value, pretty] of [
      ['pretty', true],
      ['json', false],
      [undefined, false],
    ] as const) {
      const logs = logCollector();
      const service = await createService({
        name: 'fmt',
        version: '1.0.0',
        http: 'node',
        env: { PORT: '0', ...(value ? { LOG_FORMAT: value } : {}) },
        logStream: logs.stream,
        signals: false,
      });
      service.logger.info('hello', { n: 1 });
      await service.close();
      const line = logs.lines.find((l) => l.includes('hello'))!;
      if (pretty) expect(line).toMatch(/^\d\d:\d\d:\d\d\.\d{3} INFO {2}fmt: hello n=1$/);
      else expect(JSON.parse(line)).toMatchObject({ message: 'hello', n: 1, event: { dataset: 'fmt' } });
    }
  });

  it('an unknown LOG_FORMAT is a configuration error', async () => {
    await expect(
      createService({
        name: 'fmt',
        version: '1',
        http: 'node',
        env: { PORT: '0', LOG_FORMAT: 'xml' },
        signals: false,
      }),
    ).rejects.toMatchObject({ code: expect.stringMatching(/^ORG_SERVICE_/) });
  });

  it('unset: pretty only for a terminal outside production without a logStream', () => {
    const tty = process.stdout.isTTY;
    try {
      process.stdout.isTTY = true;
      expect(logFormatOf('', 'development', undefined)).toBe('pretty');
      expect(logFormatOf('', 'production', undefined)).toBe('json');
      expect(logFormatOf('', 'development', logCollector().stream)).toBe('json');
      expect(logFormatOf('json', 'development', undefined)).toBe('json');
      process.stdout.isTTY = false;
      expect(logFormatOf('', 'development', undefined)).toBe('json');
      expect(logFormatOf('pretty', 'production', undefined)).toBe('pretty');
    } finally {
      process.stdout.isTTY = tty;
    }
  });
});
