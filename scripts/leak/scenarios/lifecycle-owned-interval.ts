/** OwnedInterval: created, started, triggered while running, stopped (also mid-run) — many times. */

import { defineScenario } from '@org/shared-leakcheck';
import { OwnedInterval } from '@org/shared-lifecycle';

export default defineScenario({
  name: 'lifecycle/owned-interval',
  description: 'new OwnedInterval → start → trigger ×2 (coalesced) → stop({ abort }) with a run in flight',
  classes: [OwnedInterval],
  async iteration(_state, i) {
    let runs = 0;
    const timer = new OwnedInterval(
      async (signal) => {
        runs++;
        await new Promise((resolve) => setImmediate(resolve));
        if (i % 10 === 0) throw new Error('task failure, reported not thrown');
        signal.throwIfAborted();
      },
      { name: `leak-${i}`, intervalMs: 1, onError: () => {} },
    ).start();
    await timer.trigger();
    void timer.trigger();
    void timer.trigger();
    await timer.stop({ abort: i % 2 === 0 });
    if (runs === 0) throw new Error('the task never ran');
    return timer;
  },
});
