/**
 * The load: one autocannon instance per target at its share of the total rate, counting requests,
 * errors (status ≥ 400, timeouts, connection errors), latency per sampling tick (an HDR histogram,
 * reset each tick) and what the services acknowledged (`acknowledge` counters).
 */
import autocannon from 'autocannon';
import * as hdr from 'hdr-histogram-js';
import type { LoadRequest, LoadSpec } from './config.js';

export interface LoadTick {
  requests: number;
  errors: number;
  /** Latency of this tick's answers, ms (null without answers). */
  p50: number | null;
  p99: number | null;
}

export class Load {
  readonly totals = { requests: 0, errors: 0 };
  /** Acknowledged items per counter. */
  readonly acknowledged = new Map<string, number>();
  readonly rate: number;
  readonly #instances: autocannon.Instance[] = [];
  readonly #done: Promise<void>[] = [];
  readonly #histogram = hdr.build({
    lowestDiscernibleValue: 1,
    highestTrackableValue: 600_000_000,
    numberOfSignificantValueDigits: 2,
  });
  #tick = { requests: 0, errors: 0 };

  /** Starts the load on the services' URLs (by name) for durationS. */
  constructor(spec: LoadSpec, urls: ReadonlyMap<string, string>, durationS: number, rate = spec.rate) {
    this.rate = rate;
    const shares = spec.targets.map((t) => t.share ?? 1);
    const sum = shares.reduce((a, b) => a + b, 0) || 1;
    spec.targets.forEach((target, i) => {
      const overallRate = Math.max(1, Math.round((rate * shares[i]!) / sum));
      let finished!: () => void;
      this.#done.push(new Promise<void>((resolve) => (finished = resolve)));
      const instance = autocannon(
        {
          url: urls.get(target.service)!,
          connections: target.connections ?? 4,
          overallRate,
          duration: durationS,
          timeout: target.timeoutS ?? 10,
          requests: target.requests.map((r) => this.#request(r)),
        },
        () => finished(),
      );
      instance.on('response', (_client: unknown, status: number, _bytes: number, ms: number) => {
        this.#count(status >= 400);
        this.#histogram.recordValue(Math.max(1, Math.round(ms * 1000)));
      });
      instance.on('reqError', () => this.#count(true));
      this.#instances.push(instance);
    });
  }

  #count(error: boolean): void {
    this.totals.requests++;
    this.#tick.requests++;
    if (error) {
      this.totals.errors++;
      this.#tick.errors++;
    }
  }

  #request(r: LoadRequest): autocannon.Request {
    const { acknowledge, ...request } = r;
    if (!acknowledge) return request as autocannon.Request;
    this.acknowledged.set(acknowledge.counter, 0);
    return {
      ...request,
      onResponse: (status: number, body: string) => {
        let n = 0;
        try {
          n = acknowledge.count(status, body);
        } catch {
          n = 0; // an answer the counter cannot read acknowledged nothing
        }
        if (Number.isFinite(n) && n > 0)
          this.acknowledged.set(acknowledge.counter, (this.acknowledged.get(acknowledge.counter) ?? 0) + n);
      },
    } as autocannon.Request;
  }

  /** This tick's counts and latency percentiles; starts the next tick. */
  take(): LoadTick {
    const h = this.#histogram;
    const tick: LoadTick = {
      ...this.#tick,
      p50: h.totalCount > 0 ? h.getValueAtPercentile(50) / 1000 : null,
      p99: h.totalCount > 0 ? h.getValueAtPercentile(99) / 1000 : null,
    };
    h.reset();
    this.#tick = { requests: 0, errors: 0 };
    return tick;
  }

  /** Resolves when every instance finished its duration. */
  get finished(): Promise<void> {
    return Promise.all(this.#done).then(() => undefined);
  }

  /** Stops every instance now and waits for them. Idempotent. */
  async stop(): Promise<void> {
    for (const instance of this.#instances) instance.stop();
    await this.finished;
    this.#histogram.destroy();
  }
}
