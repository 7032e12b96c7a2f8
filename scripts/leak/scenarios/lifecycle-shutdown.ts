/**
 * ShutdownCoordinator + Resource + ListenerGroup: a coordinator installs its signal handlers,
 * registers resources (one listening on a real emitter through a ListenerGroup), shuts down and
 * disposes. Process signal listeners and the emitter's listeners must return to where they were.
 */
import { EventEmitter } from 'node:events';
import { defineScenario } from '@org/shared-leakcheck';
import { ListenerGroup, Resource, ShutdownCoordinator } from '@org/shared-lifecycle';

class Subscriber extends Resource {
  readonly #listeners = new ListenerGroup();
  constructor(bus: EventEmitter) {
    super('subscriber', { closeTimeoutMs: 1000 });
    this.#listeners.on(bus, 'message', () => this.assertOpen('message'));
  }
  protected onClose(): void {
    this.#listeners.removeAll();
  }
}

export default defineScenario({
  name: 'lifecycle/shutdown',
  description: 'ShutdownCoordinator.install → register 3 resources → shutdown → dispose',
  classes: [ShutdownCoordinator, Subscriber, ListenerGroup],
  setup: () => {
    const bus = new EventEmitter();
    return { bus, listeners: { bus: 0, sigterm: process.listenerCount('SIGTERM') } };
  },
  async iteration(state) {
    const coordinator = new ShutdownCoordinator({
      exit: () => {},
      timeoutMs: 1000,
      onError: () => {},
    }).install();
    const a = new Subscriber(state.bus);
    const b = new Subscriber(state.bus);
    coordinator.register('a', a);
    coordinator.register('b', b);
    coordinator.register('failing', () => {
      throw new Error('a failing step is reported, not thrown');
    });
    state.bus.emit('message');
    const result = await coordinator.shutdown('leak-check');
    await a.close(); // idempotent
    await b.destroy();
    coordinator.dispose();
    if (result.steps.length !== 3 || state.bus.listenerCount('message') !== 0)
      throw new Error('bad shutdown');
    if (process.listenerCount('SIGTERM') !== state.listeners.sigterm)
      throw new Error('SIGTERM listener left');
    return [coordinator, a, b];
  },
});
