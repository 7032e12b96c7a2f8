/**
 * BoundedQueue: short-lived queues filled past their caps and drained, and one long-lived queue
 * that receives entries for the whole run and must stay within its caps (memlab would see it grow).
 */

import { defineScenario } from '@org/shared-leakcheck';
import { BoundedQueue } from '@org/shared-lifecycle';

export default defineScenario({
  name: 'lifecycle/bounded-queue',
  description: 'push past maxItems/maxBytes, take, requeue, drain; plus a long-lived capped queue',
  classes: [BoundedQueue],
  setup: () =>
    new BoundedQueue<{ n: number; text: string }>({
      maxItems: 200,
      maxBytes: 64 * 1024,
      maxAgeMs: 60_000,
      sizeOf: (v) => v.text.length,
    }),
  iteration(longLived, i) {
    const queue = new BoundedQueue<string>({ maxItems: 20, maxBytes: 4096, sizeOf: (s) => s.length });
    for (let n = 0; n < 50; n++) queue.push(`entry-${i}-${n}`.padEnd(64, '.'));
    const batch = queue.take(10);
    queue.requeue(batch);
    queue.drain();
    for (let n = 0; n < 10; n++) longLived.push({ n, text: `${i}:${n}`.repeat(20) });
    longLived.take(5);
    if (longLived.size > longLived.maxItems) throw new Error('cap exceeded');
    return queue;
  },
});
