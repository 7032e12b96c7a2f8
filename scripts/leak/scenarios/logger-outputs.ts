/**
 * The logger's own outputs: a rotating file (rotated several times per iteration), a console stream,
 * a child — then shutdown. Nothing may outlive it: the
 * file writers are closed and leave the exit-flush registry, the stream's listener goes.
 */

import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { defineScenario } from '@org/shared-leakcheck';
import { createLogger } from '@org/shared-logger';

interface State {
  dir: string;
  stream: Writable;
}

export default defineScenario<State>({
  name: 'logger/outputs',
  description: 'createLogger(console stream, rotating file) → child → 200 entries → shutdown',
  iterations: 30,
  setup: () => ({
    dir: mkdtempSync(join(tmpdir(), 'leak-logger-outputs-')),
    stream: new Writable({ write: (_chunk, _encoding, callback) => callback() }),
  }),
  async iteration({ dir, stream }, i) {
    const logger = createLogger({
      service: { name: 'leak-check', version: '1.0.0', environment: 'test' },
      console: { stream },
      file: { filename: join(dir, `app-${i % 3}.log`), maxSizeBytes: 8 * 1024, maxFiles: 2 },
      onError: () => {},
      env: {},
    });
    const child = logger.child({ iteration: i });
    for (let n = 0; n < 200; n++) child.info(`entry ${i}/${n}`, { n, pad: 'x'.repeat(64) });
    await logger.shutdown({ timeoutMs: 3000 });
    if (stream.listenerCount('error') !== 0) throw new Error('the console stream kept a listener');
    return [logger, child];
  },
  teardown: ({ dir }) => rmSync(dir, { recursive: true, force: true }),
});
