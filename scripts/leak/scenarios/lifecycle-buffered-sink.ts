/**
 * BufferedSink: a sink per iteration whose sender stores some batches, pushes back items, loses an
 * answer, refuses a batch for a poison item and fails a request; closed with a deadline that cuts a
 * request left hanging. Plus one long-lived sink that receives items for the whole run: its buffer
 * must stay within its caps. Timers, abort listeners and split batches must all be gone after close.
 */

import { defineScenario } from '@org/shared-leakcheck';
import { BufferedSink, type SendResult, type SinkItem } from '@org/shared-lifecycle';

function sender(hangOn: number) {
  let calls = 0;
  return (batch: readonly SinkItem<number>[], ctx: { signal: AbortSignal }): Promise<SendResult> => {
    calls++;
    if (batch.some((item) => item.value === hangOn)) {
      return new Promise((resolve) =>
        ctx.signal.addEventListener('abort', () =>
          resolve({ kind: 'failed', error: ctx.signal.reason, inDoubt: true }),
        ),
      );
    }
    if (batch.some((item) => item.value % 97 === 13))
      return Promise.resolve({ kind: 'refused', error: new Error('poison') });
    switch (calls % 4) {
      case 0:
        return Promise.resolve({ kind: 'items', retry: [0], unknown: [1] });
      case 1:
        return Promise.resolve({ kind: 'failed', error: new Error('ECONNRESET'), inDoubt: true });
      default:
        return Promise.resolve({ kind: 'stored' });
    }
  };
}

export default defineScenario({
  name: 'lifecycle/buffered-sink',
  description:
    'BufferedSink: stored, pushback, lost answers, poison split, failure backoff; close cuts a hanging request',
  classes: [BufferedSink],
  setup: () =>
    new BufferedSink<number>({
      name: 'long-lived',
      send: sender(-1),
      maxItems: 500,
      batchSize: 50,
      flushIntervalMs: 5,
      backoff: { initialMs: 1, maxMs: 5 },
      onError: () => {},
    }),
  teardown: (longLived) => longLived.close({ timeoutMs: 1000 }),
  async iteration(longLived, i) {
    const sink = new BufferedSink<number>({
      name: `sink-${i}`,
      send: sender(i * 1000 + 150),
      maxItems: 100,
      batchSize: 20,
      flushIntervalMs: 5,
      backoff: { initialMs: 1, maxMs: 5 },
      onError: () => {},
    });
    for (let n = 0; n < 200; n++) sink.push(i * 1000 + n);
    await sink.close({ timeoutMs: 50 });
    for (let n = 0; n < 100; n++) longLived.push(i * 1000 + n);
    const stats = sink.stats();
    const dropped = Object.values(stats.dropped).reduce((a, b) => a + b, 0);
    if (stats.buffered + stats.inFlight + stats.sent + stats.unconfirmed + dropped !== stats.received)
      throw new Error('sink counts do not add up');
    if (longLived.stats().buffered > 500) throw new Error('cap exceeded');
    return sink;
  },
});
